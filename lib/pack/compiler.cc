#include "lib/pack/compiler.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/base/sha256.h"
#include "lib/base/text_proto.h"
#include "lib/normalize/normalizer.h"
#include "lib/pack/databases.h"
#include "lib/pack/tsv.h"

namespace menshen::internal {
namespace {

constexpr int kDefaultMinTermChars = 2;
constexpr size_t kIdHexDigits = 12;  // 48 bits: collisions are checked anyway

bool IsPackName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!absl::ascii_islower(static_cast<unsigned char>(c)) &&
        !absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != '-') {
      return false;
    }
  }
  return true;
}

// Identifiers: [0-9A-Za-z-]+, numeric ones without leading zeros.
bool IsVersionPart(absl::string_view part, bool numeric) {
  if (part.empty()) return false;
  for (char c : part) {
    if (numeric ? !absl::ascii_isdigit(static_cast<unsigned char>(c))
                : !absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-') {
      return false;
    }
  }
  return !numeric || part == "0" || part[0] != '0';
}

// Hash of the sources: every file as "path\0size\0content", in path order.
std::string SourceDigest(const PackSource& source) {
  Sha256 hash;
  for (const auto& [path, content] : source.files) {
    hash.Update(path);
    hash.Update(std::string_view("\0", 1));
    hash.Update(std::to_string(content.size()));
    hash.Update(std::string_view("\0", 1));
    hash.Update(content);
  }
  return std::string(DigestBytes(hash.Finish()));
}

std::string EntryId(const std::string& pack_name, const pack::Entry& e) {
  std::string keyed = absl::StrCat(e.kind() == pack::LITERAL ? "literal" : "regex", "\x1f", e.term());
  return absl::StrCat(pack_name, ":", DigestToHex(Sha256Of(keyed)).substr(0, kIdHexDigits));
}

absl::Status CheckDefaults(const PackSource& source, std::string_view file,
                           const std::string& category, int severity, const std::string& flags,
                           const Taxonomy& taxonomy) {
  const std::string where = absl::StrCat(source.Describe(kManifestFile), ": file '",
                                         absl::string_view(file.data(), file.size()), "': ");
  if (!category.empty() && taxonomy.Find(category) == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(where, "unknown default_category '", category,
                                                   "' (see keyword_packs/taxonomy.textproto)"));
  }
  if (severity != 0 && (severity < 1 || severity > 4)) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "default_severity ", severity, " is not 1 to 4"));
  }
  if (absl::StatusOr<uint32_t> bits = ParseFlags(flags); !bits.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(where, "default_flags: ", bits.status().message()));
  }
  return absl::OkStatus();
}

absl::Status CheckManifest(const PackSource& source, const pack::PackManifest& m) {
  const std::string where = source.Describe(kManifestFile);
  if (!IsPackName(m.name())) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": name '", m.name(), "' must be 1 to 64 characters of a-z, 0-9 and -"));
  }
  if (!IsSemanticVersion(m.version())) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": version '", m.version(), "' is not a semantic version (like 1.2.0)"));
  }
  if (m.term_files_size() + m.regex_files_size() == 0) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": names no term_files or regex_files"));
  }
  if (m.min_term_chars() < 0) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": min_term_chars must not be negative"));
  }
  for (const pack::Source& s : m.source()) {
    if (s.url().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": every source needs a url"));
    }
  }
  return absl::OkStatus();
}

// Folds literal terms, drops those that fold to nothing, and removes
// duplicates (the same folded literal or the same regex twice).
absl::Status FoldAndDeduplicate(const PackSource& source, const pack::PackManifest& manifest,
                                const CompileOptions& options, std::vector<pack::Entry>* entries,
                                std::vector<std::string>* warnings) {
  const int min_chars =
      manifest.min_term_chars() > 0 ? manifest.min_term_chars() : kDefaultMinTermChars;
  std::vector<pack::Entry> kept;
  absl::flat_hash_map<std::string, size_t> first_by_key;
  for (pack::Entry& e : *entries) {
    const std::string where = absl::StrCat(source.Describe(e.file()), ":", e.line(), ": ");
    auto warn = [&](const std::string& what) -> absl::Status {
      if (options.strict) return absl::InvalidArgumentError(where + what);
      warnings->push_back(where + what);
      return absl::OkStatus();
    };
    if (e.kind() == pack::LITERAL) {
      // Every term is folded as text is, noise skipping included: `exact`
      // is enforced when a hit is resolved (no noise skipped inside it).
      e.set_folded(FoldTerm(e.term()));
      if ((e.flags() & pack::EXACT) != 0 &&
          FoldTerm(e.term(), FoldOptions{/*skip_noise=*/false}) != e.folded()) {
        if (absl::Status s = warn(absl::StrCat("exact term '", e.term(),
                                               "' has noise between Han characters, "
                                               "so it can never match exactly"));
            !s.ok()) {
          return s;
        }
      }
      if (e.folded().empty()) {
        if (absl::Status s = warn(absl::StrCat("term '", e.term(), "' folds to nothing; skipped"));
            !s.ok()) {
          return s;
        }
        continue;
      }
      const size_t chars = CountCodePoints(e.folded());
      if (chars < static_cast<size_t>(min_chars)) {
        if (absl::Status s = warn(absl::StrCat("term '", e.term(), "' folds to ", chars,
                                               " character(s), fewer than min_term_chars ",
                                               min_chars, "; short terms fire often"));
            !s.ok()) {
          return s;
        }
      }
    }
    // A stream holds back the longest possible match. (A regex that does not
    // compile is reported when the database is built.)
    if (absl::StatusOr<size_t> width = RegexMaxWidth(e.term());
        e.kind() == pack::REGEX && width.ok() && *width == kUnboundedWidth) {
      if (absl::Status s = warn(absl::StrCat(
              "regex '", e.term(),
              "' can match text of unbounded length, so streams refuse this pack; bound its "
              "repeats (e.g. {1,64} instead of + or *)"));
          !s.ok()) {
        return s;
      }
    }
    std::string key = absl::StrCat(e.kind(), "\x1f",
                                   e.kind() == pack::LITERAL ? e.folded() : e.term());
    auto [it, inserted] = first_by_key.emplace(std::move(key), kept.size());
    if (inserted) {
      kept.push_back(std::move(e));
      continue;
    }
    const pack::Entry& first = kept[it->second];
    const std::string first_where = absl::StrCat(source.Describe(first.file()), ":", first.line());
    const bool first_allow = (first.flags() & pack::ALLOW) != 0;
    const bool this_allow = (e.flags() & pack::ALLOW) != 0;
    if (first.validator() != e.validator()) {
      return absl::InvalidArgumentError(absl::StrCat(where, "'", e.term(), "' duplicates '",
                                                     first.term(), "' at ", first_where,
                                                     " with a different validator"));
    }
    if (first.category() != e.category() || first_allow != this_allow) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, "'", e.term(), "' duplicates '", first.term(), "' at ", first_where,
          " with a different ", first_allow != this_allow ? "allow flag" : "category", " (",
          first.category(), first_allow ? " allow" : "", " vs ", e.category(),
          this_allow ? " allow" : "", ")"));
    }
    if (absl::Status s = warn(absl::StrCat("'", e.term(), "' duplicates '", first.term(), "' at ",
                                           first_where, "; ignored"));
        !s.ok()) {
      return s;
    }
  }
  *entries = std::move(kept);
  return absl::OkStatus();
}

}  // namespace

bool IsSemanticVersion(std::string_view version) {
  absl::string_view v(version.data(), version.size());
  if (size_t plus = v.find('+'); plus != absl::string_view::npos) {
    for (absl::string_view part : absl::StrSplit(v.substr(plus + 1), '.')) {
      if (!IsVersionPart(part, /*numeric=*/false)) return false;
    }
    v = v.substr(0, plus);
  }
  if (size_t dash = v.find('-'); dash != absl::string_view::npos) {
    for (absl::string_view part : absl::StrSplit(v.substr(dash + 1), '.')) {
      bool all_digits = std::all_of(part.begin(), part.end(), [](char c) {
        return absl::ascii_isdigit(static_cast<unsigned char>(c));
      });
      if (!IsVersionPart(part, /*numeric=*/all_digits && !part.empty())) return false;
    }
    v = v.substr(0, dash);
  }
  std::vector<absl::string_view> core = absl::StrSplit(v, '.');
  return core.size() == 3 && IsVersionPart(core[0], true) && IsVersionPart(core[1], true) &&
         IsVersionPart(core[2], true);
}

absl::StatusOr<CompileOutput> CompilePack(const PackSource& source, const Taxonomy& taxonomy,
                                          const CompileOptions& options) {
  CompileOutput out;
  pack::CompiledPack& compiled = out.pack;

  auto manifest_it = source.files.find(std::string(kManifestFile));
  if (manifest_it == source.files.end()) {
    return absl::NotFoundError(absl::StrCat(source.Describe(kManifestFile), ": missing"));
  }
  pack::PackManifest& manifest = *compiled.mutable_manifest();
  if (absl::Status s = ParseTextProto(source.Describe(kManifestFile), manifest_it->second, &manifest);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckManifest(source, manifest); !s.ok()) return s;

  std::vector<pack::Entry> entries;
  std::vector<std::string> row_warnings;
  auto read_files = [&](const auto& files, pack::EntryKind kind) -> absl::Status {
    for (const auto& f : files) {
      if (absl::Status s = CheckDefaults(source, f.path(), f.default_category(),
                                         f.default_severity(), f.default_flags(), taxonomy);
          !s.ok()) {
        return s;
      }
      auto content = source.files.find(f.path());
      if (content == source.files.end()) {
        return absl::NotFoundError(absl::StrCat(source.Describe(f.path()), ": missing"));
      }
      absl::StatusOr<std::vector<pack::Entry>> parsed = ParseEntryFile(
          source.Describe(f.path()), f.path(), content->second, kind,
          TsvDefaults{f.default_category(), f.default_severity(), f.default_flags()}, taxonomy,
          &row_warnings);
      if (!parsed.ok()) return parsed.status();
      if (options.strict && !row_warnings.empty()) {
        return absl::InvalidArgumentError(row_warnings.front());
      }
      for (std::string& w : row_warnings) out.warnings.push_back(std::move(w));
      row_warnings.clear();
      for (pack::Entry& e : *parsed) entries.push_back(std::move(e));
    }
    return absl::OkStatus();
  };
  if (absl::Status s = read_files(manifest.term_files(), pack::LITERAL); !s.ok()) return s;
  if (absl::Status s = read_files(manifest.regex_files(), pack::REGEX); !s.ok()) return s;
  if (absl::Status s = FoldAndDeduplicate(source, manifest, options, &entries, &out.warnings);
      !s.ok()) {
    return s;
  }
  if (entries.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source.Describe(kManifestFile), ": the pack has no entries"));
  }

  // Ids, then order by id so the artefact does not depend on file order.
  absl::flat_hash_map<std::string, const pack::Entry*> by_id;
  for (pack::Entry& e : entries) e.set_id(EntryId(manifest.name(), e));
  for (const pack::Entry& e : entries) {
    auto [it, inserted] = by_id.emplace(e.id(), &e);
    if (!inserted) {
      return absl::InvalidArgumentError(absl::StrCat(
          source.Describe(e.file()), ":", e.line(), ": id ", e.id(), " collides with ",
          it->second->file(), ":", it->second->line(), "; rename one of the terms"));
    }
  }
  std::sort(entries.begin(), entries.end(),
            [](const pack::Entry& a, const pack::Entry& b) { return a.id() < b.id(); });
  std::set<std::string> used_categories;
  for (pack::Entry& e : entries) {
    if (!e.category().empty()) {
      used_categories.insert(e.category());
      const pack::Category* c = taxonomy.Find(e.category());
      if (!c->parent().empty()) used_categories.insert(c->parent());
    }
    *compiled.add_entries() = std::move(e);
  }
  for (const std::string& code : used_categories) {
    *compiled.add_categories() = *taxonomy.Find(code);
  }

  for (pack::EntryKind kind : {pack::LITERAL, pack::REGEX}) {
    absl::StatusOr<HsDatabasePtr> db = BuildDatabase(compiled.entries(), kind, source.origin);
    if (!db.ok()) return db.status();
    absl::StatusOr<pack::Database> serialized = SerializeDatabase(db->get());
    if (!serialized.ok()) return serialized.status();
    *(kind == pack::LITERAL ? compiled.mutable_literals() : compiled.mutable_regexes()) =
        *std::move(serialized);
  }

  compiled.set_fold_version(std::string(FoldVersion()));
  compiled.set_source_sha256(SourceDigest(source));
  compiled.set_taxonomy_version(taxonomy.proto().version());
  compiled.set_hyperscan_version(std::string(absl::StripAsciiWhitespace(hs_version())));
  for (const auto& [path, content] : source.files) {
    pack::SourceFile* f = compiled.add_sources();
    f->set_path(path);
    f->set_content(content);
  }
  return out;
}

}  // namespace menshen::internal
