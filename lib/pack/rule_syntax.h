// The text of a rule entry (first column of a rule file): parts joined by
// operators. docs/packs.md ("Rules") is the reference for pack authors.
//
//   如何|怎么 ~10 制作|制造 ~4 炸药|炸弹 ! 历史|新闻
//
//   a|b      alternatives: any one of the terms satisfies the part
//   A + B    both parts anywhere in the text
//   A ~N B   B at most N characters from A, before or after it
//   A > B    B after A (A ends before B starts), any distance
//   A >N B   B after A, at most N characters later
//   ! C      unless C occurs anywhere in the text (unless parts come last)
//
// Characters are code points of the folded text, so skipped noise and
// ignorables do not count. Whitespace around operators is ignored; inside a
// term it is kept. `\` makes the next of | + ~ > ! \ an ordinary character.
#ifndef MENSHEN_LIB_PACK_RULE_SYNTAX_H_
#define MENSHEN_LIB_PACK_RULE_SYNTAX_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "lib/pack/pack.pb.h"

namespace menshen::internal {

// Limits that keep evaluation cheap and catch typos.
inline constexpr int kMaxRulePositiveSteps = 8;
inline constexpr int kMaxRuleNegatedSteps = 8;
inline constexpr int kMaxRuleAlternatives = 256;  // per step
inline constexpr int kMaxRuleGap = 10000;         // characters

struct RuleSyntax {
  struct Step {
    std::vector<std::string> alternatives;  // unescaped, trimmed, non-empty
    pack::RuleStep::Link link = pack::RuleStep::AND;  // to the previous positive step
    int max_gap = -1;  // NEAR: >= 0; AFTER: >= 0 or -1 for any distance
    bool negated = false;
  };
  std::vector<Step> steps;  // positive steps first, then negated ones
};

// Parses a rule's text. Errors are kInvalidArgument with a message that says
// what is wrong (the caller adds the file and line).
absl::StatusOr<RuleSyntax> ParseRule(std::string_view text);

// The canonical text of a rule: single spaces around operators, escapes where
// needed. Parsing it gives `rule` back. Entry ids hash this text, so spacing
// does not change a rule's id.
std::string FormatRule(const RuleSyntax& rule);

// `term` with | + ~ > ! \ escaped, for writing a part.
std::string EscapeRuleTerm(std::string_view term);

// For importers of external lists, whose "a+b+c" lines mean "all of these
// together": the text of an AND rule over `parts` (each one term, escaped
// here), ready for the first column of a rule file. Errors: fewer than two
// parts, an empty part, a part with a tab or line break, or more than
// kMaxRulePositiveSteps parts.
absl::StatusOr<std::string> AndRuleText(absl::Span<const std::string> parts);

}  // namespace menshen::internal

#endif  // MENSHEN_LIB_PACK_RULE_SYNTAX_H_
