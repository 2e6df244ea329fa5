#include "lib/pack/loader.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "lib/base/absl_view.h"
#include "lib/normalize/normalizer.h"
#include "lib/pack/compiler.h"
#include "lib/pack/mspack_file.h"
#include "lib/pack/rule_syntax.h"
#include "lib/pack/taxonomy.h"

namespace menshen::internal {
namespace {

// Checks what the matcher relies on, so that a well-checksummed but
// inconsistent artefact is an error rather than an out-of-range read.
// Whether a rule's steps name existing PART literals and make sense.
bool RuleOk(const pack::CompiledPack& compiled, const pack::Entry& e) {
  if (e.kind() != pack::RULE) return e.steps().empty();
  int positive = 0;
  int anchors = 0;
  for (const pack::RuleStep& step : e.steps()) {
    anchors += step.anchor() ? 1 : 0;
    if (step.anchor() && step.negated()) return false;
    if (step.alternatives().empty() || !pack::RuleStep::Link_IsValid(step.link()) ||
        step.max_gap() < -1 || (step.link() == pack::RuleStep::NEAR && step.max_gap() < 0)) {
      return false;
    }
    for (uint32_t a : step.alternatives()) {
      if (a >= static_cast<uint32_t>(compiled.entries_size())) return false;
      const pack::Entry& part = compiled.entries(static_cast<int>(a));
      if (part.kind() != pack::LITERAL || (part.flags() & pack::PART) == 0) return false;
    }
    positive += step.negated() ? 0 : 1;
  }
  return anchors == 1 && positive >= 1 && positive <= kMaxRulePositiveSteps &&
         (positive >= 2 || positive < e.steps_size());
}

absl::Status CheckEntries(const pack::CompiledPack& compiled, std::string_view name) {
  for (const pack::Entry& e : compiled.entries()) {
    const bool allow = (e.flags() & pack::ALLOW) != 0;
    const bool part = (e.flags() & pack::PART) != 0;
    const bool kind_ok =
        e.kind() == pack::LITERAL || e.kind() == pack::REGEX || e.kind() == pack::RULE;
    const bool severity_ok = allow || part ? e.severity() == 0
                                           : e.severity() >= 1 && e.severity() <= 4;
    const bool literal_ok = e.kind() != pack::LITERAL || !e.folded().empty();
    const bool part_ok = !part || (e.kind() == pack::LITERAL && !allow);
    const bool validator_ok = pack::Validator_IsValid(e.validator()) &&
                              (e.validator() == pack::VALIDATOR_NONE || e.kind() == pack::REGEX ||
                               ((e.validator() == pack::LATIN_EDGES || e.validator() == pack::HAS_LETTER) &&
                                !e.variant_of().empty()));
    if (!kind_ok || !severity_ok || !literal_ok || !part_ok || !validator_ok ||
        !RuleOk(compiled, e) || e.id().empty()) {
      return absl::DataLossError(absl::StrCat(absl::string_view(name.data(), name.size()),
                                              ": corrupt .mspack: entry '", e.id(),
                                              "' is inconsistent"));
    }
  }
  return absl::OkStatus();
}

// Compiles the sources `old` embeds, against the categories it carries:
// everything (`databases`), or only the entries.
absl::StatusOr<pack::CompiledPack> Recompile(const pack::CompiledPack& old, std::string_view name,
                                             bool databases) {
  PackSource source;
  source.origin = absl::StrCat(absl::string_view(name.data(), name.size()), " (embedded sources)");
  for (const pack::SourceFile& f : old.sources()) source.files[f.path()] = f.content();
  pack::Taxonomy categories;
  categories.set_version(old.taxonomy_version());
  *categories.mutable_category() = old.categories();
  absl::StatusOr<Taxonomy> taxonomy = Taxonomy::FromProto(source.origin, std::move(categories));
  if (!taxonomy.ok()) return taxonomy.status();
  absl::StatusOr<CompileOutput> rebuilt =
      databases ? CompilePack(source, *taxonomy, CompileOptions{})
                : CompileEntries(source, *taxonomy, CompileOptions{});
  if (!rebuilt.ok()) return rebuilt.status();
  return std::move(rebuilt->pack);
}

absl::StatusOr<pack::CompiledPack> Rebuild(const pack::CompiledPack& old, std::string_view name) {
  return Recompile(old, name, /*databases=*/true);
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
    if (e.flags() & pack::PART) {
      ++info.part_count;
      continue;
    }
    ++(e.kind() == pack::LITERAL ? info.literal_count
       : e.kind() == pack::REGEX ? info.regex_count
                                 : info.rule_count);
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
  if (compiled.entries_size() == 0 && !compiled.entries_sha256().empty()) {
    // A compact artefact (format 3): the entries come from the sources. Should
    // this build derive other entries than the one that compiled the pack
    // (another parser), the databases' pattern ids would not fit them.
    absl::StatusOr<pack::CompiledPack> derived = Recompile(compiled, name, /*databases=*/false);
    if (derived.ok() && EntriesDigest(derived->entries()) == compiled.entries_sha256()) {
      compiled.mutable_entries()->Swap(derived->mutable_entries());
    } else {
      loaded->notes.push_back(absl::StrCat(
          who, ": rebuilt from embedded sources: this build derives other entries from them"));
      absl::StatusOr<pack::CompiledPack> rebuilt = Rebuild(compiled, name);
      if (!rebuilt.ok()) return rebuilt.status();
      compiled = *std::move(rebuilt);
    }
  }
  if (absl::Status s = CheckEntries(compiled, name); !s.ok()) return s;

  for (int attempt = 0; attempt < 2; ++attempt) {
    absl::StatusOr<RestoreResult> lit = RestoreDatabase(compiled.literals(), &loaded->literals);
    if (!lit.ok()) return absl::Status(lit.status().code(), absl::StrCat(who, ": ", lit.status().message()));
    absl::StatusOr<RestoreResult> re = RestoreDatabase(compiled.regexes(), &loaded->regexes);
    if (!re.ok()) return absl::Status(re.status().code(), absl::StrCat(who, ": ", re.status().message()));
    absl::StatusOr<RestoreResult> parts = RestoreDatabase(compiled.parts(), &loaded->parts);
    if (!parts.ok()) {
      return absl::Status(parts.status().code(), absl::StrCat(who, ": ", parts.status().message()));
    }
    if (*lit == RestoreResult::kOk && *re == RestoreResult::kOk && *parts == RestoreResult::kOk) {
      break;
    }
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
  size_t in_database[3] = {0, 0, 0};  // by DatabaseKind
  for (int db : DatabaseOfEntries(compiled.entries())) {
    if (db >= 0) ++in_database[db];
  }
  if ((loaded->literals != nullptr) != (in_database[0] > 0) ||
      (loaded->regexes != nullptr) != (in_database[1] > 0) ||
      (loaded->parts != nullptr) != (in_database[2] > 0)) {
    return absl::DataLossError(absl::StrCat(who, ": corrupt .mspack: databases and entries disagree"));
  }
  compiled.clear_sources();
  loaded->compiled = std::move(compiled);
  loaded->meta.reserve(static_cast<size_t>(loaded->compiled.entries_size()));
  for (const pack::Entry& e : loaded->compiled.entries()) {
    EntryMeta& m = loaded->meta.emplace_back();
    const bool variant = !e.variant_of().empty();
    m.id = variant ? e.variant_of() : e.id();
    m.category = e.category();
    m.term = variant ? e.base_term() : e.name().empty() ? e.term() : e.name();
    m.folded_bytes = static_cast<uint32_t>(e.folded().size());
    m.flags = static_cast<uint8_t>(e.flags());
    m.validator = static_cast<uint8_t>(e.validator());
    m.severity = static_cast<uint8_t>(e.severity());
    m.regex = e.kind() == pack::REGEX;
    m.variant = e.variant();
  }
  FillInfo(loaded.get(), std::move(artefact_sha256_hex));
  return loaded;
}

}  // namespace menshen::internal
