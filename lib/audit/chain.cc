#include "lib/audit/chain.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "lib/base/absl_view.h"
#include "lib/base/fd.h"
#include "lib/base/sha256.h"

namespace menshen::internal {
namespace {

constexpr std::string_view kHashTag = "menshen-audit-v1\n";
constexpr std::string_view kSeqKey = "{\"seq\":";
constexpr std::string_view kPrevKey = ",\"prev\":\"";
constexpr std::string_view kHashKey = "\",\"hash\":\"";
constexpr std::string_view kRecordKey = "\",\"record\":";

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Consumes `prefix` from the front of `*s`.
bool Consume(std::string_view* s, std::string_view prefix) {
  if (s->substr(0, prefix.size()) != prefix) return false;
  s->remove_prefix(prefix.size());
  return true;
}

absl::Status Malformed(std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("malformed line: ", AV(what)));
}

}  // namespace

std::string ChainHash(std::string_view prev, std::string_view seq_text,
                      std::string_view record_json) {
  Sha256 h;
  h.Update(kHashTag);
  h.Update(prev);
  h.Update("\n");
  h.Update(seq_text);
  h.Update("\n");
  h.Update(record_json);
  return DigestToHex(h.Finish());
}

void AppendChainLine(uint64_t seq, std::string_view prev, std::string_view hash,
                     std::string_view record_json, std::string* out) {
  absl::StrAppend(out, AV(kSeqKey), seq, AV(kPrevKey), AV(prev), AV(kHashKey), AV(hash),
                  AV(kRecordKey), AV(record_json), "}\n");
}

absl::StatusOr<ChainLine> ParseChainLine(std::string_view line) {
  ChainLine out;
  std::string_view rest = line;
  if (!Consume(&rest, kSeqKey)) return Malformed("it does not start with {\"seq\":");
  size_t digits = 0;
  while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
  out.seq_text = rest.substr(0, digits);
  if (digits == 0 || (digits > 1 && out.seq_text[0] == '0') ||
      !absl::SimpleAtoi(AV(out.seq_text), &out.seq)) {
    return Malformed("seq is not a decimal number without leading zeros");
  }
  rest.remove_prefix(digits);
  if (!Consume(&rest, kPrevKey)) return Malformed("\"prev\" does not follow seq");
  out.prev = rest.substr(0, kChainHashHexSize);
  if (out.prev.size() != kChainHashHexSize || !IsLowerHex(out.prev)) {
    return Malformed("prev is not 64 lowercase hex digits");
  }
  rest.remove_prefix(kChainHashHexSize);
  if (!Consume(&rest, kHashKey)) return Malformed("\"hash\" does not follow prev");
  out.hash = rest.substr(0, kChainHashHexSize);
  if (out.hash.size() != kChainHashHexSize || !IsLowerHex(out.hash)) {
    return Malformed("hash is not 64 lowercase hex digits");
  }
  rest.remove_prefix(kChainHashHexSize);
  if (!Consume(&rest, kRecordKey)) return Malformed("\"record\" does not follow hash");
  if (rest.size() < 3 || rest.front() != '{' || rest.substr(rest.size() - 2) != "}}") {
    return Malformed("record is not a JSON object closing the line");
  }
  out.record = rest.substr(0, rest.size() - 1);
  return out;
}

std::vector<uint64_t> RotatedFileNumbers(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path p(path);
  const std::string prefix = p.filename().string() + ".";
  fs::path dir = p.parent_path();
  if (dir.empty()) dir = ".";
  std::vector<uint64_t> numbers;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string_view digits = std::string_view(name).substr(prefix.size());
    uint64_t n = 0;
    if (digits[0] == '0' || digits.find_first_not_of("0123456789") != std::string_view::npos ||
        !absl::SimpleAtoi(AV(digits), &n)) {
      continue;
    }
    numbers.push_back(n);
  }
  std::sort(numbers.begin(), numbers.end());
  return numbers;
}

namespace {

// Reads [offset, offset + n) of `fd`; DataLoss on a short read.
absl::Status ReadAt(int fd, uint64_t offset, size_t n, std::string* out,
                    const std::string& path) {
  out->resize(n);
  size_t got = 0;
  while (got < n) {
    const ssize_t r = ::pread(fd, out->data() + got, n - got, static_cast<off_t>(offset + got));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      return absl::DataLossError(
          absl::StrCat(path, ": read error: ", ErrnoText(r < 0 ? errno : EIO)));
    }
    got += static_cast<size_t>(r);
  }
  return absl::OkStatus();
}

// Finds `key` (e.g. "\"seq\":") in a one-line JSON object and returns what
// follows it.
std::string_view After(std::string_view line, std::string_view key) {
  const size_t at = line.find(key);
  return at == std::string_view::npos ? std::string_view() : line.substr(at + key.size());
}

}  // namespace

absl::StatusOr<std::optional<ChainTip>> ReadChainTip(const std::string& path) {
  ScopedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot open: ", ErrnoText(errno)));
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a regular file"));
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size == 0) return std::optional<ChainTip>();
  // Read backwards in chunks until the "\n" before the last line shows up.
  std::string tail, block;
  uint64_t start = size;
  bool found = false;
  while (start > 0 && !found) {
    const uint64_t chunk = std::min<uint64_t>(start, 64 << 10);
    start -= chunk;
    if (absl::Status s = ReadAt(fd.get(), start, chunk, &block, path); !s.ok()) return s;
    tail.insert(0, block);
    // The last byte is the line's own "\n"; look for the one before it.
    found = tail.size() >= 2 && tail.rfind('\n', tail.size() - 2) != std::string::npos;
  }
  if (tail.back() != '\n') {
    return absl::DataLossError(absl::StrCat(
        path, ": the last line is truncated (no newline at the end: the writer may have stopped "
              "mid-line); `menshen audit repair ", path, "` cuts it off and records that it did"));
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

absl::StatusOr<std::optional<ChainHead>> ReadChainHead(const std::string& path) {
  ScopedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot open: ", ErrnoText(errno)));
  }
  std::string head, block;
  for (uint64_t offset = 0;; offset += block.size()) {
    block.resize(64 << 10);
    ssize_t r;
    do {
      r = ::pread(fd.get(), block.data(), block.size(), static_cast<off_t>(offset));
    } while (r < 0 && errno == EINTR);
    if (r < 0) return absl::DataLossError(absl::StrCat(path, ": read error: ", ErrnoText(errno)));
    block.resize(static_cast<size_t>(r));
    head += block;
    if (head.find('\n') != std::string::npos || r == 0) break;
  }
  const size_t nl = head.find('\n');
  if (head.empty()) return std::optional<ChainHead>();
  absl::StatusOr<ChainLine> line =
      ParseChainLine(std::string_view(head).substr(0, nl == std::string::npos ? head.size() : nl));
  if (!line.ok()) return absl::DataLossError(absl::StrCat(path, ":1: ", line.status().message()));
  ChainHead out;
  out.seq = line->seq;
  out.prev = std::string(line->prev);
  const std::string_view time = After(line->record, "{\"time\":\"");
  const size_t quote = time.find('"');
  std::string error;
  if (quote != std::string_view::npos &&
      !absl::ParseTime(absl::RFC3339_full, std::string(time.substr(0, quote)), &out.time, &error)) {
    out.time = absl::InfinitePast();
  }
  return std::optional<ChainHead>(std::move(out));
}

std::string CheckpointPath(const std::string& log_path) {
  return absl::StrCat(log_path, ".checkpoint");
}

absl::StatusOr<std::optional<Checkpoint>> ReadCheckpoint(const std::string& checkpoint_path) {
  ScopedFd fd(::open(checkpoint_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return std::optional<Checkpoint>();
    return absl::DataLossError(absl::StrCat(checkpoint_path, ": cannot open: ", ErrnoText(errno)));
  }
  char buf[512];
  ssize_t n;
  do {
    n = ::read(fd.get(), buf, sizeof buf);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    return absl::DataLossError(absl::StrCat(checkpoint_path, ": read error: ", ErrnoText(errno)));
  }
  const std::string_view text(buf, static_cast<size_t>(n));
  Checkpoint out;
  const std::string_view seq = After(text, "{\"seq\":");
  size_t digits = 0;
  while (digits < seq.size() && seq[digits] >= '0' && seq[digits] <= '9') ++digits;
  const std::string_view hash = After(text, ",\"hash\":\"").substr(0, kChainHashHexSize);
  if (digits == 0 || !absl::SimpleAtoi(AV(seq.substr(0, digits)), &out.seq) ||
      hash.size() != kChainHashHexSize || !IsLowerHex(hash) || text.empty() ||
      text.back() != '\n') {
    return absl::DataLossError(absl::StrCat(checkpoint_path, ": not a checkpoint"));
  }
  out.hash = std::string(hash);
  return std::optional<Checkpoint>(std::move(out));
}

absl::Status SyncParentFolder(const std::string& path) {
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  ScopedFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0 || ::fsync(fd.get()) != 0) {
    return absl::DataLossError(absl::StrCat(dir.string(), ": cannot sync the folder: ",
                                            ErrnoText(errno)));
  }
  return absl::OkStatus();
}

absl::Status WriteCheckpoint(const std::string& checkpoint_path, const Checkpoint& checkpoint,
                             bool durable) {
  const std::string tmp = absl::StrCat(checkpoint_path, ".tmp");
  const std::string text =
      absl::StrCat("{\"seq\":", checkpoint.seq, ",\"hash\":\"", checkpoint.hash, "\",\"time\":\"",
                   absl::FormatTime(absl::RFC3339_full, absl::Now(), absl::UTCTimeZone()),
                   "\"}\n");
  auto fail = [&](const std::string& what) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return absl::DataLossError(absl::StrCat(checkpoint_path, ": ", what, ": ", ErrnoText(err)));
  };
  {
    ScopedFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640));
    if (fd.get() < 0) return fail("cannot write the checkpoint");
    if (!WriteFully(fd.get(), text, checkpoint_path).ok()) return fail("cannot write the checkpoint");
    if (durable && ::fdatasync(fd.get()) != 0) return fail("cannot sync the checkpoint");
  }
  if (::rename(tmp.c_str(), checkpoint_path.c_str()) != 0) return fail("cannot replace the checkpoint");
  return durable ? SyncParentFolder(checkpoint_path) : absl::OkStatus();
}

}  // namespace menshen::internal
