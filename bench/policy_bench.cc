// Policy evaluation: CompiledPolicy::Decide with the embedded default policy
// on a 2 KB Chinese completion, as the engine calls it after a scan.
//
//   BM_PolicyDecide/hits:N/locale:L
//       N hand-made hits (0, 3, 20) spread over the text, output direction,
//       default profile. 0 hits: ALLOW; 3 hits (X1, A4.3, A2.5): MASK; 20 hits
//       (including A1.6 at severity 3): REFUSE with a refusal text.
//       locale:0 passes no locale, so a refusal first counts the text's
//       dominant script (a pass over the whole text); locale:1 passes "zh-CN".
//
// The Decision is reused, as a server loop does, so its strings keep their
// capacity. The cost includes writing the masked copy of the text, which
// every decision carries. The `action` counter is the action decided
// (0 ALLOW .. 4 BLOCK). No data files are needed.
#include <benchmark/benchmark.h>

#include <string>
#include <string_view>
#include <vector>

#include "lib/policy/compiled_policy.h"
#include "menshen/decision.h"
#include "menshen/policy.h"

namespace menshen::bench {
namespace {

constexpr size_t kTextBytes = 2048;

// About 2 KB of Chinese (3 bytes per character), cut on a character boundary.
const std::string& Completion() {
  static const std::string* const kText = [] {
    const std::string_view sentence = "这是一段用于评估策略开销的模型回答，其中包含若干命中。";
    auto* text = new std::string;
    while (text->size() + sentence.size() <= kTextBytes) text->append(sentence);
    while (text->size() + 3 <= kTextBytes) text->append("。");
    return text;
  }();
  return *kText;
}

// `count` hits of two characters each, evenly spread and sorted by start.
std::vector<Hit> MakeHits(size_t count, size_t text_bytes) {
  static constexpr std::string_view kCategories[] = {"X1", "A4.3", "A2.5", "A3.1", "A1.6"};
  static constexpr int kSeverities[] = {2, 2, 1, 1, 3};
  std::vector<Hit> hits;
  const size_t chars = text_bytes / 3;
  for (size_t i = 0; i < count; ++i) {
    Hit h;
    h.category = kCategories[i % 5];
    h.severity = kSeverities[i % 5];
    h.start = (i * chars / count) * 3;
    h.end = h.start + 6;
    hits.push_back(h);
  }
  return hits;
}

void BM_PolicyDecide(benchmark::State& state) {
  const std::shared_ptr<const Policy> policy = Policy::Default();
  if (policy == nullptr) {
    state.SkipWithError("the embedded default policy did not compile");
    return;
  }
  const internal::CompiledPolicy& compiled = policy->compiled();
  const std::string& text = Completion();
  const std::string_view locale = state.range(1) != 0 ? "zh-CN" : "";
  Decision decision;
  decision.hits = MakeHits(static_cast<size_t>(state.range(0)), text.size());
  for (auto _ : state) {
    absl::Status s = compiled.Decide(text, Direction::kOutput, "", locale, &decision);
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(decision.masked.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(text.size()));
  state.counters["action"] = static_cast<double>(decision.action);
}
BENCHMARK(BM_PolicyDecide)->ArgNames({"hits", "locale"})->ArgsProduct({{0, 3, 20}, {0, 1}});

}  // namespace
}  // namespace menshen::bench
