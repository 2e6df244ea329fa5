// Reads a file of lines, plain or compressed (.gz with zlib, .zst with
// libzstd), without holding more than one line and a buffer: lines longer
// than a limit are skipped to their end and reported as oversized, so one
// huge line cannot exhaust memory. Not thread-safe: one reader per thread.
#ifndef MENSHEN_TOOLS_MENSHEN_LINE_READER_H_
#define MENSHEN_TOOLS_MENSHEN_LINE_READER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace menshen::cli {

class LineReader {
 public:
  struct Line {
    std::string text;      // without the newline (and a trailing '\r')
    uint64_t number = 0;   // 1-based
    uint64_t offset = 0;   // byte offset of the line in the decompressed data
    uint64_t length = 0;   // bytes, even when oversized (text then empty)
    bool oversized = false;
  };

  // Opens `path`; the compression comes from its name (.gz, .zst).
  // `max_line_bytes`: longer lines come back oversized, without their text.
  static absl::StatusOr<std::unique_ptr<LineReader>> Open(const std::string& path,
                                                          uint64_t max_line_bytes);
  virtual ~LineReader() = default;

  // The next line; false at the end or on an error (see status()).
  bool Next(Line* line);
  // Not OK when reading or decompressing failed: a corrupt or truncated file.
  const absl::Status& status() const { return status_; }
  // Bytes of the file itself read so far (compressed bytes for .gz/.zst).
  virtual uint64_t file_bytes_read() const = 0;

 protected:
  // Fills `buf` with up to `n` decompressed bytes; 0 at the end; -1 on an
  // error after setting status_.
  virtual int64_t Read(char* buf, size_t n) = 0;
  absl::Status status_;

 private:
  bool Fill();

  uint64_t max_line_ = 0;
  std::string buffer_;
  size_t pos_ = 0, end_ = 0;
  uint64_t offset_ = 0;       // of buffer_[pos_] in the data
  uint64_t line_number_ = 0;
  bool eof_ = false;
};

}  // namespace menshen::cli

#endif  // MENSHEN_TOOLS_MENSHEN_LINE_READER_H_
