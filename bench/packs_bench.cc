// The scan cost of the default packs (Pack::Defaults()) together, against the
// same engine without the regex packs (issue 7).
//
// Engines, all with the default policy and no audit hook:
//   literal  the default packs that have no regexes: starter, abuse-zh, abuse-en
//   all      every default pack: literal + pii-zh, secrets, prompt-injection
//   +NAME    literal + that one regex pack, to see which one costs what
// Corpora: bench_corpus.h (zh, en, mixed; ~1 MiB each), checked as 2 KB prompts
// (the serving case) and as one 1 MiB document.
//
// Counter x_literal (in each benchmark): after the timed loop, the literal
// engine checks the same texts for the same number of iterations; both sides
// are timed in thread CPU time, and x_literal = this engine's time / the
// literal engine's time (1.0 = free, 2.0 = twice the cost).
#include <benchmark/benchmark.h>
#include <time.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bench/bench_corpus.h"
#include "menshen/decision.h"
#include "menshen/engine.h"
#include "menshen/pack.h"

namespace menshen::bench {
namespace {

constexpr size_t kPromptBytes = 2048;

double ThreadSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

struct Engines {
  std::string error;
  std::shared_ptr<const Engine> literal;
  std::shared_ptr<const Engine> all;
  std::vector<std::pair<std::string, std::shared_ptr<const Engine>>> plus_one;
};

const Engines& GetEngines() {
  static const Engines* engines = [] {
    auto* e = new Engines;
    absl::StatusOr<std::vector<std::shared_ptr<const Pack>>> packs = Pack::Defaults();
    if (!packs.ok()) {
      e->error = std::string(packs.status().message());
      return e;
    }
    std::vector<std::shared_ptr<const Pack>> literal;
    std::vector<std::shared_ptr<const Pack>> regex;
    for (const auto& p : *packs) (p->info().regex_count == 0 ? literal : regex).push_back(p);
    auto make = [&](std::vector<std::shared_ptr<const Pack>> set) -> std::shared_ptr<const Engine> {
      absl::StatusOr<std::shared_ptr<const Engine>> engine = Engine::Create(std::move(set));
      if (!engine.ok()) e->error = std::string(engine.status().message());
      return engine.ok() ? *engine : nullptr;
    };
    e->literal = make(literal);
    e->all = make(*packs);
    for (const auto& p : regex) {
      std::vector<std::shared_ptr<const Pack>> set = literal;
      set.push_back(p);
      e->plus_one.emplace_back(p->info().name, make(std::move(set)));
    }
    return e;
  }();
  return *engines;
}

// Checks every text once; returns the hits and validator rejections seen.
void CheckAll(const Engine& engine, const std::vector<std::string_view>& texts, Decision* d,
              size_t* hits, size_t* rejected, benchmark::State* state) {
  for (std::string_view t : texts) {
    absl::Status s = engine.Check(t, Direction::kOutput, d);
    if (!s.ok() && state != nullptr) state->SkipWithError(std::string(s.message()).c_str());
    *hits += d->hits.size();
    *rejected += d->rejected_by_validators;
  }
}

// `which`: "" for all default packs, else the name of the one regex pack
// added to the literal packs.
void Run(benchmark::State& state, CorpusKind kind, bool prompts, const std::string& which) {
  const Engines& e = GetEngines();
  std::string error = e.error;
  const std::string* corpus = nullptr;
  if (error.empty()) corpus = &Corpus(kind, &error);
  if (!error.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }
  const Engine* engine = e.all.get();
  for (const auto& [name, plus] : e.plus_one) {
    if (name == which) engine = plus.get();
  }
  const std::vector<std::string_view> texts =
      prompts ? SplitPrompts(*corpus, kPromptBytes) : std::vector<std::string_view>{*corpus};
  Decision d;
  size_t hits = 0;
  size_t rejected = 0;
  const double start = ThreadSeconds();
  for (auto _ : state) {
    hits = rejected = 0;
    CheckAll(*engine, texts, &d, &hits, &rejected, &state);
  }
  const double engine_s = ThreadSeconds() - start;
  const double base_start = ThreadSeconds();
  for (int64_t i = 0; i < state.iterations(); ++i) {
    size_t h = 0;
    size_t r = 0;
    CheckAll(*e.literal, texts, &d, &h, &r, nullptr);
  }
  const double literal_s = ThreadSeconds() - base_start;
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(corpus->size()));
  state.counters["hits"] = static_cast<double>(hits);
  state.counters["rejected"] = static_cast<double>(rejected);
  state.counters["x_literal"] = literal_s > 0 ? engine_s / literal_s : 0;
}

void BM_LiteralPacks(benchmark::State& state, CorpusKind kind, bool prompts) {
  // The baseline itself, for its MiB/s (its x_literal is 1 by construction).
  const Engines& e = GetEngines();
  std::string error = e.error;
  const std::string* corpus = nullptr;
  if (error.empty()) corpus = &Corpus(kind, &error);
  if (!error.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }
  const std::vector<std::string_view> texts =
      prompts ? SplitPrompts(*corpus, kPromptBytes) : std::vector<std::string_view>{*corpus};
  Decision d;
  size_t hits = 0;
  size_t rejected = 0;
  for (auto _ : state) {
    hits = rejected = 0;
    CheckAll(*e.literal, texts, &d, &hits, &rejected, &state);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(corpus->size()));
  state.counters["hits"] = static_cast<double>(hits);
}

void BM_DefaultPacks(benchmark::State& state, CorpusKind kind, bool prompts) {
  Run(state, kind, prompts, "");
}
void BM_LiteralPlus(benchmark::State& state, CorpusKind kind, const std::string& pack) {
  Run(state, kind, /*prompts=*/true, pack);
}

BENCHMARK_CAPTURE(BM_LiteralPacks, zh_prompts, CorpusKind::kZh, true);
BENCHMARK_CAPTURE(BM_LiteralPacks, en_prompts, CorpusKind::kEn, true);
BENCHMARK_CAPTURE(BM_LiteralPacks, mixed_prompts, CorpusKind::kMixed, true);
BENCHMARK_CAPTURE(BM_LiteralPacks, zh_doc, CorpusKind::kZh, false);
BENCHMARK_CAPTURE(BM_LiteralPacks, en_doc, CorpusKind::kEn, false);
BENCHMARK_CAPTURE(BM_DefaultPacks, zh_prompts, CorpusKind::kZh, true);
BENCHMARK_CAPTURE(BM_DefaultPacks, en_prompts, CorpusKind::kEn, true);
BENCHMARK_CAPTURE(BM_DefaultPacks, mixed_prompts, CorpusKind::kMixed, true);
BENCHMARK_CAPTURE(BM_DefaultPacks, zh_doc, CorpusKind::kZh, false);
BENCHMARK_CAPTURE(BM_DefaultPacks, en_doc, CorpusKind::kEn, false);
BENCHMARK_CAPTURE(BM_LiteralPlus, zh_pii_zh, CorpusKind::kZh, "pii-zh");
BENCHMARK_CAPTURE(BM_LiteralPlus, zh_secrets, CorpusKind::kZh, "secrets");
BENCHMARK_CAPTURE(BM_LiteralPlus, zh_prompt_injection, CorpusKind::kZh, "prompt-injection");
BENCHMARK_CAPTURE(BM_LiteralPlus, en_pii_zh, CorpusKind::kEn, "pii-zh");
BENCHMARK_CAPTURE(BM_LiteralPlus, en_secrets, CorpusKind::kEn, "secrets");
BENCHMARK_CAPTURE(BM_LiteralPlus, en_prompt_injection, CorpusKind::kEn, "prompt-injection");

}  // namespace
}  // namespace menshen::bench
