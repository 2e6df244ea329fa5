// Checks per second while the engine reloads without pause (issue 18), through
// the C ABI as a server uses it: worker threads run a mix of nine block
// checks of 200-byte prompts to one streamed 2 KB completion (16-byte
// chunks), on the embedded default packs; in alternate phases the main
// thread calls menshen_engine_reload with the same options back to back.
//
// Counters (wall clock, each phase 1.5 s, steady and reloading phases
// alternated three times so that machine noise hits both):
//   steady_ops_s   operations (a check or a whole stream) per second, no reload
//   reload_ops_s   the same while reloading
//   ratio          reload_ops_s / steady_ops_s (issue 18 target: >= 0.8)
//   reloads        reloads done per reloading phase
//   max_ms_steady  the slowest single operation, steady
//   max_ms_reload  the slowest single operation while reloading (a stream
//                  that had to wait for its databases shows here)
// With one worker on a two-core machine the reload has a core of its own;
// with more workers than spare cores, the reload's compile competes with them
// for CPU, which no design avoids.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "capi/menshen.h"

namespace menshen::bench {
namespace {

using Clock = std::chrono::steady_clock;

std::string Prompt(int i) {
  std::string text = (i % 3 == 0) ? "请帮我写一首关于秋天的短诗，要求押韵，描写落叶和夕阳。"
                     : (i % 3 == 1) ? "Summarise the report below in three bullet points, please. "
                                    : "联系电话13912345678，这句话是什么意思？Explain it politely.";
  while (text.size() < 200) text += " ok";
  text.resize(200);
  return text;
}

std::string Completion() {
  std::string text;
  for (int i = 0; text.size() < 2048; ++i) {
    text += (i % 2 == 0) ? "首先，我们需要了解基本的概念和原理，然后再一步一步地分析。"
                         : "In short, the results are encouraging and worth a second look. ";
  }
  text.resize(2048);
  return text;
}

struct PhaseResult {
  double ops_per_second = 0;
  double max_ms = 0;
  int reloads = 0;
};

PhaseResult RunPhase(menshen_engine* engine, const menshen_engine_options& options, int workers,
                     bool reload, double seconds) {
  std::atomic<bool> stop{false};
  std::atomic<long> ops{0};
  std::vector<double> slowest(static_cast<size_t>(workers), 0);
  const std::string completion = Completion();
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      menshen_result* result = nullptr;
      menshen_result_create(&result);
      menshen_check_options output = MENSHEN_CHECK_OPTIONS_INIT;
      output.direction = MENSHEN_OUTPUT;
      std::vector<std::string> prompts;
      for (int i = 0; i < 9; ++i) prompts.push_back(Prompt(i + w));
      long done = 0;
      for (int k = 0; !stop.load(std::memory_order_relaxed); ++k) {
        const Clock::time_point start = Clock::now();
        if (k % 10 == 9) {
          menshen_stream* stream = nullptr;
          if (menshen_stream_open(engine, &output, &stream) == MENSHEN_OK) {
            const char* released;
            size_t len;
            for (size_t pos = 0; pos < completion.size(); pos += 16) {
              menshen_stream_feed(stream, completion.data() + pos,
                                  std::min<size_t>(16, completion.size() - pos), &released, &len);
            }
            menshen_stream_finish(stream, &released, &len);
            menshen_stream_close(stream);
          }
        } else {
          const std::string& p = prompts[static_cast<size_t>(k % 10)];
          menshen_check(engine, p.data(), p.size(), nullptr, result);
        }
        const double ms =
            std::chrono::duration<double, std::milli>(Clock::now() - start).count();
        slowest[static_cast<size_t>(w)] = std::max(slowest[static_cast<size_t>(w)], ms);
        ++done;
      }
      ops.fetch_add(done);
      menshen_result_free(result);
    });
  }
  PhaseResult out;
  const Clock::time_point start = Clock::now();
  const Clock::time_point end = start + std::chrono::duration_cast<Clock::duration>(
                                            std::chrono::duration<double>(seconds));
  while (Clock::now() < end) {
    if (reload) {
      if (menshen_engine_reload(engine, &options) == MENSHEN_OK) ++out.reloads;
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  stop = true;
  for (std::thread& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  out.ops_per_second = static_cast<double>(ops.load()) / elapsed;
  out.max_ms = *std::max_element(slowest.begin(), slowest.end());
  return out;
}

void BM_ChecksDuringReloads(benchmark::State& state) {
  const int workers = static_cast<int>(state.range(0));
  menshen_engine_options options = MENSHEN_ENGINE_OPTIONS_INIT;  // the embedded packs
  menshen_engine* engine = nullptr;
  if (menshen_engine_open(&options, &engine) != MENSHEN_OK) {
    state.SkipWithError(menshen_last_error());
    return;
  }
  RunPhase(engine, options, workers, false, 0.3);  // warm the pools
  double steady = 0, reloading = 0, max_steady = 0, max_reload = 0;
  int reloads = 0, phases = 0;
  for (auto _ : state) {
    for (int round = 0; round < 3; ++round) {
      const PhaseResult a = RunPhase(engine, options, workers, false, 1.5);
      const PhaseResult b = RunPhase(engine, options, workers, true, 1.5);
      steady += a.ops_per_second;
      reloading += b.ops_per_second;
      max_steady = std::max(max_steady, a.max_ms);
      max_reload = std::max(max_reload, b.max_ms);
      reloads += b.reloads;
      ++phases;
    }
  }
  menshen_engine_close(engine);
  state.counters["steady_ops_s"] = steady / phases;
  state.counters["reload_ops_s"] = reloading / phases;
  state.counters["ratio"] = steady > 0 ? reloading / steady : 0;
  state.counters["reloads"] = static_cast<double>(reloads) / phases;
  state.counters["max_ms_steady"] = max_steady;
  state.counters["max_ms_reload"] = max_reload;
}
BENCHMARK(BM_ChecksDuringReloads)
    ->Arg(1)
    ->Arg(2)
    ->ArgName("workers")
    ->Iterations(1)
    ->Unit(benchmark::kSecond)
    ->UseRealTime();

}  // namespace
}  // namespace menshen::bench
