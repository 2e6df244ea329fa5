#include "lib/pack/rule_syntax.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "lib/base/absl_view.h"

namespace menshen::internal {
namespace {

// An escaped '@' while a term is read, so that it is not taken for a group.
constexpr char kEscapedAt = '\x01';

bool IsSpecial(char c) {
  return c == '|' || c == '+' || c == '~' || c == '>' || c == '!' || c == '\\';
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// How an operator is written, for messages.
std::string OperatorName(pack::RuleStep::Link link, int gap, bool negated) {
  if (negated) return "!";
  switch (link) {
    case pack::RuleStep::NEAR: return absl::StrCat("~", gap);
    case pack::RuleStep::AFTER: return gap < 0 ? std::string(">") : absl::StrCat(">", gap);
    default: return "+";
  }
}

template <typename... T>
absl::Status Error(T&&... what) {
  return absl::InvalidArgumentError(absl::StrCat(std::forward<T>(what)...));
}

bool IsGroupName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (IsSpace(c) || IsSpecial(c) || c == '@' || c == '=' || c == kEscapedAt) return false;
  }
  return true;
}

// Reads parts and operators, without the checks that make a whole rule.
absl::StatusOr<RuleSyntax> ParseSteps(std::string_view text) {
  RuleSyntax rule;
  RuleSyntax::Step step;        // the step being read
  std::string term;             // the term being read, escapes resolved
  std::string pending_op;       // the operator before `step`, for messages
  int positive = 0;
  int negated = 0;

  auto finish_term = [&](std::string_view next) -> absl::Status {
    std::string t(absl::StripAsciiWhitespace(term));
    term.clear();
    if (t.empty()) {
      if (step.alternatives.empty()) {
        return pending_op.empty()
                   ? Error("the rule starts with '", AV(next), "'; write a part before it")
                   : Error("no part between '", pending_op, "' and '", AV(next), "'");
      }
      return Error("an empty alternative before '", AV(next),
                   "' (two '|' in a row, or '|' at the end of a part)");
    }
    const bool group = t[0] == '@';
    if (group) {
      t.erase(0, 1);
      if (!IsGroupName(t)) {
        return Error("'@", t, "' is not a group name (no spaces or | + ~ > ! \\ @ = in it)");
      }
    }
    std::replace(t.begin(), t.end(), kEscapedAt, '@');
    for (size_t i = 0; i < step.alternatives.size(); ++i) {
      if (step.alternatives[i] == t && step.is_group[i] == group) {
        return Error("the alternative '", group ? "@" : "", t, "' is written twice in one part");
      }
    }
    step.alternatives.push_back(std::move(t));
    step.is_group.push_back(group ? 1 : 0);
    if (static_cast<int>(step.alternatives.size()) > kMaxRuleAlternatives) {
      return Error("a part has more than ", kMaxRuleAlternatives, " alternatives");
    }
    return absl::OkStatus();
  };
  auto finish_step = [&](std::string_view next) -> absl::Status {
    if (absl::Status s = finish_term(next); !s.ok()) return s;
    if (step.negated) {
      if (++negated > kMaxRuleNegatedSteps) {
        return Error("more than ", kMaxRuleNegatedSteps, " unless parts ('!')");
      }
    } else if (++positive > kMaxRulePositiveSteps) {
      return Error("more than ", kMaxRulePositiveSteps, " parts");
    }
    rule.steps.push_back(std::move(step));
    step = RuleSyntax::Step();
    return absl::OkStatus();
  };

  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\') {
      if (i + 1 >= text.size() || !(IsSpecial(text[i + 1]) || text[i + 1] == '@')) {
        return Error("'\\' must be followed by one of | + ~ > ! \\ @ (it makes that character "
                     "part of a term)");
      }
      ++i;
      term.push_back(text[i] == '@' ? kEscapedAt : text[i]);
      continue;
    }
    if (c == kEscapedAt) return Error("control character U+0001 in a rule");
    if (c == '|') {
      if (absl::Status s = finish_term("|"); !s.ok()) return s;
      continue;
    }
    if (c != '+' && c != '~' && c != '>' && c != '!') {
      term.push_back(c);
      continue;
    }
    // An operator: read its distance, if any.
    pack::RuleStep::Link link = pack::RuleStep::AND;
    int gap = -1;
    const bool is_not = c == '!';
    std::string written(1, c);
    if (c == '~' || c == '>') {
      link = c == '~' ? pack::RuleStep::NEAR : pack::RuleStep::AFTER;
      size_t j = i + 1;
      int64_t n = 0;
      while (j < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[j]))) {
        n = n * 10 + (text[j] - '0');
        if (n > kMaxRuleGap) {
          return Error("the distance after '", written, "' is more than ", kMaxRuleGap,
                       " characters");
        }
        ++j;
      }
      if (j > i + 1) {
        gap = static_cast<int>(n);
        written = absl::StrCat(written, gap);
        if (j < text.size() && !IsSpace(text[j])) {
          return Error("put a space after '", written,
                       "': a part must not start right after the distance");
        }
      } else if (c == '~') {
        return Error("'~' needs a distance in characters, e.g. '~10'");
      }
      i = j - 1;
    }
    if (absl::Status s = finish_step(written); !s.ok()) return s;
    if (is_not) {
      step.negated = true;
    } else if (!rule.steps.empty() && rule.steps.back().negated) {
      return Error("'", written, "' after an unless part: unless parts ('!') come last");
    }
    step.link = link;
    step.max_gap = gap;
    pending_op = written;
  }
  if (absl::StripAsciiWhitespace(term).empty() && step.alternatives.empty() &&
      !pending_op.empty()) {
    return Error("the rule ends with '", pending_op, "'; write a part after it");
  }
  if (absl::Status s = finish_step("the end"); !s.ok()) return s;
  return rule;
}

}  // namespace

absl::StatusOr<RuleSyntax> ParseRule(std::string_view text) {
  if (absl::StripAsciiWhitespace(AV(text)).empty()) return Error("empty rule");
  absl::StatusOr<RuleSyntax> rule = ParseSteps(text);
  if (!rule.ok()) return rule;
  int positive = 0;
  for (const RuleSyntax::Step& s : rule->steps) positive += s.negated ? 0 : 1;
  if (positive < 2 && positive == static_cast<int>(rule->steps.size())) {
    return Error("a rule needs two parts or an unless part ('!'); a single part is a term: "
                 "write it in a term file");
  }
  return rule;
}

bool IsRuleGroupLine(std::string_view line) {
  absl::string_view t = absl::StripLeadingAsciiWhitespace(AV(line));
  if (t.empty() || t[0] != '@') return false;
  // "@name =": a rule may start with a group too ("@how ~8 ...").
  size_t i = 1;
  while (i < t.size() && !IsSpace(t[i]) && !IsSpecial(t[i]) && t[i] != '=' && t[i] != '@') ++i;
  while (i < t.size() && IsSpace(t[i])) ++i;
  return i < t.size() && t[i] == '=';
}

absl::Status DefineRuleGroup(std::string_view line, RuleGroups* groups) {
  absl::string_view t = absl::StripAsciiWhitespace(AV(line));
  if (t.empty() || t[0] != '@') return Error("a group definition starts with '@'");
  const size_t eq = t.find('=');
  if (eq == absl::string_view::npos) {
    return Error("a line starting with '@' defines a group: write '@name = term|term|...' "
                 "(escape a rule's leading @ as \\@)");
  }
  const std::string name(absl::StripAsciiWhitespace(t.substr(1, eq - 1)));
  if (!IsGroupName(name)) {
    return Error("'@", name, "' is not a group name (no spaces or | + ~ > ! \\ @ = in it)");
  }
  if (groups->contains(name)) return Error("the group '@", name, "' is defined twice");
  const absl::string_view body = absl::StripAsciiWhitespace(t.substr(eq + 1));
  if (body.empty()) return Error("the group '@", name, "' is empty");
  absl::StatusOr<RuleSyntax> parsed = ParseSteps(std::string_view(body.data(), body.size()));
  if (!parsed.ok()) return Error("group '@", name, "': ", parsed.status().message());
  if (parsed->steps.size() != 1 || parsed->steps[0].negated) {
    return Error("group '@", name, "': a group is one part, terms separated by '|' (no operators)");
  }
  absl::StatusOr<RuleSyntax> expanded = ExpandRuleGroups(*parsed, *groups);
  if (!expanded.ok()) return Error("group '@", name, "': ", expanded.status().message());
  (*groups)[name] = std::move(expanded->steps[0].alternatives);
  return absl::OkStatus();
}

absl::StatusOr<RuleSyntax> ExpandRuleGroups(const RuleSyntax& rule, const RuleGroups& groups) {
  RuleSyntax out = rule;
  for (RuleSyntax::Step& step : out.steps) {
    std::vector<std::string> terms;
    absl::flat_hash_set<std::string> seen;
    auto add = [&](const std::string& term) {
      if (seen.insert(term).second) terms.push_back(term);
    };
    for (size_t i = 0; i < step.alternatives.size(); ++i) {
      if (!step.is_group[i]) {
        add(step.alternatives[i]);
        continue;
      }
      auto it = groups.find(step.alternatives[i]);
      if (it == groups.end()) {
        return Error("unknown group '@", step.alternatives[i],
                     "' (define it on an earlier line: '@", step.alternatives[i], " = ...')");
      }
      for (const std::string& term : it->second) add(term);
    }
    if (static_cast<int>(terms.size()) > kMaxRuleAlternatives) {
      return Error("a part has more than ", kMaxRuleAlternatives, " alternatives");
    }
    step.alternatives = std::move(terms);
    step.is_group.assign(step.alternatives.size(), 0);
  }
  return out;
}

std::string EscapeRuleTerm(std::string_view term) {
  std::string out;
  out.reserve(term.size() + 2);
  for (size_t i = 0; i < term.size(); ++i) {
    if (IsSpecial(term[i]) || (i == 0 && term[i] == '@')) out.push_back('\\');
    out.push_back(term[i]);
  }
  return out;
}

std::string FormatRule(const RuleSyntax& rule) {
  std::string out;
  for (size_t i = 0; i < rule.steps.size(); ++i) {
    const RuleSyntax::Step& s = rule.steps[i];
    if (i > 0) absl::StrAppend(&out, " ", OperatorName(s.link, s.max_gap, s.negated), " ");
    for (size_t a = 0; a < s.alternatives.size(); ++a) {
      if (a > 0) out.push_back('|');
      const bool group = a < s.is_group.size() && s.is_group[a];
      out += group ? "@" + s.alternatives[a] : EscapeRuleTerm(s.alternatives[a]);
    }
  }
  return out;
}

absl::StatusOr<std::string> AndRuleText(absl::Span<const std::string> parts) {
  if (parts.size() < 2) return Error("an AND rule needs at least two parts");
  if (parts.size() > static_cast<size_t>(kMaxRulePositiveSteps)) {
    return Error("an AND rule has at most ", kMaxRulePositiveSteps, " parts");
  }
  RuleSyntax rule;
  for (const std::string& p : parts) {
    const std::string t(absl::StripAsciiWhitespace(p));
    if (t.empty()) return Error("an empty part");
    if (t.find_first_of("\t\r\n") != std::string::npos) {
      return Error("the part '", t, "' has a tab or line break");
    }
    RuleSyntax::Step& step = rule.steps.emplace_back();
    step.alternatives.push_back(t);
    step.is_group.push_back(0);
  }
  return FormatRule(rule);
}

absl::StatusOr<std::string> ParseImportedAndLine(std::string_view line) {
  static constexpr std::string_view kFullWidthPlus = "\xEF\xBC\x8B";  // U+FF0B
  std::vector<std::string> parts;
  std::string current;
  bool plus = false;
  for (size_t i = 0; i < line.size();) {
    if (line[i] == '+') {
      parts.push_back(std::move(current));
      current.clear();
      plus = true;
      ++i;
    } else if (line.substr(i, kFullWidthPlus.size()) == kFullWidthPlus) {
      parts.push_back(std::move(current));
      current.clear();
      plus = true;
      i += kFullWidthPlus.size();
    } else {
      current.push_back(line[i++]);
    }
  }
  if (!plus) return absl::NotFoundError("the line has no '+': a term, not a rule");
  parts.push_back(std::move(current));
  return AndRuleText(parts);
}

}  // namespace menshen::internal
