// A progress line on stderr for long runs: documents (or texts), MB, rates
// and, when the total is known, a bar and an ETA. Drawn only when stderr is a
// terminal, at most five times a second; silent otherwise, so pipes and logs
// stay clean. Shared by `corpus audit` and `scan`. Not thread-safe: one
// thread updates it.
#ifndef MENSHEN_TOOLS_MENSHEN_PROGRESS_H_
#define MENSHEN_TOOLS_MENSHEN_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <string>

namespace menshen::cli {

class Progress {
 public:
  // `total_bytes`: input size the fraction is measured against (0: unknown).
  // `enabled`: draw at all (normally: stderr is a terminal). `unit`: what
  // is counted, as the line names it ("docs", "texts").
  Progress(uint64_t total_bytes, bool enabled, std::string unit = "docs");
  ~Progress();  // clears the line

  // True when stderr is a terminal.
  static bool StderrIsTerminal();

  // `done_bytes` counts towards total_bytes (compressed bytes read for a
  // compressed file); `text_bytes` is what was checked, for MB/s.
  void Update(uint64_t documents, uint64_t text_bytes, uint64_t done_bytes);
  // Clears the line, e.g. before a message on stderr; the next Update draws
  // it again.
  void Clear();
  // Clears the line for good at the end of a run (the same as Clear).
  void Finish();

 private:
  void Draw(bool final);

  uint64_t total_ = 0;
  bool enabled_ = false;
  std::string unit_;
  bool drawn_ = false;
  uint64_t documents_ = 0, text_bytes_ = 0, done_bytes_ = 0;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace menshen::cli

#endif  // MENSHEN_TOOLS_MENSHEN_PROGRESS_H_
