#include "lib/pack/rule_syntax.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "lib/base/absl_view.h"

namespace menshen::internal {
namespace {

bool IsSpecial(char c) {
  return c == '|' || c == '+' || c == '~' || c == '>' || c == '!' || c == '\\';
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string Trimmed(const std::string& s) {
  return std::string(absl::StripAsciiWhitespace(s));
}

// How an operator is written, for messages.
std::string OperatorName(pack::RuleStep::Link link, int gap, bool negated) {
  if (negated) return "!";
  switch (link) {
    case pack::RuleStep::NEAR: return absl::StrCat("~", gap);
    case pack::RuleStep::AFTER: return gap < 0 ? std::string(">") : absl::StrCat(">", gap);
    default: return "+";
  }
}

}  // namespace

absl::StatusOr<RuleSyntax> ParseRule(std::string_view text) {
  RuleSyntax rule;
  auto error = [](auto&&... what) { return absl::InvalidArgumentError(absl::StrCat(what...)); };
  if (absl::StripAsciiWhitespace(AV(text)).empty()) return error("empty rule");

  RuleSyntax::Step step;        // the step being read
  std::string term;             // the term being read, escapes resolved
  std::string pending_op = "";  // the operator before `step`, for messages
  int positive = 0;
  int negated = 0;

  auto finish_term = [&](std::string_view next) -> absl::Status {
    std::string t = Trimmed(term);
    if (t.empty()) {
      if (step.alternatives.empty()) {
        return pending_op.empty()
                   ? error("the rule starts with '", AV(next), "'; write a part before it")
                   : error("no part between '", pending_op, "' and '", AV(next), "'");
      }
      return error("an empty alternative before '", AV(next),
                   "' (two '|' in a row, or '|' at the end of a part)");
    }
    step.alternatives.push_back(std::move(t));
    term.clear();
    if (static_cast<int>(step.alternatives.size()) > kMaxRuleAlternatives) {
      return error("a part has more than ", kMaxRuleAlternatives, " alternatives");
    }
    return absl::OkStatus();
  };
  auto finish_step = [&](std::string_view next) -> absl::Status {
    if (absl::Status s = finish_term(next); !s.ok()) return s;
    for (size_t i = 0; i < step.alternatives.size(); ++i) {
      for (size_t j = 0; j < i; ++j) {
        if (step.alternatives[i] == step.alternatives[j]) {
          return error("the alternative '", step.alternatives[i], "' is written twice in one part");
        }
      }
    }
    if (step.negated) {
      if (++negated > kMaxRuleNegatedSteps) {
        return error("more than ", kMaxRuleNegatedSteps, " unless parts ('!')");
      }
    } else if (++positive > kMaxRulePositiveSteps) {
      return error("more than ", kMaxRulePositiveSteps, " parts");
    }
    rule.steps.push_back(std::move(step));
    step = RuleSyntax::Step();
    return absl::OkStatus();
  };

  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\') {
      if (i + 1 >= text.size() || !IsSpecial(text[i + 1])) {
        return error("'\\' must be followed by one of | + ~ > ! \\ (it makes that character "
                     "part of a term)");
      }
      term.push_back(text[++i]);
      continue;
    }
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
          return error("the distance after '", written, "' is more than ", kMaxRuleGap,
                       " characters");
        }
        ++j;
      }
      if (j > i + 1) {
        gap = static_cast<int>(n);
        written = absl::StrCat(written, gap);
        if (j < text.size() && !IsSpace(text[j])) {
          return error("put a space after '", written,
                       "': a part must not start right after the distance");
        }
      } else if (c == '~') {
        return error("'~' needs a distance in characters, e.g. '~10'");
      }
      i = j - 1;
    }
    if (absl::Status s = finish_step(written); !s.ok()) return s;
    if (is_not) {
      step.negated = true;
    } else if (!rule.steps.empty() && rule.steps.back().negated) {
      return error("'", written, "' after an unless part: unless parts ('!') come last");
    }
    step.link = link;
    step.max_gap = gap;
    pending_op = written;
  }
  if (absl::StripAsciiWhitespace(term).empty() && step.alternatives.empty() &&
      !pending_op.empty()) {
    return error("the rule ends with '", pending_op, "'; write a part after it");
  }
  if (absl::Status s = finish_step("the end"); !s.ok()) return s;

  if (positive < 2 && negated == 0) {
    return error("a rule needs two parts or an unless part ('!'); a single part is a term: "
                 "write it in a term file");
  }
  return rule;
}

std::string EscapeRuleTerm(std::string_view term) {
  std::string out;
  out.reserve(term.size());
  for (char c : term) {
    if (IsSpecial(c)) out.push_back('\\');
    out.push_back(c);
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
      out += EscapeRuleTerm(s.alternatives[a]);
    }
  }
  return out;
}

absl::StatusOr<std::string> AndRuleText(absl::Span<const std::string> parts) {
  if (parts.size() < 2) {
    return absl::InvalidArgumentError("an AND rule needs at least two parts");
  }
  if (parts.size() > static_cast<size_t>(kMaxRulePositiveSteps)) {
    return absl::InvalidArgumentError(
        absl::StrCat("an AND rule has at most ", kMaxRulePositiveSteps, " parts"));
  }
  RuleSyntax rule;
  for (const std::string& p : parts) {
    const std::string t = Trimmed(p);
    if (t.empty()) return absl::InvalidArgumentError("an empty part");
    if (t.find_first_of("\t\r\n") != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("the part '", t, "' has a tab or line break"));
    }
    RuleSyntax::Step& step = rule.steps.emplace_back();
    step.alternatives.push_back(t);
  }
  return FormatRule(rule);
}

}  // namespace menshen::internal
