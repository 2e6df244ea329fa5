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
// `folded` (the whole folded text, from offset 0). One pass over the text up
// to the last hit.
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
class RuleIndex {
 public:
  // Indexes the RULE entries of `packs` (PartHit::pack indexes `packs`).
  static std::unique_ptr<RuleIndex> Build(absl::Span<const LoadedPack* const> packs);

  bool empty() const { return rules_.empty(); }
  size_t rule_count() const { return rules_.size(); }

 private:
  friend class RuleEvaluator;
  struct Step {
    uint8_t link;     // pack::RuleStep::Link
    int32_t max_gap;  // characters; -1: any distance
    uint32_t first_alternative;  // into alternatives_ (dense entry ids)
    uint32_t alternative_count;
  };
  struct Rule {
    uint32_t pack;
    uint32_t entry;
    uint32_t first_step;  // positive steps, in order, into steps_
    uint32_t positive;
    bool has_unless;
  };
  // One use of a part: in positive step `step` of `rule`, or (step ==
  // kUnless) as an unless part.
  static constexpr uint32_t kUnless = UINT32_MAX;
  struct Use {
    uint32_t rule;
    uint32_t step;
  };
  uint32_t DenseId(uint32_t pack, uint32_t entry) const { return pack_base_[pack] + entry; }

  std::vector<Rule> rules_;
  std::vector<Step> steps_;
  std::vector<uint32_t> alternatives_;  // dense entry ids
  std::vector<uint32_t> pack_base_;     // dense id of entry 0 of each pack
  std::vector<uint32_t> uses_begin_;    // by dense id, one past the end at the back
  std::vector<Use> uses_;
};

// The evaluation of one text (a Check call, or one stream). Copyable (a
// stream's fork copies it). Owned by one thread at a time.
class RuleEvaluator {
 public:
  // Starts a new text. Buffers keep their capacity.
  void Reset(const RuleIndex* index);
  // Adds an occurrence; occurrences must come in PartHitLess order. Rules it
  // completes fire (see hits()), except rules with unless parts, which wait
  // for Finish().
  void Add(const PartHit& hit);
  // Ends the text: the completed rules whose unless parts never occurred fire.
  void Finish();

  // Every rule hit so far, in the order they fired, and their parts.
  const std::vector<RuleHit>& hits() const { return hits_; }
  const std::vector<PartHit>& parts() const { return parts_; }
  size_t memory_bytes() const;

 private:
  // The latest occurrences of one part in this text are kept (a ring in
  // kept_); a step considers at most kGatheredPerStep, the latest. Older ones
  // matter only when a part occurs that often between two parts of a rule.
  static constexpr uint32_t kKeptPerPart = 8;
  static constexpr size_t kGatheredPerStep = 16;
  struct PartState {
    uint32_t count = 0;  // occurrences seen, of which the last kKeptPerPart are kept
    uint32_t slot = 0;   // first of kKeptPerPart slots in kept_
  };
  enum : uint8_t { kOpen = 0, kFired = 1, kPending = 2, kCancelled = 3 };
  struct RuleState {
    uint32_t seen = 0;  // bit per positive step with an occurrence
    uint8_t status = kOpen;
  };

  void Evaluate(uint32_t rule, uint32_t step, const PartHit& hit);
  void Gather(const RuleIndex::Step& step, std::vector<PartHit>* out) const;

  const RuleIndex* index_ = nullptr;
  // Only the parts and rules this text touched have state.
  absl::flat_hash_map<uint32_t, PartState> part_states_;  // by part id
  absl::flat_hash_map<uint32_t, RuleState> rule_states_;  // by rule
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
