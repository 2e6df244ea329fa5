#include "menshen/engine.h"

#include <algorithm>
#include <functional>
#include <thread>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "lib/base/absl_view.h"
#include "lib/base/sha256.h"
#include "lib/base/utf8.h"
#include "lib/engine/audit_record.h"
#include "lib/engine/engine_state.h"
#include "lib/normalize/normalizer.h"
#include "lib/pack/variants.h"
#include "lib/policy/compiled_policy.h"
#include "lib/stream/stream_state.h"

namespace menshen {
namespace internal {

// Keeps the pool small: a server has about as many concurrent calls as
// threads, and states beyond that are freed on release.
constexpr size_t kMaxPooledStates = 256;

// Engine::Create sizes the pooled scan state for texts of this many bytes.
constexpr size_t kWarmBytes = size_t{64} << 10;

// Some of everything the fold has paths for (Chinese prose and technical
// Chinese, traditional Han, full-width forms, punctuation, English, a
// two-byte character), about 2 KB, with the first literal term of each pack
// in it so that resolution and the policy run too.
std::string WarmUpText(const EngineState& state) {
  std::string text;
  for (int k = 0; k < 4; ++k) {
    text +=
        "人工智能生成的内容需要经过审核才能发布给用户阅读和使用以免造成不良影响与风险"
        "本软件是自由软件请参阅通用公共许可证以了解详细信息和使用条款以及相关的规定\n"
        "与 -l 同时使用时，列出每个文件的作者（默认为当前目录）。本軟體是自由軟體，"
        "Ｆｕｌｌ－ｗｉｄｔｈ：“引号”—破折号…省略号 ─│ café\u00a0"
        "The quick brown fox jumps over the lazy dog, 42 times.\n";
    for (const LoadedPack* p : state.loaded) {
      for (const EntryMeta& m : p->meta) {
        if (m.regex || (m.flags & pack::ALLOW) != 0) continue;
        text.append(" ").append(m.term).append(" ");
        break;
      }
    }
  }
  return text;
}

namespace {

size_t ThisThreadStripe(size_t stripes) {
  return std::hash<std::thread::id>()(std::this_thread::get_id()) % stripes;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ScanState>> EngineState::Acquire() {
  const size_t own = ThisThreadStripe(kPoolStripes);
  for (size_t k = 0; k < kPoolStripes; ++k) {
    PoolStripe& stripe = pool_[(own + k) % kPoolStripes];
    std::lock_guard<std::mutex> lock(stripe.mu);
    if (!stripe.states.empty()) {
      std::unique_ptr<ScanState> state = std::move(stripe.states.back());
      stripe.states.pop_back();
      return state;
    }
  }
  auto state = std::make_unique<ScanState>();
  hs_scratch_t* scratch = nullptr;
  if (prototype != nullptr && hs_clone_scratch(prototype.get(), &scratch) != HS_SUCCESS) {
    return absl::ResourceExhaustedError("could not allocate Hyperscan scratch space");
  }
  state->scratch.reset(scratch);
  return state;
}

void EngineState::Release(std::unique_ptr<ScanState> state) {
  PoolStripe& stripe = pool_[ThisThreadStripe(kPoolStripes)];
  std::lock_guard<std::mutex> lock(stripe.mu);
  if (stripe.states.size() < kMaxPooledStates / kPoolStripes) {
    stripe.states.push_back(std::move(state));
  }
}

EngineState::EngineState() = default;
EngineState::~EngineState() = default;

void EngineState::BuildStreamDatabases() {
  const CompiledPolicy& policy = options.policy->compiled();
  for (const LoadedPack* p : loaded) {
    for (const pack::Entry& e : p->compiled.entries()) {
      StreamEntryFacts& facts = stream_entries.emplace_back();
      facts.index = static_cast<uint32_t>(stream_entries.size() - 1);
      facts.category = static_cast<int16_t>(policy.CategoryIndex(e.category()));
      facts.severity = static_cast<int8_t>(e.severity());
      const bool regex = e.kind() == pack::REGEX;
      facts.bits = (regex ? StreamEntryFacts::kRegex : 0) |
                   ((e.flags() & pack::ALLOW) != 0 ? StreamEntryFacts::kAllow : 0) |
                   ((e.flags() & pack::PART) != 0 ? StreamEntryFacts::kPart : 0) |
                   ((e.flags() & (pack::WORD | pack::EXACT)) != 0 ||
                            e.validator() != pack::VALIDATOR_NONE
                        ? StreamEntryFacts::kCheck
                        : 0);
      stream_entry_ids.push_back(e.id());
      Hit& h = stream_hits.emplace_back();
      const bool variant = !e.variant_of().empty();
      h.entry_id = variant ? e.variant_of() : e.id();
      h.pack = p->compiled.manifest().name();
      h.category = e.category();
      h.term = variant ? e.base_term() : e.name().empty() ? e.term() : e.name();
      h.foldings = internal::VariantFoldKind(e.variant());  // with Explain's bits
      h.severity = e.severity();
      h.regex = regex;
    }
  }
  absl::StatusOr<std::unique_ptr<StreamDatabases>> dbs =
      StreamDatabases::Build(loaded, stream_entries);
  if (dbs.ok()) {
    stream_dbs_ = *std::move(dbs);
    stream_status_ = absl::OkStatus();
  } else {
    stream_status_ = dbs.status();
  }
}

void EngineState::DisableStreams() {
  stream_status_ = absl::FailedPreconditionError(
      "this engine was created for block checks only (EngineOptions::streams is false)");
}

absl::StatusOr<const StreamDatabases*> EngineState::GetStreamDatabases() const {
  if (!stream_status_.ok()) return stream_status_;
  return stream_dbs_.get();
}

std::unique_ptr<StreamState> EngineState::AcquireStream() const {
  {
    std::lock_guard<std::mutex> lock(stream_mu_);
    if (!stream_pool_.empty()) {
      std::unique_ptr<StreamState> state = std::move(stream_pool_.back());
      stream_pool_.pop_back();
      return state;
    }
  }
  return std::make_unique<StreamState>();
}

void EngineState::ReleaseStream(std::unique_ptr<StreamState> state) const {
  std::lock_guard<std::mutex> lock(stream_mu_);
  if (stream_pool_.size() < kMaxPooledStates) stream_pool_.push_back(std::move(state));
}

// Feeds the occurrences of rule parts to the rules, in their order, and adds
// the rules that fire to the hits (docs/packs.md, "Rules").
bool EvaluateRules(const EngineState& engine, std::string_view text, ScanState* scan,
                   Decision* decision, bool windowed) {
  std::vector<PartHit>& parts = scan->parts;
  SetCodePointOffsets(scan->folded.text, &parts);  // also sorts them
  scan->rules.Reset(engine.rules.get(), &scan->rule_prefilter.active());
  for (PartHit& p : parts) {
    if (engine.options.explain) {
      p.foldings = Explain(text.substr(p.original_start, p.original_end - p.original_start));
    }
    scan->rules.Add(p);
  }
  if (windowed && scan->rules.pending()) return false;
  scan->rules.Finish();
  if (scan->rules.hits().empty()) return true;
  AppendRuleHits(scan->rules, 0, engine.loaded, decision);
  std::sort(decision->hits.begin(), decision->hits.end(), [](const Hit& a, const Hit& b) {
    return std::tie(a.start, a.end, a.entry_id) < std::tie(b.start, b.end, b.entry_id);
  });
  return true;
}

}  // namespace internal

std::string_view ActionName(Action action) {
  switch (action) {
    case Action::kAllow: return "ALLOW";
    case Action::kFlag: return "FLAG";
    case Action::kMask: return "MASK";
    case Action::kRefuse: return "REFUSE";
    case Action::kBlock: return "BLOCK";
  }
  return "UNKNOWN";
}

std::string_view DirectionName(Direction direction) {
  return direction == Direction::kInput ? "input" : "output";
}

Engine::Engine(std::unique_ptr<internal::EngineState> state) : state_(std::move(state)) {}
Engine::~Engine() = default;

const std::vector<std::shared_ptr<const Pack>>& Engine::packs() const { return state_->packs; }
const Policy& Engine::policy() const { return *state_->options.policy; }
uint64_t Engine::audit_hook_failures() const { return state_->audit_hook_failures.load(); }
const EngineOptions& Engine::options() const { return state_->options; }

absl::StatusOr<std::shared_ptr<const Engine>> Engine::Create(
    std::vector<std::shared_ptr<const Pack>> packs, const EngineOptions& options) {
  if (packs.empty()) return absl::InvalidArgumentError("an engine needs at least one pack");
  auto state = std::make_unique<internal::EngineState>();
  absl::flat_hash_set<std::string> names;
  for (const std::shared_ptr<const Pack>& p : packs) {
    if (p == nullptr) return absl::InvalidArgumentError("a pack is null");
    if (!names.insert(p->info().name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("two packs are named '", p->info().name, "'; pack names must be unique"));
    }
    state->loaded.push_back(&p->loaded());
  }
  state->packs = std::move(packs);
  state->options = options;
  if (state->options.policy == nullptr) state->options.policy = Policy::Default();
  if (state->options.policy == nullptr) {
    return absl::InternalError("the embedded default policy did not compile");
  }
  state->rules = internal::RuleIndex::Build(state->loaded);
  absl::StatusOr<internal::HsScratchPtr> scratch = internal::AllocateScratch(state->loaded);
  if (!scratch.ok()) return scratch.status();
  state->prototype = *std::move(scratch);
  // Streams are built here, so that the thread creating (or reloading) an
  // engine pays for them and a request never waits for a compile.
  if (state->options.streams) {
    state->BuildStreamDatabases();
  } else {
    state->DisableStreams();
  }
  internal::EngineState* raw_state = state.get();
  auto engine = std::make_shared<const Engine>(std::move(state));
  // A first call paid for what no later one does: cloning Hyperscan scratch,
  // sizing the fold's buffers, Hyperscan's own first-scan set-up, and paging
  // in the code and tables of every stage (each page fault costs about 10 µs
  // on a VM with shadow page tables). One check of a short text that
  // exercises them leaves a warm scan state in the pool
  // (bench/RESULTS.md, first call).
  raw_state->warming_up = true;
  Decision decision;
  (void)engine->Check(internal::WarmUpText(*raw_state), Direction::kInput, &decision);
  (void)engine->Check(internal::WarmUpText(*raw_state), Direction::kOutput, &decision);
  raw_state->warming_up = false;
  // The databases read once into the caches (and TLB): the warm-up text
  // touched only part of them.
  uint64_t sink = 0;
  for (const internal::LoadedPack* p : raw_state->loaded) {
    for (const hs_database_t* db : {p->literals.get(), p->regexes.get()}) {
      size_t size = 0;
      if (db == nullptr || hs_database_size(db, &size) != HS_SUCCESS) continue;
      const auto* bytes = reinterpret_cast<const volatile unsigned char*>(db);
      for (size_t k = 0; k < size; k += 64) sink += bytes[k];
    }
  }
  raw_state->warm_sink = sink;
  // The pooled state's fold buffer sized (and its pages touched) for texts
  // up to kWarmBytes, so that a first prompt of that size allocates nothing.
  if (absl::StatusOr<std::unique_ptr<internal::ScanState>> scan = raw_state->Acquire(); scan.ok()) {
    internal::FoldedText& folded = (*scan)->folded;
    if (folded.text.size() < internal::kWarmBytes) folded.text.resize(internal::kWarmBytes);
    raw_state->Release(*std::move(scan));
  }
  return engine;
}

absl::StatusOr<Decision> Engine::Check(std::string_view text, Direction direction) const {
  Decision decision;
  if (absl::Status s = Check(text, direction, &decision); !s.ok()) return s;
  return decision;
}

absl::Status Engine::Check(std::string_view text, Direction direction,
                           Decision* decision) const {
  CheckRequest request;
  request.direction = direction;
  return Check(text, request, decision);
}

absl::Status Engine::Check(std::string_view text, const CheckRequest& request,
                           Decision* decision) const {
  const EngineOptions& options = state_->options;
  const internal::CompiledPolicy& policy = options.policy->compiled();
  if (text.size() > options.max_input_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat("text of ", text.size(),
                                                     " bytes exceeds max_input_bytes (",
                                                     options.max_input_bytes, ")"));
  }
  if (!request.profile.empty() && !policy.HasProfile(request.profile)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the policy has no profile '", internal::AV(request.profile), "'"));
  }
  absl::StatusOr<std::unique_ptr<internal::ScanState>> acquired = state_->Acquire();
  if (!acquired.ok()) return acquired.status();
  std::unique_ptr<internal::ScanState> scan = *std::move(acquired);

  // Most texts have no candidate, and a text with some has them in a few
  // places: the fold keeps no offsets back to the caller's bytes, only
  // checkpoints, and the spans that matched are folded again with offsets.
  // bench/RESULTS.md has the measurements.
  internal::FoldOptions fold;
  fold.offsets = false;
  internal::Fold(text, fold, &scan->folded);
  absl::Status status;
  // Rule parts are looked for only around anchor occurrences (PartWindows);
  // a second pass over the whole text only when a rule with unless parts
  // completed there, since an unless part anywhere cancels it.
  for (bool whole_text : {false, true}) {
    if (!whole_text) {
      scan->candidates.clear();
      status = internal::FindCandidates(state_->loaded, scan->folded.text, scan->scratch.get(),
                                        &scan->candidates);
    } else {
      // The same term candidates again (resolution reordered and dropped
      // some); only the parts are looked for anew, in the whole text.
      scan->candidates = scan->term_candidates;
    }
    bool windowed = false;
    if (status.ok() && !state_->rules->empty() &&
        internal::PartWindows(*state_->rules, state_->loaded, scan->folded.text,
                              scan->candidates, &scan->part_windows)) {
      // A rule can fire only where its anchor occurs: only then, and only
      // within reach of it, are its other parts looked for; parts of rules
      // that cannot fire need no offsets and no resolution.
      windowed = !whole_text && !(scan->part_windows.size() == 1 &&
                                  scan->part_windows[0].first == 0 &&
                                  scan->part_windows[0].second == scan->folded.text.size());
      if (windowed) scan->term_candidates = scan->candidates;
      status = windowed ? internal::FindPartCandidatesIn(state_->loaded, scan->folded.text,
                                                         scan->part_windows, scan->scratch.get(),
                                                         &scan->candidates)
                        : internal::FindPartCandidates(state_->loaded, scan->folded.text,
                                                       scan->scratch.get(), &scan->candidates);
      if (status.ok()) scan->rule_prefilter.Filter(*state_->rules, &scan->candidates);
    }
    if (status.ok() && !scan->candidates.empty()) {
      scan->spans.clear();
      for (const internal::Candidate& c : scan->candidates) {
        scan->spans.emplace_back(c.start, c.end);
      }
      internal::FillOffsets(text, fold, &scan->spans, &scan->folded, &scan->window);
    }
    if (!status.ok()) break;
    decision->rejected_by_validators = 0;
    scan->parts.clear();
    internal::ResolveCandidates(state_->loaded, text, scan->folded, &scan->candidates,
                                &scan->resolved, &decision->rejected_by_validators,
                                state_->rules->empty() ? nullptr : &scan->parts);
    decision->hits.resize(scan->resolved.size());
    Hit* h = decision->hits.data();
    for (const internal::ResolvedHit& r : scan->resolved) {
      const internal::EntryMeta& m = r.pack->meta[r.entry_index];
      h->entry_id = m.id;  // a generated variant reports the entry it was made from
      h->pack = r.pack->compiled.manifest().name();
      h->category = m.category;
      h->term = m.term;
      h->severity = m.severity;
      h->regex = m.regex;
      h->start = r.start;
      h->end = internal::ExtendOverCombiningMarks(text, r.end);
      h->foldings = options.explain ? internal::Explain(text.substr(r.start, h->end - r.start)) |
                                          internal::VariantFoldKind(m.variant)
                                    : 0;
      ++h;
    }
    decision->rule_parts.clear();
    if (scan->parts.empty() ||
        internal::EvaluateRules(*state_, text, scan.get(), decision, windowed)) {
      break;
    }
  }
  if (status.ok()) {
    decision->invalid_utf8 = scan->folded.invalid_sequences;
    decision->hits_not_kept = 0;
    decision->cut_reason.clear();
    status = policy.Decide(text, request.direction, request.profile, request.locale, decision);
  }
  if (status.ok()) {
    // Only when it changes: two atomic updates of the engine's reference
    // count per call would pass its cache line between threads.
    if (decision->engine.get() != this) decision->engine = shared_from_this();
    if ((options.audit_hook || options.fail_closed_audit_hook) && !state_->warming_up) {
      internal::BuildAuditRecord(*state_, request, *decision, text.size(),
                                 internal::DigestToHex(internal::Sha256Of(text)), &text,
                                 &scan->audit_record);
      status = internal::ReportAudit(*state_, scan->audit_record);
    }
  }
  state_->Release(std::move(scan));
  return status;
}

absl::StatusOr<Stream> Engine::OpenStream(const CheckRequest& request) const {
  const internal::CompiledPolicy& policy = state_->options.policy->compiled();
  if (!request.profile.empty() && !policy.HasProfile(request.profile)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the policy has no profile '", internal::AV(request.profile), "'"));
  }
  absl::StatusOr<const internal::StreamDatabases*> dbs = state_->GetStreamDatabases();
  if (!dbs.ok()) return dbs.status();
  std::unique_ptr<internal::StreamState> stream = state_->AcquireStream();
  if (absl::Status s = stream->Open(shared_from_this(), state_.get(), *dbs, request); !s.ok()) {
    stream->Park();
    state_->ReleaseStream(std::move(stream));
    return s;
  }
  return Stream(std::move(stream));
}

absl::StatusOr<size_t> Engine::stream_holdback_bytes() const {
  absl::StatusOr<const internal::StreamDatabases*> dbs = state_->GetStreamDatabases();
  if (!dbs.ok()) return dbs.status();
  return internal::StreamHoldbackBound((*dbs)->max_width());
}

std::shared_ptr<const Engine> EngineSlot::Get() const {
  std::lock_guard<std::mutex> lock(mu_);
  return engine_;
}

void EngineSlot::Set(std::shared_ptr<const Engine> engine) {
  std::shared_ptr<const Engine> old;
  std::lock_guard<std::mutex> lock(mu_);
  old = std::exchange(engine_, std::move(engine));
  // `old` may be the last reference: it is released after the lock, when the
  // function returns (declared before the lock, destroyed after it).
}

absl::Status EngineSlot::Reload(std::vector<std::shared_ptr<const Pack>> packs,
                                const EngineOptions& options) {
  absl::StatusOr<std::shared_ptr<const Engine>> engine = Engine::Create(std::move(packs), options);
  if (!engine.ok()) return engine.status();
  Set(*std::move(engine));
  return absl::OkStatus();
}

}  // namespace menshen
