// Streams under pressure (issue 18): the reproducers of dense hits, each
// streamed whole through a fresh stream and compared, in the same run, with a
// raw Hyperscan stream that scans the same bytes in the same chunks with the
// same patterns and only counts matches.
//
//   phones      128 KiB of mobile numbers, one a line, the default packs,
//               16-byte chunks (every number a hit: ~10,900 hits)
//   email_chain 64 KiB of "ab.cd@ef.gh." in 4-byte chunks, the default packs:
//               the e-mail regex matches overlap in one chain over the whole
//               text, so the stream holds it back and is cut at
//               max_stream_holdback_bytes (fail closed)
//   zh_ngrams   512 KiB of the Chinese corpus, a pack of 10,000 Chinese
//               bigrams and trigrams common in that corpus (~100,000 hits per
//               MiB), 16-byte chunks
//
// The second argument divides the text (1: whole, 2: half, 4: a quarter): a
// stream whose cost is linear in its input shows the same ns_byte for all.
// Counters:
//   ns_chunk      stream time per chunk (open and finish included)
//   raw_ns_chunk  raw Hyperscan stream time per chunk, same chunks
//   x_raw         ns_chunk / raw_ns_chunk (issue 18 target: <= 3)
//   ns_byte       stream time per input byte
//   hits          hits the stream confirmed (listed + counted)
//   cut           1 when the stream was cut
// Both sides in thread CPU time, one stream pass then one raw pass per
// iteration.
#include <benchmark/benchmark.h>
#include <hs/hs.h>
#include <stdlib.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "bench/bench_corpus.h"
#include "lib/match/matcher.h"
#include "lib/pack/databases.h"
#include "lib/pack/loader.h"
#include "menshen/engine.h"
#include "menshen/pack.h"
#include "menshen/stream.h"

namespace menshen::bench {
namespace {

double ThreadSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

struct DbDeleter {
  void operator()(hs_database_t* db) const { hs_free_database(db); }
};
struct StreamCloser {
  void operator()(hs_stream_t* s) const { hs_close_stream(s, nullptr, nullptr, nullptr); }
};
using DbPtr = std::unique_ptr<hs_database_t, DbDeleter>;

// The engine's patterns compiled as the stream does (folded literals; regexes
// with leftmost start of match), for scanning raw bytes.
struct RawStreamDbs {
  DbPtr literals;
  DbPtr regexes;
  internal::HsScratchPtr scratch;
  std::string error;
};

void BuildRaw(const Engine& engine, RawStreamDbs* out) {
  std::vector<const char*> lit, re;
  std::vector<size_t> lit_len;
  std::vector<unsigned> lit_flags, re_flags, lit_ids, re_ids;
  for (const std::shared_ptr<const Pack>& p : engine.packs()) {
    for (const pack::Entry& e : p->loaded().compiled.entries()) {
      if (e.kind() == pack::LITERAL) {
        if (e.folded().empty()) continue;
        lit.push_back(e.folded().c_str());
        lit_len.push_back(e.folded().size());
        lit_flags.push_back(0);
        lit_ids.push_back(static_cast<unsigned>(lit_ids.size()));
      } else {
        re.push_back(e.term().c_str());
        re_flags.push_back(internal::kRegexFlags);
        re_ids.push_back(static_cast<unsigned>(re_ids.size()));
      }
    }
  }
  hs_database_t* db = nullptr;
  hs_compile_error_t* err = nullptr;
  if (!lit.empty()) {
    if (hs_compile_lit_multi(lit.data(), lit_flags.data(), lit_ids.data(), lit_len.data(),
                             static_cast<unsigned>(lit.size()), HS_MODE_STREAM, nullptr, &db,
                             &err) != HS_SUCCESS) {
      out->error = err != nullptr ? err->message : "literal compile failed";
      hs_free_compile_error(err);
      return;
    }
    out->literals.reset(db);
  }
  if (!re.empty()) {
    if (hs_compile_multi(re.data(), re_flags.data(), re_ids.data(),
                         static_cast<unsigned>(re.size()),
                         HS_MODE_STREAM | HS_MODE_SOM_HORIZON_LARGE, nullptr, &db,
                         &err) != HS_SUCCESS) {
      out->error = err != nullptr ? err->message : "regex compile failed";
      hs_free_compile_error(err);
      return;
    }
    out->regexes.reset(db);
  }
  hs_scratch_t* scratch = nullptr;
  for (hs_database_t* d : {out->literals.get(), out->regexes.get()}) {
    if (d != nullptr) hs_alloc_scratch(d, &scratch);
  }
  out->scratch.reset(scratch);
}

int Count(unsigned, unsigned long long, unsigned long long, unsigned, void* ctx) {
  ++*static_cast<size_t*>(ctx);
  return 0;
}

// One raw pass: open the streams, scan every chunk, close (reporting matches
// at the end). Returns the matches.
size_t RawStreamPass(const RawStreamDbs& dbs, std::string_view text, size_t chunk) {
  size_t matches = 0;
  hs_stream_t* lit = nullptr;
  hs_stream_t* re = nullptr;
  if (dbs.literals) hs_open_stream(dbs.literals.get(), 0, &lit);
  if (dbs.regexes) hs_open_stream(dbs.regexes.get(), 0, &re);
  for (size_t pos = 0; pos < text.size(); pos += chunk) {
    const std::string_view piece = text.substr(pos, chunk);
    const unsigned n = static_cast<unsigned>(piece.size());
    if (lit) hs_scan_stream(lit, piece.data(), n, 0, dbs.scratch.get(), Count, &matches);
    if (re) hs_scan_stream(re, piece.data(), n, 0, dbs.scratch.get(), Count, &matches);
  }
  if (lit) hs_close_stream(lit, dbs.scratch.get(), Count, &matches);
  if (re) hs_close_stream(re, dbs.scratch.get(), Count, &matches);
  return matches;
}

std::shared_ptr<const Engine> DefaultEngine(std::string* error) {
  absl::StatusOr<std::vector<std::shared_ptr<const Pack>>> packs = Pack::Defaults();
  if (!packs.ok()) {
    *error = std::string(packs.status().message());
    return nullptr;
  }
  absl::StatusOr<std::shared_ptr<const Engine>> e = Engine::Create(*std::move(packs));
  if (!e.ok()) {
    *error = std::string(e.status().message());
    return nullptr;
  }
  return *e;
}

// Han bigrams and trigrams of the Chinese corpus, by frequency, from rank
// `skip` on: 10,000 of them. The most common ones hit nearly every character;
// skipping the first few hundred gives about 100,000 hits per MiB.
std::vector<std::string> ChineseNgrams(const std::string& corpus, size_t skip, size_t count) {
  std::unordered_map<std::string, size_t> freq;
  std::vector<size_t> starts;  // of the Han characters of the current run
  auto is_han3 = [&](size_t i) {
    const auto b = static_cast<unsigned char>(corpus[i]);
    return i + 2 < corpus.size() && b >= 0xE4 && b <= 0xE9;
  };
  for (size_t i = 0; i < corpus.size();) {
    if (is_han3(i)) {
      starts.push_back(i);
      if (starts.size() >= 2) ++freq[corpus.substr(starts[starts.size() - 2], 6)];
      if (starts.size() >= 3) ++freq[corpus.substr(starts[starts.size() - 3], 9)];
      i += 3;
    } else {
      starts.clear();
      ++i;
    }
  }
  std::vector<std::pair<size_t, std::string>> ranked;
  ranked.reserve(freq.size());
  for (auto& [gram, n] : freq) ranked.emplace_back(n, gram);
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::vector<std::string> out;
  for (size_t r = skip; r < ranked.size() && out.size() < count; ++r) {
    out.push_back(ranked[r].second);
  }
  return out;
}

std::shared_ptr<const Engine> NgramEngine(const std::vector<std::string>& terms,
                                          std::string* error) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "menshen-ngrams-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) {
    *error = "mkdtemp failed";
    return nullptr;
  }
  const std::filesystem::path dir(tmpl);
  {
    std::ofstream manifest(dir / "pack.textproto");
    manifest << "name: \"ngrams\" version: \"1.0.0\" license: \"CC0-1.0\"\n"
                "term_files { path: \"terms.tsv\" default_category: \"A4.3\" "
                "default_severity: 1 }\n";
    std::ofstream tsv(dir / "terms.tsv");
    for (const std::string& t : terms) tsv << t << "\n";
  }
  absl::StatusOr<std::shared_ptr<const Pack>> pack = Pack::Load(dir.string());
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (!pack.ok()) {
    *error = std::string(pack.status().message());
    return nullptr;
  }
  absl::StatusOr<std::shared_ptr<const Engine>> e = Engine::Create({*pack});
  if (!e.ok()) {
    *error = std::string(e.status().message());
    return nullptr;
  }
  return *e;
}

struct Repro {
  std::string error;
  std::shared_ptr<const Engine> engine;
  std::string text;
  size_t chunk = 16;
  RawStreamDbs raw;
};

const Repro& GetRepro(int which) {
  static std::map<int, Repro> cache;
  auto it = cache.find(which);
  if (it != cache.end()) return it->second;
  Repro& r = cache[which];
  if (which == 0) {  // phones
    r.engine = DefaultEngine(&r.error);
    for (uint64_t n = 13800000000; r.text.size() < (size_t{128} << 10); n += 7919) {
      r.text += std::to_string(n) + "\n";
    }
    r.text.resize(size_t{128} << 10);
  } else if (which == 1) {  // email_chain
    r.engine = DefaultEngine(&r.error);
    while (r.text.size() < (size_t{64} << 10)) r.text += "ab.cd@ef.gh.";
    r.text.resize(size_t{64} << 10);
    r.chunk = 4;
  } else {  // zh_ngrams
    const std::string& corpus = Corpus(CorpusKind::kZh, &r.error);
    if (corpus.empty()) return r;
    r.engine = NgramEngine(ChineseNgrams(corpus, 2000, 10000), &r.error);
    r.text = corpus.substr(0, size_t{512} << 10);
    const size_t nl = r.text.rfind('\n');
    if (nl != std::string::npos) r.text.resize(nl + 1);
  }
  if (r.engine != nullptr) {
    BuildRaw(*r.engine, &r.raw);
    // Warm: the first stream of an engine may build its databases.
    CheckRequest request;
    (void)r.engine->OpenStream(request);
  }
  if (!r.raw.error.empty()) r.error = r.raw.error;
  return r;
}

void BM_StreamPressure(benchmark::State& state) {
  const Repro& r = GetRepro(static_cast<int>(state.range(0)));
  if (!r.error.empty() || r.engine == nullptr) {
    state.SkipWithError(r.error.empty() ? "no engine" : r.error.c_str());
    return;
  }
  std::string_view text(r.text);
  text = text.substr(0, text.size() / static_cast<size_t>(state.range(1)));
  CheckRequest request;
  request.direction = Direction::kOutput;
  std::string released;
  released.reserve(text.size() * 2);
  size_t chunks = 0, hits = 0, raw_matches = 0;
  bool cut = false;
  // Stream and raw passes alternate, so that what else the machine does hits
  // both sides of the ratio alike.
  double stream_seconds = 0, raw_seconds = 0;
  for (auto _ : state) {
    const double start = ThreadSeconds();
    absl::StatusOr<Stream> stream = r.engine->OpenStream(request);
    if (!stream.ok()) {
      state.SkipWithError(std::string(stream.status().message()).c_str());
      return;
    }
    released.clear();
    for (size_t pos = 0; pos < text.size(); pos += r.chunk) {
      stream->Feed(text.substr(pos, r.chunk), &released).IgnoreError();
      ++chunks;
    }
    stream->Finish(&released).IgnoreError();
    const double middle = ThreadSeconds();
    hits = stream->decision().hits.size() + stream->decision().hits_not_kept;
    cut = stream->cut();
    benchmark::DoNotOptimize(released.data());
    raw_matches = RawStreamPass(r.raw, text, r.chunk);
    benchmark::DoNotOptimize(raw_matches);
    stream_seconds += middle - start;
    raw_seconds += ThreadSeconds() - middle;
  }
  const double n = static_cast<double>(chunks);
  state.SetBytesProcessed(static_cast<int64_t>(text.size()) * state.iterations());
  state.counters["ns_chunk"] = 1e9 * stream_seconds / n;
  state.counters["raw_ns_chunk"] = 1e9 * raw_seconds / n;
  state.counters["x_raw"] = raw_seconds > 0 ? stream_seconds / raw_seconds : 0;
  state.counters["ns_byte"] =
      1e9 * stream_seconds / static_cast<double>(text.size() * state.iterations());
  state.counters["hits"] = static_cast<double>(hits);
  state.counters["raw_matches"] = static_cast<double>(raw_matches);
  state.counters["cut"] = cut ? 1 : 0;
}
BENCHMARK(BM_StreamPressure)
    ->ArgsProduct({{0, 1, 2}, {4, 2, 1}})
    ->ArgNames({"repro", "div"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace menshen::bench
