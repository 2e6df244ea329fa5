// The policy stage: a validated policy and the decision it makes from hits.
#ifndef MENSHEN_LIB_POLICY_COMPILED_POLICY_H_
#define MENSHEN_LIB_POLICY_COMPILED_POLICY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/pack/taxonomy.h"
#include "lib/policy/policy.pb.h"
#include "menshen/decision.h"

namespace menshen::internal {

// Han characters and Latin letters of a text, which pick the refusal's
// locale when a request names none.
struct ScriptCounts {
  size_t han = 0;
  size_t latin = 0;
};
// The dominant script is judged on the first this many bytes of a text: a
// sample that settles the language of a refusal, at a bounded cost.
inline constexpr size_t kScriptSampleBytes = size_t{64} << 10;
// Adds the counts of `text` to `counts`. Counting pieces of a text split at
// character boundaries gives the counts of the whole.
void CountScripts(std::string_view text, ScriptCounts* counts);
// "zh-CN" when there are more Han characters than Latin letters, else "en".
std::string_view DominantLocale(const ScriptCounts& counts);

class CompiledPolicy;

// What the policy needs of one hit to tally it.
struct TallyHit {
  int severity = 0;
  int category = -1;  // CompiledPolicy::CategoryIndex of the hit's category
  size_t start = 0;
  size_t end = 0;
  // Read only when two hits tie on severity, start and end (a stream's
  // table of ids is large; most hits never need theirs).
  const std::string_view* entry_id = nullptr;
  // The category code; needed only when `category` is -1 (a code the
  // policy's taxonomy lacks), for the refusal.
  std::string_view category_code;
  bool rule = false;  // the hit of a rule (Hit::rule), for `hits: RULE_HITS`
};

// A decision kept up to date hit by hit, for streams: each confirmed hit is
// added once (in any order), and CompiledPolicy::DecideTally() then decides
// exactly as Decide() would over every hit added so far, in time independent
// of how many there are. Owned by one stream; reused (Start keeps its memory).
class HitTally {
 public:
  size_t hits() const { return hits_; }

 private:
  friend class CompiledPolicy;
  // Orders hits as Decide() chooses the one that names the refusal: the most
  // severe, then the earliest (start, end, entry id, as hits are sorted).
  struct Best {
    bool set = false;
    TallyHit hit;
    bool BeatenBy(const TallyHit& h) const;
  };
  struct RuleCount {
    int64_t hits = 0;
    int64_t score = 0;
    Best best;
  };
  const void* profile_ = nullptr;  // the ProfileState
  Direction direction_ = Direction::kInput;
  std::vector<RuleCount> rules_;   // by rule of the profile
  Best best_;                      // among all hits
  size_t hits_ = 0;
  bool context_ = false;           // a context hit was added
};

class CompiledPolicy {
 public:
  // Parses and validates a policy text proto against `taxonomy`. Errors are
  // kInvalidArgument and read "<file_name>:<line>: <what>" (syntax errors:
  // "<file_name>:<line>:<column>: <what>"), the line being that of the
  // offending field, or of its rule, profile or template. They cover: syntax
  // and unknown fields; an empty version; a default_profile that is unset or
  // names no profile; a missing or duplicate profile or rule name (and the
  // reserved rule names "default", "no-hits" and "stream-limit"); a rule with
  // no action; a stream_limit_action other than REFUSE or BLOCK;
  // min_severity outside 0..4; negative min_score or min_hits; an
  // unknown hits kind; unknown
  // category codes, "*" in a rule, "A1.3.*"; a rule that an earlier rule of
  // its profile always pre-empts (unreachable); REFUSE/BLOCK rules (or
  // defaults) with no refusal template for some category they can fire on, in
  // zh-CN or en; templates with another locale, an unknown category, no text,
  // a placeholder other than {category}, or a duplicate (category, locale); a
  // masking character that is not one code point; a label position with no
  // label text.
  static absl::StatusOr<std::unique_ptr<CompiledPolicy>> Compile(std::string_view file_name,
                                                                 std::string_view text,
                                                                 const Taxonomy& taxonomy);

  const policy::Policy& proto() const;
  bool HasProfile(std::string_view name) const;

  // Decides about `text` from decision->hits (sorted by start): sets action,
  // rule, profile, refusal, label, label_position, masked and
  // policy_version, and leaves hits and the other fields alone. An empty
  // `profile` means the default profile; an unknown one is kInvalidArgument.
  //
  // The first rule of the profile that fires decides ("<profile>/<rule>");
  // with hits but no rule firing, the profile's default action decides
  // ("<profile>/default"); with no hits, ALLOW ("<profile>/no-hits").
  // Context hits (Policy.context_categories) count toward no rule and no
  // default, are not masked, and make `unless_context` rules stand aside; a
  // text whose hits are all context is ALLOWed ("<profile>/no-hits").
  // `refusal` is set for REFUSE and BLOCK only: the template of the category
  // of the most severe hit the deciding rule selected (the earliest on ties;
  // for the default, among all hits), looked up as category, class, "*".
  // `locale` is matched on its language ("en-US" is en; any language but en
  // gets zh-CN); empty means the dominant script of the text's first
  // kScriptSampleBytes: more Han characters
  // than Latin letters is zh-CN, otherwise en (a pass over the text, ~1 µs
  // per 2 KB, only when a refusal is needed). `masked` is the text with every
  // hit span masked in the policy's style, whatever the action. The label is
  // set for output only, when the policy has one.
  //
  // Allocates nothing beyond the decision's own strings (which keep their
  // capacity when a Decision is reused), except one scratch array when there
  // are more than 32 hits. Thread-safe: the policy is immutable.
  absl::Status Decide(std::string_view text, Direction direction, std::string_view profile,
                      std::string_view locale, Decision* decision) const;

  // Streams decide incrementally: StartTally once, AddToTally per confirmed
  // hit (O(rules of the profile)), DecideTally whenever the decision is
  // needed (O(rules)). DecideTally sets what Decide() sets but `masked`
  // (left alone) and `hits` (the caller's), with `locale` as Decide's (a
  // stream passes its own or the dominant script's; empty means zh-CN).
  absl::Status StartTally(Direction direction, std::string_view profile, HitTally* tally) const;
  void AddToTally(const TallyHit& hit, HitTally* tally) const;
  // A category code's index in the policy's taxonomy, -1 when unknown.
  int CategoryIndex(std::string_view code) const;
  // Whether hits of the category (an index as above) are context
  // (Policy.context_categories): they count toward nothing, are never
  // masked, and make rules with `unless_context` stand aside.
  bool IsContextCategory(int category) const;
  void DecideTally(const HitTally& tally, std::string_view locale, Decision* decision) const;
  // The decision of a stream that cannot go on (a size or hold-back limit):
  // the policy's stream_limit_action (REFUSE or BLOCK, default BLOCK), rule
  // "<profile>/stream-limit", the "*" refusal template of `locale`.
  void DecideStreamLimit(const HitTally& tally, std::string_view locale,
                         Decision* decision) const;

  ~CompiledPolicy();

 private:
  CompiledPolicy();
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace menshen::internal

#endif  // MENSHEN_LIB_POLICY_COMPILED_POLICY_H_
