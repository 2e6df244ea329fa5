#include "lib/match/rules.h"

#include "lib/match/resolve.h"

#include <algorithm>
#include <map>
#include <tuple>

namespace menshen::internal {
namespace {

constexpr int64_t kInvalid = -1;

// Whether occurrence `b` of a step may follow occurrence `a` of the step
// before it, under the link of b's step.
bool Linked(uint8_t link, int32_t max_gap, const PartHit& a, const PartHit& b) {
  switch (link) {
    case pack::RuleStep::NEAR: {
      // Characters between the two (0 when they touch or overlap).
      const uint64_t left = std::max(a.cp_start, b.cp_start);
      const uint64_t right = std::min(a.cp_end, b.cp_end);
      return left <= right || left - right <= static_cast<uint64_t>(max_gap);
    }
    case pack::RuleStep::AFTER:
      return b.cp_start >= a.cp_end &&
             (max_gap < 0 || b.cp_start - a.cp_end <= static_cast<uint64_t>(max_gap));
    default:
      return true;
  }
}

}  // namespace

bool PartHitLess(const PartHit& a, const PartHit& b) {
  return std::tie(a.end, a.start, a.pack, a.entry) < std::tie(b.end, b.start, b.pack, b.entry);
}

void SetCodePointOffsets(std::string_view folded, std::vector<PartHit>* hits) {
  std::sort(hits->begin(), hits->end(),
            [](const PartHit& a, const PartHit& b) { return a.start < b.start; });
  auto code_points = [&](uint64_t from, uint64_t to) {
    uint64_t n = 0;
    to = std::min<uint64_t>(to, folded.size());
    for (uint64_t i = from; i < to; ++i) {
      n += (static_cast<unsigned char>(folded[i]) & 0xC0) != 0x80;
    }
    return n;
  };
  uint64_t pos = 0;
  uint64_t count = 0;
  for (PartHit& h : *hits) {
    count += code_points(pos, h.start);
    pos = std::max(pos, h.start);
    h.cp_start = count;
    h.cp_end = count + code_points(h.start, h.end);
  }
  std::sort(hits->begin(), hits->end(), PartHitLess);
}

std::unique_ptr<RuleIndex> RuleIndex::Build(absl::Span<const LoadedPack* const> packs) {
  auto index = std::make_unique<RuleIndex>();
  uint32_t total = 0;
  for (const LoadedPack* p : packs) {
    index->pack_base_.push_back(total);
    total += static_cast<uint32_t>(p->compiled.entries_size());
  }
  // Part ids: every PART literal that a rule names.
  index->part_of_.assign(total, -1);
  for (uint32_t pi = 0; pi < packs.size(); ++pi) {
    for (const pack::Entry& e : packs[pi]->compiled.entries()) {
      if (e.kind() != pack::RULE) continue;
      for (const pack::RuleStep& step : e.steps()) {
        for (uint32_t a : step.alternatives()) {
          int32_t& id = index->part_of_[index->DenseId(pi, a)];
          if (id < 0) id = static_cast<int32_t>(index->part_count_++);
        }
      }
    }
  }
  // Sets, interned by their sorted parts.
  std::map<std::vector<uint32_t>, uint32_t> set_ids;
  std::vector<std::vector<uint32_t>> sets;
  auto intern = [&](uint32_t pack_index, const pack::RuleStep& step) {
    std::vector<uint32_t> parts;
    for (uint32_t a : step.alternatives()) {
      parts.push_back(static_cast<uint32_t>(index->part_of_[index->DenseId(pack_index, a)]));
    }
    std::sort(parts.begin(), parts.end());
    parts.erase(std::unique(parts.begin(), parts.end()), parts.end());
    auto [it, inserted] = set_ids.emplace(parts, static_cast<uint32_t>(sets.size()));
    if (inserted) sets.push_back(std::move(parts));
    return it->second;
  };
  std::vector<std::pair<uint32_t, Use>> uses;  // (set, use)
  for (uint32_t pi = 0; pi < packs.size(); ++pi) {
    const auto& entries = packs[pi]->compiled.entries();
    for (int ei = 0; ei < entries.size(); ++ei) {
      const pack::Entry& e = entries[ei];
      if (e.kind() != pack::RULE) continue;
      const uint32_t rule_index = static_cast<uint32_t>(index->rules_.size());
      Rule rule{pi, static_cast<uint32_t>(ei), static_cast<uint32_t>(index->steps_.size()), 0,
                static_cast<uint32_t>(index->unless_sets_.size()), 0, 0};
      for (const pack::RuleStep& step : e.steps()) {
        const uint32_t set = intern(pi, step);
        if (step.negated()) {
          index->unless_sets_.push_back(set);
          ++rule.unless_count;
          uses.push_back({set, Use{rule_index, kUnless}});
          continue;
        }
        if (step.anchor()) rule.anchor = rule.positive;  // set by the compiler
        index->steps_.push_back(Step{static_cast<uint8_t>(step.link()), step.max_gap(), set});
        uses.push_back({set, Use{rule_index, rule.positive}});
        ++rule.positive;
      }
      index->rules_.push_back(rule);
    }
  }
  // CSR tables.
  auto csr = [](size_t rows, const std::vector<std::pair<uint32_t, uint32_t>>& pairs,
                std::vector<uint32_t>* begin, std::vector<uint32_t>* values) {
    begin->assign(rows + 1, 0);
    for (const auto& [row, value] : pairs) ++(*begin)[row + 1];
    for (size_t i = 0; i < rows; ++i) (*begin)[i + 1] += (*begin)[i];
    values->resize(pairs.size());
    std::vector<uint32_t> next(begin->begin(), begin->end() - 1);
    for (const auto& [row, value] : pairs) (*values)[next[row]++] = value;
  };
  std::vector<std::pair<uint32_t, uint32_t>> set_part_pairs;
  std::vector<std::pair<uint32_t, uint32_t>> part_set_pairs;
  for (uint32_t set = 0; set < sets.size(); ++set) {
    for (uint32_t part : sets[set]) {
      set_part_pairs.push_back({set, part});
      part_set_pairs.push_back({part, set});
    }
  }
  csr(sets.size(), set_part_pairs, &index->set_parts_begin_, &index->set_parts_);
  csr(index->part_count_, part_set_pairs, &index->part_sets_begin_, &index->part_sets_);
  std::sort(uses.begin(), uses.end(), [](const auto& a, const auto& b) {
    return std::tie(a.first, a.second.rule, a.second.step) <
           std::tie(b.first, b.second.rule, b.second.step);
  });
  index->set_uses_begin_.assign(sets.size() + 1, 0);
  for (const auto& [set, use] : uses) ++index->set_uses_begin_[set + 1];
  for (size_t i = 0; i < sets.size(); ++i) {
    index->set_uses_begin_[i + 1] += index->set_uses_begin_[i];
  }
  for (const auto& [set, use] : uses) index->set_uses_.push_back(use);
  std::vector<std::pair<uint32_t, uint32_t>> anchored;
  for (uint32_t r = 0; r < index->rules_.size(); ++r) {
    const Rule& rule = index->rules_[r];
    anchored.push_back({index->steps_[rule.first_step + rule.anchor].set, r});
  }
  csr(sets.size(), anchored, &index->anchored_begin_, &index->anchored_);
  // Reaches: a chain's members lie within the sum of its gaps (at most 4
  // folded bytes a character) and of its parts' lengths of any one member.
  std::vector<uint32_t> part_bytes(index->part_count_, 0);
  std::vector<uint32_t> part_cps(index->part_count_, 0);
  for (uint32_t pi = 0; pi < packs.size(); ++pi) {
    for (uint32_t e = 0; e < packs[pi]->meta.size(); ++e) {
      const int32_t part = index->PartOf(pi, e);
      if (part < 0) continue;
      const std::string& folded = packs[pi]->compiled.entries(static_cast<int>(e)).folded();
      uint32_t cps = 0;
      for (char ch : folded) cps += (static_cast<unsigned char>(ch) & 0xC0) != 0x80;
      part_cps[static_cast<uint32_t>(part)] = cps;
      part_bytes[static_cast<uint32_t>(part)] = static_cast<uint32_t>(folded.size());
      index->longest_part_ = std::max(index->longest_part_, part_bytes[static_cast<uint32_t>(part)]);
    }
  }
  index->anchor_reach_.assign(index->part_count_, 0);
  for (Rule& rule : index->rules_) {
    uint64_t reach = 0;
    uint64_t reach_cp = 0;
    for (uint32_t s = 0; s < rule.positive; ++s) {
      const Step& step = index->steps_[rule.first_step + s];
      if (s > 0) {
        if (step.link == pack::RuleStep::AND || step.max_gap < 0) {
          reach = reach_cp = kUnbounded;
          break;
        }
        reach += 4 * static_cast<uint64_t>(step.max_gap);
        reach_cp += static_cast<uint64_t>(step.max_gap);
      }
      uint32_t longest = 0;
      uint32_t longest_cp = 0;
      for (uint32_t k = index->set_parts_begin_[step.set]; k < index->set_parts_begin_[step.set + 1];
           ++k) {
        longest = std::max(longest, part_bytes[index->set_parts_[k]]);
        longest_cp = std::max(longest_cp, part_cps[index->set_parts_[k]]);
      }
      reach += longest;
      reach_cp += longest_cp;
    }
    rule.reach_cp = static_cast<uint32_t>(std::min<uint64_t>(reach_cp, kUnbounded));
    const uint32_t r = static_cast<uint32_t>(std::min<uint64_t>(reach, kUnbounded));
    const uint32_t anchor_set = index->steps_[rule.first_step + rule.anchor].set;
    for (uint32_t k = index->set_parts_begin_[anchor_set];
         k < index->set_parts_begin_[anchor_set + 1]; ++k) {
      uint32_t& to = index->anchor_reach_[index->set_parts_[k]];
      to = std::max(to, r);
    }
  }
  return index;
}

bool HasAnchor(const RuleIndex& index, absl::Span<const LoadedPack* const> packs,
               std::string_view folded, const std::vector<Candidate>& candidates) {
  // Only parts of anchor steps are in the packs' literal databases.
  for (const Candidate& c : candidates) {
    if (index.PartOf(c.pack, c.entry) >= 0 &&
        WordBoundariesHold(packs[c.pack]->compiled.entries(static_cast<int>(c.entry)), folded,
                           c.start, c.end)) {
      return true;
    }
  }
  return false;
}

bool PartWindows(const RuleIndex& index, absl::Span<const LoadedPack* const> packs,
                 std::string_view folded, const std::vector<Candidate>& candidates,
                 std::vector<std::pair<uint32_t, uint32_t>>* windows) {
  windows->clear();
  const uint64_t size = folded.size();
  bool sorted = true;
  for (const Candidate& c : candidates) {
    const int32_t part = index.PartOf(c.pack, c.entry);
    if (part < 0) continue;
    const uint32_t reach = index.anchor_reach_[static_cast<uint32_t>(part)];
    if (reach == 0) continue;  // in no anchor step
    if (!WordBoundariesHold(packs[c.pack]->compiled.entries(static_cast<int>(c.entry)), folded,
                            c.start, c.end)) {
      continue;
    }
    if (reach == RuleIndex::kUnbounded) {
      windows->assign(1, {0, static_cast<uint32_t>(size)});
      return true;
    }
    const uint64_t margin = uint64_t{reach} + index.longest_part_;
    const uint32_t from = c.start > margin ? static_cast<uint32_t>(c.start - margin) : 0;
    const uint32_t to = static_cast<uint32_t>(std::min<uint64_t>(c.end + margin, size));
    if (!windows->empty() && from < windows->back().first) sorted = false;
    windows->emplace_back(from, to);
  }
  if (windows->empty()) return false;
  if (!sorted) std::sort(windows->begin(), windows->end());
  size_t out = 0;
  for (size_t i = 1; i < windows->size(); ++i) {
    auto& last = (*windows)[out];
    const auto& next = (*windows)[i];
    if (next.first <= last.second) {
      last.second = std::max(last.second, next.second);
    } else {
      (*windows)[++out] = next;
    }
  }
  windows->resize(out + 1);
  return true;
}

void RulePrefilter::Filter(const RuleIndex& index, std::vector<Candidate>* candidates) {
  if (index.rules_.empty() || candidates->empty()) return;
  part_seen_.resize(index.part_count_, 0);
  set_seen_.resize(index.set_count(), 0);
  set_kept_.resize(index.set_count(), 0);
  active_.assign(index.rules_.size(), 0);
  parts_.clear();
  sets_.clear();
  kept_.clear();
  for (const Candidate& c : *candidates) {
    const int32_t part = index.PartOf(c.pack, c.entry);
    if (part >= 0 && !part_seen_[static_cast<uint32_t>(part)]) {
      part_seen_[static_cast<uint32_t>(part)] = 1;
      parts_.push_back(static_cast<uint32_t>(part));
    }
  }
  if (parts_.empty()) return;
  for (uint32_t part : parts_) {
    for (uint32_t k = index.part_sets_begin_[part]; k < index.part_sets_begin_[part + 1]; ++k) {
      const uint32_t set = index.part_sets_[k];
      if (!set_seen_[set]) {
        set_seen_[set] = 1;
        sets_.push_back(set);
      }
    }
  }
  for (uint32_t set : sets_) {
    for (uint32_t k = index.anchored_begin_[set]; k < index.anchored_begin_[set + 1]; ++k) {
      const uint32_t r = index.anchored_[k];
      const RuleIndex::Rule& rule = index.rules_[r];
      bool complete = true;
      for (uint32_t s = 0; s < rule.positive && complete; ++s) {
        complete = set_seen_[index.steps_[rule.first_step + s].set] != 0;
      }
      if (!complete) continue;
      active_[r] = 1;
      auto keep = [&](uint32_t kept_set) {
        if (!set_kept_[kept_set]) {
          set_kept_[kept_set] = 1;
          kept_.push_back(kept_set);
        }
      };
      for (uint32_t s = 0; s < rule.positive; ++s) keep(index.steps_[rule.first_step + s].set);
      for (uint32_t u = 0; u < rule.unless_count; ++u) {
        keep(index.unless_sets_[rule.first_unless + u]);
      }
    }
  }
  auto kept_part = [&](uint32_t part) {
    for (uint32_t k = index.part_sets_begin_[part]; k < index.part_sets_begin_[part + 1]; ++k) {
      if (set_kept_[index.part_sets_[k]]) return true;
    }
    return false;
  };
  size_t out = 0;
  for (const Candidate& c : *candidates) {
    const int32_t part = index.PartOf(c.pack, c.entry);
    if (part < 0 || (!kept_.empty() && kept_part(static_cast<uint32_t>(part)))) {
      (*candidates)[out++] = c;
    }
  }
  candidates->resize(out);
  for (uint32_t id : parts_) part_seen_[id] = 0;
  for (uint32_t id : sets_) set_seen_[id] = 0;
  for (uint32_t id : kept_) set_kept_[id] = 0;
}

void RuleEvaluator::Reset(const RuleIndex* index, const std::vector<uint8_t>* active) {
  index_ = index;
  active_ = active;
  part_states_.clear();
  status_.clear();
  set_last_end_.clear();
  set_seen_.assign(index == nullptr ? 0 : (index->set_count() + 63) / 64, 0);
  kept_.clear();
  hits_.clear();
  parts_.clear();
  pending_.clear();
  pending_parts_.clear();
}

size_t RuleEvaluator::memory_bytes() const {
  return part_states_.capacity() * (sizeof(uint32_t) + sizeof(PartState) + 1) +
         set_seen_.capacity() * sizeof(uint64_t) +
         status_.capacity() * (sizeof(uint32_t) + sizeof(uint8_t) + 1) +
         set_last_end_.capacity() * (sizeof(uint32_t) + sizeof(uint64_t) + 1) +
         sizeof(PartHit) * (kept_.capacity() + parts_.capacity() + pending_parts_.capacity() +
                            occurrences_.capacity()) +
         sizeof(RuleHit) * hits_.capacity() +
         sizeof(std::pair<uint32_t, RuleHit>) * pending_.capacity() +
         sizeof(uint32_t) * (step_begin_.capacity() + chosen_.capacity()) +
         sizeof(int64_t) * value_.capacity() + sizeof(int32_t) * link_to_.capacity();
}

void RuleEvaluator::Add(const PartHit& hit) {
  if (index_ == nullptr || index_->rules_.empty()) return;
  const int32_t part = index_->PartOf(hit.pack, hit.entry);
  if (part < 0) return;
  const uint32_t first = index_->part_sets_begin_[static_cast<uint32_t>(part)];
  const uint32_t last = index_->part_sets_begin_[static_cast<uint32_t>(part) + 1];
  // The part keeps the occurrence and its sets are marked first, so that a
  // rule whose steps share the part sees it in each of them.
  PartState& state = part_states_[static_cast<uint32_t>(part)];
  if (state.count == state.cap && state.cap < kKeptPerPart) {
    // Not yet wrapped: occurrence i is in slot i. Moved to a full ring (the
    // old slot is left unused until the next text).
    const uint32_t cap = state.cap == 0 ? 1 : kKeptPerPart;
    const uint32_t slot = static_cast<uint32_t>(kept_.size());
    kept_.resize(kept_.size() + cap);
    std::copy(kept_.begin() + state.slot, kept_.begin() + state.slot + state.count,
              kept_.begin() + slot);
    state.slot = slot;
    state.cap = cap;
  }
  kept_[state.slot + state.count % state.cap] = hit;
  ++state.count;
  for (uint32_t k = first; k < last; ++k) {
    const uint32_t set = index_->part_sets_[k];
    set_seen_[set >> 6] |= uint64_t{1} << (set & 63);
    uint64_t& last_end = set_last_end_[set];
    last_end = std::max(last_end, hit.cp_end);
  }
  for (uint32_t k = first; k < last; ++k) {
    const uint32_t set = index_->part_sets_[k];
    for (uint32_t u = index_->set_uses_begin_[set]; u < index_->set_uses_begin_[set + 1]; ++u) {
      const RuleIndex::Use use = index_->set_uses_[u];
      if (active_ != nullptr && !(*active_)[use.rule]) continue;
      // An unless part is only remembered (its set occurred); a completed
      // rule waits for the end of the text to be sure none occurs.
      if (use.step == RuleIndex::kUnless) continue;
      const RuleIndex::Rule& rule = index_->rules_[use.rule];
      if (!Complete(rule, use.step, hit) || status_.contains(use.rule) || Cancelled(rule)) {
        continue;
      }
      Evaluate(use.rule, use.step, hit);
    }
  }
}

bool RuleEvaluator::Complete(const RuleIndex::Rule& rule, uint32_t step,
                             const PartHit& hit) const {
  const RuleIndex::Step* steps = &index_->steps_[rule.first_step];
  if (rule.anchor != step && !Occurred(steps[rule.anchor].set)) return false;
  for (uint32_t i = 0; i < rule.positive; ++i) {
    if (i != step && i != rule.anchor && !Occurred(steps[i].set)) return false;
  }
  if (rule.reach_cp == RuleIndex::kUnbounded) return true;
  // Every occurrence fed so far ends by hit.end; a chain through `hit` needs
  // one of each step that ends at most reach_cp code points before hit starts.
  for (uint32_t i = 0; i < rule.positive; ++i) {
    if (i == step) continue;
    auto it = set_last_end_.find(steps[i].set);
    if (it == set_last_end_.end() || it->second + rule.reach_cp < hit.cp_start) return false;
  }
  return true;
}

bool RuleEvaluator::Cancelled(const RuleIndex::Rule& rule) const {
  for (uint32_t u = 0; u < rule.unless_count; ++u) {
    if (Occurred(index_->unless_sets_[rule.first_unless + u])) return true;
  }
  return false;
}

void RuleEvaluator::Finish() {
  for (const auto& [rule, pending] : pending_) {
    if (Cancelled(index_->rules_[rule])) continue;
    status_[rule] = kFired;
    RuleHit h = pending;
    h.first_part = static_cast<uint32_t>(parts_.size());
    parts_.insert(parts_.end(), pending_parts_.begin() + pending.first_part,
                  pending_parts_.begin() + pending.first_part + pending.part_count);
    hits_.push_back(h);
  }
  pending_.clear();
  pending_parts_.clear();
}

void RuleEvaluator::Gather(uint32_t set, std::vector<PartHit>* out) const {
  if (!Occurred(set)) return;
  const size_t from = out->size();
  auto take = [&](const PartState& state) {
    for (uint32_t i = state.count - std::min(state.count, state.cap); i < state.count; ++i) {
      out->push_back(kept_[state.slot + i % state.cap]);
    }
  };
  const uint32_t begin = index_->set_parts_begin_[set];
  const uint32_t end = index_->set_parts_begin_[set + 1];
  if (part_states_.size() < end - begin) {
    // Fewer parts occurred than the set has (a large group): look at those.
    for (const auto& [part, state] : part_states_) {
      const uint32_t* first = &index_->part_sets_[index_->part_sets_begin_[part]];
      const uint32_t* last = &index_->part_sets_[0] + index_->part_sets_begin_[part + 1];
      if (std::find(first, last, set) != last) take(state);
    }
  } else {
    for (uint32_t k = begin; k < end; ++k) {
      auto it = part_states_.find(index_->set_parts_[k]);
      if (it != part_states_.end()) take(it->second);
    }
  }
  // Oldest first, in feeding order; the latest kKeptPerSet.
  std::sort(out->begin() + static_cast<std::ptrdiff_t>(from), out->end(), PartHitLess);
  if (out->size() - from > kKeptPerSet) {
    out->erase(out->begin() + static_cast<std::ptrdiff_t>(from),
               out->end() - static_cast<std::ptrdiff_t>(kKeptPerSet));
  }
}

// Finds, among chains of occurrences (one per positive step, each linked to
// the one before as its step requires) that use `hit` for step `j`, the one
// whose first byte is latest, and fires the rule with it. Every occurrence
// considered ends by hit.end, so the chain ends there: the rule fires at the
// earliest point of the feeding order where it holds.
void RuleEvaluator::Evaluate(uint32_t rule_index, uint32_t j, const PartHit& hit) {
  const RuleIndex::Rule& rule = index_->rules_[rule_index];
  const uint32_t k = rule.positive;
  const RuleIndex::Step* steps = &index_->steps_[rule.first_step];
  occurrences_.clear();
  step_begin_.assign(k + 1, 0);
  for (uint32_t i = 0; i < k; ++i) {
    step_begin_[i] = static_cast<uint32_t>(occurrences_.size());
    if (i == j) {
      occurrences_.push_back(hit);
    } else {
      Gather(steps[i].set, &occurrences_);
    }
    if (occurrences_.size() == step_begin_[i]) return;
  }
  step_begin_[k] = static_cast<uint32_t>(occurrences_.size());
  value_.assign(occurrences_.size(), kInvalid);
  link_to_.assign(occurrences_.size(), -1);
  value_[step_begin_[j]] = static_cast<int64_t>(hit.start);

  // value_[x]: the latest first byte of a chain from x to `hit` (steps
  // before j), or from `hit` to x (steps after j); link_to_[x]: the next
  // occurrence of that chain towards `hit`.
  auto extend = [&](uint32_t from_step, uint32_t to_step, bool leftwards) {
    // Occurrences of `to_step`, linked to valued occurrences of `from_step`.
    const RuleIndex::Step& link = steps[leftwards ? from_step : to_step];
    for (uint32_t x = step_begin_[to_step]; x < step_begin_[to_step + 1]; ++x) {
      int64_t best = kInvalid;
      for (uint32_t y = step_begin_[from_step]; y < step_begin_[from_step + 1]; ++y) {
        if (value_[y] == kInvalid) continue;
        const bool linked = leftwards
                                ? Linked(link.link, link.max_gap, occurrences_[x], occurrences_[y])
                                : Linked(link.link, link.max_gap, occurrences_[y], occurrences_[x]);
        if (!linked) continue;
        const int64_t v = std::min(static_cast<int64_t>(occurrences_[x].start), value_[y]);
        if (v > best) {
          best = v;
          link_to_[x] = static_cast<int32_t>(y);
        }
      }
      value_[x] = best;
    }
  };
  for (uint32_t i = j; i > 0; --i) extend(i, i - 1, /*leftwards=*/true);
  for (uint32_t i = j + 1; i < k; ++i) extend(i - 1, i, /*leftwards=*/false);

  // The best end of each side: an occurrence of the first and of the last step.
  auto best_of = [&](uint32_t step) {
    int32_t best = -1;
    for (uint32_t x = step_begin_[step]; x < step_begin_[step + 1]; ++x) {
      if (value_[x] != kInvalid && (best < 0 || value_[x] > value_[static_cast<size_t>(best)])) {
        best = static_cast<int32_t>(x);
      }
    }
    return best;
  };
  const int32_t first = best_of(0);
  const int32_t last = best_of(k - 1);
  if (first < 0 || last < 0) return;

  // The chain, in step order: from the first step towards `hit`, then from
  // the last step back towards it.
  chosen_.assign(k, 0);
  for (int32_t x = first, i = 0; i <= static_cast<int32_t>(j); x = link_to_[x], ++i) {
    chosen_[i] = static_cast<uint32_t>(x);
  }
  for (int32_t x = last, i = static_cast<int32_t>(k) - 1; i > static_cast<int32_t>(j);
       x = link_to_[x], --i) {
    chosen_[i] = static_cast<uint32_t>(x);
  }
  chosen_[j] = step_begin_[j];

  RuleHit h{rule.pack, rule.entry, SIZE_MAX, 0, 0, k};
  std::vector<PartHit>& parts = (rule.unless_count > 0) ? pending_parts_ : parts_;
  h.first_part = static_cast<uint32_t>(parts.size());
  for (uint32_t i = 0; i < k; ++i) {
    const PartHit& p = occurrences_[chosen_[i]];
    h.start = std::min(h.start, p.original_start);
    h.end = std::max(h.end, p.original_end);
    parts.push_back(p);
  }
  if ((rule.unless_count > 0)) {
    status_[rule_index] = kPending;
    pending_.emplace_back(rule_index, h);
  } else {
    status_[rule_index] = kFired;
    hits_.push_back(h);
  }
}

void AppendRuleHits(const RuleEvaluator& evaluator, size_t first_hit,
                    absl::Span<const LoadedPack* const> packs, Decision* decision) {
  const std::vector<RuleHit>& hits = evaluator.hits();
  for (size_t i = first_hit; i < hits.size(); ++i) {
    const RuleHit& r = hits[i];
    const pack::CompiledPack& compiled = packs[r.pack]->compiled;
    const pack::Entry& e = compiled.entries(static_cast<int>(r.entry));
    Hit& h = decision->hits.emplace_back();
    h.entry_id = e.id();
    h.pack = compiled.manifest().name();
    h.category = e.category();
    h.term = e.term();
    h.severity = e.severity();
    h.start = r.start;
    h.end = r.end;
    h.rule = true;
    h.first_part = static_cast<uint32_t>(decision->rule_parts.size());
    h.part_count = r.part_count;
    for (uint32_t k = 0; k < r.part_count; ++k) {
      const PartHit& p = evaluator.parts()[r.first_part + k];
      h.foldings |= p.foldings;
      decision->rule_parts.push_back(
          RulePart{packs[p.pack]->compiled.entries(static_cast<int>(p.entry)).term(),
                   p.original_start, p.original_end});
    }
  }
}

}  // namespace menshen::internal
