// Normaliser throughput on Chinese, English and mixed text.
//
// The Chinese corpus is column 3 of $MENSHEN_SHARED/eval/cold_dev.tsv
// (default /work/shared, then ../shared); synthetic text if it is missing.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "lib/normalize/normalizer.h"

namespace {

using menshen::internal::Fold;
using menshen::internal::FoldedText;
using menshen::internal::FoldOptions;

// A small deterministic generator, so runs compare.
class Lcg {
 public:
  uint32_t Next() {
    state_ = state_ * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<uint32_t>(state_ >> 33);
  }
  uint32_t Below(uint32_t n) { return Next() % n; }

 private:
  uint64_t state_ = 42;
};

std::vector<std::string> ReadColdLines() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("MENSHEN_SHARED")) dirs.push_back(env);
  dirs.insert(dirs.end(), {"/work/shared", "../shared", "../../shared"});
  for (const std::string& dir : dirs) {
    std::ifstream in(dir + "/eval/cold_dev.tsv");
    if (!in) continue;
    std::vector<std::string> lines;
    std::string line;
    while (std::getline(in, line)) {
      size_t a = line.find('\t');
      size_t b = a == std::string::npos ? a : line.find('\t', a + 1);
      if (b == std::string::npos) continue;
      std::string text = line.substr(b + 1);
      size_t c = text.find('\t');
      if (c != std::string::npos) text.resize(c);
      if (!text.empty()) lines.push_back(text);
    }
    if (!lines.empty()) return lines;
  }
  // Synthetic fallback: common Han characters with full-width punctuation.
  static constexpr std::string_view kHan[] = {
      "的", "一", "是", "不", "了", "人", "我", "在", "有", "他", "这",
      "中", "大", "来", "上", "国", "个", "到", "说", "们", "为", "子",
      "和", "你", "地", "出", "道", "也", "时", "年", "得", "就", "那"};
  Lcg rng;
  std::vector<std::string> lines;
  for (int l = 0; l < 6000; ++l) {
    std::string s;
    const uint32_t n = 10 + rng.Below(60);
    for (uint32_t k = 0; k < n; ++k) {
      s += kHan[rng.Below(sizeof kHan / sizeof kHan[0])];
      if (rng.Below(12) == 0) s += "，";
    }
    s += "。";
    lines.push_back(s);
  }
  return lines;
}

std::vector<std::string> EnglishLines() {
  static constexpr std::string_view kWords[] = {
      "the",     "model",   "answer", "question", "People", "safety",
      "policy",  "and",     "of",     "to",       "a",      "in",
      "filter",  "Server",  "token",  "stream",   "output", "prompt",
      "content", "review",  "is",     "that",     "for",    "with",
      "check",   "English", "data",   "2024",     "GPU",    "request"};
  Lcg rng;
  std::vector<std::string> lines;
  for (int l = 0; l < 6000; ++l) {
    std::string s;
    const uint32_t n = 8 + rng.Below(30);
    for (uint32_t k = 0; k < n; ++k) {
      if (k > 0) s += ' ';
      s += kWords[rng.Below(sizeof kWords / sizeof kWords[0])];
      if (rng.Below(10) == 0) s += ',';
    }
    s += '.';
    lines.push_back(s);
  }
  return lines;
}

std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) {
    out += l;
    out += '\n';
  }
  return out;
}

const std::vector<std::string>& ChineseLines() {
  static const std::vector<std::string> lines = ReadColdLines();
  return lines;
}

const std::string& Corpus(int which) {
  static const std::string chinese = Join(ChineseLines());
  static const std::string english = Join(EnglishLines());
  static const std::string mixed = [] {
    const std::vector<std::string>& zh = ChineseLines();
    std::vector<std::string> en = EnglishLines();
    std::vector<std::string> both;
    for (size_t k = 0; k < zh.size() && k < en.size(); ++k) {
      both.push_back(zh[k] + " " + en[k]);
    }
    return Join(both);
  }();
  return which == 0 ? chinese : which == 1 ? english : mixed;
}

// Folds the whole corpus in one call, into a reused FoldedText.
void BM_Fold(benchmark::State& state) {
  const std::string& text = Corpus(static_cast<int>(state.range(0)));
  FoldedText out;
  const FoldOptions options;
  for (auto _ : state) {
    Fold(text, options, &out);
    benchmark::DoNotOptimize(out.text.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(text.size()));
  state.counters["expansion"] =
      static_cast<double>(out.text.size()) / static_cast<double>(text.size());
}
BENCHMARK(BM_Fold)->ArgName("zh0_en1_mixed2")->Arg(0)->Arg(1)->Arg(2);

// Folds one Chinese line per call, as a server folds one prompt at a time.
void BM_FoldChineseLines(benchmark::State& state) {
  const std::vector<std::string>& lines = ChineseLines();
  FoldedText out;
  const FoldOptions options;
  int64_t bytes = 0;
  for (auto _ : state) {
    for (const std::string& line : lines) {
      Fold(line, options, &out);
      benchmark::DoNotOptimize(out.text.data());
      bytes += static_cast<int64_t>(line.size());
    }
  }
  state.SetBytesProcessed(bytes);
}
BENCHMARK(BM_FoldChineseLines);

// The baseline a fold pass is compared with: reading every byte once.
void BM_CopyBaseline(benchmark::State& state) {
  const std::string& text = Corpus(static_cast<int>(state.range(0)));
  std::string copy;
  for (auto _ : state) {
    copy.assign(text);
    benchmark::DoNotOptimize(copy.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(text.size()));
}
BENCHMARK(BM_CopyBaseline)->ArgName("zh0_en1_mixed2")->Arg(0)->Arg(1)->Arg(2);

}  // namespace
