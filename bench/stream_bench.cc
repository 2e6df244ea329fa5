// Streaming cost (issue 5): a completion fed 16 bytes at a time (about one
// token) against block mode checking the same text at once, with the
// default packs compiled into the library.
//
// Each benchmark takes 2 KB completions from the corpus (bench_corpus.h) and,
// per iteration, streams one through a fresh stream (open, 16-byte feeds,
// finish). Right after the timed loop it checks the same completions in
// block mode for the same number of iterations, in thread CPU time, so
// machine noise hits both sides alike. Counters:
//   ns_chunk     stream time per 16-byte chunk (open and finish included)
//   x_block      stream time / block-mode time for the same bytes
//   held_max     most input bytes a stream held back, over the run
//   held_bound   the engine's bound (Engine::stream_holdback_bytes)
//   stream_mem   heap bytes of one open stream at the end of a completion
#include <benchmark/benchmark.h>
#include <time.h>

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bench/bench_corpus.h"
#include "menshen/engine.h"
#include "menshen/pack.h"
#include "menshen/stream.h"

namespace menshen::bench {
namespace {

constexpr size_t kCompletionBytes = 2048;
constexpr size_t kChunkBytes = 16;

double ThreadSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

const std::shared_ptr<const Engine>& DefaultEngine(std::string* error) {
  static std::string build_error;
  static const std::shared_ptr<const Engine> engine = []() -> std::shared_ptr<const Engine> {
    absl::StatusOr<std::vector<std::shared_ptr<const Pack>>> packs = Pack::Defaults();
    if (!packs.ok()) {
      build_error = std::string(packs.status().message());
      return nullptr;
    }
    absl::StatusOr<std::shared_ptr<const Engine>> e = Engine::Create(*std::move(packs));
    if (!e.ok()) {
      build_error = std::string(e.status().message());
      return nullptr;
    }
    return *e;
  }();
  *error = build_error;
  return engine;
}

void BM_StreamCompletion(benchmark::State& state) {
  std::string error;
  const std::shared_ptr<const Engine>& engine = DefaultEngine(&error);
  const std::string& corpus = Corpus(static_cast<CorpusKind>(state.range(0)), &error);
  if (engine == nullptr || corpus.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }
  const std::vector<std::string_view> completions = SplitPrompts(corpus, kCompletionBytes);
  CheckRequest request;
  request.direction = Direction::kOutput;
  std::string released;
  size_t next = 0, bytes = 0, chunks = 0, held_max = 0, memory = 0;
  const double start = ThreadSeconds();
  for (auto _ : state) {
    const std::string_view text = completions[next++ % completions.size()];
    absl::StatusOr<Stream> stream = engine->OpenStream(request);
    if (!stream.ok()) {
      state.SkipWithError(std::string(stream.status().message()).c_str());
      return;
    }
    released.clear();
    for (size_t pos = 0; pos < text.size(); pos += kChunkBytes) {
      stream->Feed(text.substr(pos, kChunkBytes), &released).IgnoreError();
      ++chunks;
    }
    memory = std::max(memory, stream->memory_bytes());
    stream->Finish(&released).IgnoreError();
    held_max = std::max(held_max, stream->max_held_bytes());
    bytes += text.size();
    benchmark::DoNotOptimize(released.data());
  }
  const double stream_seconds = ThreadSeconds() - start;

  Decision decision;
  next = 0;
  const double block_start = ThreadSeconds();
  for (int64_t i = 0; i < state.iterations(); ++i) {
    const std::string_view text = completions[next++ % completions.size()];
    engine->Check(text, Direction::kOutput, &decision).IgnoreError();
    benchmark::DoNotOptimize(decision.masked.data());
  }
  const double block_seconds = ThreadSeconds() - block_start;

  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["ns_chunk"] = 1e9 * stream_seconds / static_cast<double>(chunks);
  state.counters["x_block"] = block_seconds > 0 ? stream_seconds / block_seconds : 0;
  state.counters["held_max"] = static_cast<double>(held_max);
  state.counters["held_bound"] = static_cast<double>(engine->stream_holdback_bytes().value_or(0));
  state.counters["stream_mem"] = static_cast<double>(memory);
}
BENCHMARK(BM_StreamCompletion)
    ->Arg(static_cast<int>(CorpusKind::kZh))
    ->Arg(static_cast<int>(CorpusKind::kEn))
    ->Arg(static_cast<int>(CorpusKind::kMixed))
    ->ArgName("corpus");

// Opening a stream from the pool and finishing it at once: the fixed cost a
// server pays per completion.
void BM_StreamOpenFinish(benchmark::State& state) {
  std::string error;
  const std::shared_ptr<const Engine>& engine = DefaultEngine(&error);
  if (engine == nullptr) {
    state.SkipWithError(error.c_str());
    return;
  }
  CheckRequest request;
  request.direction = Direction::kOutput;
  std::string released;
  for (auto _ : state) {
    absl::StatusOr<Stream> stream = engine->OpenStream(request);
    stream->Finish(&released).IgnoreError();
  }
}
BENCHMARK(BM_StreamOpenFinish);

// Forking a stream midway (one guard per branch of a beam search).
void BM_StreamFork(benchmark::State& state) {
  std::string error;
  const std::shared_ptr<const Engine>& engine = DefaultEngine(&error);
  const std::string& corpus = Corpus(CorpusKind::kZh, &error);
  if (engine == nullptr || corpus.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }
  CheckRequest request;
  request.direction = Direction::kOutput;
  absl::StatusOr<Stream> parent = engine->OpenStream(request);
  std::string released;
  parent->Feed(SplitPrompts(corpus, kCompletionBytes)[0], &released).IgnoreError();
  for (auto _ : state) {
    absl::StatusOr<Stream> fork = parent->Fork();
    benchmark::DoNotOptimize(fork.ok());
  }
}
BENCHMARK(BM_StreamFork);

}  // namespace
}  // namespace menshen::bench
