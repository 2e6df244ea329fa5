#include "lib/pack/loader.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "lib/base/absl_view.h"
#include "lib/normalize/normalizer.h"
#include "lib/pack/compiler.h"
#include "lib/pack/mspack_file.h"
#include "lib/pack/taxonomy.h"

namespace menshen::internal {
namespace {

// Checks what the matcher relies on, so that a well-checksummed but
// inconsistent artefact is an error rather than an out-of-range read.
absl::Status CheckEntries(const pack::CompiledPack& compiled, std::string_view name) {
  for (const pack::Entry& e : compiled.entries()) {
    const bool allow = (e.flags() & pack::ALLOW) != 0;
    const bool kind_ok = e.kind() == pack::LITERAL || e.kind() == pack::REGEX;
    const bool severity_ok = allow ? e.severity() == 0 : e.severity() >= 1 && e.severity() <= 4;
    const bool literal_ok = e.kind() != pack::LITERAL || !e.folded().empty();
    const bool validator_ok = pack::Validator_IsValid(e.validator()) &&
                              (e.validator() == pack::VALIDATOR_NONE || e.kind() == pack::REGEX ||
                               (e.validator() == pack::LATIN_EDGES && !e.variant_of().empty()));
    if (!kind_ok || !severity_ok || !literal_ok || !validator_ok || e.id().empty()) {
      return absl::DataLossError(absl::StrCat(absl::string_view(name.data(), name.size()),
                                              ": corrupt .mspack: entry '", e.id(),
                                              "' is inconsistent"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<pack::CompiledPack> Rebuild(const pack::CompiledPack& old, std::string_view name) {
  PackSource source;
  source.origin = absl::StrCat(absl::string_view(name.data(), name.size()), " (embedded sources)");
  for (const pack::SourceFile& f : old.sources()) source.files[f.path()] = f.content();
  pack::Taxonomy categories;
  categories.set_version(old.taxonomy_version());
  *categories.mutable_category() = old.categories();
  absl::StatusOr<Taxonomy> taxonomy = Taxonomy::FromProto(source.origin, std::move(categories));
  if (!taxonomy.ok()) return taxonomy.status();
  absl::StatusOr<CompileOutput> rebuilt = CompilePack(source, *taxonomy, CompileOptions{});
  if (!rebuilt.ok()) return rebuilt.status();
  return std::move(rebuilt->pack);
}

void FillInfo(LoadedPack* p, std::string artefact_sha256_hex) {
  const pack::CompiledPack& c = p->compiled;
  PackInfo& info = p->info;
  info.name = c.manifest().name();
  info.version = c.manifest().version();
  info.description = c.manifest().description();
  info.license = c.manifest().license();
  info.fold_version = c.fold_version();
  info.source_sha256 = absl::BytesToHexString(c.source_sha256());
  info.artefact_sha256 = std::move(artefact_sha256_hex);
  info.taxonomy_version = c.taxonomy_version();
  info.hyperscan_version = c.hyperscan_version();
  for (const pack::Category& category : c.categories()) {
    info.category_names[category.code()] =
        absl::StrCat(category.name_zh(), " / ", category.name_en());
  }
  for (const pack::Entry& e : c.entries()) {
    if (!e.variant_of().empty()) {
      ++info.variant_count;
      std::string kind = absl::AsciiStrToLower(pack::VariantKind_Name(e.variant()));
      ++info.variants_by_kind[kind.substr(kind.find('_') + 1)];
      continue;
    }
    if (e.flags() & pack::ALLOW) {
      ++info.allow_count;
      continue;
    }
    ++(e.kind() == pack::LITERAL ? info.literal_count : info.regex_count);
    ++info.counts_by_category[e.category()];
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<LoadedPack>> RestorePack(pack::CompiledPack compiled,
                                                        std::string artefact_sha256_hex,
                                                        std::string_view name) {
  auto loaded = std::make_unique<LoadedPack>();
  const absl::string_view who(name.data(), name.size());
  if (compiled.fold_version() != FoldVersion()) {
    loaded->notes.push_back(absl::StrCat(who, ": rebuilt from embedded sources: folded with '",
                                         compiled.fold_version(), "', this build folds with '",
                                         AV(FoldVersion()), "'"));
    absl::StatusOr<pack::CompiledPack> rebuilt = Rebuild(compiled, name);
    if (!rebuilt.ok()) return rebuilt.status();
    compiled = *std::move(rebuilt);
  }
  if (absl::Status s = CheckEntries(compiled, name); !s.ok()) return s;

  for (int attempt = 0; attempt < 2; ++attempt) {
    absl::StatusOr<RestoreResult> lit = RestoreDatabase(compiled.literals(), &loaded->literals);
    if (!lit.ok()) return absl::Status(lit.status().code(), absl::StrCat(who, ": ", lit.status().message()));
    absl::StatusOr<RestoreResult> re = RestoreDatabase(compiled.regexes(), &loaded->regexes);
    if (!re.ok()) return absl::Status(re.status().code(), absl::StrCat(who, ": ", re.status().message()));
    if (*lit == RestoreResult::kOk && *re == RestoreResult::kOk) break;
    if (attempt == 1) {
      return absl::FailedPreconditionError(
          absl::StrCat(who, ": a freshly rebuilt database does not fit this CPU"));
    }
    loaded->notes.push_back(absl::StrCat(
        who, ": rebuilt from embedded sources: its databases were built for another CPU or "
             "Hyperscan version (", compiled.hyperscan_version(), "; this is ", hs_version(), ")"));
    absl::StatusOr<pack::CompiledPack> rebuilt = Rebuild(compiled, name);
    if (!rebuilt.ok()) return rebuilt.status();
    compiled = *std::move(rebuilt);
  }
  const bool has_literals = loaded->literals != nullptr;
  const bool has_regexes = loaded->regexes != nullptr;
  size_t literal_entries = 0;
  size_t regex_entries = 0;
  for (const pack::Entry& e : compiled.entries()) {
    ++(e.kind() == pack::LITERAL ? literal_entries : regex_entries);
  }
  if (has_literals != (literal_entries > 0) || has_regexes != (regex_entries > 0)) {
    return absl::DataLossError(absl::StrCat(who, ": corrupt .mspack: databases and entries disagree"));
  }
  compiled.clear_sources();
  loaded->compiled = std::move(compiled);
  FillInfo(loaded.get(), std::move(artefact_sha256_hex));
  return loaded;
}

}  // namespace menshen::internal
