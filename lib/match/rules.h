// Rules: entries that fire when their parts occur together (AND, NEAR,
// ordered, with alternatives and "unless" parts; docs/packs.md, "Rules").
//
// A rule's parts are PART literals of its pack: Hyperscan finds them and
// resolution checks them like terms (flags, allowlist), but they are not
// hits. Their resolved occurrences are fed here, in one fixed order (by
// end, then start, pack, entry), and an online evaluation decides when a rule
// fires. Block mode feeds all occurrences of a text at once; a stream feeds
// them as they settle. Both feed the same sequence, so both reach the same
// rule hits: a rule fires at most once per text, at the first occurrence in
// that order that completes it; a rule with unless parts fires at the end of
// the text if no unless part occurred anywhere.
#ifndef MENSHEN_LIB_MATCH_RULES_H_
#define MENSHEN_LIB_MATCH_RULES_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/types/span.h"
#include "lib/match/matcher.h"
#include "lib/pack/loader.h"
#include "menshen/decision.h"

namespace menshen::internal {

// An occurrence of a rule part, resolved like a hit.
struct PartHit {
  uint32_t pack;   // index into the engine's packs
  uint32_t entry;  // the PART entry of that pack
  uint64_t start;  // folded bytes [start, end) (absolute in a stream)
  uint64_t end;
  uint64_t cp_start;  // the same span in folded code points
  uint64_t cp_end;
  size_t original_start;  // the caller's bytes [original_start, original_end)
  size_t original_end;
  uint32_t foldings = 0;  // FoldKind bits, when the engine explains hits
};

// The order occurrences must be fed in.
bool PartHitLess(const PartHit& a, const PartHit& b);

// Sets cp_start and cp_end of every hit from its folded byte offsets into
// `folded` (the whole folded text, from offset 0), and sorts the hits in
// PartHitLess order. One pass over the text up to the last hit.
void SetCodePointOffsets(std::string_view folded, std::vector<PartHit>* hits);

// A rule that fired: its entry, its span in the caller's bytes (from the
// first to the last byte of its parts), and its parts (in step order) as
// RuleEvaluator::parts()[first_part, first_part + part_count).
struct RuleHit {
  uint32_t pack;
  uint32_t entry;
  size_t start;
  size_t end;
  uint32_t first_part;
  uint32_t part_count;
};

// The rules of an engine's packs, indexed by their parts. Immutable once
// built; shared by every call and stream of the engine.
//
// A step's alternatives form a *set* of parts; identical sets (a group such
// as @how used by hundreds of rules) are stored once, so an occurrence
// updates each set it belongs to once, and a set keeps the latest
// occurrences for every rule that uses it.
class RuleIndex {
 public:
  // Indexes the RULE entries of `packs` (PartHit::pack indexes `packs`).
  static std::unique_ptr<RuleIndex> Build(absl::Span<const LoadedPack* const> packs);

  bool empty() const { return rules_.empty(); }
  size_t rule_count() const { return rules_.size(); }
  size_t part_count() const { return part_count_; }
  size_t set_count() const { return set_parts_begin_.empty() ? 0 : set_parts_begin_.size() - 1; }
  // Entry `entry` of pack `pack` numbered over all packs, pack by pack (the
  // numbering of StreamEntryFacts::index).
  uint32_t DenseId(uint32_t pack, uint32_t entry) const { return pack_base_[pack] + entry; }

 private:
  friend class RuleEvaluator;
  friend class RulePrefilter;
  friend bool HasAnchor(const RuleIndex& index, absl::Span<const LoadedPack* const> packs,
                        std::string_view folded, const std::vector<Candidate>& candidates);
  friend bool PartWindows(const RuleIndex& index, absl::Span<const LoadedPack* const> packs,
                          std::string_view folded, const std::vector<Candidate>& candidates,
                          std::vector<std::pair<uint32_t, uint32_t>>* windows);
  // A reach no window bounds: a rule with an AND step or an AFTER step at any
  // distance can use a part anywhere in the text.
  static constexpr uint32_t kUnbounded = UINT32_MAX;
  struct Step {
    uint8_t link;     // pack::RuleStep::Link
    int32_t max_gap;  // characters; -1: any distance
    uint32_t set;     // its alternatives
  };
  struct Rule {
    uint32_t pack;
    uint32_t entry;
    uint32_t first_step;  // positive steps, in order, into steps_
    uint32_t positive;
    uint32_t first_unless;  // unless sets, into unless_sets_
    uint32_t unless_count;
    uint32_t anchor;  // the positive step least likely to occur
    // How far, in folded code points, a part of a chain that satisfies the
    // rule can end before the start of another part of it (the sum of its
    // gaps and of its steps' longest parts); kUnbounded with an AND step or
    // an AFTER step at any distance.
    uint32_t reach_cp = 0;
  };
  // One use of a set: as positive step `step` of `rule`, or (step ==
  // kUnless) as an unless part.
  static constexpr uint32_t kUnless = UINT32_MAX;
  struct Use {
    uint32_t rule;
    uint32_t step;
  };
  int32_t PartOf(uint32_t pack, uint32_t entry) const {
    return pack < pack_base_.size() ? part_of_[DenseId(pack, entry)] : -1;
  }

  std::vector<Rule> rules_;
  std::vector<Step> steps_;
  std::vector<uint32_t> unless_sets_;
  std::vector<uint32_t> pack_base_;  // dense id of entry 0 of each pack
  size_t part_count_ = 0;
  std::vector<int32_t> part_of_;     // dense entry id -> part id, -1 for no part
  // CSR tables ("begin" arrays have one more element than rows):
  std::vector<uint32_t> part_sets_begin_, part_sets_;  // part -> sets it is in
  std::vector<uint32_t> set_parts_begin_, set_parts_;  // set -> its parts
  std::vector<uint32_t> set_uses_begin_;               // set -> its uses
  std::vector<Use> set_uses_;
  std::vector<uint32_t> anchored_begin_, anchored_;    // set -> rules anchored on it
  // By part: for a part of some rule's anchor step, how many folded bytes
  // from an occurrence of it, either side, the other positive parts of the
  // rules anchored on its sets can lie (kUnbounded: anywhere); 0 for other
  // parts. Plus the longest part, in folded bytes.
  std::vector<uint32_t> anchor_reach_;
  uint32_t longest_part_ = 0;
};

// Finds, before offsets are mapped and candidates resolved, the rules that
// can fire in a text (each positive step has a candidate) and drops the
// candidates of parts no such rule uses. Exact: a rule with a step that never
// occurs cannot fire, and every part of a rule that can keeps all its
// occurrences, so evaluation gives what it gives on every part (and what a
// stream, which cannot look ahead, gives). Cheap: one bit per candidate, one
// mark per set of a part that occurs, then only the rules anchored on a set
// that occurs are checked. Owned by one thread at a time; buffers are reused.
// Whether `candidates` hold a part of some rule's anchor step that keeps to
// its word boundaries in `folded` (one that does not can never be a part's
// hit, so no rule can fire without another).
bool HasAnchor(const RuleIndex& index, absl::Span<const LoadedPack* const> packs,
               std::string_view folded, const std::vector<Candidate>& candidates);

// The folded byte ranges [first, second) of `folded`, sorted and disjoint,
// that hold every positive part occurrence that can join an anchor
// occurrence of `candidates` in a rule: around each anchor occurrence that
// keeps its word boundaries, its reach plus the longest part on either side
// (one range of the whole text when a reach is unbounded). False, and no
// ranges, when no anchor occurred.
//
// Why scanning only these ranges for the other parts (the parts database)
// changes no rule hit: every chain of occurrences that satisfies a rule holds
// an occurrence of its anchor step and lies within the reach of it; every
// occurrence fed between two members of such a chain ends between them, so
// lies in the same range, and the evaluator keeps (and evicts) the same
// occurrences of the chain's parts as with the whole text. Unless parts are
// the exception (an unless part anywhere in the text cancels a rule): the
// caller scans the whole text when a rule with unless parts completed
// (RuleEvaluator::pending()).
bool PartWindows(const RuleIndex& index, absl::Span<const LoadedPack* const> packs,
                 std::string_view folded, const std::vector<Candidate>& candidates,
                 std::vector<std::pair<uint32_t, uint32_t>>* windows);

class RulePrefilter {
 public:
  void Filter(const RuleIndex& index, std::vector<Candidate>* candidates);
  // Whether rule `rule` can fire in the last filtered text (for RuleEvaluator).
  const std::vector<uint8_t>& active() const { return active_; }

 private:
  std::vector<uint8_t> part_seen_;  // by part
  std::vector<uint8_t> set_seen_;   // by set
  std::vector<uint8_t> set_kept_;   // by set
  std::vector<uint8_t> active_;     // by rule
  std::vector<uint32_t> parts_, sets_, kept_, rules_;  // what to clear
};

// The evaluation of one text (a Check call, or one stream). Copyable (a
// stream's fork copies it). Owned by one thread at a time.
class RuleEvaluator {
 public:
  // Starts a new text. Buffers keep their capacity. With `active` (by rule,
  // from RulePrefilter), only those rules are evaluated: the others cannot
  // fire in the text anyway.
  void Reset(const RuleIndex* index, const std::vector<uint8_t>* active = nullptr);
  // Adds an occurrence; occurrences must come in PartHitLess order. Rules it
  // completes fire (see hits()), except rules with unless parts, which wait
  // for Finish().
  void Add(const PartHit& hit);
  // Ends the text: the completed rules whose unless parts never occurred fire.
  void Finish();
  // Whether a completed rule with unless parts waits for Finish().
  bool pending() const { return !pending_.empty(); }

  // Every rule hit so far, in the order they fired, and their parts.
  const std::vector<RuleHit>& hits() const { return hits_; }
  const std::vector<PartHit>& parts() const { return parts_; }
  size_t memory_bytes() const;

 private:
  // A part keeps its latest occurrences, at most kKeptPerPart (a ring in
  // kept_, of one slot until a second occurrence): a part that occurs once
  // costs one. A step's set is the union of its parts' occurrences, of
  // which evaluation looks at the latest kKeptPerSet; older ones matter only
  // when parts of a step occur that often between two parts of a rule.
  static constexpr uint32_t kKeptPerPart = 4;
  static constexpr uint32_t kKeptPerSet = 16;
  struct PartState {
    uint32_t count = 0;  // occurrences seen, of which the last `cap` are kept
    uint32_t slot = 0;   // first of `cap` slots in kept_
    uint32_t cap = 0;
  };
  enum : uint8_t { kFired = 1, kPending = 2 };
  // Whether a part of `set` occurred in this text.
  bool Occurred(uint32_t set) const { return (set_seen_[set >> 6] >> (set & 63)) & 1; }
  // Whether every positive step of `rule` but `step` has occurred (the
  // anchor, least likely to, first) close enough to `hit` to be linked to it
  // through the rule (an occurrence of each step's set ended at most
  // rule.reach_cp code points before hit starts).
  bool Complete(const RuleIndex::Rule& rule, uint32_t step, const PartHit& hit) const;
  bool Cancelled(const RuleIndex::Rule& rule) const;

  void Evaluate(uint32_t rule, uint32_t step, const PartHit& hit);
  void Gather(uint32_t set, std::vector<PartHit>* out) const;

  const RuleIndex* index_ = nullptr;
  const std::vector<uint8_t>* active_ = nullptr;
  // Only the parts that occurred and the rules that completed: a stream's
  // state grows with what occurs in it (and a bit per set), not with the
  // packs' rules.
  absl::flat_hash_map<uint32_t, PartState> part_states_;
  std::vector<uint64_t> set_seen_;  // bit per set that occurred
  // By set that occurred: the latest end (folded code points) of its parts'
  // occurrences.
  absl::flat_hash_map<uint32_t, uint64_t> set_last_end_;
  absl::flat_hash_map<uint32_t, uint8_t> status_;  // kFired or kPending, by rule
  std::vector<PartHit> kept_;
  std::vector<RuleHit> hits_;
  std::vector<PartHit> parts_;
  // Completed rules with unless parts, waiting for Finish(): the rule and its
  // hit (parts in pending_parts_).
  std::vector<std::pair<uint32_t, RuleHit>> pending_;
  std::vector<PartHit> pending_parts_;
  // Scratch for Evaluate.
  std::vector<PartHit> occurrences_;
  std::vector<uint32_t> step_begin_;
  std::vector<int64_t> value_;
  std::vector<int32_t> link_to_;
  std::vector<uint32_t> chosen_;
};

// Appends the evaluator's hits from `first_hit` on to decision->hits (at the
// end: the caller sorts) and their parts to decision->rule_parts.
void AppendRuleHits(const RuleEvaluator& evaluator, size_t first_hit,
                    absl::Span<const LoadedPack* const> packs, Decision* decision);

}  // namespace menshen::internal

#endif  // MENSHEN_LIB_MATCH_RULES_H_
