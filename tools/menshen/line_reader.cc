#include "tools/menshen/line_reader.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace menshen::cli {
namespace {

constexpr size_t kBufferBytes = size_t{1} << 20;

class PlainReader : public LineReader {
 public:
  explicit PlainReader(int fd) : fd_(fd) {}
  ~PlainReader() override { ::close(fd_); }
  uint64_t file_bytes_read() const override { return read_; }

 protected:
  int64_t Read(char* buf, size_t n) override {
    for (;;) {
      const ssize_t got = ::read(fd_, buf, n);
      if (got >= 0) {
        read_ += static_cast<uint64_t>(got);
        return got;
      }
      if (errno == EINTR) continue;
      status_ = absl::DataLossError(absl::StrCat("read error: ", std::strerror(errno)));
      return -1;
    }
  }

 private:
  int fd_;
  uint64_t read_ = 0;
};

class GzipReader : public LineReader {
 public:
  explicit GzipReader(gzFile file) : file_(file) { gzbuffer(file_, 1 << 17); }
  ~GzipReader() override { gzclose(file_); }
  uint64_t file_bytes_read() const override {
    const z_off_t at = gzoffset(file_);
    return at < 0 ? 0 : static_cast<uint64_t>(at);
  }

 protected:
  int64_t Read(char* buf, size_t n) override {
    const int got = gzread(file_, buf, static_cast<unsigned>(std::min<size_t>(n, 1u << 30)));
    if (got > 0 && gzdirect(file_)) {
      status_ = absl::DataLossError("not gzip data");
      return -1;
    }
    if (got >= 0) {
      // gzread reports a truncated stream only through gzerror.
      int code = Z_OK;
      const char* message = gzerror(file_, &code);
      if (code != Z_OK && code != Z_STREAM_END) {
        status_ = absl::DataLossError(absl::StrCat("corrupt gzip data: ", message));
        return -1;
      }
      return got;
    }
    int code = 0;
    const char* message = gzerror(file_, &code);
    status_ = absl::DataLossError(
        absl::StrCat("corrupt gzip data: ", code == Z_ERRNO ? std::strerror(errno) : message));
    return -1;
  }

 private:
  gzFile file_;
};

class ZstdReader : public LineReader {
 public:
  ZstdReader(int fd, ZSTD_DStream* stream) : fd_(fd), stream_(stream), in_(ZSTD_DStreamInSize()) {}
  ~ZstdReader() override {
    ZSTD_freeDStream(stream_);
    ::close(fd_);
  }
  uint64_t file_bytes_read() const override { return read_; }

 protected:
  int64_t Read(char* buf, size_t n) override {
    ZSTD_outBuffer out = {buf, n, 0};
    while (out.pos == 0) {
      if (input_.pos == input_.size) {
        if (eof_) {
          if (frame_open_) {
            status_ = absl::DataLossError("corrupt zstd data: the file ends inside a frame");
            return -1;
          }
          return 0;
        }
        ssize_t got;
        do got = ::read(fd_, in_.data(), in_.size()); while (got < 0 && errno == EINTR);
        if (got < 0) {
          status_ = absl::DataLossError(absl::StrCat("read error: ", std::strerror(errno)));
          return -1;
        }
        read_ += static_cast<uint64_t>(got);
        if (got == 0) {
          eof_ = true;
          continue;
        }
        input_ = {in_.data(), static_cast<size_t>(got), 0};
      }
      const size_t rc = ZSTD_decompressStream(stream_, &out, &input_);
      if (ZSTD_isError(rc)) {
        status_ = absl::DataLossError(absl::StrCat("corrupt zstd data: ", ZSTD_getErrorName(rc)));
        return -1;
      }
      frame_open_ = rc != 0;
    }
    return static_cast<int64_t>(out.pos);
  }

 private:
  int fd_;
  ZSTD_DStream* stream_;
  std::vector<char> in_;
  ZSTD_inBuffer input_ = {nullptr, 0, 0};
  uint64_t read_ = 0;
  bool eof_ = false;
  bool frame_open_ = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<LineReader>> LineReader::Open(const std::string& path,
                                                             uint64_t max_line_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::NotFoundError(absl::StrCat("cannot open: ", std::strerror(errno)));
  std::unique_ptr<LineReader> reader;
  if (absl::EndsWith(path, ".gz")) {
    ::close(fd);  // reopened by name, so zlib's messages name the file
    gzFile file = gzopen(path.c_str(), "rb");
    if (file == nullptr) {
      return absl::ResourceExhaustedError("cannot open: out of memory");
    }
    reader = std::make_unique<GzipReader>(file);
  } else if (absl::EndsWith(path, ".zst")) {
    ZSTD_DStream* stream = ZSTD_createDStream();
    if (stream == nullptr) {
      ::close(fd);
      return absl::ResourceExhaustedError("cannot open: out of memory");
    }
    ZSTD_initDStream(stream);
    reader = std::make_unique<ZstdReader>(fd, stream);
  } else {
    reader = std::make_unique<PlainReader>(fd);
  }
  reader->max_line_ = max_line_bytes;
  reader->buffer_.resize(kBufferBytes);
  return reader;
}

bool LineReader::Fill() {
  if (eof_ || !status_.ok()) return false;
  if (pos_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + pos_, end_ - pos_);
    end_ -= pos_;
    pos_ = 0;
  }
  if (end_ == buffer_.size()) buffer_.resize(buffer_.size() * 2);
  const int64_t got = Read(buffer_.data() + end_, buffer_.size() - end_);
  if (got < 0) return false;
  if (got == 0) {
    eof_ = true;
    return false;
  }
  end_ += static_cast<size_t>(got);
  return true;
}

bool LineReader::Next(Line* line) {
  line->text.clear();
  line->oversized = false;
  line->offset = offset_;
  uint64_t length = 0;
  for (;;) {
    const char* start = buffer_.data() + pos_;
    const void* nl = std::memchr(start, '\n', end_ - pos_);
    const size_t chunk = nl ? static_cast<const char*>(nl) - start : end_ - pos_;
    if (!line->oversized && length + chunk > max_line_) {
      line->oversized = true;
      line->text.clear();
    }
    if (!line->oversized) line->text.append(start, chunk);
    length += chunk;
    if (nl != nullptr) {
      pos_ += chunk + 1;
      offset_ += chunk + 1;
      break;
    }
    pos_ = end_;
    offset_ += chunk;
    if (!Fill()) {
      if (!status_.ok()) return false;
      if (length == 0) return false;  // the end, after a final newline
      break;                          // a last line without a newline
    }
  }
  ++line_number_;
  line->number = line_number_;
  if (!line->oversized && !line->text.empty() && line->text.back() == '\r') {
    line->text.pop_back();
  }
  line->length = length;
  return true;
}

}  // namespace menshen::cli
