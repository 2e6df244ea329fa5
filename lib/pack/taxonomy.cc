#include "lib/pack/taxonomy.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "lib/base/absl_view.h"
#include "lib/base/text_proto.h"
#include "lib/pack/embedded.h"

namespace menshen::internal {
namespace {

// A class code is an upper-case letter and digits ("A1", "X"); a risk code is
// its class code, a dot and a number ("A1.3").
bool IsWellFormedCode(std::string_view code) {
  if (code.empty() || !absl::ascii_isupper(static_cast<unsigned char>(code[0]))) return false;
  bool seen_dot = false;
  bool digit_after_dot = false;
  for (char c : code.substr(1)) {
    if (c == '.') {
      if (seen_dot) return false;
      seen_dot = true;
    } else if (absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      digit_after_dot = seen_dot;
    } else {
      return false;
    }
  }
  return !seen_dot || digit_after_dot;
}

}  // namespace

absl::StatusOr<Taxonomy> Taxonomy::FromProto(std::string_view origin, pack::Taxonomy proto) {
  Taxonomy t;
  t.proto_ = std::move(proto);
  for (int i = 0; i < t.proto_.category_size(); ++i) {
    const pack::Category& c = t.proto_.category(i);
    if (!IsWellFormedCode(c.code())) {
      return absl::InvalidArgumentError(
          absl::StrCat(AV(origin), ": category code '", c.code(), "' is not of the form A1 or A1.3"));
    }
    if (!t.index_.emplace(c.code(), i).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(AV(origin), ": category code '", c.code(), "' appears twice"));
    }
  }
  for (const pack::Category& c : t.proto_.category()) {
    if (c.parent().empty()) continue;
    const pack::Category* parent = t.Find(c.parent());
    if (parent == nullptr || !parent->parent().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          AV(origin), ": category '", c.code(), "' names parent '", c.parent(), "', which is not a class"));
    }
  }
  return t;
}

absl::StatusOr<Taxonomy> Taxonomy::Parse(std::string_view file_name, std::string_view content) {
  pack::Taxonomy proto;
  if (absl::Status s = ParseTextProto(file_name, content, &proto); !s.ok()) return s;
  return FromProto(file_name, std::move(proto));
}

const Taxonomy& Taxonomy::Embedded() {
  // Built once from data compiled into the library; immutable afterwards.
  static const Taxonomy* const kEmbedded = [] {
    std::optional<std::string_view> text = FindEmbeddedFile("taxonomy.textproto");
    absl::StatusOr<Taxonomy> t =
        Parse("embedded:taxonomy.textproto", text.value_or(std::string_view()));
    // The build checks the embedded taxonomy (tests parse it), so a failure
    // here leaves an empty taxonomy that rejects every category.
    return new Taxonomy(t.ok() ? *std::move(t) : Taxonomy());
  }();
  return *kEmbedded;
}

const pack::Category* Taxonomy::Find(std::string_view code) const {
  auto it = index_.find(absl::string_view(code.data(), code.size()));
  return it == index_.end() ? nullptr : &proto_.category(it->second);
}

}  // namespace menshen::internal
