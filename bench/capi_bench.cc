// Per-call overhead of the C ABI over the C++ API, on a 200-byte prompt with
// the embedded default packs and the default policy, in the same process.
//
//   BM_CheckCpp/hit:H       Engine::Check into a reused Decision
//   BM_CheckC/hit:H         menshen_check into a reused menshen_result
//   BM_CheckCRead/hit:H     menshen_check, then menshen_result_get and every
//                           menshen_result_hit / _pack (what the Python
//                           binding does per call)
//
// hit:0 is a prompt without a hit (ALLOW, the common case); hit:1 has one
// (FLAG, with a masked copy). The C calls go through the same engine snapshot
// the C++ calls use, so the difference is the shim: argument checks, the
// snapshot look-up (a mutex and a shared_ptr copy), the thread-local call
// context for the audit hook, and reading the result out.
// bench/python_bench.py measures the Python layer on the same prompts.
#include <benchmark/benchmark.h>

#include <string>

#include "capi/menshen.h"
#include "menshen/engine.h"

namespace menshen::bench {
namespace {

// 200 bytes: a Chinese request with an English tail, padded with ASCII.
std::string Prompt(bool hit) {
  std::string text = hit ? "请帮我看看这句话是什么意思：你这个傻逼。Then explain it politely, please."
                         : "请帮我写一首关于秋天的短诗，要求押韵，描写落叶和夕阳。Keep it under eight lines.";
  while (text.size() < 200) text += " ok";
  text.resize(200);
  return text;
}

void BM_CheckCpp(benchmark::State& state) {
  absl::StatusOr<std::vector<std::shared_ptr<const Pack>>> packs = Pack::Defaults();
  absl::StatusOr<std::shared_ptr<const Engine>> engine =
      packs.ok() ? Engine::Create(*packs) : packs.status();
  if (!engine.ok()) {
    state.SkipWithError(std::string(engine.status().message()).c_str());
    return;
  }
  const std::string text = Prompt(state.range(0) != 0);
  Decision decision;
  CheckRequest request;
  for (auto _ : state) {
    absl::Status s = (*engine)->Check(text, request, &decision);
    benchmark::DoNotOptimize(s);
  }
  state.counters["action"] = static_cast<double>(decision.action);
}
BENCHMARK(BM_CheckCpp)->ArgName("hit")->Arg(0)->Arg(1);

template <bool kRead>
void CheckC(benchmark::State& state) {
  menshen_engine_options options = MENSHEN_ENGINE_OPTIONS_INIT;
  menshen_engine* engine = nullptr;
  menshen_result* result = nullptr;
  if (menshen_engine_open(&options, &engine) != MENSHEN_OK ||
      menshen_result_create(&result) != MENSHEN_OK) {
    state.SkipWithError(menshen_last_error());
    menshen_engine_close(engine);
    return;
  }
  const std::string text = Prompt(state.range(0) != 0);
  menshen_decision d = MENSHEN_DECISION_INIT;
  menshen_hit hit = MENSHEN_HIT_INIT;
  menshen_pack_version pack = MENSHEN_PACK_VERSION_INIT;
  for (auto _ : state) {
    menshen_status s = menshen_check(engine, text.data(), text.size(), nullptr, result);
    benchmark::DoNotOptimize(s);
    if (kRead) {
      menshen_result_get(result, &d);
      for (size_t i = 0; i < d.hit_count; ++i) menshen_result_hit(result, i, &hit);
      for (size_t i = 0; i < d.pack_count; ++i) menshen_result_pack(result, i, &pack);
      benchmark::DoNotOptimize(hit);
      benchmark::DoNotOptimize(pack);
    }
  }
  menshen_result_get(result, &d);
  state.counters["action"] = static_cast<double>(d.action);
  menshen_result_free(result);
  menshen_engine_close(engine);
}

void BM_CheckC(benchmark::State& state) { CheckC<false>(state); }
void BM_CheckCRead(benchmark::State& state) { CheckC<true>(state); }
BENCHMARK(BM_CheckC)->ArgName("hit")->Arg(0)->Arg(1);
BENCHMARK(BM_CheckCRead)->ArgName("hit")->Arg(0)->Arg(1);

}  // namespace
}  // namespace menshen::bench
