#include "tools/menshen/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <utility>

#include "absl/strings/str_format.h"

namespace menshen::cli {

Progress::Progress(uint64_t total_bytes, bool enabled, std::string unit)
    : total_(total_bytes),
      enabled_(enabled),
      unit_(std::move(unit)),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

Progress::~Progress() { Finish(); }

bool Progress::StderrIsTerminal() { return ::isatty(STDERR_FILENO) == 1; }

void Progress::Update(uint64_t documents, uint64_t text_bytes, uint64_t done_bytes) {
  documents_ = documents;
  text_bytes_ = text_bytes;
  done_bytes_ = done_bytes;
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_ < std::chrono::milliseconds(200)) return;
  last_ = now;
  Draw(false);
}

void Progress::Finish() { Clear(); }

void Progress::Clear() {
  if (!enabled_ || !drawn_) return;
  std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
  drawn_ = false;
}

void Progress::Draw(bool final) {
  const double seconds = std::max(
      1e-3, std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
  std::string line = "\r\033[K";
  if (total_ > 0) {
    const double fraction = std::min(1.0, static_cast<double>(done_bytes_) / total_);
    constexpr int kWidth = 24;
    const int filled = static_cast<int>(fraction * kWidth);
    line += "[" + std::string(filled, '#') + std::string(kWidth - filled, '.') + "] ";
    line += absl::StrFormat("%3.0f%% ", fraction * 100);
    if (fraction > 0.001 && !final) {
      const int eta = static_cast<int>(seconds * (1 - fraction) / fraction);
      line += absl::StrFormat("ETA %d:%02d:%02d  ", eta / 3600, eta / 60 % 60, eta % 60);
    }
  }
  line += absl::StrFormat("%d %s  %.1f MB  %.0f %s/s  %.1f MB/s", documents_, unit_,
                          text_bytes_ / 1e6, documents_ / seconds, unit_,
                          text_bytes_ / 1e6 / seconds);
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
  drawn_ = true;
}

}  // namespace menshen::cli
