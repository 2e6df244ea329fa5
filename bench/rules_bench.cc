// The scan cost of rules (issue 22): a 10k-term pack alone against the same
// pack plus the intent packs (keyword_packs/intent-zh, intent-en: ~600 rules
// over ~11k parts), block mode and streams; and the mechanism that was
// rejected, Hyperscan logical combinations, in raw hs_scan.
//
// Engines (default policy, input direction, no audit hook):
//   pack        the 10k-term pack of scan_bench.cc (houbb dictionary lines)
//   pack+rules  the same pack plus intent-zh and intent-en
// Counter x_pack (in each BM_Rules*): after the timed loop the pack-alone
// engine checks the same texts for the same number of iterations, both in
// thread CPU time; x_pack = this engine's time / the pack alone's (target of
// issue 22: <= 1.3).
//
// BM_RawParts / BM_RawCombination: raw hs_scan of the folded corpus with
//   parts   the parts of the intent packs in one literal database (what the
//           engine scans; rules are then evaluated on the few part hits)
//   comb    the parts as quiet regex sub-expressions plus one
//           HS_FLAG_COMBINATION expression per rule (its steps ANDed, each an
//           OR of its parts, unless parts negated; distances and order cannot
//           be expressed, so this is a lower bound of that design's cost)
// Counter x_parts = comb time / parts time.
#include <benchmark/benchmark.h>
#include <hs/hs.h>
#include <stdlib.h>
#include <time.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bench/bench_corpus.h"
#include "lib/normalize/normalizer.h"
#include "lib/pack/loader.h"
#include "menshen/decision.h"
#include "menshen/engine.h"
#include "menshen/pack.h"
#include "menshen/stream.h"

namespace menshen::bench {
namespace {

constexpr size_t kTermCount = 10000;
constexpr size_t kPromptBytes = 2048;
constexpr size_t kChunkBytes = 16;

double ThreadSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

struct HsDbDeleter {
  void operator()(hs_database_t* db) const { hs_free_database(db); }
};
struct HsScratchDeleter {
  void operator()(hs_scratch_t* s) const { hs_free_scratch(s); }
};

struct Setup {
  std::string error;
  std::shared_ptr<const Engine> pack;   // the 10k-term pack alone
  std::shared_ptr<const Engine> rules;  // the pack plus the intent packs
  size_t rule_count = 0;
  size_t part_count = 0;
  std::unique_ptr<hs_database_t, HsDbDeleter> parts_db;
  std::unique_ptr<hs_database_t, HsDbDeleter> comb_db;
  std::unique_ptr<hs_scratch_t, HsScratchDeleter> scratch;
};

absl::StatusOr<std::shared_ptr<const Pack>> TermPack() {
  std::string error;
  const std::vector<std::string> terms = DictionaryTerms(kTermCount, &error);
  if (!error.empty()) return absl::NotFoundError(error);
  std::string tmpl =
      (std::filesystem::temp_directory_path() / "menshen-rules-bench-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) return absl::InternalError("mkdtemp failed");
  const std::filesystem::path dir(tmpl);
  std::string tsv;
  for (const std::string& t : terms) tsv.append(t).push_back('\n');
  {
    std::ofstream manifest(dir / "pack.textproto");
    manifest << "name: \"bench10k\" version: \"1.0.0\" license: \"CC0-1.0\"\n"
                "term_files { path: \"terms.tsv\" default_category: \"A1.8\" "
                "default_severity: 2 }\n";
    std::ofstream(dir / "terms.tsv") << tsv;
  }
  absl::StatusOr<std::shared_ptr<const Pack>> pack = Pack::Load(dir.string());
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return pack;
}

// A regex that matches exactly the bytes of `literal`.
std::string EscapeBytes(std::string_view literal) {
  std::string out;
  for (unsigned char c : literal) {
    char buf[5];
    std::snprintf(buf, sizeof(buf), "\\x%02x", c);
    out += buf;
  }
  return out;
}

void BuildRaw(const std::vector<std::shared_ptr<const Pack>>& intent, Setup* s) {
  std::vector<std::string> literals;
  std::vector<std::string> expressions;
  std::vector<unsigned> flags;
  std::vector<unsigned> ids;
  for (const auto& p : intent) {
    const pack::CompiledPack& c = p->loaded().compiled;
    const size_t base = literals.size();
    std::vector<unsigned> id_of(static_cast<size_t>(c.entries_size()), 0);
    for (int i = 0; i < c.entries_size(); ++i) {
      const pack::Entry& e = c.entries(i);
      if ((e.flags() & pack::PART) == 0) continue;
      id_of[static_cast<size_t>(i)] = static_cast<unsigned>(literals.size());
      literals.push_back(e.folded());
    }
    (void)base;
    for (const pack::Entry& e : c.entries()) {
      if (e.kind() != pack::RULE) continue;
      std::vector<std::string> terms;
      for (const pack::RuleStep& step : e.steps()) {
        std::vector<std::string> alts;
        for (uint32_t a : step.alternatives()) alts.push_back(std::to_string(id_of[a]));
        std::string term = absl::StrCat("(", absl::StrJoin(alts, " | "), ")");
        terms.push_back(step.negated() ? "!" + term : term);
      }
      expressions.push_back(absl::StrJoin(terms, " & "));
    }
  }
  s->part_count = literals.size();
  s->rule_count = expressions.size();
  // The parts as one literal database.
  {
    std::vector<const char*> patterns;
    std::vector<size_t> lengths;
    std::vector<unsigned> lit_flags(literals.size(), 0);
    std::vector<unsigned> lit_ids;
    for (size_t i = 0; i < literals.size(); ++i) {
      patterns.push_back(literals[i].data());
      lengths.push_back(literals[i].size());
      lit_ids.push_back(static_cast<unsigned>(i));
    }
    hs_database_t* db = nullptr;
    hs_compile_error_t* err = nullptr;
    if (hs_compile_lit_multi(patterns.data(), lit_flags.data(), lit_ids.data(), lengths.data(),
                             static_cast<unsigned>(patterns.size()), HS_MODE_BLOCK, nullptr, &db,
                             &err) != HS_SUCCESS) {
      s->error = absl::StrCat("parts: ", err != nullptr ? err->message : "?");
      hs_free_compile_error(err);
      return;
    }
    s->parts_db.reset(db);
  }
  // Quiet sub-expressions and one combination per rule.
  {
    std::vector<std::string> all;
    for (const std::string& l : literals) {
      all.push_back(EscapeBytes(l));
      flags.push_back(HS_FLAG_QUIET);
      ids.push_back(static_cast<unsigned>(ids.size()));
    }
    for (const std::string& e : expressions) {
      all.push_back(e);
      flags.push_back(HS_FLAG_COMBINATION | HS_FLAG_SINGLEMATCH);
      ids.push_back(static_cast<unsigned>(ids.size()));
    }
    std::vector<const char*> patterns;
    for (const std::string& a : all) patterns.push_back(a.c_str());
    hs_database_t* db = nullptr;
    hs_compile_error_t* err = nullptr;
    if (hs_compile_multi(patterns.data(), flags.data(), ids.data(),
                         static_cast<unsigned>(patterns.size()), HS_MODE_BLOCK, nullptr, &db,
                         &err) != HS_SUCCESS) {
      s->error = absl::StrCat("combination: ", err != nullptr ? err->message : "?");
      hs_free_compile_error(err);
      return;
    }
    s->comb_db.reset(db);
  }
  hs_scratch_t* scratch = nullptr;
  if (hs_alloc_scratch(s->parts_db.get(), &scratch) != HS_SUCCESS ||
      hs_alloc_scratch(s->comb_db.get(), &scratch) != HS_SUCCESS) {
    s->error = "hs_alloc_scratch failed";
    return;
  }
  s->scratch.reset(scratch);
}

const Setup& GetSetup() {
  static const Setup* setup = [] {
    auto* s = new Setup;
    absl::StatusOr<std::shared_ptr<const Pack>> terms = TermPack();
    if (!terms.ok()) {
      s->error = std::string(terms.status().message());
      return s;
    }
    std::vector<std::shared_ptr<const Pack>> intent;
    for (const char* name : {"intent-zh", "intent-en"}) {
      absl::StatusOr<std::shared_ptr<const Pack>> p =
          Pack::Load(std::string(MENSHEN_SOURCE_DIR) + "/keyword_packs/" + name);
      if (!p.ok()) {
        s->error = std::string(p.status().message());
        return s;
      }
      intent.push_back(*p);
    }
    absl::StatusOr<std::shared_ptr<const Engine>> pack = Engine::Create({*terms});
    absl::StatusOr<std::shared_ptr<const Engine>> rules =
        Engine::Create({*terms, intent[0], intent[1]});
    if (!pack.ok() || !rules.ok()) {
      s->error = "Engine::Create failed";
      return s;
    }
    s->pack = *pack;
    s->rules = *rules;
    BuildRaw(intent, s);
    return s;
  }();
  return *setup;
}

void CheckAll(const Engine& engine, const std::vector<std::string_view>& texts, Decision* d,
              size_t* hits, size_t* refused) {
  for (std::string_view t : texts) {
    (void)engine.Check(t, Direction::kInput, d);
    *hits += d->hits.size();
    *refused += d->action == Action::kRefuse || d->action == Action::kBlock;
  }
}

void StreamAll(const Engine& engine, const std::vector<std::string_view>& texts, size_t* hits) {
  CheckRequest request;
  request.direction = Direction::kOutput;
  std::string released;
  for (std::string_view t : texts) {
    absl::StatusOr<Stream> stream = engine.OpenStream(request);
    if (!stream.ok()) return;
    released.clear();
    for (size_t pos = 0; pos < t.size(); pos += kChunkBytes) {
      (void)stream->Feed(t.substr(pos, kChunkBytes), &released);
    }
    (void)stream->Finish(&released);
    *hits += stream->decision().hits.size();
  }
}

void BM_PackAlone(benchmark::State& state, CorpusKind kind, bool prompts) {
  const Setup& s = GetSetup();
  std::string error = s.error;
  const std::string* corpus = error.empty() ? &Corpus(kind, &error) : nullptr;
  if (!error.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }
  const std::vector<std::string_view> texts =
      prompts ? SplitPrompts(*corpus, kPromptBytes) : std::vector<std::string_view>{*corpus};
  Decision d;
  size_t hits = 0, refused = 0;
  for (auto _ : state) {
    hits = refused = 0;
    CheckAll(*s.pack, texts, &d, &hits, &refused);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(corpus->size()));
  state.counters["hits"] = static_cast<double>(hits);
}

void BM_Rules(benchmark::State& state, CorpusKind kind, bool prompts) {
  const Setup& s = GetSetup();
  std::string error = s.error;
  const std::string* corpus = error.empty() ? &Corpus(kind, &error) : nullptr;
  if (!error.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }
  const std::vector<std::string_view> texts =
      prompts ? SplitPrompts(*corpus, kPromptBytes) : std::vector<std::string_view>{*corpus};
  Decision d;
  size_t hits = 0, refused = 0;
  const double start = ThreadSeconds();
  for (auto _ : state) {
    hits = refused = 0;
    CheckAll(*s.rules, texts, &d, &hits, &refused);
  }
  const double rules_s = ThreadSeconds() - start;
  size_t rule_hits = 0;
  for (std::string_view t : texts) {
    (void)s.rules->Check(t, Direction::kInput, &d);
    for (const Hit& h : d.hits) rule_hits += h.rule;
  }
  const double base = ThreadSeconds();
  for (int64_t i = 0; i < state.iterations(); ++i) {
    size_t h = 0, r = 0;
    CheckAll(*s.pack, texts, &d, &h, &r);
  }
  const double pack_s = ThreadSeconds() - base;
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(corpus->size()));
  state.counters["hits"] = static_cast<double>(hits);
  state.counters["rule_hits"] = static_cast<double>(rule_hits);
  state.counters["refused"] = static_cast<double>(refused);
  state.counters["x_pack"] = pack_s > 0 ? rules_s / pack_s : 0;
}

void BM_RulesStream(benchmark::State& state, CorpusKind kind) {
  const Setup& s = GetSetup();
  std::string error = s.error;
  const std::string* corpus = error.empty() ? &Corpus(kind, &error) : nullptr;
  if (!error.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }
  const std::vector<std::string_view> texts = SplitPrompts(*corpus, kPromptBytes);
  size_t hits = 0;
  const double start = ThreadSeconds();
  for (auto _ : state) {
    hits = 0;
    StreamAll(*s.rules, texts, &hits);
  }
  const double rules_s = ThreadSeconds() - start;
  const double base = ThreadSeconds();
  for (int64_t i = 0; i < state.iterations(); ++i) {
    size_t h = 0;
    StreamAll(*s.pack, texts, &h);
  }
  const double pack_s = ThreadSeconds() - base;
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(corpus->size()));
  state.counters["hits"] = static_cast<double>(hits);
  state.counters["x_pack"] = pack_s > 0 ? rules_s / pack_s : 0;
}

int OnMatch(unsigned, unsigned long long, unsigned long long, unsigned, void* ctx) {
  ++*static_cast<size_t*>(ctx);
  return 0;
}

void BM_RawCombination(benchmark::State& state, CorpusKind kind) {
  const Setup& s = GetSetup();
  std::string error = s.error;
  const std::string* corpus = error.empty() ? &Corpus(kind, &error) : nullptr;
  if (!error.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }
  // Scan the folded text, as the engine does, in 2 KB prompts.
  internal::FoldedText folded;
  internal::Fold(*corpus, internal::FoldOptions{}, &folded);
  const std::vector<std::string_view> texts = SplitPrompts(folded.text, kPromptBytes);
  auto scan = [&](const hs_database_t* db, size_t* matches) {
    for (std::string_view t : texts) {
      hs_scan(db, t.data(), static_cast<unsigned>(t.size()), 0, s.scratch.get(), OnMatch, matches);
    }
  };
  size_t matches = 0;
  const double start = ThreadSeconds();
  for (auto _ : state) {
    matches = 0;
    scan(s.comb_db.get(), &matches);
  }
  const double comb_s = ThreadSeconds() - start;
  size_t part_matches = 0;
  const double base = ThreadSeconds();
  for (int64_t i = 0; i < state.iterations(); ++i) {
    part_matches = 0;
    scan(s.parts_db.get(), &part_matches);
  }
  const double parts_s = ThreadSeconds() - base;
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(folded.text.size()));
  state.counters["rules"] = static_cast<double>(s.rule_count);
  state.counters["parts"] = static_cast<double>(s.part_count);
  state.counters["comb_matches"] = static_cast<double>(matches);
  state.counters["part_matches"] = static_cast<double>(part_matches);
  state.counters["x_parts"] = parts_s > 0 ? comb_s / parts_s : 0;
}

BENCHMARK_CAPTURE(BM_PackAlone, zh_prompts, CorpusKind::kZh, true);
BENCHMARK_CAPTURE(BM_PackAlone, en_prompts, CorpusKind::kEn, true);
BENCHMARK_CAPTURE(BM_Rules, zh_prompts, CorpusKind::kZh, true);
BENCHMARK_CAPTURE(BM_Rules, en_prompts, CorpusKind::kEn, true);
BENCHMARK_CAPTURE(BM_Rules, mixed_prompts, CorpusKind::kMixed, true);
BENCHMARK_CAPTURE(BM_Rules, zh_doc, CorpusKind::kZh, false);
BENCHMARK_CAPTURE(BM_Rules, en_doc, CorpusKind::kEn, false);
BENCHMARK_CAPTURE(BM_RulesStream, zh_16B, CorpusKind::kZh);
BENCHMARK_CAPTURE(BM_RulesStream, en_16B, CorpusKind::kEn);
BENCHMARK_CAPTURE(BM_RawCombination, zh, CorpusKind::kZh);
BENCHMARK_CAPTURE(BM_RawCombination, en, CorpusKind::kEn);

}  // namespace
}  // namespace menshen::bench
