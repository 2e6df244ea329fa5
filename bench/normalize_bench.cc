// Normaliser throughput on the shared Chinese, English and mixed corpora
// (bench_corpus.h), against a plain copy of the same bytes in the same run.
//
//   BM_Fold          the whole corpus in one call, reused FoldedText
//   BM_FoldTextOnly  the same without the offset map (the engine's first pass)
//   BM_FoldTextOnlyScalar  the same on the scalar pass alone, as on a CPU
//                    without AVX-512 (no FoldBlocks, fold_block.h)
//   BM_FoldExact     the same without noise skipping (terms flagged `exact`)
//   BM_FoldPrompts   one call per 2 KB prompt, as a server folds requests
//   BM_Copy          memcpy of the corpus: the floor any pass is measured on
//   BM_IcuNfkcCasefold  ICU's NFKC_Casefold of the corpus (UTF-8 in and out),
//                    the per-call ICU path the generated table replaces
#include <benchmark/benchmark.h>
#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "bench/bench_corpus.h"
#include "lib/normalize/normalizer.h"

namespace menshen::bench {
namespace {

using internal::Fold;
using internal::FoldedText;
using internal::FoldOptions;

constexpr size_t kPromptBytes = 2048;

const std::string* CorpusOrSkip(benchmark::State& state, CorpusKind kind) {
  std::string error;
  const std::string& text = Corpus(kind, &error);
  if (text.empty()) {
    state.SkipWithError(("no corpus: " + error).c_str());
    return nullptr;
  }
  return &text;
}

void FoldCorpus(benchmark::State& state, CorpusKind kind, bool skip_noise,
                bool offsets = true, bool vector_blocks = true) {
  const std::string* text = CorpusOrSkip(state, kind);
  if (text == nullptr) return;
  FoldOptions options;
  options.skip_noise = skip_noise;
  options.offsets = offsets;
  options.vector = vector_blocks ? internal::FoldVector::kBest : internal::FoldVector::kNone;
  FoldedText out;
  for (auto _ : state) {
    Fold(*text, options, &out);
    benchmark::DoNotOptimize(out.text.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(text->size()));
  state.counters["expansion"] =
      static_cast<double>(out.text.size()) / static_cast<double>(text->size());
}

void BM_Fold(benchmark::State& state, CorpusKind kind) {
  FoldCorpus(state, kind, /*skip_noise=*/true);
}

void BM_FoldTextOnly(benchmark::State& state, CorpusKind kind) {
  FoldCorpus(state, kind, /*skip_noise=*/true, /*offsets=*/false);
}

void BM_FoldTextOnlyScalar(benchmark::State& state, CorpusKind kind) {
  FoldCorpus(state, kind, /*skip_noise=*/true, /*offsets=*/false, /*vector_blocks=*/false);
}

void BM_FoldExact(benchmark::State& state, CorpusKind kind) {
  FoldCorpus(state, kind, /*skip_noise=*/false);
}

void BM_FoldPrompts(benchmark::State& state, CorpusKind kind) {
  const std::string* text = CorpusOrSkip(state, kind);
  if (text == nullptr) return;
  const std::vector<std::string_view> prompts =
      SplitPrompts(*text, kPromptBytes);
  const FoldOptions options;
  FoldedText out;
  for (auto _ : state) {
    for (std::string_view prompt : prompts) {
      Fold(prompt, options, &out);
      benchmark::DoNotOptimize(out.text.data());
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(text->size()));
}

void BM_Copy(benchmark::State& state, CorpusKind kind) {
  const std::string* text = CorpusOrSkip(state, kind);
  if (text == nullptr) return;
  std::string copy(text->size(), '\0');
  for (auto _ : state) {
    std::memcpy(copy.data(), text->data(), text->size());
    benchmark::DoNotOptimize(copy.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(text->size()));
}

void BM_IcuNfkcCasefold(benchmark::State& state, CorpusKind kind) {
  const std::string* text = CorpusOrSkip(state, kind);
  if (text == nullptr) return;
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc_cf =
      icu::Normalizer2::getNFKCCasefoldInstance(status);
  if (U_FAILURE(status)) {
    state.SkipWithError("no NFKC_Casefold instance");
    return;
  }
  std::string out;
  for (auto _ : state) {
    icu::UnicodeString folded =
        nfkc_cf->normalize(icu::UnicodeString::fromUTF8(*text), status);
    out.clear();
    folded.toUTF8String(out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(text->size()));
}

BENCHMARK_CAPTURE(BM_Fold, zh, CorpusKind::kZh);
BENCHMARK_CAPTURE(BM_Fold, en, CorpusKind::kEn);
BENCHMARK_CAPTURE(BM_Fold, mixed, CorpusKind::kMixed);
BENCHMARK_CAPTURE(BM_FoldTextOnly, zh, CorpusKind::kZh);
BENCHMARK_CAPTURE(BM_FoldTextOnly, en, CorpusKind::kEn);
BENCHMARK_CAPTURE(BM_FoldTextOnly, mixed, CorpusKind::kMixed);
BENCHMARK_CAPTURE(BM_FoldTextOnlyScalar, zh, CorpusKind::kZh);
BENCHMARK_CAPTURE(BM_FoldTextOnlyScalar, en, CorpusKind::kEn);
BENCHMARK_CAPTURE(BM_FoldTextOnlyScalar, mixed, CorpusKind::kMixed);
BENCHMARK_CAPTURE(BM_FoldExact, zh, CorpusKind::kZh);
BENCHMARK_CAPTURE(BM_FoldExact, en, CorpusKind::kEn);
BENCHMARK_CAPTURE(BM_FoldExact, mixed, CorpusKind::kMixed);
BENCHMARK_CAPTURE(BM_FoldPrompts, zh, CorpusKind::kZh);
BENCHMARK_CAPTURE(BM_FoldPrompts, en, CorpusKind::kEn);
BENCHMARK_CAPTURE(BM_FoldPrompts, mixed, CorpusKind::kMixed);
BENCHMARK_CAPTURE(BM_Copy, zh, CorpusKind::kZh);
BENCHMARK_CAPTURE(BM_Copy, en, CorpusKind::kEn);
BENCHMARK_CAPTURE(BM_Copy, mixed, CorpusKind::kMixed);
BENCHMARK_CAPTURE(BM_IcuNfkcCasefold, zh, CorpusKind::kZh);
BENCHMARK_CAPTURE(BM_IcuNfkcCasefold, en, CorpusKind::kEn);

}  // namespace
}  // namespace menshen::bench
