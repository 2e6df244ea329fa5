// The policy stage, until policies are data: a fixed rule turns hits into an
// action, and masking writes the masked text.
#ifndef MENSHEN_LIB_POLICY_BUILTIN_POLICY_H_
#define MENSHEN_LIB_POLICY_BUILTIN_POLICY_H_

#include <string>
#include <string_view>

#include "menshen/decision.h"

namespace menshen::internal {

// Severity of a hit at or above which the built-in rule refuses.
inline constexpr int kBuiltinRefuseSeverity = 3;

// Fills decision->action, rule and refusal from decision->hits: no hit →
// ALLOW; any hit of severity ≥ 3 → REFUSE; otherwise FLAG.
void ApplyBuiltinPolicy(std::string_view text, Decision* decision);

// Writes `text` with every hit span replaced by one '*' per code point (an
// invalid byte counts as one) into `masked`. Overlapping spans are merged.
void MaskHits(std::string_view text, const std::vector<Hit>& hits, std::string* masked);

}  // namespace menshen::internal

#endif  // MENSHEN_LIB_POLICY_BUILTIN_POLICY_H_
