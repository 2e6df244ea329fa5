// Streams: block mode's pipeline run incrementally. Hold-back rule (offsets
// in the folded text; F = folded bytes scanned, W = the longest match):
// - every match not yet reported starts at or after F + 1 - W, so nothing
//   before that point (and before any unresolved candidate) can still be
//   masked, and it is released;
// - a candidate is resolved once it ends at or before P = F + 1 - W - 8: its
//   context is folded, no later match can merge into it, and every allow
//   span that could contain it has been reported.
// docs/streaming.md has the argument and the bounds.
#include "menshen/stream.h"

#include <algorithm>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "lib/engine/audit_record.h"
#include "lib/engine/engine_state.h"
#include "lib/match/resolve.h"
#include "lib/policy/mask.h"
#include "lib/stream/stream_state.h"

namespace menshen {
namespace internal {
namespace {

constexpr uint64_t kNone = UINT64_MAX;
// Compaction runs when this much held text or folded window is dead, so its
// cost (moving what is left) is spread over at least as many input bytes.
constexpr size_t kCompactBytes = 4096;
// Buffers larger than this are freed when a stream goes back to the pool.
constexpr size_t kPooledBufferBytes = 16 << 10;

bool HitLess(const Hit& a, const Hit& b) {
  return std::tie(a.start, a.end, a.entry_id) < std::tie(b.start, b.end, b.entry_id);
}

}  // namespace

absl::Status StreamState::Open(std::shared_ptr<const Engine> engine, EngineState* state,
                               const StreamDatabases* dbs, const CheckRequest& request) {
  engine_ = std::move(engine);
  engine_state_ = state;
  dbs_ = dbs;
  direction_ = request.direction;
  profile_.assign(request.profile.data(), request.profile.size());
  locale_.assign(request.locale.data(), request.locale.size());
  request_id_.assign(request.request_id.data(), request.request_id.size());
  folder_.Reset();
  held_.clear();
  held_base_ = 0;
  window_.text.clear();
  window_.begin.clear();
  window_.end.clear();
  window_.invalid_sequences = 0;
  window_base_ = 0;
  pending_.clear();
  released_ = 0;
  done_hits_ = 0;
  max_unreleased_ = 0;
  decision_.hits.clear();
  decision_.action = Action::kAllow;
  decision_.rule.clear();
  decision_.masked.clear();
  decision_.refusal.clear();
  decision_.label.clear();
  decision_.label_position = LabelPosition::kNone;
  decision_.invalid_utf8 = 0;
  decision_.rejected_by_validators = 0;
  decision_.rule_parts.clear();
  last_rejected_.clear();
  has_rules_ = !state->rules->empty();
  rules_.Reset(state->rules.get());
  new_parts_.clear();
  window_cp_base_ = cp_cache_offset_ = cp_cache_count_ = 0;
  decision_.engine = engine_;
  placeholder_ = state->options.policy->compiled().proto().masking().style() ==
                 policy::Masking::PLACEHOLDER;
  input_sha_.Reset();
  scripts_ = ScriptCounts();
  counted_ = 0;
  full_text_.clear();
  finished_ = cut_ = audited_ = false;
  cut_offset_ = 0;
  // The decision of an empty stream, so decision() is complete from the start.
  if (absl::Status s = Decide(kNone); !s.ok()) return s;
  return match_.Open(dbs_);
}

absl::Status StreamState::OpenLike(const StreamState& other) {
  engine_ = other.engine_;
  engine_state_ = other.engine_state_;
  dbs_ = other.dbs_;
  if (absl::Status s = match_.Open(dbs_); !s.ok()) return s;
  direction_ = other.direction_;
  profile_ = other.profile_;
  locale_ = other.locale_;
  request_id_ = other.request_id_;
  folder_ = other.folder_;
  held_ = other.held_;
  held_base_ = other.held_base_;
  window_.text = other.window_.text;
  window_.begin = other.window_.begin;
  window_.end = other.window_.end;
  window_base_ = other.window_base_;
  pending_ = other.pending_;
  released_ = other.released_;
  done_hits_ = other.done_hits_;
  max_unreleased_ = other.max_unreleased_;
  decision_ = other.decision_;
  input_sha_.CopyFrom(other.input_sha_);
  scripts_ = other.scripts_;
  counted_ = other.counted_;
  full_text_ = other.full_text_;
  finished_ = other.finished_;
  cut_ = other.cut_;
  audited_ = other.audited_;
  cut_offset_ = other.cut_offset_;
  placeholder_ = other.placeholder_;
  last_rejected_ = other.last_rejected_;
  has_rules_ = other.has_rules_;
  rules_ = other.rules_;
  window_cp_base_ = other.window_cp_base_;
  cp_cache_offset_ = other.cp_cache_offset_;
  cp_cache_count_ = other.cp_cache_count_;
  // Without a callback the copy reports nothing and needs no scratch.
  return match_.CopyFrom(other.match_, nullptr);
}

void StreamState::Park() {
  // A stream abandoned midway leaves Hyperscan state behind; without a
  // callback the reset reports nothing and needs no scratch.
  match_.Reset(nullptr).IgnoreError();
  // A pooled state keeps its buffers for the next stream, unless one long
  // stream or one huge chunk grew them: those go back to the allocator.
  auto trim = [](auto& buffer) {
    if (buffer.capacity() * sizeof(buffer[0]) > kPooledBufferBytes) {
      buffer.clear();
      buffer.shrink_to_fit();
    }
  };
  trim(held_);
  trim(window_.text);
  trim(window_.begin);
  trim(window_.end);
  trim(pending_);
  trim(groups_);
  trim(drop_);
  trim(fresh_);
  trim(decision_.hits);
  trim(decision_.rule_parts);
  trim(new_parts_);
  trim(mask_hits_);
  trim(masked_);
  trim(full_text_);
  decision_.engine.reset();
  decision_.hits.clear();
  engine_.reset();
  engine_state_ = nullptr;
}

const pack::Entry& StreamState::EntryOf(const StreamCandidate& c) const {
  return engine_state_->loaded[c.pack]->compiled.entries(static_cast<int>(c.entry));
}

bool StreamState::IsAllow(const StreamCandidate& c) const {
  return (EntryOf(c).flags() & pack::ALLOW) != 0;
}

bool StreamState::IsPart(const StreamCandidate& c) const {
  return (EntryOf(c).flags() & pack::PART) != 0;
}

uint64_t StreamState::CodePointAt(uint64_t folded) {
  uint64_t from = window_base_;
  uint64_t count = window_cp_base_;
  if (cp_cache_offset_ >= window_base_ && cp_cache_offset_ <= folded) {
    from = cp_cache_offset_;
    count = cp_cache_count_;
  }
  count += CountCodePoints(
      std::string_view(window_.text).substr(from - window_base_, folded - from));
  cp_cache_offset_ = folded;
  cp_cache_count_ = count;
  return count;
}

uint64_t StreamState::AddRuleHits(uint64_t first_new) {
  if (!has_rules_) return first_new;
  const size_t before = rules_.hits().size();
  std::sort(new_parts_.begin(), new_parts_.end(), PartHitLess);
  for (const PartHit& p : new_parts_) rules_.Add(p);
  new_parts_.clear();
  if (finished_) rules_.Finish();
  if (rules_.hits().size() == before) return first_new;
  const size_t first = decision_.hits.size();
  AppendRuleHits(rules_, before, engine_state_->loaded, &decision_);
  // Each at its place in the sorted hits; one before done_hits_ moves it on.
  for (size_t i = first; i < decision_.hits.size(); ++i) {
    const Hit h = decision_.hits[i];
    first_new = std::min<uint64_t>(first_new, h.start);
    auto at = std::upper_bound(decision_.hits.begin(), decision_.hits.begin() + i, h, HitLess);
    if (static_cast<size_t>(at - decision_.hits.begin()) < done_hits_) ++done_hits_;
    std::move_backward(at, decision_.hits.begin() + i, decision_.hits.begin() + i + 1);
    *at = h;
  }
  return first_new;
}

size_t StreamState::memory_bytes() const {
  return dbs_->stream_state_bytes() + folder_.memory_bytes() + held_.capacity() +
         window_.text.capacity() + 4 * (window_.begin.capacity() + window_.end.capacity()) +
         sizeof(Pending) * pending_.capacity() + sizeof(StreamCandidate) * fresh_.capacity() +
         sizeof(Group) * groups_.capacity() + drop_.capacity() +
         sizeof(Hit) * (decision_.hits.capacity() + mask_hits_.capacity()) +
         sizeof(RulePart) * decision_.rule_parts.capacity() + rules_.memory_bytes() +
         sizeof(PartHit) * new_parts_.capacity() +
         masked_.capacity() + full_text_.capacity();
}

absl::Status StreamState::Advance(std::string_view chunk, bool at_end) {
  const size_t before = window_.text.size();
  if (at_end) {
    folder_.Finish(held_base_, &window_);
  } else {
    folder_.Feed(chunk, held_base_, &window_);
  }
  // Script counts (for the refusal's locale) over whole characters only, and
  // like block mode over the first kScriptSampleBytes.
  const uint64_t counted_to = std::min<uint64_t>(
      at_end ? folder_.consumed() : folder_.final_offset(), kScriptSampleBytes);
  if (counted_to > counted_) {
    CountScripts(std::string_view(held_).substr(counted_ - held_base_, counted_to - counted_),
                 &scripts_);
    counted_ = counted_to;
  }
  absl::StatusOr<HsScratchPtr> scratch = dbs_->AcquireScratch();
  if (!scratch.ok()) return scratch.status();
  fresh_.clear();
  absl::Status s = match_.Scan(std::string_view(window_.text).substr(before), scratch->get(),
                               &fresh_);
  if (s.ok() && at_end) s = match_.Finish(scratch->get(), &fresh_);
  dbs_->ReleaseScratch(*std::move(scratch));
  if (!s.ok()) return s;
  for (const StreamCandidate& c : fresh_) pending_.push_back(Pending{c, false});
  return absl::OkStatus();
}

uint64_t StreamState::OriginalOffsetOfFolded(uint64_t folded) const {
  const uint64_t scanned = window_base_ + window_.text.size();
  if (folded >= scanned) return finished_ ? folder_.consumed() : folder_.final_offset();
  return held_base_ + window_.begin[folded - window_base_];
}

uint64_t StreamState::Resolve() {
  if (pending_.empty()) return finished_ ? AddRuleHits(kNone) : kNone;  // most chunks
  const uint64_t scanned = window_base_ + window_.text.size();
  const uint64_t width = dbs_->max_width();
  // Candidates ending by check_limit have their context folded; groups
  // ending by settled can no longer change (see the top of this file).
  const uint64_t check_limit =
      finished_ ? kNone : (scanned > kStreamContextBytes ? scanned - kStreamContextBytes : 0);
  const uint64_t settled = finished_ ? kNone
                           : scanned + 1 > width + kStreamContextBytes
                               ? scanned + 1 - width - kStreamContextBytes
                               : 0;
  std::string_view original(held_);
  size_t kept = 0;
  for (Pending& p : pending_) {
    if (!p.checked && p.c.end <= check_limit) {
      const Candidate local{p.c.pack, p.c.entry, static_cast<uint32_t>(p.c.start - window_base_),
                            static_cast<uint32_t>(p.c.end - window_base_)};
      bool rejected = false;
      if (!AcceptCandidate(EntryOf(p.c), original, window_, local, &rejected) && !rejected) {
        continue;
      }
      p.checked = true;
      p.rejected = rejected;
    }
    pending_[kept++] = p;
  }
  pending_.resize(kept);

  // Group the checked candidates as block mode does: by entry, then start; a
  // regex's overlapping matches become their union.
  std::sort(pending_.begin(), pending_.end(), [](const Pending& a, const Pending& b) {
    if (a.checked != b.checked) return a.checked;
    return std::tie(a.c.pack, a.c.entry, a.c.start, a.c.end) <
           std::tie(b.c.pack, b.c.entry, b.c.start, b.c.end);
  });
  std::vector<Group>& groups = groups_;
  groups.clear();
  std::vector<uint8_t>& drop = drop_;
  drop.assign(pending_.size(), 0);
  for (size_t i = 0; i < pending_.size() && pending_[i].checked; ++i) {
    const StreamCandidate& c = pending_[i].c;
    if (pending_[i].rejected) {
      // Counted once settled, like block mode counts them: in order of
      // start, an overlap with the previous rejection of the entry is the same.
      if (c.end > settled) continue;
      auto last = std::find_if(last_rejected_.begin(), last_rejected_.end(),
                               [&](const StreamCandidate& r) {
                                 return r.pack == c.pack && r.entry == c.entry;
                               });
      if (last == last_rejected_.end()) {
        last_rejected_.push_back(c);
        ++decision_.rejected_by_validators;
      } else {
        if (c.start >= last->end) ++decision_.rejected_by_validators;
        *last = c;
      }
      drop[i] = 1;
      continue;
    }
    if (!groups.empty()) {
      Group& g = groups.back();
      const bool same_entry = g.span.pack == c.pack && g.span.entry == c.entry;
      if (same_entry && c.start < g.span.end && EntryOf(c).kind() == pack::REGEX) {
        g.span.end = std::max(g.span.end, c.end);
        g.last = i + 1;
        continue;
      }
      if (same_entry && c.start == g.span.start && c.end == g.span.end) {
        g.last = i + 1;
        continue;
      }
    }
    groups.push_back(Group{c, i, i + 1, IsAllow(c)});
  }

  uint64_t first_new = kNone;
  for (const Group& g : groups) {
    if (g.span.end > settled) continue;
    for (size_t i = g.first; i < g.last; ++i) drop[i] = 1;
    if (g.allow) continue;
    const bool allowed = std::any_of(groups.begin(), groups.end(), [&](const Group& a) {
      return a.allow && a.span.start <= g.span.start && a.span.end >= g.span.end;
    });
    if (allowed) continue;
    const pack::Entry& e = EntryOf(g.span);
    if ((e.flags() & pack::PART) != 0) {
      if (has_rules_) {
        PartHit p{g.span.pack, g.span.entry, g.span.start, g.span.end,
                  CodePointAt(g.span.start), CodePointAt(g.span.end),
                  held_base_ + window_.begin[g.span.start - window_base_],
                  held_base_ + window_.end[g.span.end - 1 - window_base_]};
        if (engine_state_->options.explain) {
          p.foldings = Explain(original.substr(p.original_start - held_base_,
                                               p.original_end - p.original_start));
        }
        new_parts_.push_back(p);
      }
      continue;
    }
    Hit h;
    h.entry_id = e.id();
    h.pack = engine_state_->loaded[g.span.pack]->compiled.manifest().name();
    h.category = e.category();
    h.term = e.term();
    h.severity = e.severity();
    h.regex = e.kind() == pack::REGEX;
    h.start = held_base_ + window_.begin[g.span.start - window_base_];
    h.end = held_base_ + window_.end[g.span.end - 1 - window_base_];
    if (engine_state_->options.explain) {
      h.foldings = Explain(original.substr(h.start - held_base_, h.end - h.start));
    }
    first_new = std::min<uint64_t>(first_new, h.start);
    decision_.hits.insert(
        std::upper_bound(decision_.hits.begin() + static_cast<std::ptrdiff_t>(done_hits_),
                         decision_.hits.end(), h, HitLess),
        h);
  }
  kept = 0;
  for (size_t i = 0; i < pending_.size(); ++i) {
    if (!drop[i]) pending_[kept++] = pending_[i];
  }
  pending_.resize(kept);
  return AddRuleHits(first_new);
}

absl::Status StreamState::Decide(uint64_t first_new_hit) {
  const CompiledPolicy& policy = engine_state_->options.policy->compiled();
  const std::string_view locale =
      !locale_.empty() ? std::string_view(locale_) : DominantLocale(scripts_);
  // No text: the stream's masked text is what it released.
  if (absl::Status s = policy.Decide(std::string_view(), direction_, profile_, locale, &decision_);
      !s.ok()) {
    return s;
  }
  decision_.invalid_utf8 = folder_.invalid_sequences();
  if (first_new_hit != kNone &&
      (decision_.action == Action::kRefuse || decision_.action == Action::kBlock)) {
    cut_ = true;
    cut_offset_ = MoveOutOfSpans(first_new_hit);
  }
  return absl::OkStatus();
}

// With the placeholder style, spans that overlap or touch become one
// placeholder, so release never stops inside a span or at its end (the next
// hit could still join it). With the character style every code point is
// masked on its own and release may stop anywhere between code points.
uint64_t StreamState::MoveOutOfSpans(uint64_t offset) const {
  if (!placeholder_) return offset;
  const std::vector<Hit>& hits = decision_.hits;
  for (size_t i = done_hits_; i < hits.size();) {
    if (hits[i].rule) {  // never masked
      ++i;
      continue;
    }
    const uint64_t start = hits[i].start;
    uint64_t end = hits[i].end;
    for (++i; i < hits.size() && hits[i].start <= end; ++i) {
      if (!hits[i].rule) end = std::max<uint64_t>(end, hits[i].end);
    }
    if (start >= offset) break;
    if (offset <= end) return start;
  }
  return offset;
}

void StreamState::Release(uint64_t until, std::string* released) {
  // At the end of the input no later hit can join a span.
  const bool at_end = finished_ && !cut_ && until >= folder_.consumed();
  until = std::max(until, released_);
  if (!at_end) until = MoveOutOfSpans(until);
  if (until <= released_) return;
  // Hits are sorted by start; with the character style one may straddle
  // the previous release point or this one: each is clipped to the piece.
  mask_hits_.clear();
  const std::vector<Hit>& hits = decision_.hits;
  for (size_t i = done_hits_; i < hits.size() && hits[i].start < until; ++i) {
    if (hits[i].end <= released_ || hits[i].rule) continue;
    Hit h = hits[i];
    h.start = std::max<uint64_t>(h.start, released_) - released_;
    h.end = std::min<uint64_t>(h.end, until) - released_;
    mask_hits_.push_back(h);
  }
  const std::string_view text =
      std::string_view(held_).substr(released_ - held_base_, until - released_);
  if (mask_hits_.empty()) {
    released->append(text.data(), text.size());
  } else {
    MaskSpans(text, mask_hits_, engine_state_->options.policy->compiled().proto().masking(),
              &masked_);
    released->append(masked_);
  }
  released_ = until;
  while (done_hits_ < hits.size() && hits[done_hits_].end <= released_) ++done_hits_;
}

void StreamState::Compact() {
  const uint64_t scanned = window_base_ + window_.text.size();
  const uint64_t width = dbs_->max_width();
  // The window must keep every unresolved candidate, where the next matches
  // can start, and the context before them.
  uint64_t keep = scanned + 1 > width ? scanned + 1 - width : 0;
  for (const Pending& p : pending_) keep = std::min(keep, p.c.start);
  keep = keep > window_base_ + kStreamContextBytes ? keep - kStreamContextBytes : window_base_;
  keep = std::min(keep, scanned);
  while (keep > window_base_ && keep < scanned &&
         (static_cast<unsigned char>(window_.text[keep - window_base_]) & 0xC0) == 0x80) {
    --keep;  // a code point's first byte
  }
  const size_t cut_window = keep - window_base_;
  if (cut_window >= kCompactBytes || (cut_window > 0 && cut_window * 2 >= window_.text.size())) {
    if (has_rules_) {
      window_cp_base_ += CountCodePoints(std::string_view(window_.text).substr(0, cut_window));
    }
    window_.text.erase(0, cut_window);
    window_.begin.erase(window_.begin.begin(), window_.begin.begin() + cut_window);
    window_.end.erase(window_.end.begin(), window_.end.begin() + cut_window);
    window_base_ = keep;
  }
  // Held text: from what is unreleased, or what the window maps to.
  uint64_t held_keep = counted_ < kScriptSampleBytes ? std::min(released_, counted_) : released_;
  if (!window_.begin.empty()) held_keep = std::min<uint64_t>(held_keep, held_base_ + window_.begin[0]);
  const size_t cut_held = held_keep - held_base_;
  if (cut_held >= kCompactBytes || (cut_held > 0 && cut_held * 2 >= held_.size())) {
    held_.erase(0, cut_held);
    const uint32_t delta = static_cast<uint32_t>(cut_held);
    for (uint32_t& b : window_.begin) b -= delta;
    for (uint32_t& e : window_.end) e -= delta;
    held_base_ = held_keep;
  }
}

void StreamState::Audit() {
  if (audited_) return;
  audited_ = true;
  const EngineOptions& options = engine_state_->options;
  if (!options.audit_hook) return;
  CheckRequest request;
  request.direction = direction_;
  request.profile = profile_;
  request.locale = locale_;
  request.request_id = request_id_;
  Sha256 copy;
  copy.CopyFrom(input_sha_);
  const std::string_view text(full_text_);
  BuildAuditRecord(*engine_state_, request, decision_, folder_.consumed(),
                   DigestToHex(copy.Finish()), options.audit_include_text ? &text : nullptr,
                   &record_);
  try {
    options.audit_hook(record_);
  } catch (...) {
    engine_state_->audit_hook_failures.fetch_add(1, std::memory_order_relaxed);
  }
}

absl::Status StreamState::Feed(std::string_view chunk, std::string* released) {
  if (finished_) return absl::FailedPreconditionError("the stream is finished");
  if (cut_) return absl::OkStatus();
  const EngineOptions& options = engine_state_->options;
  if (chunk.size() > options.max_input_bytes - std::min<uint64_t>(folder_.consumed(),
                                                                  options.max_input_bytes)) {
    cut_ = true;
    cut_offset_ = released_;
    Audit();
    return absl::ResourceExhaustedError(absl::StrCat(
        "the stream's input exceeds max_input_bytes (", options.max_input_bytes, ")"));
  }
  held_.append(chunk.data(), chunk.size());
  input_sha_.Update(chunk);
  if (options.audit_include_text) full_text_.append(chunk.data(), chunk.size());
  if (absl::Status s = Advance(chunk, false); !s.ok()) return s;
  const uint64_t first_new = Resolve();
  if (first_new != kNone) {
    if (absl::Status s = Decide(first_new); !s.ok()) return s;
  }
  // Release what no match can still reach.
  const uint64_t scanned = window_base_ + window_.text.size();
  const uint64_t width = dbs_->max_width();
  uint64_t safe = scanned + 1 > width ? scanned + 1 - width : 0;
  for (const Pending& p : pending_) {
    // Allow spans and rule parts are never masked: they hold nothing back.
    if (!IsAllow(p.c) && !p.rejected && !IsPart(p.c)) safe = std::min(safe, p.c.start);
  }
  uint64_t until = std::max(OriginalOffsetOfFolded(std::max(safe, window_base_)), released_);
  if (cut_) until = std::min(until, cut_offset_);
  Release(until, released);
  if (cut_) {
    cut_offset_ = released_;
    Audit();
    return absl::OkStatus();
  }
  const uint64_t unreleased = folder_.consumed() - released_;
  max_unreleased_ = std::max(max_unreleased_, unreleased);
  if (unreleased > options.max_stream_holdback_bytes) {
    cut_ = true;
    cut_offset_ = released_;
    Audit();
    return absl::ResourceExhaustedError(absl::StrCat(
        "the stream holds back ", unreleased, " bytes, more than max_stream_holdback_bytes (",
        options.max_stream_holdback_bytes,
        "): a match still growing, or a long run of ignorable characters inside a possible term"));
  }
  Compact();
  return absl::OkStatus();
}

absl::Status StreamState::Finish(std::string* released) {
  if (finished_) return absl::FailedPreconditionError("the stream is already finished");
  finished_ = true;
  if (cut_) return absl::OkStatus();
  if (absl::Status s = Advance(std::string_view(), true); !s.ok()) return s;
  const uint64_t first_new = Resolve();
  if (absl::Status s = Decide(first_new); !s.ok()) return s;
  Release(cut_ ? cut_offset_ : folder_.consumed(), released);
  if (cut_) cut_offset_ = released_;
  Audit();
  return absl::OkStatus();
}

}  // namespace internal

Stream::Stream(std::unique_ptr<internal::StreamState> state) : state_(std::move(state)) {}

Stream::Stream(Stream&& other) noexcept = default;

Stream& Stream::operator=(Stream&& other) noexcept {
  if (this != &other) {
    Stream old(std::move(*this));  // returns the current state to its pool
    state_ = std::move(other.state_);
  }
  return *this;
}

Stream::~Stream() {
  if (state_ == nullptr) return;
  // This stream may hold the last reference to its engine, whose pool the
  // state goes back to: keep the engine alive until the state is in it.
  std::shared_ptr<const Engine> engine = state_->engine();
  internal::EngineState* owner = state_->engine_state();
  state_->Park();
  owner->ReleaseStream(std::move(state_));
}

absl::Status Stream::Feed(std::string_view chunk, std::string* released) {
  return state_->Feed(chunk, released);
}
absl::Status Stream::Finish(std::string* released) { return state_->Finish(released); }
const Decision& Stream::decision() const { return state_->decision(); }
bool Stream::cut() const { return state_->cut(); }
size_t Stream::cut_offset() const { return static_cast<size_t>(state_->cut_offset()); }
bool Stream::finished() const { return state_->finished(); }
size_t Stream::bytes_fed() const { return static_cast<size_t>(state_->bytes_fed()); }
size_t Stream::bytes_released() const { return static_cast<size_t>(state_->bytes_released()); }
size_t Stream::memory_bytes() const { return state_->memory_bytes(); }
size_t Stream::max_held_bytes() const { return static_cast<size_t>(state_->max_held_bytes()); }

absl::StatusOr<Stream> Stream::Fork() const {
  internal::EngineState* owner = state_->engine_state();
  std::unique_ptr<internal::StreamState> copy = owner->AcquireStream();
  if (absl::Status s = copy->OpenLike(*state_); !s.ok()) {
    copy->Park();
    owner->ReleaseStream(std::move(copy));
    return s;
  }
  return Stream(std::move(copy));
}

}  // namespace menshen
