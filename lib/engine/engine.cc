#include "menshen/engine.h"

#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "lib/base/absl_view.h"
#include "lib/base/sha256.h"
#include "lib/base/utf8.h"
#include "lib/engine/engine_state.h"
#include "lib/normalize/normalizer.h"
#include "lib/policy/compiled_policy.h"

namespace menshen {
namespace internal {

// Keeps the pool small: a server has about as many concurrent calls as
// threads, and states beyond that are freed on release.
constexpr size_t kMaxPooledStates = 256;

// Texts up to this size are folded without offsets first (see Check).
constexpr size_t kLazyOffsetsMaxBytes = size_t{64} << 10;

absl::StatusOr<std::unique_ptr<ScanState>> EngineState::Acquire() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!pool_.empty()) {
      std::unique_ptr<ScanState> state = std::move(pool_.back());
      pool_.pop_back();
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
  std::lock_guard<std::mutex> lock(mu_);
  if (pool_.size() < kMaxPooledStates) pool_.push_back(std::move(state));
}

namespace {

// Fills `record` (reused: Clear keeps its allocations) for one decision.
void BuildAuditRecord(const EngineState& state, std::string_view text,
                      const CheckRequest& request, const Decision& d,
                      audit::AuditRecord* record) {
  record->Clear();
  const absl::Time now = absl::Now();
  const int64_t seconds = absl::ToUnixSeconds(now);
  record->mutable_time()->set_seconds(seconds);
  record->mutable_time()->set_nanos(
      static_cast<int32_t>((now - absl::FromUnixSeconds(seconds)) / absl::Nanoseconds(1)));
  // Records are protobuf messages, whose strings must be UTF-8.
  record->set_request_id(IsValidUtf8(request.request_id) ? std::string(request.request_id)
                                                         : SanitizeUtf8(request.request_id));
  record->set_direction(std::string(DirectionName(request.direction)));
  record->set_profile(d.profile);
  record->set_action(std::string(ActionName(d.action)));
  record->set_rule(d.rule);
  for (const Hit& h : d.hits) {
    audit::AuditHit* out = record->add_hits();
    out->set_entry_id(std::string(h.entry_id));
    out->set_category(std::string(h.category));
    out->set_severity(h.severity);
    out->set_start(h.start);
    out->set_end(h.end);
  }
  for (const auto& pack : state.packs) {
    audit::AuditPack* out = record->add_packs();
    out->set_name(pack->info().name);
    out->set_version(pack->info().version);
    out->set_sha256(pack->info().artefact_sha256);
  }
  record->set_policy_version(std::string(d.policy_version));
  record->set_fold_version(std::string(FoldVersion()));
  record->set_input_length(text.size());
  record->set_input_sha256(DigestToHex(Sha256Of(text)));
  record->set_invalid_utf8(d.invalid_utf8);
  if (state.options.audit_include_text) {
    record->set_text(d.invalid_utf8 ? SanitizeUtf8(text) : std::string(text));
  }
}

}  // namespace

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
  absl::StatusOr<internal::HsScratchPtr> scratch = internal::AllocateScratch(state->loaded);
  if (!scratch.ok()) return scratch.status();
  state->prototype = *std::move(scratch);
  return std::make_shared<const Engine>(std::move(state));
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

  // Most prompts and completions have no candidate, so a short text is first
  // folded without the offset map back to the caller's bytes, and folded again
  // with it only when there is something to map (both folds give the same
  // text). A long document is likely to hold a hit somewhere, so it is folded
  // once with the map. bench/RESULTS.md has the measurements.
  internal::FoldOptions fold;
  fold.offsets = text.size() > internal::kLazyOffsetsMaxBytes;
  internal::Fold(text, fold, &scan->folded);
  scan->candidates.clear();
  absl::Status status = internal::FindCandidates(state_->loaded, scan->folded.text,
                                                 scan->scratch.get(), &scan->candidates);
  if (status.ok() && !fold.offsets && !scan->candidates.empty()) {
    fold.offsets = true;
    internal::Fold(text, fold, &scan->folded);
  }
  if (status.ok()) {
    internal::ResolveCandidates(state_->loaded, text, scan->folded, &scan->candidates,
                                &scan->resolved);
    decision->hits.clear();
    decision->hits.reserve(scan->resolved.size());
    for (const internal::ResolvedHit& r : scan->resolved) {
      Hit& h = decision->hits.emplace_back();
      h.entry_id = r.entry->id();
      h.pack = r.pack->compiled.manifest().name();
      h.category = r.entry->category();
      h.term = r.entry->term();
      h.severity = r.entry->severity();
      h.regex = r.entry->kind() == ::menshen::pack::REGEX;
      h.start = r.start;
      h.end = r.end;
      h.foldings = options.explain ? internal::Explain(text.substr(r.start, r.end - r.start)) : 0;
    }
    decision->invalid_utf8 = scan->folded.invalid_sequences;
    status = policy.Decide(text, request.direction, request.profile, request.locale, decision);
  }
  if (status.ok()) {
    decision->engine = shared_from_this();
    if (options.audit_hook) {
      internal::BuildAuditRecord(*state_, text, request, *decision, &scan->audit_record);
      // The hook is the caller's code: whatever it throws stays here.
      try {
        options.audit_hook(scan->audit_record);
      } catch (...) {
        state_->audit_hook_failures.fetch_add(1, std::memory_order_relaxed);
      }
    }
  }
  state_->Release(std::move(scan));
  return status;
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
