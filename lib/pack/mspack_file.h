// The .mspack container: a fixed header, then a serialised CompiledPack.
//
//   offset  size  field
//        0     8  magic "MSHNPACK"
//        8     4  format version, little-endian (kMspackFormatVersion)
//       12     4  header size, little-endian (64)
//       16     8  payload size, little-endian
//       24    32  SHA-256 of the payload
//       56     8  zero
//       64     …  payload: menshen.pack.CompiledPack, deterministic serialisation
#ifndef MENSHEN_LIB_PACK_MSPACK_FILE_H_
#define MENSHEN_LIB_PACK_MSPACK_FILE_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "lib/pack/pack.pb.h"

namespace menshen::internal {

// Format 2 added Entry.validator: a format-1 reader would ignore it and
// accept candidates the pack means to reject, so it must refuse the file.
// Format 3 leaves the entries out (CompiledPack.entries_sha256): a format-2
// reader would find none; and it added rules (EntryKind RULE, EntryFlag PART,
// Entry.steps, the parts database): a format-2 reader would report every rule
// part as a hit of its own; and generated variant entries (Entry.variant_of). Files of formats 1 and 2 (entries included, no
// rules) are still read.
inline constexpr uint32_t kMspackFormatVersion = 3;
inline constexpr uint32_t kMspackOldestFormatVersion = 1;
inline constexpr size_t kMspackHeaderSize = 64;

// Encodes `pack` as .mspack bytes; the same message always gives the same bytes.
std::string EncodeMspack(const pack::CompiledPack& pack);

struct DecodedMspack {
  pack::CompiledPack pack;
  std::string payload_sha256_hex;
};

// Verifies the header, size and checksum, then parses the payload. `name`
// (a file name) starts every error message.
absl::StatusOr<DecodedMspack> DecodeMspack(std::string_view bytes, std::string_view name);

}  // namespace menshen::internal

#endif  // MENSHEN_LIB_PACK_MSPACK_FILE_H_
