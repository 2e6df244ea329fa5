// The line format of the hash-chained audit log, shared by the writer and the
// verifier so that the two can never disagree.
//
// A line is, byte for byte (no spaces, "\n" at the end):
//   {"seq":<S>,"prev":"<P>","hash":"<H>","record":<R>}\n
// S  the line's sequence number in decimal, no sign, no leading zeros; the
//    first line ever has seq 1 and every later line one more than the line
//    before, across rotated files.
// P  the hash of the line before (64 lowercase hex digits); 64 "0" for the
//    first line ever.
// R  the AuditRecord as compact JSON (protobuf JSON mapping, proto field
//    names), which never contains a newline.
// H  64 lowercase hex digits of
//      SHA-256( "menshen-audit-v1\n" || P || "\n" || S || "\n" || R )
//    where S is the same decimal text as in the line and R the exact bytes
//    between `"record":` and the line's final `}`. P has a fixed length and S
//    ends at the first "\n", so no two (P, S, R) triples hash the same bytes;
//    the version tag keeps a future format from colliding with this one.
#ifndef MENSHEN_LIB_AUDIT_CHAIN_H_
#define MENSHEN_LIB_AUDIT_CHAIN_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace menshen::internal {

inline constexpr size_t kChainHashHexSize = 64;
// The prev of the first line ever.
inline constexpr std::string_view kChainGenesis =
    "0000000000000000000000000000000000000000000000000000000000000000";

// Hex SHA-256 of a line, as defined above. `seq_text` is S.
std::string ChainHash(std::string_view prev, std::string_view seq_text,
                      std::string_view record_json);

// Appends one complete line (with its "\n") to `out`.
void AppendChainLine(uint64_t seq, std::string_view prev, std::string_view hash,
                     std::string_view record_json, std::string* out);

// The parts of one line, as views into the line.
struct ChainLine {
  uint64_t seq = 0;
  std::string_view seq_text;
  std::string_view prev;
  std::string_view hash;
  std::string_view record;  // the exact JSON bytes that were hashed
};

// Splits a line (without its "\n") into its parts. Checks the frame only
// (fixed keys in fixed order, canonical seq, hex hashes, a record that starts
// with '{'), not the hash. The error says what is wrong, without a location.
absl::StatusOr<ChainLine> ParseChainLine(std::string_view line);

// The numbers N of the existing rotated files "<path>.N", ascending. A folder
// that cannot be listed has none.
std::vector<uint64_t> RotatedFileNumbers(const std::string& path);

// The last line of a log file, checked (frame and hash).
struct ChainTip {
  uint64_t seq = 0;
  std::string hash;
};
// The tip of `path`; nullopt for an empty file. Errors: NotFound (cannot
// open), InvalidArgument (not a regular file), DataLoss (a last line without
// its newline, a malformed one, or one that fails its hash; the message says
// what to run).
absl::StatusOr<std::optional<ChainTip>> ReadChainTip(const std::string& path);

// The first line of a log file: its seq and prev (frame checked, not the
// hash), and the time of its record (InfinitePast when it has none).
struct ChainHead {
  uint64_t seq = 0;
  std::string prev;
  absl::Time time = absl::InfinitePast();
};
absl::StatusOr<std::optional<ChainHead>> ReadChainHead(const std::string& path);

// The checkpoint of a log: "<path>.checkpoint", one line
//   {"seq":S,"hash":"<H>","time":"<RFC 3339>"}
// naming the last line the sink knew to be written (on disk, for a synced
// sink) when it wrote the checkpoint. It is replaced atomically (a temporary
// file renamed over it). A log that ends before the checkpoint's seq has lost
// lines at its end: `audit verify` reports a cut tail, and a sink refuses to
// continue it until `audit repair` has recorded the loss.
struct Checkpoint {
  uint64_t seq = 0;
  std::string hash;
};
std::string CheckpointPath(const std::string& log_path);
// nullopt when there is none; DataLoss when it cannot be read or parsed.
absl::StatusOr<std::optional<Checkpoint>> ReadCheckpoint(const std::string& checkpoint_path);
// Writes the checkpoint atomically; with `durable`, fsyncs the file and its
// folder so the rename survives a power loss.
absl::Status WriteCheckpoint(const std::string& checkpoint_path, const Checkpoint& checkpoint,
                             bool durable);
// fsyncs the folder holding `path` (a new or renamed file's name is on disk).
absl::Status SyncParentFolder(const std::string& path);

}  // namespace menshen::internal

#endif  // MENSHEN_LIB_AUDIT_CHAIN_H_
