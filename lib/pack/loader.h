// A pack ready for matching: its metadata and restored Hyperscan databases.
#ifndef MENSHEN_LIB_PACK_LOADER_H_
#define MENSHEN_LIB_PACK_LOADER_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/pack/databases.h"
#include "lib/pack/pack.pb.h"
#include "menshen/pack.h"

namespace menshen::internal {

// What matching and resolution read of an entry, at the entry's index: a
// flat array instead of a protobuf message per candidate. The views point
// into `compiled` and live as long as the pack.
struct EntryMeta {
  // What a hit reports: for a generated variant, the id and term of the
  // entry it was made from; for a named regex, its name as the term.
  std::string_view id;
  std::string_view category;
  std::string_view term;
  uint32_t folded_bytes = 0;  // literals: the folded term's length
  uint8_t flags = 0;          // pack::EntryFlag bits
  uint8_t validator = 0;      // pack::Validator
  uint8_t severity = 0;
  bool regex = false;
  pack::VariantKind variant = pack::VARIANT_NONE;
};

class LoadedPack {
 public:
  // Entries (pattern ids of both databases index them) and manifest; the
  // embedded sources are dropped once the databases are restored.
  pack::CompiledPack compiled;
  std::vector<EntryMeta> meta;  // by entry index
  HsDatabasePtr literals;  // null when the pack has no literal entries
  HsDatabasePtr regexes;   // null when the pack has no regex entries
  HsDatabasePtr parts;     // rule parts outside anchor steps; null when none
  PackInfo info;
  std::vector<std::string> notes;
};

// Restores a decoded artefact. When its fold version differs from this
// build's, or Hyperscan rejects a database as made for another CPU or
// version, the pack is recompiled from its embedded sources (with the
// categories it carries) and a note says why.
absl::StatusOr<std::unique_ptr<LoadedPack>> RestorePack(pack::CompiledPack compiled,
                                                        std::string artefact_sha256_hex,
                                                        std::string_view name);

}  // namespace menshen::internal

#endif  // MENSHEN_LIB_PACK_LOADER_H_
