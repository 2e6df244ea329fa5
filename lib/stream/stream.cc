// Streams: block mode's pipeline run incrementally. Hold-back rule (offsets
// in the folded text; F = folded bytes scanned, W = the longest match):
// - every match not yet reported starts at or after F + 1 - W, so nothing
//   before that point (and before any unresolved candidate or open group) can
//   still be masked, and it is released;
// - a group of candidates is settled once it ends at or before
//   P = F + 1 - W - 8: its context is folded, no later match can merge into
//   it, and every allow span that could contain it has been reported.
// Every step costs what the chunk brings and what is still open (bounded by
// the hold-back), never the hits before: groups are kept open per entry
// instead of re-sorting candidates, and the policy keeps a tally per rule
// instead of deciding over every hit again. docs/streaming.md has the
// argument and the bounds.
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

constexpr uint64_t kNoHit = UINT64_MAX;
// Compaction runs when kCompactBytes of held text or folded window are dead,
// so its cost (moving what is left, about the longest pattern) is spread
// over at least as many input bytes, and the buffers stay near what the
// hold-back needs: a stream's steady memory is about (W + 8 + kCompactBytes)
// folded bytes of window at 9 bytes each, W being the longest pattern.
constexpr size_t kCompactBytes = 64;
// A buffer holding more than this many bytes of capacity, four times what it
// uses, is given back after a feed: one large chunk must not pin memory for
// the rest of the stream. Below it a warm stream allocates nothing.
constexpr size_t kShrinkBytes = 4096;
// What the held text and the folded window (text and two offsets a byte)
// may keep between feeds: the hold-back of the default packs needs ~2.3 KB.
// A chunk larger than the slack grows them past it; they are cut back to
// what they hold after that feed, so a stream's memory between feeds stays
// under 4 KB whatever the chunk size. Token-sized chunks never reach it and
// allocate nothing.
constexpr size_t kWindowBudgetBytes = 2560;
// Buffers larger than this are freed when a stream goes back to the pool.
constexpr size_t kPooledBufferBytes = 16 << 10;

bool HitLess(const Hit& a, const Hit& b) {
  return std::tie(a.start, a.end, a.entry_id) < std::tie(b.start, b.end, b.entry_id);
}

bool EntryLess(const StreamCandidate& a, const StreamCandidate& b) {
  return std::tie(a.pack, a.entry, a.start, a.end) < std::tie(b.pack, b.entry, b.start, b.end);
}

template <typename Buffer>
size_t CapacityBytes(const Buffer& b) {
  return b.capacity() * sizeof(b[0]);
}

template <typename Buffer>
void ShrinkIfOversized(Buffer& b) {
  if (CapacityBytes(b) > kShrinkBytes && b.capacity() > 4 * b.size()) b.shrink_to_fit();
}

template <typename Buffer>
void TightenToSize(Buffer& b) {
  if (b.capacity() > b.size() + 8) b.shrink_to_fit();
}

// Scratch holds nothing between feeds.
template <typename Buffer>
void ShrinkScratch(Buffer& b) {
  if (CapacityBytes(b) > kShrinkBytes) {
    b.clear();
    b.shrink_to_fit();
  }
}

}  // namespace

absl::Status StreamState::Open(std::shared_ptr<const Engine> engine, EngineState* state,
                               const StreamDatabases* dbs, const CheckRequest& request) {
  engine_ = std::move(engine);
  engine_state_ = state;
  dbs_ = dbs;
  policy_ = &state->options.policy->compiled();
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
  unchecked_.clear();
  literal_groups_.clear();
  literal_head_ = 0;
  regex_groups_.clear();
  open_allow_ = 0;
  rejected_.clear();
  last_rejected_.clear();
  live_.clear();
  live_head_ = 0;
  kept_min_severity_ = 0;
  released_ = 0;
  max_unreleased_ = 0;
  decision_.hits.clear();
  decision_.hits_not_kept = 0;
  decision_.cut_reason.clear();
  decision_.masked.clear();
  decision_.invalid_utf8 = 0;
  decision_.rejected_by_validators = 0;
  decision_.rule_parts.clear();
  decision_.engine = engine_;
  has_rules_ = !state->rules->empty();
  rules_.Reset(state->rules.get());
  new_parts_.clear();
  window_cp_base_ = cp_cache_offset_ = cp_cache_count_ = 0;
  placeholder_ =
      policy_->proto().masking().style() == policy::Masking::PLACEHOLDER;
  input_sha_.Reset();
  scripts_ = ScriptCounts();
  counted_ = 0;
  full_text_.clear();
  finished_ = cut_ = audited_ = false;
  cut_offset_ = 0;
  // Room for what the hold-back keeps plus a chunk, so that the folder does
  // not grow the window (by doubling) in steady state.
  const size_t room = dbs_->max_width() + kStreamContextBytes + kCompactBytes + 64;
  if (window_.text.capacity() < room) {
    window_.text.reserve(room);
    window_.begin.reserve(room);
    window_.end.reserve(room);
  }
  if (held_.capacity() < room) held_.reserve(room);
  if (absl::Status s = policy_->StartTally(direction_, profile_, &tally_); !s.ok()) return s;
  // The decision of an empty stream, so decision() is complete from the start.
  Decide(kNoHit);
  return match_.Open(dbs_);
}

absl::Status StreamState::OpenLike(const StreamState& other) {
  engine_ = other.engine_;
  engine_state_ = other.engine_state_;
  dbs_ = other.dbs_;
  policy_ = other.policy_;
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
  unchecked_ = other.unchecked_;
  literal_groups_.assign(other.literal_groups_.begin() +
                             static_cast<std::ptrdiff_t>(other.literal_head_),
                         other.literal_groups_.end());
  literal_head_ = 0;
  regex_groups_ = other.regex_groups_;
  open_allow_ = other.open_allow_;
  rejected_ = other.rejected_;
  last_rejected_ = other.last_rejected_;
  live_.assign(other.live_.begin() + static_cast<std::ptrdiff_t>(other.live_head_),
               other.live_.end());
  live_head_ = 0;
  tally_ = other.tally_;
  kept_min_severity_ = other.kept_min_severity_;
  released_ = other.released_;
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
  has_rules_ = other.has_rules_;
  rules_ = other.rules_;
  new_parts_.clear();
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
    if (CapacityBytes(buffer) > kPooledBufferBytes) {
      buffer.clear();
      buffer.shrink_to_fit();
    }
  };
  trim(held_);
  trim(window_.text);
  trim(window_.begin);
  trim(window_.end);
  trim(unchecked_);
  trim(literal_groups_);
  trim(regex_groups_);
  trim(rejected_);
  trim(fresh_);
  trim(settling_);
  trim(live_);
  trim(decision_.hits);
  trim(decision_.rule_parts);
  trim(new_parts_);
  trim(mask_spans_);
  trim(full_text_);
  decision_.engine.reset();
  decision_.hits.clear();
  live_.clear();
  engine_.reset();
  engine_state_ = nullptr;
}

const pack::Entry& StreamState::EntryOf(uint32_t pack, uint32_t entry) const {
  return engine_state_->loaded[pack]->compiled.entries(static_cast<int>(entry));
}

size_t StreamState::memory_bytes() const {
  return dbs_->stream_state_bytes() + folder_.memory_bytes() + CapacityBytes(held_) +
         CapacityBytes(window_.text) + CapacityBytes(window_.begin) +
         CapacityBytes(window_.end) + CapacityBytes(unchecked_) +
         CapacityBytes(literal_groups_) + CapacityBytes(regex_groups_) +
         CapacityBytes(rejected_) + CapacityBytes(last_rejected_) + CapacityBytes(fresh_) +
         CapacityBytes(settling_) + CapacityBytes(live_) + CapacityBytes(decision_.hits) +
         CapacityBytes(mask_spans_) + CapacityBytes(full_text_) +
         CapacityBytes(decision_.rule_parts) + CapacityBytes(new_parts_) + rules_.memory_bytes();
}

uint64_t StreamState::CodePointAt(uint64_t folded) {
  // Questions come nearly in order (a part's start, then its end): count
  // from the last answer, forwards or back, or from the window's start.
  const std::string_view text(window_.text);
  uint64_t count;
  if (cp_cache_offset_ >= window_base_ && cp_cache_offset_ <= folded) {
    count = cp_cache_count_ + CountCodePoints(text.substr(cp_cache_offset_ - window_base_,
                                                          folded - cp_cache_offset_));
  } else if (cp_cache_offset_ >= window_base_ &&
             cp_cache_offset_ - folded < folded - window_base_) {
    count = cp_cache_count_ - CountCodePoints(text.substr(folded - window_base_,
                                                          cp_cache_offset_ - folded));
  } else {
    count = window_cp_base_ + CountCodePoints(text.substr(0, folded - window_base_));
  }
  cp_cache_offset_ = folded;
  cp_cache_count_ = count;
  return count;
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
  // A chunk inside a character or a noise run may fold to nothing final yet.
  if (window_.text.size() == before && !at_end) return absl::OkStatus();
  absl::StatusOr<HsScratchPtr> scratch = dbs_->AcquireScratch();
  if (!scratch.ok()) return scratch.status();
  absl::Status s = match_.Scan(std::string_view(window_.text).substr(before), scratch->get(),
                               &unchecked_);
  if (s.ok() && at_end) s = match_.Finish(scratch->get(), &unchecked_);
  dbs_->ReleaseScratch(*std::move(scratch));
  return s;
}

uint64_t StreamState::OriginalOffsetOfFolded(uint64_t folded) const {
  const uint64_t scanned = window_base_ + window_.text.size();
  if (folded >= scanned) return finished_ ? folder_.consumed() : folder_.final_offset();
  return held_base_ + window_.begin[folded - window_base_];
}

void StreamState::AddToGroups(const StreamCandidate& c) {
  Group g{c.facts,
          c.start,
          c.end,
          held_base_ + window_.begin[c.start - window_base_],
          held_base_ + window_.end[c.end - 1 - window_base_],
          IsAllow(c),
          c.pack,
          c.entry,
          0,
          0,
          0};
  if ((c.facts.bits & StreamEntryFacts::kPart) != 0) {
    if (!has_rules_) return;
    g.cp_start = CodePointAt(c.start);
    g.cp_end = CodePointAt(c.end);
    if (engine_state_->options.explain) {
      g.foldings = Explain(std::string_view(held_).substr(g.original_start - held_base_,
                                                          g.original_end - g.original_start));
    }
  }
  if ((c.facts.bits & StreamEntryFacts::kRegex) != 0) {
    // Overlapping matches of one regex become their union; the open groups
    // of an entry are disjoint, so one pass finds every one it joins.
    for (size_t i = 0; i < regex_groups_.size();) {
      Group& o = regex_groups_[i];
      if (o.facts.index == g.facts.index && o.start < g.end && g.start < o.end) {
        g.start = std::min(g.start, o.start);
        g.end = std::max(g.end, o.end);
        g.original_start = std::min(g.original_start, o.original_start);
        g.original_end = std::max(g.original_end, o.original_end);
        if (o.allow) --open_allow_;
        o = regex_groups_.back();
        regex_groups_.pop_back();
      } else {
        ++i;
      }
    }
    if (g.allow) ++open_allow_;
    regex_groups_.push_back(g);
    return;
  }
  // A literal reported twice for one span is one candidate. Literals arrive
  // in order of end, so a repeat is among the last groups.
  for (size_t i = literal_groups_.size(); i > literal_head_; --i) {
    const Group& o = literal_groups_[i - 1];
    if (o.end < g.end) break;
    if (o.facts.index == g.facts.index && o.start == g.start && o.end == g.end) return;
  }
  if (g.allow) ++open_allow_;
  literal_groups_.push_back(g);
}

void StreamState::CountRejections(uint64_t settled) {
  // Counted once settled, as block mode counts them: in order of start, an
  // overlap with the previous rejection of the entry is the same one.
  fresh_.clear();
  size_t kept = 0;
  for (const StreamCandidate& c : rejected_) {
    if (c.end <= settled) {
      fresh_.push_back(c);
    } else {
      rejected_[kept++] = c;
    }
  }
  rejected_.resize(kept);
  std::sort(fresh_.begin(), fresh_.end(), EntryLess);
  for (const StreamCandidate& c : fresh_) {
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
  }
}

uint64_t StreamState::Resolve() {
  if (unchecked_.empty() && literal_head_ == literal_groups_.size() && regex_groups_.empty() &&
      rejected_.empty()) {
    // Most chunks of most streams; at the end, rules with unless parts.
    return finished_ && has_rules_ ? IntakeRuleHits(kNoHit) : kNoHit;
  }
  const uint64_t scanned = window_base_ + window_.text.size();
  const uint64_t width = dbs_->max_width();
  // Candidates ending by check_limit have their context folded; groups
  // ending by settled can no longer change (see the top of this file).
  const uint64_t check_limit =
      finished_ ? kNoHit : (scanned > kStreamContextBytes ? scanned - kStreamContextBytes : 0);
  const uint64_t settled = finished_ ? kNoHit
                           : scanned + 1 > width + kStreamContextBytes
                               ? scanned + 1 - width - kStreamContextBytes
                               : 0;
  size_t kept = 0;
  for (size_t i = 0; i < unchecked_.size(); ++i) {
    const StreamCandidate c = unchecked_[i];
    if (c.end > check_limit) {
      unchecked_[kept++] = c;
      continue;
    }
    if ((c.facts.bits & StreamEntryFacts::kCheck) == 0) {
      AddToGroups(c);
      continue;
    }
    const Candidate local{c.pack, c.entry, static_cast<uint32_t>(c.start - window_base_),
                          static_cast<uint32_t>(c.end - window_base_)};
    bool rejected = false;
    if (AcceptCandidate(EntryOf(c.pack, c.entry), held_, window_, local, &rejected)) {
      AddToGroups(c);
    } else if (rejected) {
      rejected_.push_back(c);
    }
  }
  unchecked_.resize(kept);
  if (!rejected_.empty()) CountRejections(settled);

  settling_.clear();
  while (literal_head_ < literal_groups_.size() &&
         literal_groups_[literal_head_].end <= settled) {
    settling_.push_back(literal_groups_[literal_head_++]);
  }
  if (literal_head_ == literal_groups_.size()) {
    literal_groups_.clear();
    literal_head_ = 0;
  } else if (literal_head_ >= 16 && 2 * literal_head_ >= literal_groups_.size()) {
    literal_groups_.erase(literal_groups_.begin(),
                          literal_groups_.begin() + static_cast<std::ptrdiff_t>(literal_head_));
    literal_head_ = 0;
  }
  for (size_t i = 0; i < regex_groups_.size();) {
    if (regex_groups_[i].end <= settled) {
      settling_.push_back(regex_groups_[i]);
      regex_groups_[i] = regex_groups_.back();
      regex_groups_.pop_back();
    } else {
      ++i;
    }
  }
  if (settling_.empty()) return finished_ && has_rules_ ? IntakeRuleHits(kNoHit) : kNoHit;

  // A deny group inside an allow group is dropped. An allow group that
  // contains a settled group ends no earlier, so it is open or settling now.
  auto allowed = [this](const Group& g) {
    auto covers = [&g](const Group& a) {
      return a.allow && a.start <= g.start && a.end >= g.end;
    };
    return std::any_of(settling_.begin(), settling_.end(), covers) ||
           std::any_of(regex_groups_.begin(), regex_groups_.end(), covers) ||
           std::any_of(literal_groups_.begin() + static_cast<std::ptrdiff_t>(literal_head_),
                       literal_groups_.end(), covers);
  };
  uint64_t first_new = kNoHit;
  for (const Group& g : settling_) {
    if (g.allow || (open_allow_ > 0 && allowed(g))) continue;
    if ((g.facts.bits & StreamEntryFacts::kPart) != 0) {
      new_parts_.push_back(PartHit{g.pack, g.entry, g.start, g.end, g.cp_start, g.cp_end,
                                   static_cast<size_t>(g.original_start),
                                   static_cast<size_t>(g.original_end), g.foldings});
      continue;
    }
    first_new = std::min<uint64_t>(first_new, g.original_start);
    IntakeHit(g.facts, g.original_start, g.original_end);
  }
  for (const Group& g : settling_) {
    if (g.allow) --open_allow_;
  }
  return has_rules_ ? IntakeRuleHits(first_new) : first_new;
}

uint64_t StreamState::IntakeRuleHits(uint64_t first_new) {
  const size_t before = rules_.hits().size();
  if (!new_parts_.empty()) {
    std::sort(new_parts_.begin(), new_parts_.end(), PartHitLess);
    for (const PartHit& p : new_parts_) rules_.Add(p);
    new_parts_.clear();
  }
  if (finished_) rules_.Finish();
  const RuleIndex& index = *engine_state_->rules;
  for (size_t i = before; i < rules_.hits().size(); ++i) {
    const RuleHit& r = rules_.hits()[i];
    const StreamEntryFacts& facts = engine_state_->stream_entries[index.DenseId(r.pack, r.entry)];
    TallyHit t;
    t.severity = facts.severity;
    t.category = facts.category;
    t.start = r.start;
    t.end = r.end;
    t.entry_id = &engine_state_->stream_entry_ids[facts.index];
    if (facts.category < 0) t.category_code = engine_state_->stream_hits[facts.index].category;
    t.rule = true;
    policy_->AddToTally(t, &tally_);
    // Listed, never masked: a rule's parts are ordinary words.
    KeepHit(facts, r.start, r.end, &r);
    first_new = std::min<uint64_t>(first_new, r.start);
  }
  return first_new;
}

void StreamState::IntakeHit(const StreamEntryFacts& facts, uint64_t start, uint64_t end) {
  TallyHit t;
  t.severity = facts.severity;
  t.category = facts.category;
  t.start = start;
  t.end = end;
  t.entry_id = &engine_state_->stream_entry_ids[facts.index];  // read on a tie only
  if (facts.category < 0) t.category_code = engine_state_->stream_hits[facts.index].category;
  policy_->AddToTally(t, &tally_);
  KeepHit(facts, start, end);
  // Listed, never masked: a context word (law, news, prevention) is no risk.
  if (policy_->IsContextCategory(facts.category)) return;
  const Span span{start, end};
  auto less = [](const Span& a, const Span& b) {
    return std::tie(a.start, a.end) < std::tie(b.start, b.end);
  };
  if (live_.size() == live_head_ || !less(span, live_.back())) {
    live_.push_back(span);  // hits settle nearly in order of start
  } else {
    live_.insert(std::upper_bound(live_.begin() + static_cast<std::ptrdiff_t>(live_head_),
                                  live_.end(), span, less),
                 span);
  }
}

void StreamState::KeepHit(const StreamEntryFacts& facts, uint64_t start, uint64_t end,
                          const RuleHit* rule) {
  std::vector<Hit>& hits = decision_.hits;
  const size_t cap = engine_state_->options.max_stream_hits;
  const int severity = facts.severity;
  auto least_severity = [&hits] {
    int least = hits.empty() ? 0 : hits[0].severity;
    for (const Hit& h : hits) least = std::min(least, h.severity);
    return least;
  };
  if (hits.size() >= cap) {
    ++decision_.hits_not_kept;
    if (hits.empty() || severity <= kept_min_severity_) return;
    // A more severe hit takes the place of the least severe kept one (the
    // latest of those). Each swap raises a kept severity, so there are at
    // most three per kept hit over a stream's life.
    size_t least = 0;
    for (size_t i = 1; i < hits.size(); ++i) {
      if (hits[i].severity < hits[least].severity ||
          (hits[i].severity == hits[least].severity && HitLess(hits[least], hits[i]))) {
        least = i;
      }
    }
    hits.erase(hits.begin() + static_cast<std::ptrdiff_t>(least));
  }
  // Only hits the decision lists are made whole: a large pack's entries are
  // spread over memory, and most hits of a dense stream are only counted.
  Hit h = engine_state_->stream_hits[facts.index];
  h.start = start;
  h.end = end;
  if (rule != nullptr) {
    // The parts, from the evaluator (the text may be released by now).
    h.rule = true;
    h.first_part = static_cast<uint32_t>(decision_.rule_parts.size());
    h.part_count = rule->part_count;
    for (uint32_t k = 0; k < rule->part_count; ++k) {
      const PartHit& p = rules_.parts()[rule->first_part + k];
      h.foldings |= p.foldings;
      decision_.rule_parts.push_back(RulePart{EntryOf(p.pack, p.entry).term(),
                                              static_cast<size_t>(p.original_start),
                                              static_cast<size_t>(p.original_end)});
    }
  } else if (engine_state_->options.explain) {
    h.foldings |= Explain(std::string_view(held_).substr(start - held_base_, end - start));
  } else {
    h.foldings = 0;
  }
  hits.insert(std::upper_bound(hits.begin(), hits.end(), h, HitLess), h);
  if (hits.size() >= cap) kept_min_severity_ = least_severity();
}

std::string_view StreamState::Locale() const {
  return !locale_.empty() ? std::string_view(locale_) : DominantLocale(scripts_);
}

void StreamState::Decide(uint64_t first_new_hit) {
  policy_->DecideTally(tally_, Locale(), &decision_);
  decision_.invalid_utf8 = folder_.invalid_sequences();
  if (first_new_hit != kNoHit &&
      (decision_.action == Action::kRefuse || decision_.action == Action::kBlock)) {
    cut_ = true;
    cut_offset_ = MoveOutOfSpans(first_new_hit);
  }
}

absl::Status StreamState::CutForLimit(std::string_view reason, absl::Status error) {
  cut_ = true;
  cut_offset_ = released_;
  decision_.cut_reason.assign(reason.data(), reason.size());
  policy_->DecideStreamLimit(tally_, Locale(), &decision_);
  decision_.invalid_utf8 = folder_.invalid_sequences();
  absl::Status audited = Audit();
  return audited.ok() ? error : audited;
}

// With the placeholder style, spans that overlap or touch become one
// placeholder, so release never stops inside a span or at its end (the next
// hit could still join it). With the character style every code point is
// masked on its own and release may stop anywhere between code points.
uint64_t StreamState::MoveOutOfSpans(uint64_t offset) const {
  if (!placeholder_) return offset;
  for (size_t i = live_head_; i < live_.size();) {
    const uint64_t start = live_[i].start;
    uint64_t end = live_[i].end;
    for (++i; i < live_.size() && live_[i].start <= end; ++i) {
      end = std::max<uint64_t>(end, live_[i].end);
    }
    if (start >= offset) break;
    if (offset <= end) return start;
  }
  return offset;
}

uint64_t StreamState::SafeOffset() const {
  const uint64_t scanned = window_base_ + window_.text.size();
  const uint64_t width = dbs_->max_width();
  uint64_t safe = scanned + 1 > width ? scanned + 1 - width : 0;
  for (const StreamCandidate& c : unchecked_) {
    if (c.start < safe && !IsAllow(c) && (c.facts.bits & StreamEntryFacts::kPart) == 0) {
      safe = c.start;
    }
  }
  uint64_t until = OriginalOffsetOfFolded(std::max(safe, window_base_));
  for (size_t i = literal_head_; i < literal_groups_.size(); ++i) {
    const Group& g = literal_groups_[i];
    if (!g.allow && (g.facts.bits & StreamEntryFacts::kPart) == 0) {
      until = std::min(until, g.original_start);
    }
  }
  for (const Group& g : regex_groups_) {
    if (!g.allow) until = std::min(until, g.original_start);
  }
  return std::max(until, released_);
}

void StreamState::Release(uint64_t until, std::string* released) {
  // At the end of the input no later hit can join a span.
  const bool at_end = finished_ && !cut_ && until >= folder_.consumed();
  until = std::max(until, released_);
  if (!at_end) until = MoveOutOfSpans(until);
  if (until <= released_) return;
  // Hits are sorted by start; with the character style one may straddle
  // the previous release point or this one: each is clipped to the piece.
  mask_spans_.clear();
  for (size_t i = live_head_; i < live_.size() && live_[i].start < until; ++i) {
    if (live_[i].end <= released_) continue;
    mask_spans_.push_back(MaskSpan{std::max<uint64_t>(live_[i].start, released_) - released_,
                                   std::min<uint64_t>(live_[i].end, until) - released_});
  }
  const std::string_view text =
      std::string_view(held_).substr(released_ - held_base_, until - released_);
  if (mask_spans_.empty()) {
    released->append(text.data(), text.size());
  } else {
    AppendMasked(text, mask_spans_, policy_->proto().masking(), released);
  }
  released_ = until;
  while (live_head_ < live_.size() && live_[live_head_].end <= released_) ++live_head_;
  if (live_head_ == live_.size()) {
    live_.clear();
    live_head_ = 0;
  } else if (live_head_ >= 16 && 2 * live_head_ >= live_.size()) {
    live_.erase(live_.begin(), live_.begin() + static_cast<std::ptrdiff_t>(live_head_));
    live_head_ = 0;
  }
}

void StreamState::Compact(size_t chunk_bytes) {
  const uint64_t scanned = window_base_ + window_.text.size();
  const uint64_t width = dbs_->max_width();
  // The window must keep the context of every unchecked candidate and of
  // where the next matches can start. Open groups keep their original
  // offsets, so a long merged match does not pin the window.
  uint64_t keep = scanned + 1 > width ? scanned + 1 - width : 0;
  for (const StreamCandidate& c : unchecked_) keep = std::min(keep, c.start);
  keep = keep > window_base_ + kStreamContextBytes ? keep - kStreamContextBytes : window_base_;
  keep = std::min(keep, scanned);
  while (keep > window_base_ && keep < scanned &&
         (static_cast<unsigned char>(window_.text[keep - window_base_]) & 0xC0) == 0x80) {
    --keep;  // a code point's first byte
  }
  const size_t cut_window = keep - window_base_;
  if (cut_window >= kCompactBytes) {
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
  if (cut_held >= kCompactBytes) {
    held_.erase(0, cut_held);
    const uint32_t delta = static_cast<uint32_t>(cut_held);
    for (uint32_t& b : window_.begin) b -= delta;
    for (uint32_t& e : window_.end) e -= delta;
    held_base_ = held_keep;
  }
  // A buffer only grows past kShrinkBytes with a large chunk or a long
  // hold-back; look for one after a large chunk and now and then.
  if (chunk_bytes >= kShrinkBytes / 4 || (++feeds_ & 63) == 0) ShrinkBuffers();
  if (CapacityBytes(held_) + CapacityBytes(window_.text) + CapacityBytes(window_.begin) +
          CapacityBytes(window_.end) >
      kWindowBudgetBytes) {
    TightenToSize(held_);
    TightenToSize(window_.text);
    TightenToSize(window_.begin);
    TightenToSize(window_.end);
    TightenToSize(literal_groups_);
    TightenToSize(unchecked_);
  }
}

void StreamState::ShrinkBuffers() {
  ShrinkIfOversized(held_);
  ShrinkIfOversized(window_.text);
  ShrinkIfOversized(window_.begin);
  ShrinkIfOversized(window_.end);
  ShrinkIfOversized(unchecked_);
  ShrinkIfOversized(literal_groups_);
  ShrinkIfOversized(regex_groups_);
  ShrinkIfOversized(rejected_);
  ShrinkIfOversized(live_);
  ShrinkScratch(fresh_);
  ShrinkScratch(settling_);
  ShrinkScratch(new_parts_);
  ShrinkScratch(mask_spans_);
}

absl::Status StreamState::Audit() {
  if (audited_) return absl::OkStatus();
  audited_ = true;
  const EngineOptions& options = engine_state_->options;
  if (!options.audit_hook && !options.fail_closed_audit_hook) return absl::OkStatus();
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
  return ReportAudit(*engine_state_, record_);
}

absl::Status StreamState::Feed(std::string_view chunk, std::string* released) {
  if (finished_) return absl::FailedPreconditionError("the stream is finished");
  if (cut_) return absl::OkStatus();
  const EngineOptions& options = engine_state_->options;
  if (chunk.size() > options.max_input_bytes - std::min<uint64_t>(folder_.consumed(),
                                                                  options.max_input_bytes)) {
    return CutForLimit(kCutInputLimit,
                       absl::ResourceExhaustedError(absl::StrCat(
                           "the stream's input exceeds max_input_bytes (", options.max_input_bytes,
                           "); the stream is cut and its decision fails closed")));
  }
  held_.append(chunk.data(), chunk.size());
  // The input's digest is for the audit record: without a hook there is none.
  if (options.audit_hook || options.fail_closed_audit_hook) input_sha_.Update(chunk);
  if (options.audit_include_text) full_text_.append(chunk.data(), chunk.size());
  if (absl::Status s = Advance(chunk, false); !s.ok()) return s;
  const uint64_t first_new = Resolve();
  if (first_new != kNoHit) Decide(first_new);
  // Release what no match can still reach.
  uint64_t until = SafeOffset();
  if (cut_) until = std::min(until, cut_offset_);
  Release(until, released);
  if (cut_) {
    cut_offset_ = released_;
    return Audit();
  }
  const uint64_t unreleased = folder_.consumed() - released_;
  max_unreleased_ = std::max(max_unreleased_, unreleased);
  if (unreleased > options.max_stream_holdback_bytes) {
    return CutForLimit(
        kCutHoldbackLimit,
        absl::ResourceExhaustedError(absl::StrCat(
            "the stream holds back ", unreleased, " bytes, more than max_stream_holdback_bytes (",
            options.max_stream_holdback_bytes,
            "): a match still growing, or a long run of ignorable characters inside a possible "
            "term; the stream is cut and its decision fails closed")));
  }
  Compact(chunk.size());
  return absl::OkStatus();
}

absl::Status StreamState::Finish(std::string* released) {
  if (finished_) return absl::FailedPreconditionError("the stream is already finished");
  finished_ = true;
  if (cut_) return absl::OkStatus();
  if (absl::Status s = Advance(std::string_view(), true); !s.ok()) return s;
  Decide(Resolve());
  // The record comes before the rest of the text: with a fail-closed audit
  // hook, a stream whose decision is not recorded ends without it.
  if (absl::Status s = Audit(); !s.ok()) return s;
  Release(cut_ ? cut_offset_ : folder_.consumed(), released);
  if (cut_) cut_offset_ = released_;
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
