// POSIX file descriptors the audit log writes through: closed on scope exit,
// written in full across short writes and EINTR, errors as readable text.
#ifndef MENSHEN_LIB_BASE_FD_H_
#define MENSHEN_LIB_BASE_FD_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace menshen::internal {

// strerror(err) as a string.
std::string ErrnoText(int err);

// Owns one descriptor; -1 means none.
class ScopedFd {
 public:
  explicit ScopedFd(int fd) : fd_(fd) {}
  ~ScopedFd();
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Writes all of `data`; DataLoss naming `path` when the disk refuses.
absl::Status WriteFully(int fd, std::string_view data, const std::string& path);

}  // namespace menshen::internal

#endif  // MENSHEN_LIB_BASE_FD_H_
