// The text of a rule entry (first column of a rule file): parts joined by
// operators. docs/packs.md ("Rules") is the reference for pack authors.
//
//   @how ~10 制作|制造 ~4 炸药|炸弹 ! 历史|新闻
//
//   a|b      alternatives: any one of the terms satisfies the part
//   @name    the terms of a group, defined earlier in the pack's rule files
//            by a line "@name = a|b|@other"
//   A + B    both parts anywhere in the text
//   A ~N B   B at most N characters from A, before or after it
//   A > B    B after A (A ends before B starts), any distance
//   A >N B   B after A, at most N characters later
//   ! C      unless C occurs anywhere in the text (unless parts come last)
//
// Characters are code points of the folded text, so skipped noise and
// ignorables do not count. Whitespace around operators is ignored; inside a
// term it is kept. `\` makes the next of | + ~ > ! \ @ an ordinary character
// (`@` is special only at the start of an alternative).
#ifndef MENSHEN_LIB_PACK_RULE_SYNTAX_H_
#define MENSHEN_LIB_PACK_RULE_SYNTAX_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "lib/pack/pack.pb.h"

namespace menshen::internal {

// Limits that keep evaluation cheap and catch typos.
inline constexpr int kMaxRulePositiveSteps = 8;
inline constexpr int kMaxRuleNegatedSteps = 8;
inline constexpr int kMaxRuleAlternatives = 1024;  // per part, groups expanded
inline constexpr int kMaxRuleGap = 10000;          // characters

struct RuleSyntax {
  struct Step {
    // Terms (unescaped, trimmed, non-empty) and group names, as written.
    std::vector<std::string> alternatives;
    std::vector<uint8_t> is_group;  // 1 where alternatives[i] names a group
    pack::RuleStep::Link link = pack::RuleStep::AND;  // to the previous positive step
    int max_gap = -1;  // NEAR: >= 0; AFTER: >= 0 or -1 for any distance
    bool negated = false;
  };
  std::vector<Step> steps;  // positive steps first, then negated ones
};

// Named groups of terms, defined by "@name = ..." lines of a pack's rule files.
using RuleGroups = absl::flat_hash_map<std::string, std::vector<std::string>>;

// Parses a rule's text. Errors are kInvalidArgument with a message that says
// what is wrong (the caller adds the file and line).
absl::StatusOr<RuleSyntax> ParseRule(std::string_view text);

// Whether a (trimmed) line of a rule file defines a group: it starts with an
// unescaped '@'.
bool IsRuleGroupLine(std::string_view line);

// Parses "@name = a|b|@other" and adds the group, with earlier groups it
// names expanded. Errors: a bad or repeated name, no '=', an empty group,
// operators in the group, an unknown group.
absl::Status DefineRuleGroup(std::string_view line, RuleGroups* groups);

// `rule` with every group replaced by its terms (duplicates dropped).
// Error: a group that is not defined.
absl::StatusOr<RuleSyntax> ExpandRuleGroups(const RuleSyntax& rule, const RuleGroups& groups);

// The canonical text of a rule as written (groups by name): single spaces
// around operators, escapes where needed. Parsing it gives `rule` back.
// Entry ids hash this text, so spacing does not change a rule's id.
std::string FormatRule(const RuleSyntax& rule);

// `term` with | + ~ > ! \ (and a leading @) escaped, for writing a part.
std::string EscapeRuleTerm(std::string_view term);

// For importers of external lists, whose "a+b+c" lines mean "all of these
// together": the text of an AND rule over `parts` (each one term, escaped
// here), ready for the first column of a rule file. Errors: fewer than two
// parts, an empty part, a part with a tab or line break, or more than
// kMaxRulePositiveSteps parts.
absl::StatusOr<std::string> AndRuleText(absl::Span<const std::string> parts);

// A raw line of an external list, "a+b+c" (ASCII or full-width plus signs,
// spaces around parts trimmed), as the text of an AND rule (AndRuleText).
// A line without a plus sign is not a rule: NotFound, so an importer can
// read it as a term. Errors as AndRuleText's (e.g. "a++b": an empty part).
absl::StatusOr<std::string> ParseImportedAndLine(std::string_view line);

}  // namespace menshen::internal

#endif  // MENSHEN_LIB_PACK_RULE_SYNTAX_H_
