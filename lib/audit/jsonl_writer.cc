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
#include <new>
#include <optional>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/reflection.h"
#include "lib/audit/chain.h"
#include "lib/audit/record_json.h"
#include "lib/base/absl_view.h"
#include "lib/base/utf8.h"

namespace menshen::internal {
namespace {

constexpr size_t kMaxBuffer = size_t{1} << 20;  // write(2) when this much is buffered
constexpr mode_t kFileMode = 0640;                // audit logs are not for everyone

// The fixed part of a line: everything but seq, the record and the two hashes.
constexpr size_t kLineFrame = sizeof("{\"seq\":,\"prev\":\"\",\"hash\":\"\",\"record\":}\n") - 1;

std::string Errno(int err) { return std::strerror(err); }

struct ChainTip {
  uint64_t seq;
  std::string hash;
};

// The seq and hash of the last line of `path`, nullopt for an empty file.
absl::StatusOr<std::optional<ChainTip>> ReadChainTip(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot open: ", Errno(errno)));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a regular file"));
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size == 0) {
    ::close(fd);
    return std::optional<ChainTip>();
  }
  // Read backwards in chunks until the "\n" before the last line shows up.
  std::string tail;
  uint64_t start = size;
  bool found = false;
  while (start > 0 && !found) {
    const uint64_t chunk = std::min<uint64_t>(start, 64 << 10);
    start -= chunk;
    std::string block(chunk, '\0');
    size_t got = 0;
    while (got < chunk) {
      const ssize_t n = ::pread(fd, block.data() + got, chunk - got, static_cast<off_t>(start + got));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        const int err = n < 0 ? errno : EIO;
        ::close(fd);
        return absl::DataLossError(absl::StrCat(path, ": read error: ", Errno(err)));
      }
      got += static_cast<size_t>(n);
    }
    tail.insert(0, block);
    // The last byte is the line's own "\n"; look for the one before it.
    found = tail.size() >= 2 && tail.rfind('\n', tail.size() - 2) != std::string::npos;
  }
  ::close(fd);
  if (tail.back() != '\n') {
    return absl::DataLossError(absl::StrCat(
        path, ": the last line is truncated (no newline at the end: the writer may have stopped "
              "mid-line); run `menshen audit verify` on the log and repair it before appending"));
  }
  tail.pop_back();
  const size_t cut = tail.rfind('\n');
  const std::string_view last =
      std::string_view(tail).substr(cut == std::string::npos ? 0 : cut + 1);
  absl::StatusOr<ChainLine> line = ParseChainLine(last);
  if (!line.ok()) {
    return absl::DataLossError(absl::StrCat(path, ": cannot continue the chain: last line: ",
                                            line.status().message(),
                                            "; run `menshen audit verify` on the log"));
  }
  std::string hash = ChainHash(line->prev, line->seq_text, line->record);
  if (hash != line->hash) {
    return absl::DataLossError(absl::StrCat(
        path, ": cannot continue the chain: the last line does not match its hash (edited?); "
              "run `menshen audit verify` on the log"));
  }
  return std::optional<ChainTip>(ChainTip{line->seq, std::move(hash)});
}

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
  std::unique_ptr<JsonlWriter> writer(new JsonlWriter(options));
  if (absl::Status s = writer->OpenFile(); !s.ok()) return s;
  if (absl::Status s = writer->Start(); !s.ok()) return s;
  return writer;
}

absl::Status JsonlWriter::OpenFile() {
  const std::string& path = options_.path;
  const std::vector<uint64_t> rotated = RotatedFileNumbers(path);
  rotated_ = rotated.empty() ? 0 : rotated.back();
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, kFileMode);
  if (fd_ < 0) return absl::NotFoundError(absl::StrCat(path, ": cannot open: ", Errno(errno)));
  struct stat st;
  if (::fstat(fd_, &st) != 0) return absl::InternalError(absl::StrCat(path, ": ", Errno(errno)));
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

void JsonlWriter::Write(const audit::AuditRecord& record) noexcept {
  try {
    audit::AuditRecord copy(record);  // outside the lock: copying is the slow part
    std::unique_lock<std::mutex> lock(mu_);
    if (options_.overflow == JsonlAuditSink::Overflow::kBlock) {
      ++blocked_;
      room_cv_.wait(lock, [&] { return stopping_ || queue_.size() < options_.queue_capacity; });
      --blocked_;
    }
    if (stopping_ || queue_.size() >= options_.queue_capacity) {
      lock.unlock();
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    queue_.push_back(std::move(copy));
    ++accepted_;
    // The writer only sleeps on an empty queue.
    if (queue_.size() == 1) work_cv_.notify_one();
  } catch (...) {
    dropped_.fetch_add(1, std::memory_order_relaxed);  // out of memory
  }
}

absl::Status JsonlWriter::Flush() {
  std::unique_lock<std::mutex> lock(mu_);
  const uint64_t target = accepted_;
  done_cv_.wait(lock, [&] { return finished_ >= target; });
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
    if (::close(fd_) != 0 && errno != EINTR) {
      NoteError(absl::DataLossError(
          absl::StrCat(options_.path, ": closing the audit log: ", Errno(errno))));
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
  return c;
}

void JsonlWriter::NoteError(absl::Status error) {
  std::lock_guard<std::mutex> lock(mu_);
  if (error_.ok()) error_ = std::move(error);
}

void JsonlWriter::Run() {
  std::vector<audit::AuditRecord> batch;
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    work_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) break;  // stopping, and everything is written
    batch.swap(queue_);
    if (blocked_ > 0) room_cv_.notify_all();
    lock.unlock();
    WriteBatch(batch);
    const size_t n = batch.size();
    batch.clear();
    lock.lock();
    finished_ += n;
    done_cv_.notify_all();
  }
}

void JsonlWriter::WriteBatch(std::vector<audit::AuditRecord>& batch) {
  rotate_failed_ = false;
  for (audit::AuditRecord& record : batch) {
    try {
      AppendRecord(record);
    } catch (...) {  // out of memory: this record is lost, the chain is not
      write_errors_.fetch_add(1, std::memory_order_relaxed);
      NoteError(absl::ResourceExhaustedError(
          absl::StrCat(options_.path, ": out of memory writing an audit record")));
    }
  }
  Commit();
}

void JsonlWriter::AppendRecord(audit::AuditRecord& record) {
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
  auto over_limit = [&] {
    const uint64_t used = file_size_ + buffer_.size();
    return used > 0 && used + line_size > options_.max_file_bytes;
  };
  if (regular_ && over_limit()) {
    Commit();
    if (over_limit()) Rotate();
    seq_text = absl::StrCat(seq_ + 1);  // a failed commit moved the tip back
  }
  std::string hash = ChainHash(hash_, seq_text, json_);
  AppendChainLine(seq_ + 1, hash_, hash, json_, &buffer_);
  ++seq_;
  hash_ = hash;
  pending_.push_back(Pending{buffer_.size(), seq_, std::move(hash)});
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
      truncate_error = absl::StrCat("; a partial line could not be cut off: ", Errno(errno));
    }
  }
  file_size_ += kept;
  if (complete > 0) {
    committed_seq_ = pending_[complete - 1].seq;
    committed_hash_ = pending_[complete - 1].hash;
    written_.fetch_add(complete, std::memory_order_relaxed);
  }
  if (complete < pending_.size()) {
    const size_t lost = pending_.size() - complete;
    write_errors_.fetch_add(lost, std::memory_order_relaxed);
    NoteError(absl::DataLossError(absl::StrCat(options_.path, ": cannot write ", lost,
                                               " audit records: ", Errno(err), truncate_error)));
  }
  seq_ = committed_seq_;
  hash_ = committed_hash_;
  buffer_.clear();
  pending_.clear();
}

// Renames the full file to "<path>.<N+1>" and opens a new empty one; on
// failure keeps writing where it can and tries again with the next batch.
void JsonlWriter::Rotate() {
  if (rotate_failed_ || must_truncate_) return;
  const std::string& path = options_.path;
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
          absl::StrCat(path, ": cannot rotate the audit log: ", Errno(err))));
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
        absl::StrCat(path, ": cannot open a new audit log after rotating: ", Errno(errno))));
    return;
  }
  LockFile(fd, path).IgnoreError();
  ::close(fd_);
  fd_ = fd;
  file_size_ = 0;
  detached_ = false;
  rotations_.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace menshen::internal
