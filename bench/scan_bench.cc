// Scanning throughput: the engine end to end against raw Hyperscan.
//
// At start a 10k-term pack source folder is written to a temp dir (terms from
// $MENSHEN_SHARED/lexicons/houbb_sensitive_word_dict_v20240407.txt, see
// bench_corpus.h), compiled with Pack::Load and wrapped in an Engine. The
// baseline compiles the same terms, unfolded, with hs_compile_lit_multi and
// scans raw bytes with hs_scan and a counting callback.
//
// Ratio counters (each measured in the same benchmark run, right after the
// timed loop, for the same number of iterations, in thread CPU time, so
// machine noise hits both sides alike):
//   vs_raw     engine-or-fold throughput / raw hs_scan throughput of the same
//              bytes (issue 3 target: >= 0.5 for EngineCheck/zh)
//   lat_x_raw  engine latency / raw hs_scan latency for one 2 KB prompt
#include <benchmark/benchmark.h>
#include <hs/hs.h>
#include <stdlib.h>
#include <time.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bench/bench_corpus.h"
#include "lib/pack/loader.h"
#include "lib/normalize/normalizer.h"
#include "menshen/audit.h"
#include "menshen/decision.h"
#include "menshen/engine.h"
#include "menshen/pack.h"

namespace menshen::bench {
namespace {

constexpr size_t kTermCount = 10000;
constexpr size_t kPromptBytes = 2048;

// This thread's CPU time: on a shared machine it leaves out the time the
// thread waits for a core, which wall time would charge to whichever side of
// a ratio happened to be descheduled.
struct Clock {
  using time_point = double;
  static double now() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
  }
};

double SecondsSince(Clock::time_point start) { return Clock::now() - start; }

struct HsDbDeleter {
  void operator()(hs_database_t* db) const { hs_free_database(db); }
};
struct HsScratchDeleter {
  void operator()(hs_scratch_t* s) const { hs_free_scratch(s); }
};

// Everything the suites share; built once, on first use.
struct Setup {
  std::string error;  // non-empty: every benchmark skips with it
  std::shared_ptr<const Engine> engine;
  size_t pack_literals = 0;
  std::unique_ptr<hs_database_t, HsDbDeleter> raw_db;
  std::unique_ptr<hs_scratch_t, HsScratchDeleter> raw_scratch;
};

bool WriteFile(const std::filesystem::path& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  return static_cast<bool>(out);
}

void BuildEngine(const std::vector<std::string>& terms, Setup* s) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "menshen-bench-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) {
    s->error = "mkdtemp failed for " + tmpl;
    return;
  }
  const std::filesystem::path dir(tmpl);
  std::string tsv;
  for (const std::string& t : terms) tsv.append(t).push_back('\n');
  const bool written =
      WriteFile(dir / "pack.textproto",
                "name: \"bench10k\" version: \"1.0.0\" license: \"CC0-1.0\"\n"
                "term_files { path: \"terms.tsv\" default_category: \"A1.8\" "
                "default_severity: 2 }\n") &&
      WriteFile(dir / "terms.tsv", tsv);
  absl::StatusOr<std::shared_ptr<const Pack>> pack =
      written ? Pack::Load(dir.string()) : absl::InternalError("cannot write " + tmpl);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (!pack.ok()) {
    s->error = "Pack::Load: " + std::string(pack.status().message());
    return;
  }
  s->pack_literals = (*pack)->info().literal_count;
  absl::StatusOr<std::shared_ptr<const Engine>> engine = Engine::Create({*pack});
  if (!engine.ok()) {
    s->error = "Engine::Create: " + std::string(engine.status().message());
    return;
  }
  s->engine = *std::move(engine);
}

void BuildRaw(const std::vector<std::string>& terms, Setup* s) {
  std::vector<const char*> patterns;
  std::vector<size_t> lengths;
  std::vector<unsigned> flags(terms.size(), 0);
  std::vector<unsigned> ids;
  for (size_t i = 0; i < terms.size(); ++i) {
    patterns.push_back(terms[i].data());
    lengths.push_back(terms[i].size());
    ids.push_back(static_cast<unsigned>(i));
  }
  hs_database_t* db = nullptr;
  hs_compile_error_t* err = nullptr;
  if (hs_compile_lit_multi(patterns.data(), flags.data(), ids.data(), lengths.data(),
                           static_cast<unsigned>(terms.size()), HS_MODE_BLOCK, nullptr, &db,
                           &err) != HS_SUCCESS) {
    s->error = std::string("hs_compile_lit_multi: ") +
               (err != nullptr && err->message != nullptr ? err->message : "failed");
    hs_free_compile_error(err);
    return;
  }
  s->raw_db.reset(db);
  hs_scratch_t* scratch = nullptr;
  if (hs_alloc_scratch(db, &scratch) != HS_SUCCESS) {
    s->error = "hs_alloc_scratch failed";
    return;
  }
  s->raw_scratch.reset(scratch);
}

const Setup& GetSetup() {
  static const Setup* setup = [] {
    auto* s = new Setup;
    std::vector<std::string> terms = DictionaryTerms(kTermCount, &s->error);
    if (!s->error.empty()) return s;
    BuildRaw(terms, s);
    if (s->error.empty()) BuildEngine(terms, s);
    if (!s->error.empty()) std::fprintf(stderr, "scan_bench setup: %s\n", s->error.c_str());
    return s;
  }();
  return *setup;
}

int CountMatch(unsigned, unsigned long long, unsigned long long, unsigned, void* ctx) {
  ++*static_cast<size_t*>(ctx);
  return 0;
}

// Raw hs_scan of `text`; returns the number of matches.
size_t RawScan(const Setup& s, std::string_view text) {
  size_t matches = 0;
  hs_scan(s.raw_db.get(), text.data(), static_cast<unsigned>(text.size()), 0,
          s.raw_scratch.get(), CountMatch, &matches);
  return matches;
}

// Wall seconds for `iterations` raw scans of every piece of `pieces`.
double TimeRaw(const Setup& s, const std::vector<std::string_view>& pieces,
               int64_t iterations) {
  const Clock::time_point start = Clock::now();
  size_t sink = 0;
  for (int64_t i = 0; i < iterations; ++i) {
    for (std::string_view p : pieces) sink += RawScan(s, p);
  }
  benchmark::DoNotOptimize(sink);
  return SecondsSince(start);
}

// The setup and the corpus, or nullptr after skipping the benchmark.
const Setup* Prepare(benchmark::State& state, CorpusKind kind, const std::string** text) {
  const Setup& s = GetSetup();
  std::string error = s.error;
  if (error.empty()) *text = &Corpus(kind, &error);
  if (!error.empty()) {
    state.SkipWithError(error.c_str());
    return nullptr;
  }
  return &s;
}

void SetBytes(benchmark::State& state, size_t bytes_per_iteration) {
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes_per_iteration));
}

// Baseline: hs_scan of the raw corpus bytes against the raw 10k database.
void BM_RawHyperscan(benchmark::State& state, CorpusKind kind) {
  const std::string* text = nullptr;
  const Setup* s = Prepare(state, kind, &text);
  if (s == nullptr) return;
  size_t matches = 0;
  for (auto _ : state) {
    matches = RawScan(*s, *text);
    benchmark::DoNotOptimize(matches);
  }
  SetBytes(state, text->size());
  state.counters["matches"] = static_cast<double>(matches);
}

// Seconds for `iterations` passes of `engine` over every prompt.
double TimeChecks(const Engine& engine, const std::vector<std::string_view>& prompts,
                  int64_t iterations) {
  Decision decision;
  const Clock::time_point start = Clock::now();
  for (int64_t i = 0; i < iterations; ++i) {
    for (std::string_view p : prompts) (void)engine.Check(p, Direction::kInput, &decision);
  }
  return SecondsSince(start);
}

// The audit hook with the JSON-lines sink (blocking queue, a temp file): the
// same 2 KB prompts as BM_EngineCheckPrompts through an engine that audits
// every decision. vs_unaudited = time without the hook / time with it, the
// unaudited pass run right after for as many iterations. The writer thread
// runs on the second core; its CPU time is not in the ratio, its stalls are.
void BM_EngineCheckPromptsAudited(benchmark::State& state, CorpusKind kind) {
  const std::string* text = nullptr;
  const Setup* s = Prepare(state, kind, &text);
  if (s == nullptr) return;
  const std::vector<std::string_view> prompts = SplitPrompts(*text, kPromptBytes);
  const std::string path =
      (std::filesystem::temp_directory_path() / "menshen-bench-audit.jsonl").string();
  std::filesystem::remove(path);
  JsonlAuditSink::Options sink_options;
  sink_options.path = path;
  absl::StatusOr<std::unique_ptr<JsonlAuditSink>> sink = JsonlAuditSink::Open(sink_options);
  if (!sink.ok()) {
    state.SkipWithError(std::string(sink.status().message()).c_str());
    return;
  }
  EngineOptions options;
  options.audit_hook = (*sink)->Hook();
  absl::StatusOr<std::shared_ptr<const Engine>> audited = Engine::Create(s->engine->packs(), options);
  if (!audited.ok()) {
    state.SkipWithError(std::string(audited.status().message()).c_str());
    return;
  }
  const Clock::time_point start = Clock::now();
  for (auto _ : state) {
    benchmark::DoNotOptimize(TimeChecks(**audited, prompts, 1));
  }
  (void)(*sink)->Flush();
  const double audited_s = SecondsSince(start);
  const double plain_s = TimeChecks(*s->engine, prompts, state.iterations());
  (void)(*sink)->Close();
  state.counters["records"] = static_cast<double>((*sink)->counters().written);
  std::filesystem::remove(path);
  SetBytes(state, text->size());
  state.counters["vs_unaudited"] = plain_s / audited_s;
}

// Where the scan cost comes from: the raw database over the folded text, and
// the pack's (folded-term) database over the raw and the folded text.
void ScanWith(benchmark::State& state, CorpusKind kind, bool pack_db, bool folded) {
  const std::string* text = nullptr;
  const Setup* s = Prepare(state, kind, &text);
  if (s == nullptr) return;
  internal::FoldedText f;
  internal::Fold(*text, internal::FoldOptions{}, &f);
  const std::string_view input = folded ? std::string_view(f.text) : std::string_view(*text);
  const hs_database_t* db =
      pack_db ? s->engine->packs()[0]->loaded().literals.get() : s->raw_db.get();
  hs_scratch_t* scratch = nullptr;
  hs_alloc_scratch(db, &scratch);
  size_t matches = 0;
  for (auto _ : state) {
    matches = 0;
    hs_scan(db, input.data(), static_cast<unsigned>(input.size()), 0, scratch, CountMatch,
            &matches);
    benchmark::DoNotOptimize(matches);
  }
  hs_free_scratch(scratch);
  SetBytes(state, text->size());
  state.counters["matches"] = static_cast<double>(matches);
}
void BM_RawDbFoldedText(benchmark::State& state, CorpusKind kind) {
  ScanWith(state, kind, false, true);
}
void BM_PackDbRawText(benchmark::State& state, CorpusKind kind) {
  ScanWith(state, kind, true, false);
}
void BM_PackDbFoldedText(benchmark::State& state, CorpusKind kind) {
  ScanWith(state, kind, true, true);
}

// End to end: one Engine::Check of the whole ~1 MiB corpus, reused Decision.
void BM_EngineCheck(benchmark::State& state, CorpusKind kind) {
  const std::string* text = nullptr;
  const Setup* s = Prepare(state, kind, &text);
  if (s == nullptr) return;
  Decision decision;
  const Clock::time_point start = Clock::now();
  for (auto _ : state) {
    absl::Status status = s->engine->Check(*text, Direction::kInput, &decision);
    if (!status.ok()) {
      state.SkipWithError(std::string(status.message()).c_str());
      return;
    }
    benchmark::DoNotOptimize(decision.masked.data());
  }
  const double engine_s = SecondsSince(start);
  const double raw_s = TimeRaw(*s, {*text}, state.iterations());
  SetBytes(state, text->size());
  state.counters["hits"] = static_cast<double>(decision.hits.size());
  state.counters["vs_raw"] = raw_s / engine_s;
  state.SetLabel("entries=" + std::to_string(s->pack_literals));
}

// End to end over the corpus cut into 2 KB prompts, one Check per prompt.
void BM_EngineCheckPrompts(benchmark::State& state, CorpusKind kind) {
  const std::string* text = nullptr;
  const Setup* s = Prepare(state, kind, &text);
  if (s == nullptr) return;
  const std::vector<std::string_view> prompts = SplitPrompts(*text, kPromptBytes);
  Decision decision;
  size_t hits = 0;
  const Clock::time_point start = Clock::now();
  for (auto _ : state) {
    hits = 0;
    for (std::string_view p : prompts) {
      absl::Status status = s->engine->Check(p, Direction::kInput, &decision);
      if (!status.ok()) {
        state.SkipWithError(std::string(status.message()).c_str());
        return;
      }
      hits += decision.hits.size();
    }
    benchmark::DoNotOptimize(hits);
  }
  const double engine_s = SecondsSince(start);
  const double raw_s = TimeRaw(*s, prompts, state.iterations());
  SetBytes(state, text->size());
  state.counters["prompts"] = static_cast<double>(prompts.size());
  state.counters["hits"] = static_cast<double>(hits);
  state.counters["vs_raw"] = raw_s / engine_s;
}

// The fold alone, whole corpus, reused FoldedText.
void BM_Normalize(benchmark::State& state, CorpusKind kind) {
  const std::string* text = nullptr;
  const Setup* s = Prepare(state, kind, &text);
  if (s == nullptr) return;
  internal::FoldedText folded;
  const internal::FoldOptions options;
  const Clock::time_point start = Clock::now();
  for (auto _ : state) {
    internal::Fold(*text, options, &folded);
    benchmark::DoNotOptimize(folded.text.data());
  }
  const double fold_s = SecondsSince(start);
  const double raw_s = TimeRaw(*s, {*text}, state.iterations());
  SetBytes(state, text->size());
  state.counters["expansion"] =
      static_cast<double>(folded.text.size()) / static_cast<double>(text->size());
  state.counters["vs_raw"] = raw_s / fold_s;
}

// The first 2 KB (code point boundary) of the Chinese corpus.
std::string_view ChinesePrompt(const std::string& zh) {
  return SplitPrompts(zh, kPromptBytes).front();
}

// Per-call latency of one 2 KB Chinese prompt through Engine::Check.
void BM_Prompt2KB(benchmark::State& state) {
  const std::string* text = nullptr;
  const Setup* s = Prepare(state, CorpusKind::kZh, &text);
  if (s == nullptr) return;
  const std::string_view prompt = ChinesePrompt(*text);
  Decision decision;
  const Clock::time_point start = Clock::now();
  for (auto _ : state) {
    absl::Status status = s->engine->Check(prompt, Direction::kInput, &decision);
    if (!status.ok()) {
      state.SkipWithError(std::string(status.message()).c_str());
      return;
    }
    benchmark::DoNotOptimize(decision.masked.data());
  }
  const double engine_s = SecondsSince(start);
  const double raw_s = TimeRaw(*s, {prompt}, state.iterations());
  SetBytes(state, prompt.size());
  state.counters["bytes"] = static_cast<double>(prompt.size());
  state.counters["hits"] = static_cast<double>(decision.hits.size());
  state.counters["lat_x_raw"] = engine_s / raw_s;
}

// The baseline of BM_Prompt2KB: hs_scan of the same 2 KB.
void BM_RawPrompt2KB(benchmark::State& state) {
  const std::string* text = nullptr;
  const Setup* s = Prepare(state, CorpusKind::kZh, &text);
  if (s == nullptr) return;
  const std::string_view prompt = ChinesePrompt(*text);
  size_t matches = 0;
  for (auto _ : state) {
    matches = RawScan(*s, prompt);
    benchmark::DoNotOptimize(matches);
  }
  SetBytes(state, prompt.size());
  state.counters["matches"] = static_cast<double>(matches);
}

BENCHMARK_CAPTURE(BM_RawHyperscan, zh, CorpusKind::kZh);
BENCHMARK_CAPTURE(BM_RawHyperscan, en, CorpusKind::kEn);
BENCHMARK_CAPTURE(BM_RawHyperscan, mixed, CorpusKind::kMixed);
BENCHMARK_CAPTURE(BM_EngineCheck, zh, CorpusKind::kZh);
BENCHMARK_CAPTURE(BM_EngineCheck, en, CorpusKind::kEn);
BENCHMARK_CAPTURE(BM_EngineCheck, mixed, CorpusKind::kMixed);
BENCHMARK_CAPTURE(BM_EngineCheckPrompts, zh, CorpusKind::kZh);
BENCHMARK_CAPTURE(BM_EngineCheckPrompts, en, CorpusKind::kEn);
BENCHMARK_CAPTURE(BM_EngineCheckPrompts, mixed, CorpusKind::kMixed);
BENCHMARK_CAPTURE(BM_Normalize, zh, CorpusKind::kZh);
BENCHMARK_CAPTURE(BM_Normalize, en, CorpusKind::kEn);
BENCHMARK_CAPTURE(BM_Normalize, mixed, CorpusKind::kMixed);
BENCHMARK_CAPTURE(BM_RawDbFoldedText, zh, CorpusKind::kZh);
BENCHMARK_CAPTURE(BM_PackDbRawText, zh, CorpusKind::kZh);
BENCHMARK_CAPTURE(BM_PackDbFoldedText, zh, CorpusKind::kZh);
BENCHMARK_CAPTURE(BM_EngineCheckPromptsAudited, zh, CorpusKind::kZh);
BENCHMARK(BM_Prompt2KB);
BENCHMARK(BM_RawPrompt2KB);

}  // namespace
}  // namespace menshen::bench
