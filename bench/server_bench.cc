// Issue 19: speed where it matters to servers, each row beside raw Hyperscan
// on the same terms and the same bytes, measured in the same run.
//
// Workloads (workloads.h): texts zh, en, mixed from Debian's manual pages and
// fortunes; packs 1k, 10k, 65k (the houbb dictionary) and dense (n-grams of
// the text itself, ~100k hits per MiB), all category A1.8 severity 2, plus
// `defaults` (Pack::Defaults(), whatever it holds). The engine has the
// default policy and checks in the input direction into a reused Decision.
// The raw side compiles the same terms, unfolded, with hs_compile_lit_multi
// (HS_MODE_BLOCK) and scans the same bytes with a counting callback; for
// `defaults` it scans the raw bytes with the packs' own databases.
//
//   BM_Block/TEXT/PACK     1 MiB per call; engine and raw alternate block by
//                          block, both in thread CPU time. vs_raw = raw time /
//                          engine time (issue target >= 0.5).
//   BM_Prompts/TEXT/PACK   5,000 windows of 2 KB, one call each, engine and
//                          raw alternating per prompt (steady clock); each
//                          iteration is a pass, a prompt's time is its median
//                          over the passes. p50_x_raw, p99_x_raw: engine
//                          percentile / raw percentile (targets <= 2, <= 3).
//   BM_FirstCall/TEXT/PACK In forked children (medians of five): Pack::FromBytes of the .mspack,
//                          Engine::Create, then the first Check and the median
//                          of five more (same text, reused Decision), for a
//                          1 MiB block and, in another child, a 2 KB prompt.
//                          first_x_warm (target <= 1.2); reload_first_x_warm
//                          the same after an engine of the pack checked the
//                          text and was dropped (a server's reload: warm
//                          heap and Decision); raw_first_x_warm is the same
//                          for hs_deserialize + hs_scan.
//   BM_PackBuild/PACK      BuildPack of the source folder against
//                          hs_compile_lit_multi of the raw terms (thread CPU
//                          time, one run), and the .mspack's size against the
//                          raw database serialised (targets <= 1.3, <= 1.5).
//   BM_Threads/TEXT/PACK   2 KB prompts from 1 and from 2 threads on one
//                          engine, wall time, rounds 1,2,1,2,1,2; scale_2 =
//                          median 2-thread throughput / median 1-thread
//                          (target >= 1.8). raw_scale_2 the same for hs_scan.
//                          load1 is /proc/loadavg at the start.
//   BM_FoldPath/TEXT/PATH  The fold block mode runs (no offsets) forced to
//                          one vector step (none, avx2, avx512w, best),
//                          alternating with the raw 10k scan of the same
//                          block (thread CPU time). x_raw10k = fold time /
//                          raw scan time: what each path leaves of the
//                          engine's budget on a CPU that has only it.
#include <benchmark/benchmark.h>
#include <hs/hs.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bench/bench_corpus.h"
#include "bench/workloads.h"
#include "lib/match/matcher.h"
#include "lib/normalize/normalizer.h"
#include "lib/pack/loader.h"
#include "menshen/decision.h"
#include "menshen/engine.h"
#include "menshen/pack.h"

namespace menshen::bench {
namespace {

constexpr size_t kPromptCount = 5000;
constexpr size_t kPromptBytes = 2048;

double ThreadSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

double WallSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct DbDeleter {
  void operator()(hs_database_t* db) const { hs_free_database(db); }
};
struct ScratchDeleter {
  void operator()(hs_scratch_t* s) const { hs_free_scratch(s); }
};
using DbPtr = std::unique_ptr<hs_database_t, DbDeleter>;
using ScratchPtr = std::unique_ptr<hs_scratch_t, ScratchDeleter>;

int CountMatch(unsigned, unsigned long long, unsigned long long, unsigned, void* ctx) {
  ++*static_cast<size_t*>(ctx);
  return 0;
}

// One pack and its raw counterpart.
struct Workload {
  std::string error;
  std::string mspack;
  std::shared_ptr<const Engine> engine;
  // The raw side: databases scanned one after the other, and a scratch for all.
  std::vector<const hs_database_t*> raw_dbs;
  std::vector<DbPtr> owned_dbs;
  ScratchPtr raw_scratch;
  std::string raw_serialized;  // the raw literal database (not for defaults)
  double build_seconds = 0;
  double hs_compile_seconds = 0;
  size_t terms = 0;

  size_t RawScan(std::string_view text, hs_scratch_t* scratch) const {
    size_t matches = 0;
    for (const hs_database_t* db : raw_dbs) {
      hs_scan(db, text.data(), static_cast<unsigned>(text.size()), 0, scratch, CountMatch,
              &matches);
    }
    return matches;
  }
  size_t RawScan(std::string_view text) const { return RawScan(text, raw_scratch.get()); }
};

bool WriteFile(const std::filesystem::path& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  return static_cast<bool>(out);
}

void BuildFromTerms(const std::vector<std::string>& terms, Workload* w) {
  w->terms = terms.size();
  // Raw: the terms as they are.
  std::vector<const char*> patterns;
  std::vector<size_t> lengths;
  std::vector<unsigned> flags(terms.size(), 0), ids;
  for (size_t i = 0; i < terms.size(); ++i) {
    patterns.push_back(terms[i].data());
    lengths.push_back(terms[i].size());
    ids.push_back(static_cast<unsigned>(i));
  }
  hs_database_t* db = nullptr;
  hs_compile_error_t* err = nullptr;
  double start = ThreadSeconds();
  const hs_error_t rc =
      hs_compile_lit_multi(patterns.data(), flags.data(), ids.data(), lengths.data(),
                           static_cast<unsigned>(terms.size()), HS_MODE_BLOCK, nullptr, &db, &err);
  w->hs_compile_seconds = ThreadSeconds() - start;
  if (rc != HS_SUCCESS) {
    w->error = std::string("hs_compile_lit_multi: ") + (err ? err->message : "failed");
    hs_free_compile_error(err);
    return;
  }
  w->owned_dbs.emplace_back(db);
  w->raw_dbs.push_back(db);
  char* bytes = nullptr;
  size_t length = 0;
  if (hs_serialize_database(db, &bytes, &length) == HS_SUCCESS) {
    w->raw_serialized.assign(bytes, length);
    free(bytes);
  }
  hs_scratch_t* scratch = nullptr;
  hs_alloc_scratch(db, &scratch);
  w->raw_scratch.reset(scratch);

  // The pack: a source folder compiled with BuildPack, loaded from its bytes.
  std::string tmpl = (std::filesystem::temp_directory_path() / "menshen-bench-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) {
    w->error = "mkdtemp failed";
    return;
  }
  const std::filesystem::path dir(tmpl);
  std::string tsv;
  for (const std::string& t : terms) tsv.append(t).push_back('\n');
  const bool written =
      WriteFile(dir / "pack.textproto",
                "name: \"bench\" version: \"1.0.0\" license: \"Apache-2.0\"\n"
                "term_files { path: \"terms.tsv\" default_category: \"A1.8\" "
                "default_severity: 2 }\n") &&
      WriteFile(dir / "terms.tsv", tsv);
  start = ThreadSeconds();
  absl::StatusOr<PackBuildResult> built =
      written ? BuildPack(dir.string()) : absl::InternalError("cannot write " + tmpl);
  w->build_seconds = ThreadSeconds() - start;
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (!built.ok()) {
    w->error = "BuildPack: " + std::string(built.status().message());
    return;
  }
  w->mspack = std::move(built->mspack);
  absl::StatusOr<std::shared_ptr<const Pack>> pack = Pack::FromBytes(w->mspack, "bench");
  if (!pack.ok()) {
    w->error = "Pack::FromBytes: " + std::string(pack.status().message());
    return;
  }
  absl::StatusOr<std::shared_ptr<const Engine>> engine = Engine::Create({*pack});
  if (!engine.ok()) {
    w->error = "Engine::Create: " + std::string(engine.status().message());
    return;
  }
  w->engine = *std::move(engine);
}

void BuildDefaults(Workload* w) {
  absl::StatusOr<std::vector<std::shared_ptr<const Pack>>> packs = Pack::Defaults();
  if (!packs.ok()) {
    w->error = "Pack::Defaults: " + std::string(packs.status().message());
    return;
  }
  std::vector<const internal::LoadedPack*> loaded;
  for (const auto& p : *packs) {
    loaded.push_back(&p->loaded());
    for (const hs_database_t* db : {p->loaded().literals.get(), p->loaded().regexes.get()}) {
      if (db != nullptr) w->raw_dbs.push_back(db);
    }
    w->terms += p->info().literal_count + p->info().regex_count + p->info().allow_count;
  }
  absl::StatusOr<internal::HsScratchPtr> scratch = internal::AllocateScratch(loaded);
  if (!scratch.ok()) {
    w->error = std::string(scratch.status().message());
    return;
  }
  w->raw_scratch.reset(scratch->release());
  absl::StatusOr<std::shared_ptr<const Engine>> engine = Engine::Create(*packs);
  if (!engine.ok()) {
    w->error = "Engine::Create: " + std::string(engine.status().message());
    return;
  }
  w->engine = *std::move(engine);
}

// The workload of pack `pack` for text `kind` (only dense depends on the
// text), built on first use.
const Workload& GetWorkload(const std::string& pack, TextKind kind) {
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<Workload>> cache;
  const std::string key = pack == "dense" ? pack + "/" + kTextNames[int(kind)] : pack;
  std::lock_guard<std::mutex> lock(mu);
  std::unique_ptr<Workload>& slot = cache[key];
  if (slot == nullptr) {
    slot = std::make_unique<Workload>();
    if (pack == "defaults") {
      BuildDefaults(slot.get());
    } else {
      std::vector<std::string> terms;
      if (pack == "dense") {
        terms = DenseNgrams(kind, &slot->error);
      } else {
        const size_t count = pack == "1k" ? 1000 : pack == "10k" ? 10000 : 0;
        terms = HoubbSample(count, &slot->error);
        if (!terms.empty()) slot->error.clear();
      }
      if (slot->error.empty()) BuildFromTerms(terms, slot.get());
    }
    if (!slot->error.empty()) {
      std::fprintf(stderr, "server_bench %s: %s\n", key.c_str(), slot->error.c_str());
    }
  }
  return *slot;
}

// The workload and the text's blocks, or nullptr after skipping.
const Workload* Prepare(benchmark::State& state, TextKind kind, const std::string& pack,
                        const std::vector<std::string>** blocks) {
  std::string error;
  *blocks = &WorkloadBlocks(kind, &error);
  if (!error.empty()) {
    state.SkipWithError(("text: " + error).c_str());
    return nullptr;
  }
  const Workload& w = GetWorkload(pack, kind);
  if (!w.error.empty()) {
    state.SkipWithError(("pack " + pack + ": " + w.error +
                         " (the packs read ../shared/lexicons; set MENSHEN_SHARED)")
                            .c_str());
    return nullptr;
  }
  return &w;
}

void BM_Block(benchmark::State& state, TextKind kind, std::string pack) {
  const std::vector<std::string>* blocks = nullptr;
  const Workload* w = Prepare(state, kind, pack, &blocks);
  if (w == nullptr) return;
  Decision decision;
  double engine_s = 0, raw_s = 0;
  size_t hits = 0, matches = 0, bytes = 0;
  bool engine_first = true;
  for (auto _ : state) {
    double iteration = 0;
    for (const std::string& block : *blocks) {
      for (int side = 0; side < 2; ++side) {
        if ((side == 0) == engine_first) {
          const double t = ThreadSeconds();
          const absl::Status s = w->engine->Check(block, Direction::kInput, &decision);
          const double dt = ThreadSeconds() - t;
          if (!s.ok()) {
            state.SkipWithError(std::string(s.message()).c_str());
            return;
          }
          iteration += dt;
          hits += decision.hits.size();
        } else {
          const double t = ThreadSeconds();
          matches += w->RawScan(block);
          raw_s += ThreadSeconds() - t;
        }
      }
      engine_first = !engine_first;
      bytes += block.size();
    }
    engine_s += iteration;
    state.SetIterationTime(iteration);
  }
  const double mib = static_cast<double>(bytes) / (1 << 20);
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["vs_raw"] = raw_s / engine_s;
  state.counters["raw_MiBps"] = mib / raw_s;
  state.counters["hits_per_MiB"] = static_cast<double>(hits) / mib;
  state.counters["raw_matches_per_MiB"] = static_cast<double>(matches) / mib;
  state.counters["terms"] = static_cast<double>(w->terms);
}

double Percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const size_t at = std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())));
  return v[at];
}

double Median(std::vector<double> v) { return Percentile(std::move(v), 0.5); }

void BM_Prompts(benchmark::State& state, TextKind kind, std::string pack) {
  const std::vector<std::string>* blocks = nullptr;
  const Workload* w = Prepare(state, kind, pack, &blocks);
  if (w == nullptr) return;
  const std::vector<std::string_view> prompts = PromptWindows(*blocks, kPromptCount, kPromptBytes);
  std::vector<std::vector<double>> engine_t(prompts.size()), raw_t(prompts.size());
  Decision decision;
  size_t bytes = 0, hits = 0;
  int pass = 0;
  for (auto _ : state) {
    double iteration = 0;
    for (size_t i = 0; i < prompts.size(); ++i) {
      for (int side = 0; side < 2; ++side) {
        if ((side == 0) == ((i + pass) % 2 == 0)) {
          const auto t = std::chrono::steady_clock::now();
          (void)w->engine->Check(prompts[i], Direction::kInput, &decision);
          const double dt =
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
          engine_t[i].push_back(dt);
          iteration += dt;
          hits += decision.hits.size();
        } else {
          const auto t = std::chrono::steady_clock::now();
          benchmark::DoNotOptimize(w->RawScan(prompts[i]));
          raw_t[i].push_back(
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count());
        }
      }
      bytes += prompts[i].size();
    }
    ++pass;
    state.SetIterationTime(iteration);
  }
  std::vector<double> engine_med, raw_med;
  for (size_t i = 0; i < prompts.size(); ++i) {
    engine_med.push_back(Median(engine_t[i]));
    raw_med.push_back(Median(raw_t[i]));
  }
  double engine_sum = 0, raw_sum = 0;
  for (double t : engine_med) engine_sum += t;
  for (double t : raw_med) raw_sum += t;
  const double p50 = Percentile(engine_med, 0.5), p99 = Percentile(engine_med, 0.99);
  const double raw_p50 = Percentile(raw_med, 0.5), raw_p99 = Percentile(raw_med, 0.99);
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["p50_us"] = p50 * 1e6;
  state.counters["p99_us"] = p99 * 1e6;
  state.counters["raw_p50_us"] = raw_p50 * 1e6;
  state.counters["raw_p99_us"] = raw_p99 * 1e6;
  state.counters["p50_x_raw"] = p50 / raw_p50;
  state.counters["p99_x_raw"] = p99 / raw_p99;
  state.counters["vs_raw"] = raw_sum / engine_sum;
  state.counters["hits_per_prompt"] =
      static_cast<double>(hits) / static_cast<double>(pass * prompts.size());
}

// Runs `child` in a forked process and returns the doubles it writes.
std::vector<double> InChild(const std::function<std::vector<double>()>& child, size_t count) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    std::vector<double> out = child();
    out.resize(count, -1);
    const ssize_t n = write(fds[1], out.data(), out.size() * sizeof(double));
    _exit(n == static_cast<ssize_t>(out.size() * sizeof(double)) ? 0 : 1);
  }
  close(fds[1]);
  std::vector<double> in(count, -1);
  size_t got = 0;
  auto* p = reinterpret_cast<char*>(in.data());
  while (got < count * sizeof(double)) {
    const ssize_t n = read(fds[0], p + got, count * sizeof(double) - got);
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (got != count * sizeof(double)) return {};
  return in;
}

// First and warm (median of five) Check of `text` on an engine made from the
// .mspack bytes just before, with its load time. With `reload`, an engine of
// the same pack checked the text twice and was dropped before (a server's
// reload: its Decision and heap are warm, the new engine is not).
std::vector<double> EngineFirstCall(const std::string& mspack, std::string_view text, bool reload) {
  Decision decision;
  if (reload) {
    absl::StatusOr<std::shared_ptr<const Pack>> old_pack = Pack::FromBytes(mspack, "bench");
    if (!old_pack.ok()) return {};
    absl::StatusOr<std::shared_ptr<const Engine>> old = Engine::Create({*old_pack});
    if (!old.ok()) return {};
    (void)(*old)->Check(text, Direction::kInput, &decision);
    (void)(*old)->Check(text, Direction::kInput, &decision);
    decision.engine.reset();
  }
  const double t0 = WallSeconds();
  absl::StatusOr<std::shared_ptr<const Pack>> pack = Pack::FromBytes(mspack, "bench");
  if (!pack.ok()) return {};
  absl::StatusOr<std::shared_ptr<const Engine>> engine = Engine::Create({*pack});
  if (!engine.ok()) return {};
  const double load = WallSeconds() - t0;
  double t = WallSeconds();
  (void)(*engine)->Check(text, Direction::kInput, &decision);
  const double first = WallSeconds() - t;
  std::vector<double> warm;
  for (int i = 0; i < 5; ++i) {
    t = WallSeconds();
    (void)(*engine)->Check(text, Direction::kInput, &decision);
    warm.push_back(WallSeconds() - t);
  }
  return {first, Median(warm), load};
}

std::vector<double> RawFirstCall(const std::string& serialized, std::string_view text) {
  hs_database_t* db = nullptr;
  if (hs_deserialize_database(serialized.data(), serialized.size(), &db) != HS_SUCCESS) return {};
  hs_scratch_t* scratch = nullptr;
  hs_alloc_scratch(db, &scratch);
  auto scan = [&] {
    size_t m = 0;
    const double t = WallSeconds();
    hs_scan(db, text.data(), static_cast<unsigned>(text.size()), 0, scratch, CountMatch, &m);
    return WallSeconds() - t;
  };
  const double first = scan();
  std::vector<double> warm;
  for (int i = 0; i < 5; ++i) warm.push_back(scan());
  hs_free_scratch(scratch);
  hs_free_database(db);
  return {first, Median(warm)};
}

void BM_FirstCall(benchmark::State& state, TextKind kind, std::string pack) {
  const std::vector<std::string>* blocks = nullptr;
  const Workload* w = Prepare(state, kind, pack, &blocks);
  if (w == nullptr) return;
  const std::string_view block = blocks->front();
  const std::string_view prompt = PromptWindows(*blocks, 1, kPromptBytes).front();
  // Each is the median of five children: one first call is one sample.
  auto children = [](const std::function<std::vector<double>()>& child, size_t count) {
    std::vector<std::vector<double>> runs(count);
    for (int k = 0; k < 5; ++k) {
      std::vector<double> one = InChild(child, count);
      if (one.empty()) return std::vector<double>{};
      for (size_t i = 0; i < count; ++i) runs[i].push_back(one[i]);
    }
    std::vector<double> medians;
    for (const std::vector<double>& r : runs) medians.push_back(Median(r));
    return medians;
  };
  std::vector<double> b, p, rb, rp, r, rprompt;
  for (auto _ : state) {
    b = children([&] { return EngineFirstCall(w->mspack, block, false); }, 3);
    p = children([&] { return EngineFirstCall(w->mspack, prompt, false); }, 3);
    rb = children([&] { return EngineFirstCall(w->mspack, block, true); }, 3);
    rp = children([&] { return EngineFirstCall(w->mspack, prompt, true); }, 3);
    r = children([&] { return RawFirstCall(w->raw_serialized, block); }, 2);
    rprompt = children([&] { return RawFirstCall(w->raw_serialized, prompt); }, 2);
    if (b.empty() || p.empty() || rb.empty() || rp.empty() || r.empty() || rprompt.empty()) {
      state.SkipWithError("a child process failed");
      return;
    }
    state.SetIterationTime(b[0]);
  }
  state.counters["first_ms"] = b[0] * 1e3;
  state.counters["warm_ms"] = b[1] * 1e3;
  state.counters["first_x_warm"] = b[0] / b[1];
  state.counters["prompt_first_us"] = p[0] * 1e6;
  state.counters["prompt_warm_us"] = p[1] * 1e6;
  state.counters["prompt_first_x_warm"] = p[0] / p[1];
  state.counters["reload_first_x_warm"] = rb[0] / rb[1];
  state.counters["reload_prompt_first_x_warm"] = rp[0] / rp[1];
  state.counters["load_ms"] = b[2] * 1e3;
  state.counters["raw_first_x_warm"] = r[0] / r[1];
  state.counters["raw_prompt_first_x_warm"] = rprompt[0] / rprompt[1];
}

void BM_PackBuild(benchmark::State& state, TextKind kind, std::string pack) {
  const std::vector<std::string>* blocks = nullptr;
  const Workload* w = Prepare(state, kind, pack, &blocks);
  if (w == nullptr) return;
  for (auto _ : state) state.SetIterationTime(w->build_seconds);
  state.counters["build_s"] = w->build_seconds;
  state.counters["hs_compile_s"] = w->hs_compile_seconds;
  state.counters["build_x_hs"] = w->build_seconds / w->hs_compile_seconds;
  state.counters["mspack_MB"] = static_cast<double>(w->mspack.size()) / 1e6;
  state.counters["hs_db_MB"] = static_cast<double>(w->raw_serialized.size()) / 1e6;
  state.counters["size_x_hs"] =
      static_cast<double>(w->mspack.size()) / static_cast<double>(w->raw_serialized.size());
  state.counters["terms"] = static_cast<double>(w->terms);
}

// Bytes per wall second that `threads` threads get through `prompts`, each
// thread its own share, for about `seconds`.
template <typename PerThread>
double Throughput(int threads, const std::vector<std::string_view>& prompts, double seconds,
                  PerThread make_checker) {
  std::atomic<bool> stop{false};
  std::atomic<int> ready{0};
  std::vector<size_t> bytes(threads, 0);
  std::vector<std::thread> pool;
  for (int k = 0; k < threads; ++k) {
    pool.emplace_back([&, k] {
      auto check = make_checker();
      ready.fetch_add(1);
      while (ready.load() < threads) {
      }
      size_t done = 0;
      for (size_t i = static_cast<size_t>(k); !stop.load(std::memory_order_relaxed);
           i = (i + static_cast<size_t>(threads)) % prompts.size()) {
        check(prompts[i]);
        done += prompts[i].size();
      }
      bytes[k] = done;
    });
  }
  while (ready.load() < threads) {
  }
  const double start = WallSeconds();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop.store(true);
  for (std::thread& t : pool) t.join();
  const double elapsed = WallSeconds() - start;
  size_t total = 0;
  for (size_t b : bytes) total += b;
  return static_cast<double>(total) / elapsed;
}

double LoadAverage() {
  std::ifstream in("/proc/loadavg");
  double load = -1;
  in >> load;
  return load;
}

void BM_Threads(benchmark::State& state, TextKind kind, std::string pack) {
  const std::vector<std::string>* blocks = nullptr;
  const Workload* w = Prepare(state, kind, pack, &blocks);
  if (w == nullptr) return;
  const std::vector<std::string_view> prompts = PromptWindows(*blocks, kPromptCount, kPromptBytes);
  auto engine_checker = [w] {
    return [w, d = std::make_shared<Decision>()](std::string_view p) {
      (void)w->engine->Check(p, Direction::kInput, d.get());
    };
  };
  auto raw_checker = [w] {
    hs_scratch_t* s = nullptr;
    hs_clone_scratch(w->raw_scratch.get(), &s);
    return [w, s = std::shared_ptr<hs_scratch_t>(s, hs_free_scratch)](std::string_view p) {
      benchmark::DoNotOptimize(w->RawScan(p, s.get()));
    };
  };
  const double load = LoadAverage();
  std::vector<double> one, two, raw_one, raw_two;
  for (auto _ : state) {
    for (int round = 0; round < 3; ++round) {
      one.push_back(Throughput(1, prompts, 0.5, engine_checker));
      two.push_back(Throughput(2, prompts, 0.5, engine_checker));
      raw_one.push_back(Throughput(1, prompts, 0.5, raw_checker));
      raw_two.push_back(Throughput(2, prompts, 0.5, raw_checker));
    }
    state.SetIterationTime(1.0);
  }
  state.counters["MiBps_1"] = Median(one) / (1 << 20);
  state.counters["MiBps_2"] = Median(two) / (1 << 20);
  state.counters["scale_2"] = Median(two) / Median(one);
  state.counters["raw_scale_2"] = Median(raw_two) / Median(raw_one);
  state.counters["load1"] = load;
}

void BM_FoldPath(benchmark::State& state, TextKind kind, internal::FoldVector path) {
  if (!internal::FoldVectorSupported(path)) {
    state.SkipWithError("this CPU lacks the instructions of this fold path");
    return;
  }
  const std::vector<std::string>* blocks = nullptr;
  const Workload* w = Prepare(state, kind, "10k", &blocks);
  if (w == nullptr) return;
  internal::FoldOptions options;
  options.offsets = false;
  options.vector = path;
  internal::FoldedText folded;
  double fold_s = 0, raw_s = 0;
  size_t bytes = 0;
  for (auto _ : state) {
    double iteration = 0;
    for (const std::string& block : *blocks) {
      double t = ThreadSeconds();
      internal::Fold(block, options, &folded);
      iteration += ThreadSeconds() - t;
      benchmark::DoNotOptimize(folded.text.data());
      t = ThreadSeconds();
      benchmark::DoNotOptimize(w->RawScan(block));
      raw_s += ThreadSeconds() - t;
      bytes += block.size();
    }
    fold_s += iteration;
    state.SetIterationTime(iteration);
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["x_raw10k"] = fold_s / raw_s;
}

const bool kRegistered = [] {
  const TextKind kinds[] = {TextKind::kZh, TextKind::kEn, TextKind::kMixed};
  const char* packs[] = {"1k", "10k", "65k", "dense", "defaults"};
  for (const char* pack : packs) {
    for (TextKind kind : kinds) {
      const std::string suffix = std::string(kTextNames[int(kind)]) + "/" + pack;
      benchmark::RegisterBenchmark(("BM_Block/" + suffix).c_str(), BM_Block, kind,
                                   std::string(pack))
          ->UseManualTime()
          ->Unit(benchmark::kMillisecond);
      benchmark::RegisterBenchmark(("BM_Prompts/" + suffix).c_str(), BM_Prompts, kind,
                                   std::string(pack))
          ->UseManualTime()
          ->Iterations(5)
          ->Unit(benchmark::kMillisecond);
    }
  }
  for (const char* pack : packs) {
    if (std::string(pack) == "defaults") continue;
    for (TextKind kind : kinds) {
      const std::string suffix = std::string(kTextNames[int(kind)]) + "/" + pack;
      benchmark::RegisterBenchmark(("BM_FirstCall/" + suffix).c_str(), BM_FirstCall, kind,
                                   std::string(pack))
          ->UseManualTime()
          ->Iterations(1)
          ->Unit(benchmark::kMillisecond);
    }
    benchmark::RegisterBenchmark((std::string("BM_PackBuild/") + pack).c_str(), BM_PackBuild,
                                 TextKind::kZh, std::string(pack))
        ->UseManualTime()
        ->Iterations(1)
        ->Unit(benchmark::kMillisecond);
  }
  for (const char* pack : {"10k", "65k", "defaults"}) {
    for (TextKind kind : kinds) {
      const std::string suffix = std::string(kTextNames[int(kind)]) + "/" + pack;
      benchmark::RegisterBenchmark(("BM_Threads/" + suffix).c_str(), BM_Threads, kind,
                                   std::string(pack))
          ->UseManualTime()
          ->Iterations(1)
          ->Unit(benchmark::kMillisecond);
    }
  }
  for (TextKind kind : kinds) {
    for (internal::FoldVector path : {internal::FoldVector::kNone, internal::FoldVector::kAvx2,
                                      internal::FoldVector::kAvx512Windows,
                                      internal::FoldVector::kBest}) {
      benchmark::RegisterBenchmark((std::string("BM_FoldPath/") + kTextNames[int(kind)] + "/" +
                                    std::string(internal::FoldVectorName(path)))
                                       .c_str(),
                                   BM_FoldPath, kind, path)
          ->UseManualTime()
          ->Unit(benchmark::kMillisecond);
    }
  }
  return true;
}();

}  // namespace
}  // namespace menshen::bench
