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
#include "absl/time/time.h"
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
// max_file_bytes, or once the file's first line is max_file_age old, the file
// is renamed to "<path>.<N>" (N one more than the largest existing rotated
// number, so N = 1, 2, ... in order of age; an existing file is never
// replaced) and a new file at `path` continues the same chain.
//
// Retention: with `retention` set, rotated files whose last line is older
// than that (by modification time; the current file never) are removed,
// oldest first, at open and after each rotation. Before removing them the sink
// writes a LogEvent line of kind "retention" into the chain naming the files
// and the seq and prev of the first line left, so `menshen audit verify
// --rotated` holds the remaining log to it: a log that starts later than its
// last retention record says has lost lines nobody recorded.
//
// Durability (docs/audit.md explains the choice): kQueued returns from
// Write() once the record is queued; kWritten once its line is written to
// the file; kSynced once it is on disk (fdatasync), one fdatasync serving
// every record that arrived while the previous one ran (group commit).
//
// Checkpoint: "<path>.checkpoint" holds the seq and hash of the last line the
// sink knew to be written (on disk, when synced), replaced atomically at most
// once per checkpoint_interval and at Sync() and Close(). `menshen audit
// verify` compares the log with it and reports a cut tail; a sink does not
// continue a log that ends before its checkpoint.
//
// Opening an existing log continues its chain from the last line of `path`,
// or of the newest rotated file when `path` is empty or missing; a last line
// without its newline (a crash mid-write), one that fails its hash, or a log
// that ends before its checkpoint is an error naming `menshen audit repair`,
// never silently continued. The sink holds an exclusive flock() on the file,
// so a second sink on the same log fails to open. A path that is not a
// regular file (a FIFO, /dev/full) starts a new chain and never rotates,
// syncs or checkpoints. New files get mode 0640 (less the umask).
//
// Errors: I/O errors never throw, print or abort. The records of a failed
// write are counted in write_errors, the first error is kept for the next
// Flush()/Sync()/Close(), later records are tried again, and Append() (and
// the fail-closed hook) report them to the caller. A write that fails
// half-way is cut back (ftruncate) to the last complete line, so the file
// never holds a partial line and the chain goes on from the last line that
// is really on disk.
//
// Memory: at most queue_capacity records wait in the queue, plus one batch of
// at most as many being written, plus about 1 MiB of buffered lines.
//
// Thread safety: Write(), Append() and the hooks may be called from any
// number of threads; the other methods from one thread at a time.
class JsonlAuditSink {
 public:
  enum class Overflow {
    kBlock,  // Write() waits for room: nothing is lost, requests may stall
    kDrop,   // Write() drops the record and counts it: requests never wait
  };
  // When Write() returns, relative to the record reaching the disk.
  enum class Durability {
    kQueued,   // queued: fastest; a crash of the process loses what is queued
    kWritten,  // its line written to the file: a process crash loses nothing,
               // a machine crash may lose the newest lines
    kSynced,   // its line on disk (fdatasync, shared by concurrent writers):
               // a power loss loses nothing that was acknowledged
  };
  struct Options {
    std::string path;
    uint64_t max_file_bytes = uint64_t{64} << 20;
    absl::Duration max_file_age = absl::ZeroDuration();  // zero: rotate by size only
    absl::Duration retention = absl::ZeroDuration();     // zero: keep every rotated file
    size_t queue_capacity = 65536;  // records
    Overflow overflow = Overflow::kBlock;
    Durability durability = Durability::kQueued;
    bool checkpoint = true;  // keep "<path>.checkpoint"
    absl::Duration checkpoint_interval = absl::Seconds(1);
  };
  struct Counters {
    uint64_t written = 0;        // lines in the file (synced or not)
    uint64_t dropped = 0;        // refused: queue full (kDrop), or after Close()
    uint64_t write_errors = 0;   // records lost to I/O errors (disk full, ...)
    uint64_t rotations = 0;
    uint64_t syncs = 0;          // fdatasync calls (kSynced: one per group of records)
    uint64_t removed_files = 0;  // rotated files removed by retention
  };

  static absl::StatusOr<std::unique_ptr<JsonlAuditSink>> Open(const Options& options);
  ~JsonlAuditSink();  // closes

  // Enqueues a copy of `record` (with kBlock waiting while the queue is
  // full), then waits as `durability` says. Never throws.
  void Write(const audit::AuditRecord& record);
  // The same, and says whether the record got there: with kWritten and
  // kSynced, OK only once its line is written (synced); with kQueued, OK
  // when it was queued and the last write did not fail. Errors:
  // kUnavailable (dropped: queue full with kDrop, or the sink is closed),
  // kDataLoss (an I/O error lost it, or with kQueued lost others lately).
  absl::Status Append(const audit::AuditRecord& record);
  // A hook that writes to this sink; the sink must outlive the engines using it.
  AuditHook Hook();
  // A hook for EngineOptions::fail_closed_audit_hook: Append(), so that a
  // decision whose record did not make it becomes an error.
  FailClosedAuditHook FailClosedHook();
  // Waits until everything enqueued so far is written and flushed to the OS
  // (write(2); no fsync, so a power loss may still lose the newest lines).
  // Returns the first I/O error since the last Flush or Sync, if any.
  absl::Status Flush();
  // Flush, then fdatasync and write the checkpoint: everything enqueued so
  // far is on disk when it returns OK (one sync for all of it: a caller that
  // acknowledges in batches, like `menshen scan`, syncs once per batch).
  absl::Status Sync();
  // Flushes and stops the writer, closes the file and returns the first I/O
  // error since the last Flush. Later Write() calls count as dropped; a second
  // Close() returns OK.
  absl::Status Close();
  Counters counters() const;

 private:
  explicit JsonlAuditSink(std::unique_ptr<internal::JsonlWriter> writer);
  std::unique_ptr<internal::JsonlWriter> writer_;
};

struct AuditVerifyOptions {
  // A checkpoint file (JsonlAuditSink's "<path>.checkpoint") the log must
  // reach: a log that ends before its seq has a cut tail. Empty: none.
  std::string checkpoint;
  // The files are the whole log: its first line is seq 1 from the genesis,
  // or the latest retention record names it as the first line left.
  bool whole_log = false;
};

struct AuditVerifyResult {
  bool ok = false;
  uint64_t lines = 0;       // lines checked
  std::string first_error;  // "<file>:<line>: <what>" when !ok
  uint64_t first_seq = 0;   // seq of the first and last line checked
  uint64_t last_seq = 0;
  bool checkpoint_matched = false;  // the checkpoint's line is in the log, unchanged
  uint64_t checkpoint_seq = 0;
  uint64_t repairs = 0;           // LogEvent lines of kind "repair"
  uint64_t retention_events = 0;  // LogEvent lines of kind "retention"
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
// The same, also held to a checkpoint and, for a whole log, to its
// retention records.
absl::StatusOr<AuditVerifyResult> VerifyAuditLog(const std::vector<std::string>& files,
                                                 const AuditVerifyOptions& options);

struct AuditRepairResult {
  bool repaired = false;        // false: nothing needed repair
  uint64_t cut_bytes = 0;       // a torn last line cut off
  uint64_t missing_lines = 0;   // lines the checkpoint names that are gone
  uint64_t event_seq = 0;       // the line that records the repair
  std::string summary;          // one line for a person
};

// Repairs the log at `path` (the current file, as a sink was given it) after
// a crash, so that a sink can continue it: cuts off a torn last line (no
// newline: the writer stopped mid-line), and accepts the loss of lines a
// checkpoint names but the log no longer has. Either is recorded in the
// chain as a LogEvent line of kind "repair" (what was cut, how many lines
// were missing), synced, and the checkpoint moved to it. A log whose last
// complete line is malformed or fails its hash is not repaired (that is an
// edit, for `menshen audit verify` to report). Holds the log's flock: fails
// while a sink writes to it.
absl::StatusOr<AuditRepairResult> RepairAuditLog(const std::string& path);

// The files of the log at `path`, in the order VerifyAuditLog wants them: the
// rotated files "<path>.N" by ascending N, then `path` itself if it exists.
// NotFound when there are none.
absl::StatusOr<std::vector<std::string>> AuditLogFiles(const std::string& path);

}  // namespace menshen

#endif  // MENSHEN_AUDIT_H_
