// Keyword packs: building them from source folders and loading them.
//
// A pack source is a folder with pack.textproto and UTF-8 TSV files (see
// keyword_packs/README.md). `BuildPack` compiles it into one .mspack artefact;
// `Pack::Load` opens an artefact or a source folder (compiled on the fly).
//
// Thread safety: a Pack is immutable after loading and may be shared by any
// number of threads and engines.
#ifndef MENSHEN_PACK_H_
#define MENSHEN_PACK_H_

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace menshen {

namespace internal {
class LoadedPack;
}  // namespace internal

struct PackBuildOptions {
  // Turn warnings (terms that fold to nothing or to very few characters,
  // duplicates, regexes of unbounded width, which streams refuse) into errors.
  bool strict = false;
  // A taxonomy text proto to check categories against; empty means the one
  // compiled into the library (keyword_packs/taxonomy.textproto).
  std::string taxonomy_path;
};

struct PackBuildResult {
  std::string mspack;                 // the artefact's bytes
  std::vector<std::string> warnings;  // "file:line: what"
};

// Compiles the pack source folder `dir`. Errors name the file and line. The
// same sources give byte-identical artefacts on the same machine and build.
absl::StatusOr<PackBuildResult> BuildPack(const std::string& dir,
                                          const PackBuildOptions& options = {});

// What a pack is, as `menshen pack info` shows it.
struct PackInfo {
  std::string name;
  std::string version;
  std::string description;
  std::string license;
  std::string fold_version;        // the fold its terms were folded with
  std::string source_sha256;       // hex digest of the sources
  std::string artefact_sha256;     // hex digest of the .mspack payload
  std::string taxonomy_version;
  std::string hyperscan_version;   // of the build that compiled the databases
  size_t literal_count = 0;
  size_t regex_count = 0;
  size_t rule_count = 0;  // rules (docs/packs.md, "Rules")
  size_t part_count = 0;  // the distinct literals rules are made of
  size_t allow_count = 0;
  // Variants generated at build time (docs/packs.md, "Variants"), not
  // counted above: in all and per kind ("pinyin", "initials", "mixed",
  // "homophone", "character", "leet", "spaced").
  size_t variant_count = 0;
  std::map<std::string, size_t> variants_by_kind;
  // Deny entries (terms, regexes and rules) per category code, e.g. {"A1.8": 42}.
  std::map<std::string, size_t> counts_by_category;
  // Chinese and English names of those categories and their classes, from
  // the taxonomy the pack was built with: code → "中文名 / English name".
  std::map<std::string, std::string> category_names;
};

class Pack {
 public:
  // Loads a .mspack file, or compiles a pack source folder. An artefact is
  // verified (magic, format version, checksum) before use; one built for
  // another CPU, Hyperscan version or fold is rebuilt from the sources it
  // embeds, and notes() says so.
  static absl::StatusOr<std::shared_ptr<const Pack>> Load(const std::string& path);
  // The same, from artefact bytes held in memory; `name` appears in errors.
  static absl::StatusOr<std::shared_ptr<const Pack>> FromBytes(std::string_view mspack,
                                                                std::string_view name);
  // The starter pack compiled into the library.
  static absl::StatusOr<std::shared_ptr<const Pack>> Starter();
  // One pack compiled into the library, by name (EmbeddedPackNames());
  // NotFound for any other name.
  static absl::StatusOr<std::shared_ptr<const Pack>> Embedded(std::string_view name);
  // The names of every pack compiled into the library, sorted: the defaults
  // and the ones an operator adds by name (e.g. "starter").
  static std::vector<std::string> EmbeddedPackNames();
  // Every default pack compiled into the library, in DefaultPackNames()
  // order: our keyword packs for the five risk classes of GB/T 45654-2025
  // (risk-a1 … risk-a5), personal information, secrets, prompt injection and
  // abuse, and the intent rules that recognise requests for harm (intent-zh,
  // intent-en; keyword_packs/*/README.md). Compiled from the embedded sources
  // on each call: call once and share.
  static absl::StatusOr<std::vector<std::shared_ptr<const Pack>>> Defaults();
  // The names of the default packs: "risk-a1" … "risk-a5", "pii-zh",
  // "secrets", "prompt-injection", "abuse-zh", "abuse-en", "intent-zh",
  // "intent-en".
  static const std::vector<std::string>& DefaultPackNames();

  ~Pack();
  Pack(const Pack&) = delete;
  Pack& operator=(const Pack&) = delete;

  const PackInfo& info() const;
  // What happened while loading, e.g. "rebuilt from embedded sources: ...".
  const std::vector<std::string>& notes() const;

  // For the library's own stages; not part of the stable API.
  explicit Pack(std::unique_ptr<internal::LoadedPack> loaded);
  const internal::LoadedPack& loaded() const { return *loaded_; }

 private:
  std::unique_ptr<internal::LoadedPack> loaded_;
};

}  // namespace menshen

#endif  // MENSHEN_PACK_H_
