// The machinery behind JsonlAuditSink: a bounded queue filled by any number of
// threads and drained by one writer thread that serialises, chains, batches,
// rotates and writes.
//
// Locking: one std::mutex guards the queue, the flush bookkeeping and the
// pending error (std::mutex rather than absl::Mutex so that ThreadSanitizer,
// which does not see inside Debian's uninstrumented Abseil, checks it). The
// file, the chain tip and the write buffer belong to the writer thread alone;
// Close() touches them only after joining it. Counters are atomics.
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
#include "lib/audit/audit.pb.h"
#include "menshen/audit.h"

namespace menshen::internal {

class JsonlWriter {
 public:
  using Options = JsonlAuditSink::Options;
  using Counters = JsonlAuditSink::Counters;

  // Opens (or creates) options.path, reads the chain tip of an existing log,
  // and starts the writer thread.
  static absl::StatusOr<std::unique_ptr<JsonlWriter>> Open(const Options& options);
  ~JsonlWriter();
  JsonlWriter(const JsonlWriter&) = delete;
  JsonlWriter& operator=(const JsonlWriter&) = delete;

  void Write(const audit::AuditRecord& record) noexcept;
  absl::Status Flush();
  absl::Status Close();
  Counters counters() const;

 private:
  // A line in the write buffer that is not yet on disk.
  struct Pending {
    size_t end;  // offset just past its "\n" in buffer_
    uint64_t seq;
    std::string hash;
  };

  explicit JsonlWriter(const Options& options);
  absl::Status OpenFile();
  absl::Status Start();
  void Run();
  void WriteBatch(std::vector<audit::AuditRecord>& batch);  // sanitises in place
  void AppendRecord(audit::AuditRecord& record);
  void Commit();
  void Rotate();
  void NoteError(absl::Status error);

  const Options options_;

  // Guarded by mu_.
  std::mutex mu_;
  std::condition_variable work_cv_;  // the writer waits for records or stop
  std::condition_variable room_cv_;  // blocked Write() calls wait for room
  std::condition_variable done_cv_;  // Flush() waits for finished_
  std::vector<audit::AuditRecord> queue_;
  uint64_t accepted_ = 0;  // records ever put in the queue
  uint64_t finished_ = 0;  // of those, written or lost
  size_t blocked_ = 0;     // Write() calls waiting for room
  bool stopping_ = false;  // Close() began: the queue takes nothing more
  absl::Status error_;     // first I/O error since the last Flush()/Close()

  std::thread thread_;

  // The writer thread's own (and Open/Close's, when it is not running).
  int fd_ = -1;
  bool regular_ = false;       // a regular file: rotate, truncate partial lines
  bool detached_ = false;      // fd_ was rotated away but no new file opened
  bool rotate_failed_ = false; // in this batch; retried with the next one
  uint64_t file_size_ = 0;     // bytes of complete lines in the current file
  uint64_t rotated_ = 0;       // largest N of an existing "<path>.N"
  bool must_truncate_ = false; // a partial line past file_size_ is still there
  uint64_t seq_ = 0;           // chain tip: last line written or buffered
  std::string hash_;
  uint64_t committed_seq_ = 0;  // last line known to be on disk
  std::string committed_hash_;
  std::string buffer_;
  std::vector<Pending> pending_;
  std::string json_;

  std::atomic<uint64_t> written_{0};
  std::atomic<uint64_t> dropped_{0};
  std::atomic<uint64_t> write_errors_{0};
  std::atomic<uint64_t> rotations_{0};
};

}  // namespace menshen::internal

#endif  // MENSHEN_LIB_AUDIT_JSONL_WRITER_H_
