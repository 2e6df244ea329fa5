// The policy stage: a validated policy and the decision it makes from hits.
#ifndef MENSHEN_LIB_POLICY_COMPILED_POLICY_H_
#define MENSHEN_LIB_POLICY_COMPILED_POLICY_H_

#include <memory>
#include <string>
#include <string_view>

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

class CompiledPolicy {
 public:
  // Parses and validates a policy text proto against `taxonomy`. Errors are
  // kInvalidArgument and read "<file_name>:<line>: <what>" (syntax errors:
  // "<file_name>:<line>:<column>: <what>"), the line being that of the
  // offending field, or of its rule, profile or template. They cover: syntax
  // and unknown fields; an empty version; a default_profile that is unset or
  // names no profile; a missing or duplicate profile or rule name (and the
  // reserved rule names "default" and "no-hits"); a rule with no action;
  // min_severity outside 0..4; negative min_score or min_hits; an unknown
  // hits kind; unknown
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

  ~CompiledPolicy();

 private:
  CompiledPolicy();
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace menshen::internal

#endif  // MENSHEN_LIB_POLICY_COMPILED_POLICY_H_
