// `menshen audit repair`: after a crash, cut a torn last line off the log (or
// accept lines its checkpoint names that are gone), and record in the chain
// that it did, so the log can be continued and still verifies.
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "lib/audit/chain.h"
#include "lib/audit/record_json.h"
#include "lib/base/fd.h"
#include "menshen/audit.h"

namespace menshen {
namespace {

using internal::ErrnoText;
using internal::ScopedFd;
using internal::WriteFully;

// Cuts everything after the last "\n" of `fd`; returns the bytes cut.
absl::StatusOr<uint64_t> CutTornLine(int fd, const std::string& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return absl::DataLossError(absl::StrCat(path, ": ", ErrnoText(errno)));
  uint64_t end = static_cast<uint64_t>(st.st_size);
  char last = '\n';
  if (end > 0 && ::pread(fd, &last, 1, static_cast<off_t>(end - 1)) != 1) {
    return absl::DataLossError(absl::StrCat(path, ": read error: ", ErrnoText(errno)));
  }
  if (end == 0 || last == '\n') return 0;
  // Back to the byte after the previous newline (or the start of the file).
  uint64_t keep = end;
  char block[4096];
  while (keep > 0) {
    const uint64_t n = std::min<uint64_t>(keep, sizeof block);
    if (::pread(fd, block, n, static_cast<off_t>(keep - n)) != static_cast<ssize_t>(n)) {
      return absl::DataLossError(absl::StrCat(path, ": read error: ", ErrnoText(errno)));
    }
    const void* nl = ::memrchr(block, '\n', n);
    if (nl != nullptr) {
      keep = keep - n + static_cast<uint64_t>(static_cast<const char*>(nl) - block) + 1;
      break;
    }
    keep -= n;
  }
  if (::ftruncate(fd, static_cast<off_t>(keep)) != 0 || ::fsync(fd) != 0) {
    return absl::DataLossError(absl::StrCat(path, ": cannot cut the torn line: ", ErrnoText(errno)));
  }
  return end - keep;
}

}  // namespace

absl::StatusOr<AuditRepairResult> RepairAuditLog(const std::string& path) {
  AuditRepairResult result;
  const std::vector<uint64_t> rotated = internal::RotatedFileNumbers(path);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec) && rotated.empty()) {
    return absl::NotFoundError(absl::StrCat(path, ": no such audit log (nor rotated files)"));
  }
  ScopedFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0640));
  if (fd.get() < 0) return absl::NotFoundError(absl::StrCat(path, ": cannot open: ", ErrnoText(errno)));
  struct stat st;
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a regular file"));
  }
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": an audit sink is writing to this log; stop it first"));
  }
  absl::StatusOr<uint64_t> cut = CutTornLine(fd.get(), path);
  if (!cut.ok()) return cut.status();
  result.cut_bytes = *cut;

  // The chain tip, now that the file ends with a complete line: of the
  // current file or, when that is empty, of the newest rotated one.
  std::optional<internal::ChainTip> tip;
  std::vector<std::string> candidates = {path};
  for (auto it = rotated.rbegin(); it != rotated.rend(); ++it) {
    candidates.push_back(absl::StrCat(path, ".", *it));
  }
  for (const std::string& file : candidates) {
    absl::StatusOr<std::optional<internal::ChainTip>> t = internal::ReadChainTip(file);
    if (!t.ok()) {
      return absl::DataLossError(absl::StrCat(
          t.status().message(), " (not a torn line: `menshen audit verify` says what is wrong; "
                                "repair only cuts torn lines and records lost ones)"));
    }
    if (t->has_value()) {
      tip = **t;
      break;
    }
  }
  const uint64_t seq = tip ? tip->seq : 0;
  const std::string prev = tip ? tip->hash : std::string(internal::kChainGenesis);
  const std::string checkpoint_path = internal::CheckpointPath(path);
  absl::StatusOr<std::optional<internal::Checkpoint>> checkpoint =
      internal::ReadCheckpoint(checkpoint_path);
  if (!checkpoint.ok()) return checkpoint.status();
  if (checkpoint->has_value()) {
    const internal::Checkpoint& cp = **checkpoint;
    if (cp.seq > seq) result.missing_lines = cp.seq - seq;
    if (cp.seq == seq && cp.hash != prev) {
      // Not a crash: the line the checkpoint named was replaced.
      return absl::FailedPreconditionError(absl::StrCat(
          path, ": the last line (seq ", seq, ") is not the one the checkpoint names: the log "
          "was edited, which repair does not accept; run `menshen audit verify`"));
    }
  }
  if (result.cut_bytes == 0 && result.missing_lines == 0) {
    result.summary = absl::StrCat(path, ": nothing to repair (ends at seq ", seq, ")");
    return result;
  }

  // The repair, recorded as the next line of the chain.
  audit::AuditRecord record;
  const absl::Time now = absl::Now();
  const int64_t seconds = absl::ToUnixSeconds(now);
  record.mutable_time()->set_seconds(seconds);
  record.mutable_time()->set_nanos(
      static_cast<int32_t>((now - absl::FromUnixSeconds(seconds)) / absl::Nanoseconds(1)));
  audit::LogEvent* event = record.mutable_log_event();
  event->set_kind("repair");
  event->add_files(std::filesystem::path(path).filename().string());
  event->set_cut_bytes(result.cut_bytes);
  std::string detail;
  if (result.cut_bytes > 0) {
    absl::StrAppend(&detail, "cut off a torn last line of ", result.cut_bytes,
                    " bytes (the writer stopped mid-line) after seq ", seq);
  }
  if (result.missing_lines > 0) {
    absl::StrAppend(&detail, detail.empty() ? "" : "; ", "lines ", seq + 1, "..",
                    (**checkpoint).seq, " that the checkpoint named are missing (",
                    result.missing_lines, " lost)");
  }
  event->set_detail(detail);
  std::string json;
  if (!internal::AppendAuditRecordJson(record, &json)) {
    return absl::InternalError("the repair record could not be written as JSON");
  }
  const std::string seq_text = absl::StrCat(seq + 1);
  const std::string hash = internal::ChainHash(prev, seq_text, json);
  std::string line;
  internal::AppendChainLine(seq + 1, prev, hash, json, &line);
  if (absl::Status s = WriteFully(fd.get(), line, path); !s.ok()) return s;
  if (::fdatasync(fd.get()) != 0) {
    return absl::DataLossError(absl::StrCat(path, ": cannot sync: ", ErrnoText(errno)));
  }
  if (absl::Status s = internal::WriteCheckpoint(checkpoint_path, {seq + 1, hash}, true);
      !s.ok()) {
    return s;
  }
  result.repaired = true;
  result.event_seq = seq + 1;
  result.summary = absl::StrCat(path, ": repaired: ", detail, "; recorded as seq ", seq + 1);
  return result;
}

}  // namespace menshen
