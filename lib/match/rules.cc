#include "lib/match/rules.h"

#include <algorithm>
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
  std::vector<uint64_t> offsets;
  offsets.reserve(hits->size() * 2);
  for (const PartHit& h : *hits) {
    offsets.push_back(h.start);
    offsets.push_back(h.end);
  }
  std::sort(offsets.begin(), offsets.end());
  offsets.erase(std::unique(offsets.begin(), offsets.end()), offsets.end());
  std::vector<uint64_t> code_points(offsets.size());
  uint64_t pos = 0;
  uint64_t count = 0;
  for (size_t i = 0; i < offsets.size(); ++i) {
    const uint64_t stop = std::min<uint64_t>(offsets[i], folded.size());
    for (; pos < stop; ++pos) count += (static_cast<unsigned char>(folded[pos]) & 0xC0) != 0x80;
    code_points[i] = count;
  }
  auto at = [&](uint64_t offset) {
    return code_points[static_cast<size_t>(
        std::lower_bound(offsets.begin(), offsets.end(), offset) - offsets.begin())];
  };
  for (PartHit& h : *hits) {
    h.cp_start = at(h.start);
    h.cp_end = at(h.end);
  }
}

std::unique_ptr<RuleIndex> RuleIndex::Build(absl::Span<const LoadedPack* const> packs) {
  auto index = std::make_unique<RuleIndex>();
  uint32_t total = 0;
  for (const LoadedPack* p : packs) {
    index->pack_base_.push_back(total);
    total += static_cast<uint32_t>(p->compiled.entries_size());
  }
  std::vector<std::pair<uint32_t, Use>> uses;  // (dense entry id, use)
  for (uint32_t pi = 0; pi < packs.size(); ++pi) {
    const auto& entries = packs[pi]->compiled.entries();
    for (int ei = 0; ei < entries.size(); ++ei) {
      const pack::Entry& e = entries[ei];
      if (e.kind() != pack::RULE) continue;
      const uint32_t rule_index = static_cast<uint32_t>(index->rules_.size());
      Rule rule{pi, static_cast<uint32_t>(ei), static_cast<uint32_t>(index->steps_.size()), 0,
                false};
      for (const pack::RuleStep& step : e.steps()) {
        if (step.negated()) {
          rule.has_unless = true;
          for (uint32_t a : step.alternatives()) {
            uses.push_back({index->DenseId(pi, a), Use{rule_index, kUnless}});
          }
          continue;
        }
        Step s{static_cast<uint8_t>(step.link()), step.max_gap(),
               static_cast<uint32_t>(index->alternatives_.size()),
               static_cast<uint32_t>(step.alternatives_size())};
        for (uint32_t a : step.alternatives()) {
          index->alternatives_.push_back(index->DenseId(pi, a));
          uses.push_back({index->DenseId(pi, a), Use{rule_index, rule.positive}});
        }
        index->steps_.push_back(s);
        ++rule.positive;
      }
      index->rules_.push_back(rule);
    }
  }
  std::sort(uses.begin(), uses.end(), [](const auto& a, const auto& b) {
    return std::tie(a.first, a.second.rule, a.second.step) <
           std::tie(b.first, b.second.rule, b.second.step);
  });
  uses.erase(std::unique(uses.begin(), uses.end(),
                         [](const auto& a, const auto& b) {
                           return a.first == b.first && a.second.rule == b.second.rule &&
                                  a.second.step == b.second.step;
                         }),
             uses.end());
  index->uses_begin_.assign(total + 1, 0);
  for (const auto& [id, use] : uses) ++index->uses_begin_[id + 1];
  for (uint32_t i = 0; i < total; ++i) index->uses_begin_[i + 1] += index->uses_begin_[i];
  index->uses_.reserve(uses.size());
  for (const auto& [id, use] : uses) index->uses_.push_back(use);
  return index;
}

void RuleEvaluator::Reset(const RuleIndex* index) {
  index_ = index;
  part_states_.clear();
  rule_states_.clear();
  kept_.clear();
  hits_.clear();
  parts_.clear();
  pending_.clear();
  pending_parts_.clear();
}

size_t RuleEvaluator::memory_bytes() const {
  return part_states_.capacity() * (sizeof(uint32_t) + sizeof(PartState) + 1) +
         rule_states_.capacity() * (sizeof(uint32_t) + sizeof(RuleState) + 1) +
         sizeof(PartHit) * (kept_.capacity() + parts_.capacity() + pending_parts_.capacity() +
                            occurrences_.capacity()) +
         sizeof(RuleHit) * (hits_.capacity() + pending_.capacity()) +
         sizeof(uint32_t) * (step_begin_.capacity() + chosen_.capacity()) +
         sizeof(int64_t) * value_.capacity() + sizeof(int32_t) * link_to_.capacity();
}

void RuleEvaluator::Add(const PartHit& hit) {
  if (index_ == nullptr || index_->rules_.empty()) return;
  const uint32_t id = index_->DenseId(hit.pack, hit.entry);
  const uint32_t begin = index_->uses_begin_[id];
  const uint32_t end = index_->uses_begin_[id + 1];
  if (begin == end) return;
  auto [it, inserted] = part_states_.try_emplace(id);
  PartState& part = it->second;
  if (inserted) {
    part.slot = static_cast<uint32_t>(kept_.size());
    kept_.resize(kept_.size() + kKeptPerPart);
  }
  kept_[part.slot + part.count % kKeptPerPart] = hit;
  ++part.count;
  for (uint32_t u = begin; u < end; ++u) {
    const RuleIndex::Use use = index_->uses_[u];
    RuleState& state = rule_states_[use.rule];
    if (use.step == RuleIndex::kUnless) {
      if (state.status == kOpen || state.status == kPending) state.status = kCancelled;
      continue;
    }
    if (state.status != kOpen) continue;
    state.seen |= 1u << use.step;
    const uint32_t all = (1u << index_->rules_[use.rule].positive) - 1;
    if (state.seen == all) Evaluate(use.rule, use.step, hit);
  }
}

void RuleEvaluator::Finish() {
  for (const auto& [rule, pending] : pending_) {
    RuleState& state = rule_states_[rule];
    if (state.status != kPending) continue;
    state.status = kFired;
    RuleHit h = pending;
    h.first_part = static_cast<uint32_t>(parts_.size());
    parts_.insert(parts_.end(), pending_parts_.begin() + pending.first_part,
                  pending_parts_.begin() + pending.first_part + pending.part_count);
    hits_.push_back(h);
  }
  pending_.clear();
  pending_parts_.clear();
}

void RuleEvaluator::Gather(const RuleIndex::Step& step, std::vector<PartHit>* out) const {
  const size_t first = out->size();
  for (uint32_t a = 0; a < step.alternative_count; ++a) {
    auto it = part_states_.find(index_->alternatives_[step.first_alternative + a]);
    if (it == part_states_.end()) continue;
    const PartState& part = it->second;
    const uint32_t kept = std::min(part.count, kKeptPerPart);
    for (uint32_t k = 0; k < kept; ++k) out->push_back(kept_[part.slot + k]);
  }
  // The latest kGatheredPerStep, in feeding order.
  std::sort(out->begin() + static_cast<std::ptrdiff_t>(first), out->end(), PartHitLess);
  if (out->size() - first > kGatheredPerStep) {
    out->erase(out->begin() + static_cast<std::ptrdiff_t>(first),
               out->end() - static_cast<std::ptrdiff_t>(kGatheredPerStep));
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
      Gather(steps[i], &occurrences_);
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
  std::vector<PartHit>& parts = rule.has_unless ? pending_parts_ : parts_;
  h.first_part = static_cast<uint32_t>(parts.size());
  for (uint32_t i = 0; i < k; ++i) {
    const PartHit& p = occurrences_[chosen_[i]];
    h.start = std::min(h.start, p.original_start);
    h.end = std::max(h.end, p.original_end);
    parts.push_back(p);
  }
  RuleState& state = rule_states_[rule_index];
  if (rule.has_unless) {
    state.status = kPending;
    pending_.emplace_back(rule_index, h);
  } else {
    state.status = kFired;
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
