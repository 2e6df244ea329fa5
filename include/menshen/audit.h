// Audit: every decision can be reported as a menshen.audit.AuditRecord
// (lib/audit/audit.proto) through a hook, and the built-in sink writes records
// as JSON lines chained by SHA-256 so that edits, deletions and reordering are
// detectable (`menshen audit verify`).
#ifndef MENSHEN_AUDIT_H_
#define MENSHEN_AUDIT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/audit/audit.pb.h"

namespace menshen {

// Called by the engine after every decision, on the calling thread, before
// Check() returns. The record is borrowed for the call. A hook must not call
// back into the same engine; whatever it throws is caught and counted, never
// propagated, but a slow hook slows every request (the built-in sink only
// enqueues).
using AuditHook = std::function<void(const audit::AuditRecord& record)>;

// An audit hook whose failure counts (EngineOptions::fail_closed_audit_hook):
// an error means the record is not (or not surely) where it must be, and the
// engine then fails the call instead of handing out an unaudited decision.
using FailClosedAuditHook = std::function<absl::Status(const audit::AuditRecord& record)>;

namespace internal {
class JsonlWriter;
}  // namespace internal

// Writes audit records as JSON lines to a file, from a background thread with
// a bounded queue. Each line is, byte for byte (no spaces, "\n" at the end)
//   {"seq":N,"prev":"<hex>","hash":"<hex>","record":{...}}
// where
//   seq     counts lines from 1, across rotated files and sessions; decimal,
//           no leading zeros
//   record  the AuditRecord in compact protobuf JSON with proto field names
//           (invalid UTF-8 in a string field written as U+FFFD)
//   prev    the previous line's hash (64 "0" for the first line ever)
//   hash    64 lowercase hex digits of
//             SHA-256("menshen-audit-v1\n" + prev + "\n" + seq + "\n" + record)
//           over the exact bytes of prev, seq and record as they stand in the
//           line (prev has a fixed length and seq ends at the first "\n", so
//           the encoding is unambiguous; lib/audit/chain.h has the details).
// An edited line no longer matches its hash; a deleted, inserted or moved
// line breaks the prev links and the seq run after it.
//
// Rotation: before a line that would take a non-empty file over
// max_file_bytes, the file is renamed to "<path>.<N>" (N one more than the
// largest existing rotated number, so N = 1, 2, ... in order of age; an
// existing file is never replaced) and a new file at `path` continues the same
// chain. Opening an existing log continues its chain from the last line of
// `path`, or of the newest rotated file when `path` is empty or missing; a
// last line without its newline (a crash mid-write) or that fails its hash is
// an error asking for `menshen audit verify`, never silently continued. The
// sink holds an exclusive flock() on the file, so a second sink on the same
// log fails to open. A path that is not a regular file (a FIFO, /dev/full)
// starts a new chain and never rotates. New files get mode 0640 (less the
// umask). The sink never deletes a rotated file: keeping them for the
// retention period (network logs at least 6 months, see STANDARD.md) and
// pruning the oldest afterwards is the operator's job, and a pruned log still
// verifies.
//
// Errors: I/O errors never throw, print or abort. The records of a failed
// write are counted in write_errors, the first error is kept for the next
// Flush()/Close(), and later records are tried again. A write that fails
// half-way is cut back (ftruncate) to the last complete line, so the file
// never holds a partial line and the chain goes on from the last line that is
// really on disk.
//
// Memory: at most queue_capacity records wait in the queue, plus one batch of
// at most as many being written, plus about 1 MiB of buffered lines.
//
// Thread safety: Write() may be called from any number of threads; the other
// methods from one thread at a time.
class JsonlAuditSink {
 public:
  enum class Overflow {
    kBlock,  // Write() waits for room: nothing is lost, requests may stall
    kDrop,   // Write() drops the record and counts it: requests never wait
  };
  struct Options {
    std::string path;
    uint64_t max_file_bytes = uint64_t{64} << 20;
    size_t queue_capacity = 65536;  // records
    Overflow overflow = Overflow::kBlock;
  };
  struct Counters {
    uint64_t written = 0;       // lines on disk (flushed or not)
    uint64_t dropped = 0;       // refused: queue full (kDrop), or after Close()
    uint64_t write_errors = 0;  // records lost to I/O errors (disk full, ...)
    uint64_t rotations = 0;
  };

  static absl::StatusOr<std::unique_ptr<JsonlAuditSink>> Open(const Options& options);
  ~JsonlAuditSink();  // closes

  // Enqueues a copy of `record`; with kBlock waits while the queue is full.
  // Never throws.
  void Write(const audit::AuditRecord& record);
  // A hook that writes to this sink; the sink must outlive the engines using it.
  AuditHook Hook();
  // Waits until everything enqueued so far is written and flushed to the OS
  // (write(2); no fsync, so a power loss may still lose the newest lines).
  // Returns the first I/O error since the last Flush, if any.
  absl::Status Flush();
  // Flushes and stops the writer, closes the file and returns the first I/O
  // error since the last Flush. Later Write() calls count as dropped; a second
  // Close() returns OK.
  absl::Status Close();
  Counters counters() const;

 private:
  explicit JsonlAuditSink(std::unique_ptr<internal::JsonlWriter> writer);
  std::unique_ptr<internal::JsonlWriter> writer_;
};

struct AuditVerifyResult {
  bool ok = false;
  uint64_t lines = 0;       // lines checked
  std::string first_error;  // "<file>:<line>: <what>" when !ok
};

// Checks a chained log given as its files in order (oldest rotated file first,
// the current file last): every line parses, its hash matches its content,
// its prev matches the line before, seq increases by one. Stops at the first
// broken line. An I/O error (unreadable file) is a status error. Records are
// checked for their frame ({...} closing the line), not parsed: the hash
// already proves each is what the sink wrote.
//
// The first line checked may have any seq and prev: retention may have deleted
// the oldest files (see STANDARD.md), so a log is checked from where it now
// starts. Deleting whole files from the front is therefore not detected;
// everything after the first line is.
absl::StatusOr<AuditVerifyResult> VerifyAuditLog(const std::vector<std::string>& files);

// The files of the log at `path`, in the order VerifyAuditLog wants them: the
// rotated files "<path>.N" by ascending N, then `path` itself if it exists.
// NotFound when there are none.
absl::StatusOr<std::vector<std::string>> AuditLogFiles(const std::string& path);

}  // namespace menshen

#endif  // MENSHEN_AUDIT_H_
