// The machinery behind JsonlAuditSink: a bounded queue filled by any number of
// threads and drained by one writer thread that serialises, chains, batches,
// rotates, writes, syncs and checkpoints.
//
// Locking: one std::mutex guards the queue, the waiters' outcomes, the flush
// and sync bookkeeping and the pending error (std::mutex rather than
// absl::Mutex so that ThreadSanitizer, which does not see inside Debian's
// uninstrumented Abseil, checks it). The file, the chain tip and the write
// buffer belong to the writer thread alone; Open and Close touch them only
// when it is not running. Counters are atomics.
//
// Durability: a caller that must wait (kWritten, kSynced) queues its record
// with a Waiter on its own stack and sleeps until the writer has handled the
// batch holding it: written, and for kSynced fdatasync'ed, once per batch, so
// callers that arrive while a sync runs share the next one (group commit).
//
// Memory: at most queue_capacity records wait in the queue, plus one batch of
// at most queue_capacity records being written (the writer swaps the whole
// queue out), plus a write buffer of about 1 MiB of lines.
#ifndef MENSHEN_LIB_AUDIT_JSONL_WRITER_H_
#define MENSHEN_LIB_AUDIT_JSONL_WRITER_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/audit/audit.pb.h"
#include "menshen/audit.h"

namespace menshen::internal {

class JsonlWriter {
 public:
  using Options = JsonlAuditSink::Options;
  using Counters = JsonlAuditSink::Counters;

  // Opens (or creates) options.path, reads the chain tip of an existing log,
  // applies retention, and starts the writer thread.
  static absl::StatusOr<std::unique_ptr<JsonlWriter>> Open(const Options& options);
  ~JsonlWriter();
  JsonlWriter(const JsonlWriter&) = delete;
  JsonlWriter& operator=(const JsonlWriter&) = delete;

  absl::Status Append(const audit::AuditRecord& record) noexcept;
  absl::Status Flush();
  absl::Status Sync();
  absl::Status Close();
  Counters counters() const;

 private:
  // A caller waiting for its record (on its own stack).
  struct Waiter {
    bool done = false;
    absl::Status status;
  };
  struct Item {
    audit::AuditRecord record;
    Waiter* waiter = nullptr;
  };
  // A line in the write buffer that is not yet on disk.
  struct Pending {
    size_t end;  // offset just past its "\n" in buffer_
    uint64_t seq;
    std::string hash;
    size_t item;  // index in the batch, or kNoItem for the sink's own lines
  };
  static constexpr size_t kNoItem = ~size_t{0};

  explicit JsonlWriter(const Options& options);
  absl::Status OpenFile();
  absl::Status Start();
  void Run();
  void WriteBatch(std::vector<Item>& batch);  // sanitises in place
  void AppendRecord(audit::AuditRecord& record, size_t item);
  void Commit();
  void Rotate();
  bool RotationDue(uint64_t line_size) const;
  absl::Status SyncFile();
  void WriteCheckpoint(bool force, bool durable);
  void ApplyRetention();
  void NoteError(absl::Status error);

  const Options options_;

  // Guarded by mu_.
  std::mutex mu_;
  std::condition_variable work_cv_;  // the writer waits for records, syncs or stop
  std::condition_variable room_cv_;  // blocked Append() calls wait for room
  std::condition_variable done_cv_;  // Flush(), Sync() and waiters wait for the writer
  std::vector<Item> queue_;
  uint64_t accepted_ = 0;     // records ever put in the queue
  uint64_t finished_ = 0;     // of those, written or lost
  uint64_t sync_target_ = 0;  // Sync() wants the first sync_target_ records synced
  uint64_t synced_ = 0;       // records handled by a finished sync
  size_t blocked_ = 0;        // Append() calls waiting for room
  bool stopping_ = false;     // Close() began: the queue takes nothing more
  bool failing_ = false;      // the last batch lost records (kQueued Append reports it)
  absl::Status error_;        // first I/O error since the last Flush()/Sync()/Close()

  std::thread thread_;

  // The writer thread's own (and Open/Close's, when it is not running).
  int fd_ = -1;
  bool opened_ = false;        // Open() succeeded: Close() syncs and checkpoints
  bool regular_ = false;       // a regular file: rotate, truncate partial lines, sync
  bool detached_ = false;      // fd_ was rotated away but no new file opened
  bool rotate_failed_ = false; // in this batch; retried with the next one
  bool retention_due_ = false; // a rotation happened: apply retention after the batch
  uint64_t file_size_ = 0;     // bytes of complete lines in the current file
  absl::Time file_started_ = absl::InfiniteFuture();  // time of its first line
  uint64_t rotated_ = 0;       // largest N of an existing "<path>.N"
  bool must_truncate_ = false; // a partial line past file_size_ is still there
  uint64_t seq_ = 0;           // chain tip: last line written or buffered
  std::string hash_;
  uint64_t committed_seq_ = 0;  // last line known to be in the file
  std::string committed_hash_;
  uint64_t checkpoint_seq_ = 0;  // what the checkpoint file says
  absl::Time checkpoint_time_ = absl::InfinitePast();
  std::string buffer_;
  std::vector<Pending> pending_;
  std::string json_;
  std::vector<uint8_t> item_ok_;  // per item of the batch being written

  std::atomic<uint64_t> written_{0};
  std::atomic<uint64_t> dropped_{0};
  std::atomic<uint64_t> write_errors_{0};
  std::atomic<uint64_t> rotations_{0};
  std::atomic<uint64_t> syncs_{0};
  std::atomic<uint64_t> removed_files_{0};
};

}  // namespace menshen::internal

#endif  // MENSHEN_LIB_AUDIT_JSONL_WRITER_H_
