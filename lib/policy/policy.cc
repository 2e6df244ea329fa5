#include "menshen/policy.h"

#include <utility>

#include "lib/base/text_proto.h"
#include "lib/pack/embedded.h"
#include "lib/pack/taxonomy.h"
#include "lib/policy/compiled_policy.h"

namespace menshen {

Policy::Policy(std::unique_ptr<internal::CompiledPolicy> compiled)
    : compiled_(std::move(compiled)) {}
Policy::~Policy() = default;

absl::StatusOr<std::shared_ptr<const Policy>> Policy::Load(const std::string& path,
                                                           const PolicyLoadOptions& options) {
  absl::StatusOr<std::string> text = internal::ReadFile(path);
  if (!text.ok()) return text.status();
  return Parse(*text, path, options);
}

absl::StatusOr<std::shared_ptr<const Policy>> Policy::Parse(std::string_view text,
                                                            std::string_view file_name,
                                                            const PolicyLoadOptions& options) {
  std::optional<internal::Taxonomy> loaded;
  if (!options.taxonomy_path.empty()) {
    absl::StatusOr<std::string> content = internal::ReadFile(options.taxonomy_path);
    if (!content.ok()) return content.status();
    absl::StatusOr<internal::Taxonomy> taxonomy =
        internal::Taxonomy::Parse(options.taxonomy_path, *content);
    if (!taxonomy.ok()) return taxonomy.status();
    loaded = *std::move(taxonomy);
  }
  absl::StatusOr<std::unique_ptr<internal::CompiledPolicy>> compiled =
      internal::CompiledPolicy::Compile(file_name, text,
                                        loaded ? *loaded : internal::Taxonomy::Embedded());
  if (!compiled.ok()) return compiled.status();
  return std::shared_ptr<const Policy>(std::make_shared<Policy>(*std::move(compiled)));
}

std::shared_ptr<const Policy> Policy::Default() {
  // Compiled once from the file built into the library and never freed, so
  // engines torn down by other static destructors can still use it. Tests
  // compile the same file, so a null here means a broken build.
  static const std::shared_ptr<const Policy>* const kDefault = [] {
    std::optional<std::string_view> text = internal::FindEmbeddedFile("policies/default.textproto");
    absl::StatusOr<std::shared_ptr<const Policy>> policy =
        Parse(text.value_or(std::string_view()), "embedded:policies/default.textproto");
    return new std::shared_ptr<const Policy>(policy.ok() ? *std::move(policy) : nullptr);
  }();
  return *kDefault;
}

const std::string& Policy::version() const { return compiled_->proto().version(); }

const std::string& Policy::default_profile() const { return compiled_->proto().default_profile(); }

std::vector<std::string> Policy::profiles() const {
  std::vector<std::string> names;
  for (const policy::Profile& p : compiled_->proto().profile()) names.push_back(p.name());
  return names;
}

bool Policy::has_profile(std::string_view name) const { return compiled_->HasProfile(name); }

}  // namespace menshen
