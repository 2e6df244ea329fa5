#include "lib/audit/jsonl_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <exception>
#include <filesystem>
#include <new>
#include <optional>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/reflection.h"
#include "lib/audit/chain.h"
#include "lib/audit/record_json.h"
#include "lib/base/absl_view.h"
#include "lib/base/fd.h"
#include "lib/base/utf8.h"

namespace menshen::internal {
namespace {

constexpr size_t kMaxBuffer = size_t{1} << 20;  // write(2) when this much is buffered
constexpr mode_t kFileMode = 0640;                // audit logs are not for everyone

// The fixed part of a line: everything but seq, the record and the two hashes.
constexpr size_t kLineFrame = sizeof("{\"seq\":,\"prev\":\"\",\"hash\":\"\",\"record\":}\n") - 1;

// Replaces invalid UTF-8 in every string field with U+FFFD. Protobuf's JSON
// printer would otherwise drop the bad bytes and log to stderr.
void SanitizeStrings(google::protobuf::Message* message) {
  using google::protobuf::FieldDescriptor;
  const google::protobuf::Reflection* reflection = message->GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(*message, &fields);
  for (const FieldDescriptor* field : fields) {
    if (field->type() == FieldDescriptor::TYPE_STRING) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(*message, field); ++i) {
          const std::string& v = reflection->GetRepeatedStringReference(*message, field, i, nullptr);
          if (!IsValidUtf8(v)) reflection->SetRepeatedString(message, field, i, SanitizeUtf8(v));
        }
      } else {
        const std::string& v = reflection->GetStringReference(*message, field, nullptr);
        if (!IsValidUtf8(v)) reflection->SetString(message, field, SanitizeUtf8(v));
      }
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(*message, field); ++i) {
          SanitizeStrings(reflection->MutableRepeatedMessage(message, field, i));
        }
      } else {
        SanitizeStrings(reflection->MutableMessage(message, field));
      }
    }
  }
}

// Takes an exclusive lock so that two sinks never interleave one chain.
absl::Status LockFile(int fd, const std::string& path) {
  if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return absl::OkStatus();
  if (errno == EWOULDBLOCK) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": another audit sink is writing to this log"));
  }
  return absl::OkStatus();  // locks unsupported here (e.g. some network file systems)
}

}  // namespace

JsonlWriter::JsonlWriter(const Options& options) : options_(options) {}

JsonlWriter::~JsonlWriter() { Close().IgnoreError(); }

absl::StatusOr<std::unique_ptr<JsonlWriter>> JsonlWriter::Open(const Options& options) {
  if (options.path.empty()) return absl::InvalidArgumentError("audit log: empty path");
  if (options.max_file_bytes == 0) {
    return absl::InvalidArgumentError("audit log: max_file_bytes must be positive");
  }
  if (options.queue_capacity == 0) {
    return absl::InvalidArgumentError("audit log: queue_capacity must be positive");
  }
  if (options.max_file_age < absl::ZeroDuration() || options.retention < absl::ZeroDuration() ||
      options.checkpoint_interval < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("audit log: durations must not be negative");
  }
  std::unique_ptr<JsonlWriter> writer(new JsonlWriter(options));
  if (absl::Status s = writer->OpenFile(); !s.ok()) return s;
  if (absl::Status s = writer->Start(); !s.ok()) return s;
  writer->opened_ = true;
  return writer;
}

absl::Status JsonlWriter::OpenFile() {
  const std::string& path = options_.path;
  const std::vector<uint64_t> rotated = RotatedFileNumbers(path);
  rotated_ = rotated.empty() ? 0 : rotated.back();
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, kFileMode);
  if (fd_ < 0) return absl::NotFoundError(absl::StrCat(path, ": cannot open: ", ErrnoText(errno)));
  struct stat st;
  if (::fstat(fd_, &st) != 0) return absl::InternalError(absl::StrCat(path, ": ", ErrnoText(errno)));
  regular_ = S_ISREG(st.st_mode);
  seq_ = committed_seq_ = 0;
  hash_ = committed_hash_ = std::string(kChainGenesis);
  // Devices and pipes (/dev/full, a FIFO) start a new chain and never rotate.
  if (!regular_) return absl::OkStatus();
  if (absl::Status s = LockFile(fd_, path); !s.ok()) return s;
  file_size_ = static_cast<uint64_t>(st.st_size);
  // Continue the chain from the last line of the current file or, when that
  // is empty (just rotated), of the newest rotated file.
  std::vector<std::string> candidates = {path};
  for (auto it = rotated.rbegin(); it != rotated.rend(); ++it) {
    candidates.push_back(absl::StrCat(path, ".", *it));
  }
  for (const std::string& file : candidates) {
    absl::StatusOr<std::optional<ChainTip>> tip = ReadChainTip(file);
    if (!tip.ok()) return tip.status();
    if (tip->has_value()) {
      seq_ = (*tip)->seq;
      hash_ = (*tip)->hash;
      break;
    }
  }
  committed_seq_ = seq_;
  committed_hash_ = hash_;
  // A log that ends before its checkpoint lost lines at its end: continuing
  // it would hide that behind a fresh checkpoint.
  absl::StatusOr<std::optional<Checkpoint>> checkpoint = ReadCheckpoint(CheckpointPath(path));
  if (!checkpoint.ok()) return checkpoint.status();
  if (checkpoint->has_value()) {
    const Checkpoint& cp = **checkpoint;
    if (cp.seq > seq_ || (cp.seq == seq_ && cp.hash != hash_)) {
      return absl::DataLossError(absl::StrCat(
          path, ": the log ends at seq ", seq_, " but its checkpoint names seq ", cp.seq,
          cp.seq == seq_ ? " with another hash" : "", ": lines are missing at its end; run "
          "`menshen audit verify --rotated ", path, "`, and `menshen audit repair ", path,
          "` to record the loss and continue the log"));
    }
    checkpoint_seq_ = cp.seq;
  }
  if (file_size_ > 0) {
    absl::StatusOr<std::optional<ChainHead>> head = ReadChainHead(path);
    file_started_ = head.ok() && head->has_value() && (*head)->time != absl::InfinitePast()
                        ? (*head)->time
                        : absl::FromTimeT(st.st_mtime);
  }
  // Its errors wait for the next Flush(), Sync() or Close().
  ApplyRetention();
  return absl::OkStatus();
}

absl::Status JsonlWriter::Start() {
  // The writer thread runs with every signal blocked: the application's
  // handlers run on its own threads, and SIGPIPE (a pipe without a reader) or
  // SIGXFSZ (over the file size limit) become EPIPE / EFBIG from write(2)
  // instead of ending the process.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  absl::Status status;
  try {
    thread_ = std::thread([this] { Run(); });
  } catch (const std::exception& e) {
    status = absl::ResourceExhaustedError(
        absl::StrCat(options_.path, ": cannot start the audit writer thread: ", e.what()));
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return status;
}

absl::Status JsonlWriter::Append(const audit::AuditRecord& record) noexcept {
  try {
    Item item{record, nullptr};  // copied outside the lock: copying is the slow part
    Waiter waiter;
    const bool wait = options_.durability != JsonlAuditSink::Durability::kQueued;
    if (wait) item.waiter = &waiter;
    std::unique_lock<std::mutex> lock(mu_);
    if (options_.overflow == JsonlAuditSink::Overflow::kBlock) {
      ++blocked_;
      room_cv_.wait(lock, [&] { return stopping_ || queue_.size() < options_.queue_capacity; });
      --blocked_;
    }
    if (stopping_ || queue_.size() >= options_.queue_capacity) {
      lock.unlock();
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return absl::UnavailableError(absl::StrCat(
          options_.path, stopping_ ? ": the audit sink is closed" : ": the audit queue is full"));
    }
    queue_.push_back(std::move(item));
    ++accepted_;
    // The writer only sleeps on an empty queue.
    if (queue_.size() == 1) work_cv_.notify_one();
    if (!wait) {
      return failing_ ? absl::DataLossError(absl::StrCat(
                            options_.path, ": the audit log lost records lately (",
                            error_.ok() ? "see the sink's counters" : error_.message(), ")"))
                      : absl::OkStatus();
    }
    done_cv_.wait(lock, [&] { return waiter.done; });
    return waiter.status;
  } catch (...) {
    dropped_.fetch_add(1, std::memory_order_relaxed);  // out of memory
    return absl::ResourceExhaustedError("out of memory queueing an audit record");
  }
}

absl::Status JsonlWriter::Flush() {
  std::unique_lock<std::mutex> lock(mu_);
  const uint64_t target = accepted_;
  done_cv_.wait(lock, [&] { return finished_ >= target; });
  return std::exchange(error_, absl::OkStatus());
}

absl::Status JsonlWriter::Sync() {
  std::unique_lock<std::mutex> lock(mu_);
  if (thread_.get_id() == std::thread::id()) return std::exchange(error_, absl::OkStatus());
  const uint64_t target = accepted_;
  sync_target_ = std::max(sync_target_, target);
  work_cv_.notify_one();
  done_cv_.wait(lock, [&] { return synced_ >= target; });
  return std::exchange(error_, absl::OkStatus());
}

absl::Status JsonlWriter::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    work_cv_.notify_all();
    room_cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) {
    // A log that failed to open is left exactly as it was. A synced sink
    // names in its checkpoint only lines the last fdatasync covered.
    if (opened_) {
      bool durable = false;
      if (regular_ && options_.durability == JsonlAuditSink::Durability::kSynced) {
        absl::Status s = SyncFile();
        durable = s.ok();
        if (!durable) NoteError(std::move(s));
      }
      WriteCheckpoint(/*force=*/true, durable);
    }
    if (::close(fd_) != 0 && errno != EINTR) {
      NoteError(absl::DataLossError(
          absl::StrCat(options_.path, ": closing the audit log: ", ErrnoText(errno))));
    }
    fd_ = -1;
  }
  std::lock_guard<std::mutex> lock(mu_);
  return std::exchange(error_, absl::OkStatus());
}

JsonlWriter::Counters JsonlWriter::counters() const {
  Counters c;
  c.written = written_.load(std::memory_order_relaxed);
  c.dropped = dropped_.load(std::memory_order_relaxed);
  c.write_errors = write_errors_.load(std::memory_order_relaxed);
  c.rotations = rotations_.load(std::memory_order_relaxed);
  c.syncs = syncs_.load(std::memory_order_relaxed);
  c.removed_files = removed_files_.load(std::memory_order_relaxed);
  return c;
}

void JsonlWriter::NoteError(absl::Status error) {
  std::lock_guard<std::mutex> lock(mu_);
  if (error_.ok()) error_ = std::move(error);
}

void JsonlWriter::Run() {
  using Durability = JsonlAuditSink::Durability;
  std::vector<Item> batch;
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    work_cv_.wait(lock, [&] { return stopping_ || !queue_.empty() || sync_target_ > synced_; });
    if (queue_.empty() && sync_target_ <= synced_) break;  // stopping, and everything is written
    batch.swap(queue_);
    const uint64_t sync_target = sync_target_;
    const uint64_t batch_end = finished_ + batch.size();
    if (blocked_ > 0) room_cv_.notify_all();
    lock.unlock();

    WriteBatch(batch);
    // One fdatasync for the whole batch: every synced writer that queued
    // while the last one ran shares it.
    const bool sync = (options_.durability == Durability::kSynced && !batch.empty()) ||
                      sync_target > 0;
    absl::Status synced;
    bool lost = false;
    if (sync && regular_) synced = SyncFile();
    for (uint8_t ok : item_ok_) lost |= ok == 0;
    WriteCheckpoint(/*force=*/sync_target > 0 && batch_end >= sync_target,
                    sync && regular_ && synced.ok());

    lock.lock();
    for (size_t i = 0; i < batch.size(); ++i) {
      Waiter* w = batch[i].waiter;
      if (w == nullptr) continue;
      w->status = item_ok_[i] == 0 ? absl::DataLossError(absl::StrCat(
                                         options_.path, ": the audit record was not written",
                                         error_.ok() ? "" : ": ", error_.message()))
                  : options_.durability == Durability::kSynced ? synced
                                                                : absl::OkStatus();
      w->done = true;
    }
    if (!synced.ok() && error_.ok()) error_ = synced;
    failing_ = lost || !synced.ok();
    finished_ = batch_end;
    if (sync) synced_ = std::max(synced_, finished_);
    if (sync_target_ > 0 && synced_ >= sync_target_) sync_target_ = 0;
    done_cv_.notify_all();
    batch.clear();
  }
}

void JsonlWriter::WriteBatch(std::vector<Item>& batch) {
  rotate_failed_ = false;
  item_ok_.assign(batch.size(), 0);
  for (size_t i = 0; i < batch.size(); ++i) {
    try {
      AppendRecord(batch[i].record, i);
    } catch (...) {  // out of memory: this record is lost, the chain is not
      write_errors_.fetch_add(1, std::memory_order_relaxed);
      NoteError(absl::ResourceExhaustedError(
          absl::StrCat(options_.path, ": out of memory writing an audit record")));
    }
  }
  Commit();
  if (retention_due_) {
    retention_due_ = false;
    ApplyRetention();
  }
}

bool JsonlWriter::RotationDue(uint64_t line_size) const {
  const uint64_t used = file_size_ + buffer_.size();
  if (!regular_ || used == 0) return false;
  if (used + line_size > options_.max_file_bytes) return true;
  return options_.max_file_age > absl::ZeroDuration() &&
         absl::Now() - file_started_ >= options_.max_file_age;
}

void JsonlWriter::AppendRecord(audit::AuditRecord& record, size_t item) {
  SanitizeStrings(&record);
  json_.clear();
  // Byte for byte what protobuf's JSON printer writes (record_json_test holds
  // it to that), at a twentieth of the cost.
  if (!AppendAuditRecordJson(record, &json_)) {
    write_errors_.fetch_add(1, std::memory_order_relaxed);
    NoteError(absl::InvalidArgumentError(absl::StrCat(
        options_.path, ": an audit record could not be written as JSON: its time is outside "
                       "0001-01-01..9999-12-31")));
    return;
  }
  std::string seq_text = absl::StrCat(seq_ + 1);
  const uint64_t line_size = kLineFrame + seq_text.size() + 2 * kChainHashHexSize + json_.size();
  if (RotationDue(line_size)) {
    Commit();
    if (RotationDue(line_size)) Rotate();
    seq_text = absl::StrCat(seq_ + 1);  // a failed commit moved the tip back
  }
  if (file_size_ + buffer_.size() == 0) file_started_ = absl::Now();
  std::string hash = ChainHash(hash_, seq_text, json_);
  AppendChainLine(seq_ + 1, hash_, hash, json_, &buffer_);
  ++seq_;
  hash_ = hash;
  pending_.push_back(Pending{buffer_.size(), seq_, std::move(hash), item});
  if (buffer_.size() >= kMaxBuffer) Commit();
}

// Writes the buffered lines. Whatever does not reach the file whole is
// counted as lost and cut off again, so the file always ends with a complete
// line and the chain goes on from the last line that is really there.
void JsonlWriter::Commit() {
  if (buffer_.empty()) return;
  size_t done = 0;
  int err = 0;
  if (must_truncate_) {
    if (::ftruncate(fd_, static_cast<off_t>(file_size_)) == 0) {
      must_truncate_ = false;
    } else {
      err = errno;
    }
  }
  while (err == 0 && done < buffer_.size()) {
    const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      err = errno;
    } else if (n == 0) {
      err = EIO;
    } else {
      done += static_cast<size_t>(n);
    }
  }
  size_t complete = 0;
  while (complete < pending_.size() && pending_[complete].end <= done) ++complete;
  const size_t kept = complete > 0 ? pending_[complete - 1].end : 0;
  std::string truncate_error;
  if (done > kept && regular_) {
    // A partial line reached the file: cut it off now, or before the next write.
    if (::ftruncate(fd_, static_cast<off_t>(file_size_ + kept)) != 0) {
      must_truncate_ = true;
      truncate_error = absl::StrCat("; a partial line could not be cut off: ", ErrnoText(errno));
    }
  }
  file_size_ += kept;
  if (complete > 0) {
    committed_seq_ = pending_[complete - 1].seq;
    committed_hash_ = pending_[complete - 1].hash;
    written_.fetch_add(complete, std::memory_order_relaxed);
  }
  for (size_t i = 0; i < complete; ++i) {
    if (pending_[i].item != kNoItem) item_ok_[pending_[i].item] = 1;
  }
  if (complete < pending_.size()) {
    const size_t lost = pending_.size() - complete;
    write_errors_.fetch_add(lost, std::memory_order_relaxed);
    NoteError(absl::DataLossError(absl::StrCat(options_.path, ": cannot write ", lost,
                                               " audit records: ", ErrnoText(err), truncate_error)));
  }
  seq_ = committed_seq_;
  hash_ = committed_hash_;
  buffer_.clear();
  pending_.clear();
}

absl::Status JsonlWriter::SyncFile() {
  syncs_.fetch_add(1, std::memory_order_relaxed);
  if (::fdatasync(fd_) != 0) {
    return absl::DataLossError(
        absl::StrCat(options_.path, ": cannot sync the audit log to disk: ", ErrnoText(errno)));
  }
  return absl::OkStatus();
}

void JsonlWriter::WriteCheckpoint(bool force, bool durable) {
  if (!regular_ || !options_.checkpoint || committed_seq_ == checkpoint_seq_) return;
  const absl::Time now = absl::Now();
  if (!force && now - checkpoint_time_ < options_.checkpoint_interval) return;
  // A synced sink names only lines known to be on disk; the others name
  // lines written to the OS, which a power loss may still take (the verifier
  // then reports them missing, as they are).
  if (options_.durability == JsonlAuditSink::Durability::kSynced && !durable) return;
  absl::Status s = internal::WriteCheckpoint(CheckpointPath(options_.path),
                                             Checkpoint{committed_seq_, committed_hash_}, durable);
  if (!s.ok()) {
    NoteError(std::move(s));
    return;
  }
  checkpoint_seq_ = committed_seq_;
  checkpoint_time_ = now;
}

// Renames the full file to "<path>.<N+1>" and opens a new empty one; on
// failure keeps writing where it can and tries again with the next batch.
void JsonlWriter::Rotate() {
  if (rotate_failed_ || must_truncate_) return;
  const std::string& path = options_.path;
  const bool synced = options_.durability == JsonlAuditSink::Durability::kSynced;
  // The lines committed to the old file are synced with it, before its name
  // changes: the batch's sync covers the new file only.
  if (synced) {
    if (absl::Status s = SyncFile(); !s.ok()) {
      rotate_failed_ = true;
      NoteError(std::move(s));
      return;
    }
  }
  if (!detached_) {
    int err = 0;
    for (int attempt = 0; attempt < 100; ++attempt) {
      const std::string target = absl::StrCat(path, ".", rotated_ + 1);
      // Never replace an existing file (RENAME_NOREPLACE); where the file
      // system cannot promise that, check first.
      int rc = ::renameat2(AT_FDCWD, path.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE);
      if (rc != 0 && (errno == EINVAL || errno == ENOSYS)) {
        struct stat st;
        if (::stat(target.c_str(), &st) == 0) {
          errno = EEXIST;
        } else {
          rc = ::rename(path.c_str(), target.c_str());
        }
      }
      err = rc == 0 ? 0 : errno;
      if (err != EEXIST) break;
      ++rotated_;  // someone else's file has that name: take the next one
    }
    if (err != 0) {
      rotate_failed_ = true;
      NoteError(absl::DataLossError(
          absl::StrCat(path, ": cannot rotate the audit log: ", ErrnoText(err))));
      return;
    }
    ++rotated_;
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, kFileMode);
  if (fd < 0) {
    // The old descriptor, now "<path>.<N>", keeps taking lines.
    detached_ = true;
    rotate_failed_ = true;
    NoteError(absl::DataLossError(
        absl::StrCat(path, ": cannot open a new audit log after rotating: ", ErrnoText(errno))));
    return;
  }
  LockFile(fd, path).IgnoreError();
  ::close(fd_);
  fd_ = fd;
  file_size_ = 0;
  detached_ = false;
  rotations_.fetch_add(1, std::memory_order_relaxed);
  if (synced) {
    if (absl::Status s = SyncParentFolder(path); !s.ok()) NoteError(std::move(s));
  }
  retention_due_ = options_.retention > absl::ZeroDuration();
}

// Removes the rotated files older than the retention period, oldest first,
// after recording in the chain which ones go and where the log now starts.
void JsonlWriter::ApplyRetention() {
  if (!regular_ || options_.retention <= absl::ZeroDuration()) return;
  const std::string& path = options_.path;
  const std::vector<uint64_t> numbers = RotatedFileNumbers(path);
  const absl::Time cutoff = absl::Now() - options_.retention;
  std::vector<std::string> old;
  size_t next = 0;  // index in numbers of the first rotated file that stays
  for (; next < numbers.size(); ++next) {
    const std::string file = absl::StrCat(path, ".", numbers[next]);
    struct stat st;
    if (::stat(file.c_str(), &st) != 0 || absl::FromTimeT(st.st_mtime) >= cutoff) break;
    old.push_back(file);
  }
  if (old.empty()) return;
  // Where the log starts once they are gone: the first line of the oldest
  // file left, or the line about to be written.
  Commit();
  uint64_t first_seq = seq_ + 1;
  std::string first_prev = hash_;
  for (size_t k = next; k <= numbers.size(); ++k) {
    const std::string file = k < numbers.size() ? absl::StrCat(path, ".", numbers[k]) : path;
    absl::StatusOr<std::optional<ChainHead>> head = ReadChainHead(file);
    if (!head.ok()) {
      NoteError(absl::DataLossError(absl::StrCat(
          "audit retention: cannot read where the log would start: ", head.status().message())));
      return;
    }
    if (head->has_value()) {
      first_seq = (*head)->seq;
      first_prev = (*head)->prev;
      break;
    }
  }
  audit::AuditRecord event;
  const absl::Time now = absl::Now();
  const int64_t seconds = absl::ToUnixSeconds(now);
  event.mutable_time()->set_seconds(seconds);
  event.mutable_time()->set_nanos(
      static_cast<int32_t>((now - absl::FromUnixSeconds(seconds)) / absl::Nanoseconds(1)));
  audit::LogEvent* e = event.mutable_log_event();
  e->set_kind("retention");
  for (const std::string& f : old) {
    e->add_files(std::filesystem::path(f).filename().string());
  }
  e->set_first_seq(first_seq);
  e->set_first_prev(first_prev);
  e->set_detail(absl::StrCat("removed ", old.size(), " rotated file(s) whose last line is older than ",
                             absl::FormatDuration(options_.retention), "; the log now starts at seq ",
                             first_seq));
  const uint64_t before = committed_seq_;
  AppendRecord(event, kNoItem);
  Commit();
  if (committed_seq_ == before) return;  // not recorded: nothing is removed
  if (options_.durability == JsonlAuditSink::Durability::kSynced) {
    if (absl::Status s = SyncFile(); !s.ok()) {
      NoteError(std::move(s));
      return;
    }
  }
  for (const std::string& f : old) {
    if (::unlink(f.c_str()) != 0) {
      NoteError(absl::DataLossError(
          absl::StrCat(f, ": audit retention could not remove it: ", ErrnoText(errno))));
      return;
    }
    removed_files_.fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace menshen::internal
