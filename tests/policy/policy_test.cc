// The policy stage: policy files as data, their validation (every error names
// its line), decisions from hits, refusal locales, masking and labels, and the
// embedded default policy.
#include "menshen/policy.h"

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "lib/base/text_proto.h"
#include "lib/base/utf8.h"
#include "lib/pack/embedded.h"
#include "lib/pack/taxonomy.h"
#include "lib/policy/compiled_policy.h"
#include "lib/policy/mask.h"
#include "lib/policy/utf8_scan.h"
#include "menshen/decision.h"
#include "tests/test_util.h"

namespace menshen::internal {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr std::string_view kFile = "test.textproto";

// A policy with catch-all templates; profiles are appended.
const std::string kHeader = R"txt(version: "t1"
default_profile: "p"
refusal { category: "*" locale: "zh-CN" text: "拒绝：{category}" }
refusal { category: "*" locale: "en" text: "refused: {category}" }
)txt";

std::string Profile(std::string_view body, std::string_view name = "p") {
  return "profile {\n  name: \"" + std::string(name) + "\"\n" + std::string(body) + "}\n";
}

Hit MakeHit(std::string_view category, int severity, size_t start = 0, size_t end = 0) {
  Hit h;
  h.category = category;
  h.severity = severity;
  h.start = start;
  h.end = end;
  return h;
}

// The hit of a rule (several parts together, docs/packs.md "Rules").
Hit MakeRuleHit(std::string_view category, int severity, size_t start = 0, size_t end = 0) {
  Hit h = MakeHit(category, severity, start, end);
  h.rule = true;
  return h;
}

std::unique_ptr<CompiledPolicy> MustCompile(const std::string& text) {
  absl::StatusOr<std::unique_ptr<CompiledPolicy>> p =
      CompiledPolicy::Compile(kFile, text, Taxonomy::Embedded());
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *std::move(p) : nullptr;
}

std::string CompileError(const std::string& text) {
  absl::StatusOr<std::unique_ptr<CompiledPolicy>> p =
      CompiledPolicy::Compile(kFile, text, Taxonomy::Embedded());
  if (p.ok()) return "compiled without error";
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(p.status().message());
}

// The 1-based line of the first occurrence of `marker` in `text`.
int LineNo(const std::string& text, std::string_view marker) {
  const size_t pos = text.find(marker);
  EXPECT_NE(pos, std::string::npos) << marker;
  if (pos == std::string::npos) return 0;
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + pos, '\n'));
}

// "test.textproto:<line>: " for the first line of `text` containing `marker`.
std::string At(const std::string& text, std::string_view marker) {
  return std::string(kFile) + ":" + std::to_string(LineNo(text, marker)) + ": ";
}

// "test.textproto:<line>:" for the first line containing `marker`; a column
// follows for syntax errors.
std::string AtLineColon(const std::string& text, std::string_view marker) {
  return std::string(kFile) + ":" + std::to_string(LineNo(text, marker)) + ":";
}

Decision Decide(const CompiledPolicy& policy, std::string_view text, Direction direction,
                std::vector<Hit> hits, std::string_view profile = "",
                std::string_view locale = "") {
  Decision d;
  d.hits = std::move(hits);
  absl::Status s = policy.Decide(text, direction, profile, locale, &d);
  EXPECT_TRUE(s.ok()) << s;
  return d;
}

std::string_view NameZh(std::string_view code) {
  return Taxonomy::Embedded().Find(code)->name_zh();
}
std::string_view NameEn(std::string_view code) {
  return Taxonomy::Embedded().Find(code)->name_en();
}

// ---------------------------------------------------------------------------
// Decisions
// ---------------------------------------------------------------------------

TEST(Decide, FirstFiringRuleWinsInFileOrder) {
  auto p = MustCompile(kHeader + Profile(R"txt(
  rule { name: "refuse-a13-high" categories: "A1.3" min_severity: 3 action: REFUSE }
  rule { name: "flag-a1" categories: "A1" action: FLAG }
  rule { name: "mask-rest" action: MASK }
)txt"));
  ASSERT_NE(p, nullptr);
  Decision d = Decide(*p, "x", Direction::kInput, {MakeHit("A1.3", 2)});
  EXPECT_EQ(d.action, Action::kFlag);
  EXPECT_EQ(d.rule, "p/flag-a1");
  d = Decide(*p, "x", Direction::kInput, {MakeHit("A1.3", 3)});
  EXPECT_EQ(d.action, Action::kRefuse);
  EXPECT_EQ(d.rule, "p/refuse-a13-high");
  d = Decide(*p, "x", Direction::kInput, {MakeHit("A4.3", 4)});
  EXPECT_EQ(d.action, Action::kMask);
  EXPECT_EQ(d.rule, "p/mask-rest");
  // The order of rules decides, not the order of hits or the strength of actions.
  d = Decide(*p, "x", Direction::kInput, {MakeHit("A4.3", 4, 0, 1), MakeHit("A1.3", 3, 2, 3)});
  EXPECT_EQ(d.rule, "p/refuse-a13-high");
  d = Decide(*p, "x", Direction::kInput, {MakeHit("A4.3", 4, 0, 1), MakeHit("A1.1", 1, 2, 3)});
  EXPECT_EQ(d.rule, "p/flag-a1");
  EXPECT_EQ(d.profile, "p");
}

TEST(Decide, EachAction) {
  auto p = MustCompile(kHeader + Profile(R"txt(
  rule { name: "allow" categories: "A5" action: ALLOW }
  rule { name: "flag" categories: "A3" action: FLAG }
  rule { name: "mask" categories: "A2" action: MASK }
  rule { name: "refuse" categories: "A1" action: REFUSE }
  rule { name: "block" categories: "X" action: BLOCK }
)txt"));
  ASSERT_NE(p, nullptr);
  const std::string text = "abcdef";
  struct Case {
    const char* category;
    Action action;
    const char* rule;
  } cases[] = {{"A5.1", Action::kAllow, "p/allow"},
               {"A3.2", Action::kFlag, "p/flag"},
               {"A2.5", Action::kMask, "p/mask"},
               {"A1.4", Action::kRefuse, "p/refuse"},
               {"X2", Action::kBlock, "p/block"}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.category);
    Decision d = Decide(*p, text, Direction::kInput, {MakeHit(c.category, 2, 1, 3)});
    EXPECT_EQ(d.action, c.action);
    EXPECT_EQ(d.rule, c.rule);
    EXPECT_EQ(d.masked, "a**def");  // for every action: callers use it for MASK
    const bool refuses = c.action == Action::kRefuse || c.action == Action::kBlock;
    EXPECT_EQ(d.refusal.empty(), !refuses) << d.refusal;
    EXPECT_EQ(d.policy_version, "t1");
  }
}

TEST(Decide, NoHitsAllowsAndUnmatchedHitsTakeTheProfileDefault) {
  auto p = MustCompile(kHeader + Profile(R"txt(
  rule { name: "refuse-a1" categories: "A1" action: REFUSE }
)txt") +
                       Profile(R"txt(
  rule { name: "mask-a2" categories: "A2" action: MASK }
  default_action: REFUSE
)txt",
                               "strict"));
  ASSERT_NE(p, nullptr);
  Decision d = Decide(*p, "plain text", Direction::kInput, {});
  EXPECT_EQ(d.action, Action::kAllow);
  EXPECT_EQ(d.rule, "p/no-hits");
  EXPECT_EQ(d.masked, "plain text");
  EXPECT_TRUE(d.refusal.empty());

  d = Decide(*p, "plain text", Direction::kInput, {MakeHit("A4.3", 4)});
  EXPECT_EQ(d.action, Action::kFlag);  // default_action unset means FLAG
  EXPECT_EQ(d.rule, "p/default");

  // A default REFUSE names the most severe of all hits.
  d = Decide(*p, "plain text", Direction::kInput,
             {MakeHit("A3.1", 1, 0, 1), MakeHit("A4.3", 3, 2, 3), MakeHit("A5.1", 2, 4, 5)},
             "strict", "en");
  EXPECT_EQ(d.action, Action::kRefuse);
  EXPECT_EQ(d.rule, "strict/default");
  EXPECT_EQ(d.profile, "strict");
  EXPECT_EQ(d.refusal, "refused: " + std::string(NameEn("A4.3")));
  d = Decide(*p, "x", Direction::kInput, {}, "strict");
  EXPECT_EQ(d.rule, "strict/no-hits");
}

TEST(Decide, DirectionMatching) {
  auto p = MustCompile(kHeader + Profile(R"txt(
  rule { name: "in" direction: INPUT categories: "A1.1" action: REFUSE }
  rule { name: "out" direction: OUTPUT categories: "A1.1" action: BLOCK }
  rule { name: "in-a2" direction: INPUT categories: "A2" action: MASK }
  rule { name: "any-a3" categories: "A3" action: ALLOW }
)txt"));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(Decide(*p, "x", Direction::kInput, {MakeHit("A1.1", 2)}).rule, "p/in");
  EXPECT_EQ(Decide(*p, "x", Direction::kOutput, {MakeHit("A1.1", 2)}).rule, "p/out");
  EXPECT_EQ(Decide(*p, "x", Direction::kInput, {MakeHit("A2.1", 2)}).rule, "p/in-a2");
  EXPECT_EQ(Decide(*p, "x", Direction::kOutput, {MakeHit("A2.1", 2)}).rule, "p/default");
  EXPECT_EQ(Decide(*p, "x", Direction::kInput, {MakeHit("A3.1", 2)}).rule, "p/any-a3");
  EXPECT_EQ(Decide(*p, "x", Direction::kOutput, {MakeHit("A3.1", 2)}).rule, "p/any-a3");
}

TEST(Decide, MinHitsMinScoreAndMinSeverity) {
  auto p = MustCompile(kHeader + Profile(R"txt(
  rule { name: "two-hits" categories: "A1" min_hits: 2 action: BLOCK }
  rule { name: "score-5" categories: "A2" min_score: 5 action: REFUSE }
  rule { name: "two-severe" categories: "A3" min_severity: 3 min_hits: 2 action: MASK }
)txt"));
  ASSERT_NE(p, nullptr);
  auto rule = [&](std::vector<Hit> hits) {
    return Decide(*p, "0123456789", Direction::kInput, std::move(hits)).rule;
  };
  EXPECT_EQ(rule({MakeHit("A1.1", 4, 0, 1)}), "p/default");
  EXPECT_EQ(rule({MakeHit("A1.1", 1, 0, 1), MakeHit("A1.8", 1, 2, 3)}), "p/two-hits");
  // Hits of other categories do not count.
  EXPECT_EQ(rule({MakeHit("A1.1", 1, 0, 1), MakeHit("A2.1", 1, 2, 3)}), "p/default");
  EXPECT_EQ(rule({MakeHit("A2.1", 2, 0, 1), MakeHit("A2.2", 2, 2, 3)}), "p/default");
  EXPECT_EQ(rule({MakeHit("A2.1", 2, 0, 1), MakeHit("A2.2", 3, 2, 3)}), "p/score-5");
  EXPECT_EQ(rule({MakeHit("A2.1", 1, 0, 1), MakeHit("A2.1", 1, 1, 2), MakeHit("A2.1", 1, 2, 3),
                  MakeHit("A2.1", 1, 3, 4), MakeHit("A2.1", 1, 4, 5)}),
            "p/score-5");
  // Hits below min_severity count towards neither min_hits nor min_score.
  EXPECT_EQ(rule({MakeHit("A3.1", 3, 0, 1), MakeHit("A3.1", 2, 2, 3)}), "p/default");
  EXPECT_EQ(rule({MakeHit("A3.1", 3, 0, 1), MakeHit("A3.2", 4, 2, 3)}), "p/two-severe");
}

TEST(Decide, ClassPatterns) {
  auto p = MustCompile(kHeader + Profile(R"txt(
  rule { name: "a1" categories: "A1" action: REFUSE }
  rule { name: "a2-star" categories: "A2.*" action: MASK }
  rule { name: "x" categories: "X" action: FLAG }
  rule { name: "one-risk" categories: "A4.3" action: ALLOW }
)txt"));
  ASSERT_NE(p, nullptr);
  auto rule = [&](const char* category) {
    return Decide(*p, "x", Direction::kInput, {MakeHit(category, 2)}).rule;
  };
  EXPECT_EQ(rule("A1.3"), "p/a1");
  EXPECT_EQ(rule("A1.8"), "p/a1");
  EXPECT_EQ(rule("A1"), "p/a1");  // a hit filed under the class itself
  EXPECT_EQ(rule("A2.9"), "p/a2-star");
  EXPECT_EQ(rule("A2"), "p/a2-star");
  EXPECT_EQ(rule("X1"), "p/x");  // classes are the taxonomy's parents, not code prefixes
  EXPECT_EQ(rule("X3"), "p/x");
  EXPECT_EQ(rule("A4.3"), "p/one-risk");
  EXPECT_EQ(rule("A4.4"), "p/default");
  EXPECT_EQ(rule("A4"), "p/default");
  EXPECT_EQ(rule("A10.1"), "p/default");  // not in the taxonomy
}

TEST(Decide, CategoryOutsideTheTaxonomyMatchesOnlyRulesForEveryCategory) {
  auto p = MustCompile(kHeader + Profile(R"txt(
  rule { name: "a1" categories: "A1" action: FLAG }
  rule { name: "all" min_severity: 3 action: REFUSE }
)txt"));
  ASSERT_NE(p, nullptr);
  Decision d = Decide(*p, "text", Direction::kInput, {MakeHit("Q7.1", 3)}, "", "en");
  EXPECT_EQ(d.rule, "p/all");
  EXPECT_EQ(d.refusal, "refused: Q7.1");  // "*" template, named by its code
  EXPECT_EQ(Decide(*p, "text", Direction::kInput, {MakeHit("Q7.1", 2)}).rule, "p/default");
}

TEST(Decide, UnknownProfileIsAnError) {
  auto p = MustCompile(kHeader + Profile(""));
  ASSERT_NE(p, nullptr);
  Decision d;
  absl::Status s = p->Decide("x", Direction::kInput, "adults", "", &d);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("adults"));
  EXPECT_TRUE(p->HasProfile("p"));
  EXPECT_FALSE(p->HasProfile("adults"));
  EXPECT_FALSE(p->HasProfile(""));
}

TEST(Decide, PolicyVersionPointsIntoThePolicy) {
  auto p = MustCompile(kHeader + Profile(""));
  ASSERT_NE(p, nullptr);
  Decision d = Decide(*p, "x", Direction::kInput, {});
  EXPECT_EQ(d.policy_version, "t1");
  EXPECT_EQ(d.policy_version.data(), p->proto().version().data());
}

TEST(Decide, ReusedDecisionIsFullyRewritten) {
  auto p = MustCompile(kHeader + "label { position: START text: \"AI生成\" }\n" + Profile(R"txt(
  rule { name: "refuse" categories: "A1" action: REFUSE }
)txt"));
  ASSERT_NE(p, nullptr);
  Decision d;
  d.hits = {MakeHit("A1.1", 3, 0, 1)};
  ASSERT_TRUE(p->Decide("abc", Direction::kOutput, "", "", &d).ok());
  EXPECT_EQ(d.action, Action::kRefuse);
  EXPECT_FALSE(d.refusal.empty());
  d.hits.clear();
  ASSERT_TRUE(p->Decide("xyz", Direction::kInput, "", "", &d).ok());
  EXPECT_EQ(d.action, Action::kAllow);
  EXPECT_TRUE(d.refusal.empty());
  EXPECT_TRUE(d.label.empty());
  EXPECT_EQ(d.label_position, LabelPosition::kNone);
  EXPECT_EQ(d.masked, "xyz");
}

// ---------------------------------------------------------------------------
// Refusals: the deciding category, template fallback and locale
// ---------------------------------------------------------------------------

const std::string kLocalePolicy =
    R"txt(version: "t1"
default_profile: "p"
refusal { category: "A1.3" locale: "zh-CN" text: "A1.3中文：{category}。" }
refusal { category: "A1" locale: "en" text: "A1 english: {category}; again {category}." }
refusal { category: "A1" locale: "zh-CN" text: "A1中文" }
refusal { category: "*" locale: "zh-CN" text: "通用：{category}" }
refusal { category: "*" locale: "en" text: "generic: {category}" }
profile {
  name: "p"
  rule { name: "refuse-a1" categories: "A1" action: REFUSE }
  rule { name: "block-a2" categories: "A2" action: BLOCK }
}
)txt";

TEST(Refusal, FallbackFromCategoryToClassToStar) {
  auto p = MustCompile(kLocalePolicy);
  ASSERT_NE(p, nullptr);
  auto refusal = [&](const char* category, const char* locale) {
    return Decide(*p, "x", Direction::kInput, {MakeHit(category, 3)}, "", locale).refusal;
  };
  EXPECT_EQ(refusal("A1.3", "zh-CN"), "A1.3中文：" + std::string(NameZh("A1.3")) + "。");
  const std::string en = std::string(NameEn("A1.3"));
  EXPECT_EQ(refusal("A1.3", "en"), "A1 english: " + en + "; again " + en + ".");
  EXPECT_EQ(refusal("A1.5", "zh-CN"), "A1中文");
  EXPECT_EQ(refusal("A2.4", "zh-CN"), "通用：" + std::string(NameZh("A2.4")));
  EXPECT_EQ(refusal("A2.4", "en"), "generic: " + std::string(NameEn("A2.4")));
}

TEST(Refusal, LocaleFromRequestThenDominantScript) {
  auto p = MustCompile(kLocalePolicy);
  ASSERT_NE(p, nullptr);
  auto refusal = [&](std::string_view text, std::string_view locale) {
    return Decide(*p, text, Direction::kInput, {MakeHit("A2.1", 3)}, "", locale).refusal;
  };
  const std::string zh = "通用：" + std::string(NameZh("A2.1"));
  const std::string en = "generic: " + std::string(NameEn("A2.1"));
  // The request's locale wins over the text.
  EXPECT_EQ(refusal("这是一段中文", "en"), en);
  EXPECT_EQ(refusal("plain English text", "zh-CN"), zh);
  EXPECT_EQ(refusal("plain English text", "en-US"), en);  // matched on the language
  EXPECT_EQ(refusal("plain English text", "EN"), en);
  // A locale without templates falls back to zh-CN.
  EXPECT_EQ(refusal("plain English text", "fr"), zh);
  EXPECT_EQ(refusal("plain English text", "ja-JP"), zh);
  // No locale: the dominant script of the text.
  EXPECT_EQ(refusal("这是一段中文", ""), zh);
  EXPECT_EQ(refusal("plain English text", ""), en);
  EXPECT_EQ(refusal("中文 with some English words", ""), en);  // 2 Han, 20 Latin
  EXPECT_EQ(refusal("请把这段话翻译成英文 please", ""), zh);   // 10 Han, 6 Latin
  EXPECT_EQ(refusal("Ünïcödé Straße", ""), en);
  EXPECT_EQ(refusal("一丁七万丈三上下 abcdefg", ""), zh);  // U+4E00.. (lead E4): 8 Han, 7 Latin
  EXPECT_EQ(refusal("㐀㐁㐂 ab", ""), zh);                 // Extension A (lead E3)
  EXPECT_EQ(refusal("\uF900\uF901\uF902 ab", ""), zh);     // compatibility ideographs (lead EF)
  EXPECT_EQ(refusal("\xF0\xA0\x80\x80\xF0\xA0\x80\x81 a", ""), zh);  // Extension B
  EXPECT_EQ(refusal("中文 ＡＢＣ", ""), en);                         // full-width Latin letters
  EXPECT_EQ(refusal("。，、「」ab", ""), en);                        // CJK punctuation is not Han
  EXPECT_EQ(refusal("中\xff\xfe\xe5", ""), zh);  // invalid bytes count as neither
  EXPECT_EQ(refusal("12345 !!!", ""), en);       // no letters at all
  // Long texts are counted in pieces and the count stops once the rest
  // cannot change the outcome; the outcome is the whole count's.
  auto han = [](int n) {
    std::string s;
    for (int k = 0; k < n; ++k) s += "中";
    return s;
  };
  EXPECT_EQ(refusal(std::string(3000, 'a') + han(2000), ""), en);
  EXPECT_EQ(refusal(std::string(3000, 'a') + han(3001), ""), zh);
  EXPECT_EQ(refusal(han(1000) + std::string(1000, 'b'), ""), en);  // a tie is en
  EXPECT_EQ(refusal(han(1001) + std::string(1000, 'b'), ""), zh);
  EXPECT_EQ(refusal(han(600) + std::string(2000, 'b') + han(1500), ""), zh);
}

TEST(Refusal, NamesTheMostSevereSelectedHitEarliestFirst) {
  auto p = MustCompile(kLocalePolicy);
  ASSERT_NE(p, nullptr);
  // The A2.1 hit is more severe but not selected by the rule that fired.
  Decision d = Decide(*p, "0123456789", Direction::kInput,
                      {MakeHit("A2.1", 4, 0, 1), MakeHit("A1.3", 2, 2, 3), MakeHit("A1.6", 3, 4, 5),
                       MakeHit("A1.7", 3, 6, 7)},
                      "", "en");
  EXPECT_EQ(d.rule, "p/refuse-a1");
  EXPECT_THAT(d.refusal, HasSubstr(NameEn("A1.6")));
  EXPECT_THAT(d.refusal, Not(HasSubstr(NameEn("A1.7"))));
}

TEST(Refusal, NeverContainsTheHitText) {
  auto p = MustCompile(kLocalePolicy);
  ASSERT_NE(p, nullptr);
  const std::string text = "how do I buy forbiddenword today";
  Hit h = MakeHit("A1.8", 4, 13, 26);
  h.term = "forbiddenword";
  Decision d = Decide(*p, text, Direction::kInput, {h});
  EXPECT_EQ(d.action, Action::kRefuse);
  EXPECT_THAT(d.refusal, Not(HasSubstr("forbiddenword")));
  EXPECT_EQ(d.masked, "how do I buy ************* today");
}

// ---------------------------------------------------------------------------
// Masking
// ---------------------------------------------------------------------------

policy::Masking CharacterStyle(std::string character = "") {
  policy::Masking m;
  m.set_style(policy::Masking::CHARACTER);
  m.set_character(std::move(character));
  return m;
}

policy::Masking PlaceholderStyle(std::string placeholder = "") {
  policy::Masking m;
  m.set_style(policy::Masking::PLACEHOLDER);
  m.set_placeholder(std::move(placeholder));
  return m;
}

Hit Span(size_t start, size_t end) { return MakeHit("A1.8", 2, start, end); }

TEST(MaskSpans, OneCharacterPerCodePointAndMergedOverlaps) {
  std::string out;
  const policy::Masking star = CharacterStyle();
  const std::string text = "出售冰毒，量大";  // 3 bytes per character
  MaskSpans(text, {Span(0, 12), Span(6, 12)}, star, &out);
  EXPECT_EQ(out, "****，量大");
  MaskSpans(text, {Span(0, 6), Span(3, 9), Span(15, 21)}, star, &out);
  EXPECT_EQ(out, "***毒，**");
  MaskSpans("abc def", std::vector<Hit>{}, star, &out);
  EXPECT_EQ(out, "abc def");
  MaskSpans(
      "a\xff"
      "b",
      {Span(1, 2)}, star, &out);  // an invalid byte is one character
  EXPECT_EQ(out, "a*b");
  MaskSpans(
      "a\xe5\x87"
      "bc",
      {Span(0, 4)}, star, &out);  // a truncated sequence: two bytes
  EXPECT_EQ(out, "****c");
  MaskSpans("abcdef", {Span(0, 2), Span(2, 4)}, star, &out);  // touching spans
  EXPECT_EQ(out, "****ef");
  MaskSpans("abcdef", {Span(4, 99)}, star, &out);  // clipped to the text
  EXPECT_EQ(out, "abcd**");
  MaskSpans("abcdef", {Span(0, 6), Span(1, 2), Span(3, 4)}, star, &out);  // nested spans
  EXPECT_EQ(out, "******");
}


// MaskSpans agrees with a plain reference on random bytes and spans.
TEST(MaskSpans, MatchesAReferenceOnRandomInput) {
  std::mt19937 rng(20261125);
  const std::string alphabet[] = {"a",    "中",   "é",        "\xF0\x9F\x98\x80",
                                  "\xff", "\x80", "\xe5\x87", " "};
  for (int round = 0; round < 2000; ++round) {
    std::string text;
    const int pieces = static_cast<int>(rng() % 12);
    for (int k = 0; k < pieces; ++k) text += alphabet[rng() % 8];
    std::vector<Hit> hits;
    const int count = static_cast<int>(rng() % 4);
    for (int k = 0; k < count && !text.empty(); ++k) {
      const size_t a = rng() % (text.size() + 1);
      const size_t b = rng() % (text.size() + 1);
      hits.push_back(Span(std::min(a, b), std::max(a, b)));
    }
    std::sort(hits.begin(), hits.end(),
              [](const Hit& x, const Hit& y) { return x.start < y.start; });
    // Reference: mark the bytes to mask, then one '*' per character with a
    // marked byte (a span masks every character it touches, whole).
    std::vector<bool> marked(text.size(), false);
    for (const Hit& h : hits) {
      for (size_t i = h.start; i < h.end; ++i) marked[i] = true;
    }
    std::string want;
    char32_t cp;
    for (size_t i = 0; i < text.size();) {
      size_t n = DecodeUtf8(text, i, &cp);
      if (n == 0) n = 1;
      const bool any =
          std::find(marked.begin() + i, marked.begin() + i + n, true) != marked.begin() + i + n;
      want += any ? std::string("*") : text.substr(i, n);
      i += n;
    }
    std::string got;
    MaskSpans(text, hits, CharacterStyle(), &got);
    ASSERT_EQ(got, want) << "round " << round;
  }
}

TEST(MaskSpans, MultiByteMaskCharacter) {
  std::string out;
  MaskSpans("密码是abc", {Span(9, 12)}, CharacterStyle("█"), &out);
  EXPECT_EQ(out, "密码是███");
  MaskSpans("密码是abc", {Span(0, 6)}, CharacterStyle("＊"), &out);
  EXPECT_EQ(out, "＊＊是abc");
}

TEST(MaskSpans, PlaceholderOncePerMergedSpan) {
  std::string out;
  const std::string text = "出售冰毒，量大";
  MaskSpans(text, {Span(0, 6), Span(3, 12)}, PlaceholderStyle(), &out);
  EXPECT_EQ(out, "[已屏蔽]，量大");
  MaskSpans(text, {Span(0, 6), Span(6, 12), Span(15, 21)}, PlaceholderStyle("<x>"), &out);
  EXPECT_EQ(out, "<x>，<x>");
  MaskSpans(
      "a\xff\xfe"
      "b",
      {Span(1, 3)}, PlaceholderStyle("[]"), &out);
  EXPECT_EQ(out, "a[]b");
  MaskSpans(text, {Span(4, 7)}, PlaceholderStyle("[]"), &out);  // inside characters: widened
  EXPECT_EQ(out, "出[]毒，量大");
}

TEST(MaskSpans, DecisionUsesThePolicyStyle) {
  auto p = MustCompile(kHeader + "masking { style: PLACEHOLDER placeholder: \"[redacted]\" }\n" +
                       Profile("  rule { name: \"m\" action: MASK }\n"));
  ASSERT_NE(p, nullptr);
  const std::string text = "电话 13800138000 和 邮箱";
  Decision d = Decide(*p, text, Direction::kOutput, {MakeHit("X1", 2, 7, 18)});
  EXPECT_EQ(d.action, Action::kMask);
  EXPECT_EQ(d.masked, "电话 [redacted] 和 邮箱");
  auto q = MustCompile(kHeader + "masking { character: \"#\" }\n" +
                       Profile("  rule { name: \"m\" action: MASK }\n"));
  ASSERT_NE(q, nullptr);
  d = Decide(*q, text, Direction::kOutput, {MakeHit("A1.1", 2, 0, 6), MakeHit("X1", 2, 7, 18)});
  EXPECT_EQ(d.masked, "## ########### 和 邮箱");
}

// ---------------------------------------------------------------------------
// Labels
// ---------------------------------------------------------------------------

TEST(Label, OnlyForOutputAtThePolicysPosition) {
  const std::pair<std::string, LabelPosition> positions[] = {{"START", LabelPosition::kStart},
                                                             {"END", LabelPosition::kEnd}};
  for (const auto& [position, expected] : positions) {
    SCOPED_TRACE(position);
    auto p = MustCompile(kHeader + "label { position: " + position +
                         " text: \"本内容由人工智能生成\" }\n" + Profile(""));
    ASSERT_NE(p, nullptr);
    Decision out = Decide(*p, "answer", Direction::kOutput, {});
    EXPECT_EQ(out.label, "本内容由人工智能生成");
    EXPECT_EQ(out.label_position, expected);
    out = Decide(*p, "answer", Direction::kOutput, {MakeHit("A4.3", 1, 0, 2)});
    EXPECT_EQ(out.label_position, expected);  // with hits too
    Decision in = Decide(*p, "prompt", Direction::kInput, {});
    EXPECT_EQ(in.label, "");
    EXPECT_EQ(in.label_position, LabelPosition::kNone);
  }
  auto none = MustCompile(kHeader + "label { text: \"AI生成\" }\n" + Profile(""));
  ASSERT_NE(none, nullptr);
  Decision out = Decide(*none, "answer", Direction::kOutput, {});
  EXPECT_EQ(out.label, "");
  EXPECT_EQ(out.label_position, LabelPosition::kNone);
}

TEST(Label, OnePerLocaleChosenLikeTheRefusal) {
  auto p = MustCompile(kHeader +
                       "label { position: END text: \"本内容由人工智能生成\" }\n"
                       "label { locale: \"en\" position: START text: \"[AI-generated] \" }\n" +
                       Profile(""));
  ASSERT_NE(p, nullptr);
  Decision en = Decide(*p, "a plain English answer", Direction::kOutput, {});
  EXPECT_EQ(en.label, "[AI-generated] ");
  EXPECT_EQ(en.label_position, LabelPosition::kStart);
  Decision zh = Decide(*p, "这是一个中文回答", Direction::kOutput, {});
  EXPECT_EQ(zh.label, "本内容由人工智能生成");
  EXPECT_EQ(zh.label_position, LabelPosition::kEnd);
  // The request's locale wins over the text's script.
  EXPECT_EQ(Decide(*p, "这是一个中文回答", Direction::kOutput, {}, "", "en").label,
            "[AI-generated] ");
  EXPECT_EQ(Decide(*p, "answer", Direction::kOutput, {}, "", "zh-CN").label,
            "本内容由人工智能生成");

  const std::string twice = kHeader + "label { locale: \"en\" position: END text: \"AI\" }\n" +
                            "label { locale: \"en\" position: END text: \"AI\" }\n" + Profile("");
  EXPECT_THAT(CompileError(twice), HasSubstr("a second label for en"));
  const std::string unknown =
      kHeader + "label { locale: \"fr\" position: END text: \"IA\" }\n" + Profile("");
  EXPECT_THAT(CompileError(unknown), HasSubstr("label locale 'fr' is not supported"));
}

// ---------------------------------------------------------------------------
// Validation: every error names the file and line
// ---------------------------------------------------------------------------

TEST(Validate, SyntaxErrorNamesLineAndColumn) {
  const std::string text = kHeader + Profile(R"txt(
  rule { name: "r" action: EXPLODE }
)txt");
  // Protobuf's column is where it stopped: the end of the offending token.
  EXPECT_THAT(CompileError(text), StartsWith(AtLineColon(text, "EXPLODE") + "36: "));
  EXPECT_THAT(CompileError(text), HasSubstr("EXPLODE"));
  const std::string unknown_field = kHeader + "colour: \"red\"\n" + Profile("");
  EXPECT_THAT(CompileError(unknown_field),
              StartsWith(AtLineColon(unknown_field, "colour") + "7: "));
  EXPECT_THAT(CompileError(unknown_field), HasSubstr("colour"));
}

TEST(Validate, Version) {
  const std::string empty =
      "version: \"\"\n" + kHeader.substr(kHeader.find('\n') + 1) + Profile("");
  EXPECT_THAT(CompileError(empty), StartsWith(At(empty, "version")));
  EXPECT_THAT(CompileError(empty), HasSubstr("no version"));
  const std::string missing =
      "# a comment\n" + kHeader.substr(kHeader.find('\n') + 1) + Profile("");
  EXPECT_THAT(CompileError(missing), StartsWith("test.textproto:1: "));
}

TEST(Validate, DefaultProfile) {
  const std::string unknown = kHeader + Profile("", "q");
  EXPECT_THAT(CompileError(unknown), StartsWith(At(unknown, "default_profile")));
  EXPECT_THAT(CompileError(unknown), HasSubstr("default_profile 'p' names no profile"));
  std::string unset = kHeader;
  unset.replace(unset.find("default_profile"), 20, "# no default profile");
  unset += Profile("");
  EXPECT_THAT(CompileError(unset), StartsWith("test.textproto:1: "));
  EXPECT_THAT(CompileError(unset), HasSubstr("default_profile is not set"));
}

TEST(Validate, ProfileNames) {
  const std::string dup = kHeader + Profile("") + "\n" + Profile("  default_action: MASK\n");
  const int second =
      1 + static_cast<int>(std::count(dup.begin(), dup.begin() + dup.rfind("profile {"), '\n'));
  EXPECT_THAT(CompileError(dup), StartsWith("test.textproto:" + std::to_string(second) + ": "));
  EXPECT_THAT(CompileError(dup), HasSubstr("a second profile named 'p' (the first is at line 5)"));
  const std::string unnamed = kHeader + Profile("") + "profile { default_action: FLAG }\n";
  EXPECT_THAT(CompileError(unnamed), StartsWith(At(unnamed, "profile { default_action")));
  EXPECT_THAT(CompileError(unnamed), HasSubstr("profile has no name"));
}

TEST(Validate, RuleNames) {
  const std::string dup = kHeader + Profile(R"txt(
  rule { name: "r" categories: "A1" action: REFUSE }
  rule { name: "s" categories: "A2" action: MASK }
  rule { name: "r" categories: "A3" action: FLAG }
)txt");
  EXPECT_THAT(CompileError(dup), StartsWith(At(dup, "name: \"r\" categories: \"A3\"")));
  EXPECT_THAT(CompileError(dup),
              HasSubstr("a second rule named 'r' in profile 'p' (the first is at line " +
                        std::to_string(LineNo(dup, "\"r\"")) + ")"));
  const std::string unnamed = kHeader + Profile(R"txt(
  rule { categories: "A3" action: FLAG }
)txt");
  EXPECT_THAT(CompileError(unnamed), StartsWith(At(unnamed, "rule {")));
  EXPECT_THAT(CompileError(unnamed), HasSubstr("has no name"));
  for (const char* reserved : {"default", "no-hits"}) {
    const std::string text =
        kHeader +
        Profile(std::string("  rule {\n    action: FLAG\n    name: \"") + reserved + "\"\n  }\n");
    EXPECT_THAT(CompileError(text), StartsWith(At(text, "name: \"" + std::string(reserved))));
    EXPECT_THAT(CompileError(text), HasSubstr("reserved"));
  }
  // The same rule name in two profiles is fine.
  MustCompile(kHeader + Profile("  rule { name: \"r\" action: FLAG }\n") +
              Profile("  rule { name: \"r\" action: MASK }\n", "q"));
}

TEST(Validate, RuleNeedsAnAction) {
  const std::string text = kHeader + Profile(R"txt(
  rule { name: "ok" categories: "A1" action: FLAG }
  rule { name: "lazy" categories: "A2" }
)txt");
  EXPECT_THAT(CompileError(text), StartsWith(At(text, "\"lazy\"")));
  EXPECT_THAT(CompileError(text), HasSubstr("rule 'lazy' has no action"));
}

TEST(Validate, SeverityAndThresholds) {
  struct Case {
    const char* field;
    const char* message;
  } cases[] = {{"min_severity: 5", "min_severity 5 is outside 0..4"},
               {"min_severity: -1", "min_severity -1 is outside 0..4"},
               {"min_score: -3", "min_score -3 is negative"},
               {"min_hits: -1", "min_hits -1 is negative"},
               {"hits: 7", "unknown hits kind 7"}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.field);
    // The rule spans lines; the error names the offending field's line.
    const std::string text = kHeader + Profile(std::string("  rule {\n    name: \"r\"\n    ") +
                                               c.field + "\n    action: FLAG\n  }\n");
    EXPECT_THAT(CompileError(text), StartsWith(At(text, c.field)));
    EXPECT_THAT(CompileError(text), HasSubstr(c.message));
  }
  MustCompile(kHeader + Profile("  rule { name: \"r\" min_severity: 0 action: FLAG }\n"));
  MustCompile(kHeader + Profile("  rule { name: \"r\" min_severity: 4 action: FLAG }\n"));
}

TEST(Validate, UnknownCategories) {
  struct Case {
    const char* pattern;
    const char* message;
  } cases[] = {{"A9.1", "unknown category 'A9.1'"},
               {"A1.9", "unknown category 'A1.9'"},
               {"a1.3", "unknown category 'a1.3'"},
               {"A9.*", "unknown category 'A9.*'"},
               {"A1.3.*", "'A1.3.*': A1.3 is a risk, not a class"},
               {"*", "\"*\" is not a category"},
               {"", "unknown category ''"}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.pattern);
    // The rule spans lines; the error names the bad entry's line.
    const std::string text = kHeader + Profile(std::string("  rule {\n"
                                                           "    name: \"r\"\n"
                                                           "    categories: \"A1\"\n"
                                                           "    categories: \"") +
                                               c.pattern +
                                               "\"\n"
                                               "    action: REFUSE\n"
                                               "  }\n");
    EXPECT_THAT(CompileError(text), StartsWith(At(text, std::string("\"") + c.pattern + "\"\n")));
    EXPECT_THAT(CompileError(text), HasSubstr(c.message));
  }
}

TEST(Validate, UnreachableRules) {
  struct Case {
    const char* earlier;
    const char* later;
  } unreachable[] = {
      {R"(categories: "A1")", R"(categories: "A1.3")"},
      {R"(categories: "A1.*")", R"(categories: "A1" min_severity: 2)"},
      {R"()", R"(categories: "X2" direction: INPUT)"},
      {R"(categories: "A1.3" categories: "A2")", R"(categories: "A2.4" categories: "A1.3")"},
      {R"(categories: "A1" min_severity: 2)", R"(categories: "A1.1" min_severity: 3 min_score: 9)"},
      {R"(min_hits: 2)", R"(min_hits: 3 categories: "A5")"},
      {R"(min_score: 4)", R"(min_score: 4 min_hits: 2)"},
      {R"(min_severity: 1)", R"(min_severity: 0)"},  // every hit has severity >= 1
      {R"(min_hits: 1)", R"(min_hits: 0)"},
      {R"(direction: OUTPUT)", R"(direction: OUTPUT categories: "A4")"},
      {R"()", R"(hits: RULE_HITS)"},
      {R"(hits: RULE_HITS)", R"(hits: RULE_HITS categories: "A3")"},
      {R"(hits: TERM_HITS min_severity: 2)", R"(hits: TERM_HITS min_severity: 3)"},
  };
  for (const Case& c : unreachable) {
    SCOPED_TRACE(std::string(c.earlier) + " / " + c.later);
    const std::string text =
        kHeader + Profile(std::string("  rule { name: \"filler\" categories: \"A3.1\" "
                                      "direction: INPUT min_severity: 4 action: ALLOW }\n") +
                          "  rule { name: \"first\" " + c.earlier + " action: FLAG }\n" +
                          "  rule { name: \"second\" " + c.later + " action: REFUSE }\n");
    EXPECT_THAT(CompileError(text), StartsWith(At(text, "name: \"second\"")));
    EXPECT_THAT(CompileError(text),
                HasSubstr("rule 'second' is unreachable: rule 'first' (line " +
                          std::to_string(LineNo(text, "\"first\"")) + ") always fires first"));
  }
  Case reachable[] = {
      {R"(categories: "A1.3")", R"(categories: "A1")"},
      {R"(categories: "A1")", R"()"},
      {R"(direction: INPUT)", R"(direction: OUTPUT)"},
      {R"(direction: INPUT)", R"()"},
      {R"(min_severity: 3)", R"(min_severity: 2)"},
      {R"(min_hits: 2)", R"()"},
      {R"(min_score: 3)", R"(min_score: 2)"},
      {R"(categories: "A1" categories: "A2.1")", R"(categories: "A2")"},
      {R"(hits: RULE_HITS)", R"()"},
      {R"(hits: RULE_HITS)", R"(hits: TERM_HITS)"},
      {R"(hits: TERM_HITS)", R"(hits: RULE_HITS)"},
  };
  for (const Case& c : reachable) {
    SCOPED_TRACE(std::string(c.earlier) + " / " + c.later);
    MustCompile(kHeader + Profile(std::string("  rule { name: \"first\" ") + c.earlier +
                                  " action: FLAG }\n  rule { name: \"second\" " + c.later +
                                  " action: REFUSE }\n"));
  }
}

TEST(Validate, MissingRefusalTemplates) {
  const std::string header = R"txt(version: "t1"
default_profile: "p"
refusal { category: "A1" locale: "zh-CN" text: "不行" }
refusal { category: "A1" locale: "en" text: "no" }
refusal { category: "A2.1" locale: "zh-CN" text: "不行" }
)txt";
  // Covered: A1 by its class template; non-refusing rules need none.
  MustCompile(header + Profile(R"txt(
  rule { name: "a1" categories: "A1.3" action: BLOCK }
  rule { name: "a2" categories: "A2" action: MASK }
)txt"));
  // A2.1 has a zh-CN template but no en one.
  std::string text = header + Profile(R"txt(
  rule { name: "a1" categories: "A1" action: REFUSE }
  rule { name: "a21" categories: "A2.1" action: REFUSE }
)txt");
  EXPECT_THAT(CompileError(text), StartsWith(At(text, "\"a21\"")));
  EXPECT_THAT(CompileError(text),
              HasSubstr("rule 'a21' can REFUSE but category A2.1 has no refusal template in "
                        "locale en (looked for A2.1, A2, *)"));
  // A class pattern covers the class itself and all its risks.
  text = header + Profile(R"txt(
  rule { name: "a2" categories: "A2.*" action: BLOCK }
)txt");
  EXPECT_THAT(CompileError(text), StartsWith(At(text, "\"a2\"")));
  EXPECT_THAT(CompileError(text), HasSubstr("rule 'a2' can BLOCK but category A2 has no refusal "
                                            "template in locale zh-CN (looked for A2, *)"));
  // An empty category list covers every category of the taxonomy.
  text = header + Profile(R"txt(
  rule { name: "everything" min_severity: 4 action: REFUSE }
)txt");
  EXPECT_THAT(CompileError(text), StartsWith(At(text, "\"everything\"")));
  EXPECT_THAT(CompileError(text), HasSubstr("category A2 has no refusal template in locale zh-CN"));
  // So does a refusing default_action.
  text = header + Profile(R"txt(
  rule { name: "a1" categories: "A1" action: REFUSE }
  default_action: REFUSE
)txt");
  EXPECT_THAT(CompileError(text), StartsWith(At(text, "default_action")));
  EXPECT_THAT(CompileError(text),
              HasSubstr("profile 'p' has default_action REFUSE but category A2 has no"));
}

TEST(Validate, RefusalTemplates) {
  struct Case {
    const char* refusal;
    const char* marker;
    const char* message;
  } cases[] = {
      {R"(refusal { category: "A1" locale: "fr" text: "non" })", "\"fr\"",
       "locale 'fr' is not supported (use zh-CN or en)"},
      {R"(refusal { category: "A1" text: "不行" })", "\"不行\"", "locale '' is not supported"},
      {R"(refusal { category: "A0" locale: "en" text: "no" })", "\"A0\"", "unknown category 'A0'"},
      {R"(refusal { category: "A1.3.*" locale: "en" text: "no" })", "\"A1.3.*\"",
       "A1.3 is a risk, not a class"},
      {R"(refusal { category: "A1" locale: "en" text: "" })", "text: \"\"", "has no text"},
      {R"(refusal { category: "A1" locale: "en" text: "no {term}" })", "{term}",
       "unknown placeholder"},
      {R"(refusal { category: "*" locale: "en" text: "again" })", "\"again\"",
       "a second refusal template for * in en (the first is at line 4)"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.refusal);
    const std::string text = kHeader + c.refusal + "\n" + Profile("");
    EXPECT_THAT(CompileError(text), StartsWith(At(text, c.marker)));
    EXPECT_THAT(CompileError(text), HasSubstr(c.message));
  }
  // A multi-line template: the error names the bad field's line.
  const std::string text =
      kHeader + "refusal {\n  category: \"A1\"\n  locale: \"de\"\n  text: \"nein\"\n}\n" +
      Profile("");
  EXPECT_THAT(CompileError(text), StartsWith(At(text, "\"de\"")));
  // "A1.*" is accepted for a class, and is the same template as "A1".
  const std::string dup = kHeader + "refusal { category: \"A1\" locale: \"en\" text: \"a\" }\n" +
                          "refusal { category: \"A1.*\" locale: \"en\" text: \"b\" }\n" +
                          Profile("");
  EXPECT_THAT(CompileError(dup), StartsWith(At(dup, "A1.*")));
}

TEST(Validate, MaskingAndLabel) {
  const std::string two =
      kHeader + "masking {\n  style: CHARACTER\n  character: \"**\"\n}\n" + Profile("");
  EXPECT_THAT(CompileError(two), StartsWith(At(two, "character:")));
  EXPECT_THAT(CompileError(two), HasSubstr("exactly one character"));
  const std::string invalid = kHeader + "masking { character: \"\\xff\" }\n" + Profile("");
  EXPECT_THAT(CompileError(invalid), StartsWith(At(invalid, "masking")));
  MustCompile(kHeader + "masking { character: \"█\" }\n" + Profile(""));
  MustCompile(kHeader + "masking { character: \"\xF0\x9F\x98\x80\" }\n" + Profile(""));

  const std::string label = kHeader + "label { position: END }\n" + Profile("");
  EXPECT_THAT(CompileError(label), StartsWith(At(label, "label")));
  EXPECT_THAT(CompileError(label), HasSubstr("label has a position but no text"));
  MustCompile(kHeader + "label { text: \"\" }\n" + Profile(""));  // NONE needs no text
}

TEST(Validate, ErrorsAreInvalidArgumentAndNameTheFile) {
  absl::StatusOr<std::unique_ptr<CompiledPolicy>> p =
      CompiledPolicy::Compile("dir/my policy.textproto", "version: \"1\"", Taxonomy::Embedded());
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(p.status().message()), StartsWith("dir/my policy.textproto:1: "));
}

// ---------------------------------------------------------------------------
// The Policy class: loading, options, the default policy
// ---------------------------------------------------------------------------

TEST(Policy, LoadParseAndAccessors) {
  testing::TempDir dir;
  const std::string text =
      kHeader + Profile("  rule { name: \"r\" action: FLAG }\n") + Profile("", "q");
  testing::WriteFile(dir / "policy.textproto", text);
  absl::StatusOr<std::shared_ptr<const Policy>> p = Policy::Load(dir / "policy.textproto");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ((*p)->version(), "t1");
  EXPECT_EQ((*p)->default_profile(), "p");
  EXPECT_EQ((*p)->profiles(), (std::vector<std::string>{"p", "q"}));
  EXPECT_TRUE((*p)->has_profile("q"));
  EXPECT_FALSE((*p)->has_profile("r"));

  testing::WriteFile(dir / "bad.textproto",
                     kHeader + Profile("  rule { name: \"r\" categories: \"A9\" action: FLAG }\n"));
  p = Policy::Load(dir / "bad.textproto");
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(std::string(p.status().message()), StartsWith(dir / "bad.textproto:7: "));

  p = Policy::Load(dir / "missing.textproto");
  EXPECT_EQ(p.status().code(), absl::StatusCode::kNotFound);

  p = Policy::Parse("version: ", "inline");
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(std::string(p.status().message()), StartsWith("inline:1:"));
}

TEST(Policy, CustomTaxonomy) {
  testing::TempDir dir;
  testing::WriteFile(dir / "taxonomy.textproto", R"txt(
version: "custom-1"
category { code: "Q1" name_zh: "问题" name_en: "Questions" }
category { code: "Q1.1" parent: "Q1" name_zh: "难题" name_en: "Hard questions" }
)txt");
  const std::string text =
      kHeader + Profile("  rule { name: \"r\" categories: \"Q1\" action: REFUSE }\n");
  EXPECT_FALSE(Policy::Parse(text, "p.textproto").ok());  // Q1 is not in the embedded taxonomy
  PolicyLoadOptions options;
  options.taxonomy_path = dir / "taxonomy.textproto";
  absl::StatusOr<std::shared_ptr<const Policy>> p = Policy::Parse(text, "p.textproto", options);
  ASSERT_TRUE(p.ok()) << p.status();
  Decision d = Decide((*p)->compiled(), "x", Direction::kInput, {MakeHit("Q1.1", 2)}, "", "en");
  EXPECT_EQ(d.refusal, "refused: Hard questions");

  const std::string a1 =
      kHeader + Profile("  rule { name: \"r\" categories: \"A1\" action: FLAG }\n");
  p = Policy::Parse(a1, "p.textproto", options);
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(std::string(p.status().message()),
              HasSubstr("unknown category 'A1' (not in taxonomy custom-1)"));

  options.taxonomy_path = dir / "none.textproto";
  EXPECT_EQ(Policy::Parse(text, "p.textproto", options).status().code(),
            absl::StatusCode::kNotFound);
}

// The embedded default policy.

TEST(DefaultPolicy, EmbeddedFileCompilesAndMatchesTheSource) {
  std::optional<std::string_view> embedded = FindEmbeddedFile("policies/default.textproto");
  ASSERT_TRUE(embedded.has_value());
  // A failure here is a build bug: Policy::Default() would be null.
  absl::StatusOr<std::unique_ptr<CompiledPolicy>> compiled =
      CompiledPolicy::Compile("policies/default.textproto", *embedded, Taxonomy::Embedded());
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  absl::StatusOr<std::string> source =
      ReadFile(std::string(MENSHEN_SOURCE_DIR) + "/keyword_packs/policies/default.textproto");
  ASSERT_TRUE(source.ok()) << source.status();
  EXPECT_EQ(*source, *embedded);
}

TEST(DefaultPolicy, IsCachedAndHasDefaultAndMinors) {
  std::shared_ptr<const Policy> p = Policy::Default();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p, Policy::Default());
  EXPECT_FALSE(p->version().empty());
  EXPECT_EQ(p->default_profile(), "default");
  EXPECT_EQ(p->profiles(), (std::vector<std::string>{"default", "minors"}));
  const policy::Policy& proto = p->compiled().proto();
  EXPECT_EQ(proto.masking().style(), policy::Masking::CHARACTER);
  // One label per locale; GB 45438-2025: the label names 人工智能 (or AI) and
  // 生成 (or 合成).
  ASSERT_EQ(proto.label_size(), 2);
  EXPECT_EQ(proto.label(0).position(), policy::Label::END);
  EXPECT_THAT(proto.label(0).text(), HasSubstr("人工智能"));
  EXPECT_THAT(proto.label(0).text(), HasSubstr("生成"));
  EXPECT_EQ(proto.label(1).locale(), "en");
  EXPECT_THAT(proto.label(1).text(), HasSubstr("AI"));
  EXPECT_THAT(proto.label(1).text(), HasSubstr("generated"));
}

// The default templates, under a profile that refuses everything: every
// category renders a refusal in both locales with its placeholder filled.
TEST(DefaultPolicy, EveryCategoryHasARenderedRefusalInBothLocales) {
  policy::Policy proto = Policy::Default()->compiled().proto();
  proto.clear_profile();
  policy::Profile* all = proto.add_profile();
  all->set_name("default");
  all->set_default_action(policy::REFUSE);
  std::string text;
  ASSERT_TRUE(google::protobuf::TextFormat::PrintToString(proto, &text));
  auto p = MustCompile(text);
  ASSERT_NE(p, nullptr);
  for (const pack::Category& c : Taxonomy::Embedded().proto().category()) {
    for (const char* locale : {"zh-CN", "en"}) {
      SCOPED_TRACE(c.code() + " " + locale);
      Decision d = Decide(*p, "x", Direction::kInput, {MakeHit(c.code(), 4)}, "", locale);
      EXPECT_EQ(d.action, Action::kRefuse) << d.rule;
      EXPECT_FALSE(d.refusal.empty());
      EXPECT_THAT(d.refusal, Not(HasSubstr("{")));
    }
  }
}

struct Expect {
  const char* category;
  int severity;
  Direction direction;
  const char* default_rule;
  Action default_action;
  const char* minors_rule;
  Action minors_action;
};

TEST(DefaultPolicy, RepresentativeDecisions) {
  const CompiledPolicy& p = Policy::Default()->compiled();
  const Direction in = Direction::kInput;
  const Direction out = Direction::kOutput;
  const Expect cases[] = {
      {"A1.8", 4, out, "block-critical-core-values-output", Action::kBlock,
       "block-core-values-output", Action::kBlock},
      {"A1.8", 4, in, "refuse-core-values", Action::kRefuse, "refuse-core-values", Action::kRefuse},
      {"A1.4", 3, out, "refuse-core-values", Action::kRefuse, "block-core-values-output",
       Action::kBlock},
      {"A1.6", 2, in, "refuse-core-values", Action::kRefuse, "refuse-core-values", Action::kRefuse},
      {"A1.6", 1, in, "flag-core-values-low", Action::kFlag, "refuse-core-values", Action::kRefuse},
      {"A2.5", 3, in, "refuse-severe-discrimination", Action::kRefuse, "refuse-discrimination",
       Action::kRefuse},
      {"A2.5", 2, out, "mask-discrimination", Action::kMask, "refuse-discrimination",
       Action::kRefuse},
      {"A2.5", 1, in, "mask-discrimination", Action::kMask, "default", Action::kMask},
      {"A4.1", 3, in, "refuse-harm-to-health", Action::kRefuse, "refuse-harm-to-health",
       Action::kRefuse},
      {"X1", 2, out, "mask-personal-info-output", Action::kMask, "mask-personal-info",
       Action::kMask},
      {"X1", 3, in, "flag-personal-info-input", Action::kFlag, "mask-personal-info", Action::kMask},
      {"A4.6", 3, out, "mask-personal-info-output", Action::kMask, "refuse-serious",
       Action::kRefuse},
      {"X2", 3, in, "refuse-secrets-input", Action::kRefuse, "refuse-secrets-input",
       Action::kRefuse},
      {"X2", 3, out, "mask-secrets-output", Action::kMask, "mask-secrets-output", Action::kMask},
      {"X2", 4, out, "refuse-unmaskable-secrets-output", Action::kRefuse,
       "refuse-unmaskable-secrets-output", Action::kRefuse},
      {"X3", 2, in, "flag-prompt-injection", Action::kFlag, "refuse-prompt-injection",
       Action::kRefuse},
      {"A4.3", 2, out, "mask-insults-output", Action::kMask, "refuse-serious", Action::kRefuse},
      {"A4.3", 1, in, "flag-insults-input", Action::kFlag, "default", Action::kMask},
      {"A3.1", 1, in, "default", Action::kFlag, "default", Action::kMask},
      {"A5.2", 3, out, "mask-serious-output", Action::kMask, "refuse-serious", Action::kRefuse},
  };
  for (const Expect& c : cases) {
    SCOPED_TRACE(std::string(c.category) + " severity " + std::to_string(c.severity) + " " +
                 std::string(DirectionName(c.direction)));
    Decision d = Decide(p, "0123456789", c.direction, {MakeHit(c.category, c.severity, 2, 5)});
    EXPECT_EQ(d.rule, std::string("default/") + c.default_rule);
    EXPECT_EQ(d.action, c.default_action);
    EXPECT_EQ(d.profile, "default");
    EXPECT_EQ(d.masked, "01***56789");
    d = Decide(p, "0123456789", c.direction, {MakeHit(c.category, c.severity, 2, 5)}, "minors");
    EXPECT_EQ(d.rule, std::string("minors/") + c.minors_rule);
    EXPECT_EQ(d.action, c.minors_action);
  }
  // A request for harm recognised by a rule is refused in a prompt whatever
  // its class; in an answer the class decides (A3..A5 masked, which leaves a
  // rule's span alone), except for minors.
  for (const char* category : {"A1.8", "A2.5", "A3.4", "A4.6", "A5.1"}) {
    SCOPED_TRACE(category);
    Decision r = Decide(p, "0123456789", in, {MakeRuleHit(category, 3, 2, 5)});
    EXPECT_EQ(r.rule, "default/refuse-harmful-requests-input");
    EXPECT_EQ(r.action, Action::kRefuse);
    EXPECT_EQ(r.masked, "0123456789") << "a rule's hit is never masked";
    r = Decide(p, "0123456789", out, {MakeRuleHit(category, 3, 2, 5)}, "minors");
    EXPECT_EQ(r.action, std::string(category) == "A1.8" ? Action::kBlock : Action::kRefuse);
  }
  Decision r = Decide(p, "0123456789", out, {MakeRuleHit("A3.4", 3, 2, 5)});
  EXPECT_EQ(r.rule, "default/mask-serious-output");
  EXPECT_EQ(r.masked, "0123456789");
  // A term of the same class and severity is not a request: flagged.
  r = Decide(p, "0123456789", in, {MakeHit("A3.4", 3, 2, 5)});
  EXPECT_EQ(r.rule, "default/default");
  EXPECT_EQ(r.action, Action::kFlag);
  // Three low-severity A1 hits are refused; two are flagged.
  Decision d =
      Decide(p, "0123456789", in,
             {MakeHit("A1.8", 1, 0, 1), MakeHit("A1.6", 1, 2, 3), MakeHit("A1.5", 1, 4, 5)});
  EXPECT_EQ(d.rule, "default/refuse-core-values-repeated");
  d = Decide(p, "0123456789", in, {MakeHit("A1.8", 1, 0, 1), MakeHit("A1.6", 1, 2, 3)});
  EXPECT_EQ(d.rule, "default/flag-core-values-low");
  // A refusal outranks a flag for another category in the same text.
  d = Decide(p, "0123456789", in, {MakeHit("X3", 2, 0, 1), MakeHit("A1.8", 3, 2, 3)});
  EXPECT_EQ(d.rule, "default/refuse-core-values");
  // Output carries the label; the Chinese refusal names the category.
  d = Decide(p, "这是模型的回答", out, {MakeHit("A1.4", 4, 0, 6)});
  EXPECT_EQ(d.action, Action::kBlock);
  EXPECT_THAT(d.refusal, HasSubstr(NameZh("A1.4")));
  EXPECT_EQ(d.label, "本内容由人工智能生成");
  EXPECT_EQ(d.label_position, LabelPosition::kEnd);
  d = Decide(p, "a prompt", in, {MakeHit("X2", 3, 2, 8)}, "", "en");
  EXPECT_THAT(d.refusal, HasSubstr("credentials"));
  EXPECT_TRUE(d.label.empty());
}

// For every single hit and every pair of hits (each category, severity and
// direction), minors decides at least as strongly as default.
TEST(DefaultPolicy, MinorsIsNeverWeakerThanDefault) {
  const CompiledPolicy& p = Policy::Default()->compiled();
  std::vector<std::string_view> codes;
  for (const pack::Category& c : Taxonomy::Embedded().proto().category()) codes.push_back(c.code());
  int stricter = 0;
  Decision d;
  auto check = [&](Direction direction, const std::vector<Hit>& hits) {
    d.hits = hits;
    ASSERT_TRUE(p.Decide("0123456789", direction, "default", "", &d).ok());
    const Action general = d.action;
    const std::string general_rule = d.rule;
    ASSERT_TRUE(p.Decide("0123456789", direction, "minors", "", &d).ok());
    ASSERT_GE(static_cast<int>(d.action), static_cast<int>(general))
        << hits[0].category << "/" << hits[0].severity << " " << DirectionName(direction)
        << " default: " << general_rule << " minors: " << d.rule;
    stricter += d.action != general;
  };
  for (Direction direction : {Direction::kInput, Direction::kOutput}) {
    for (std::string_view a : codes) {
      for (int sa = 1; sa <= 4; ++sa) {
        check(direction, {MakeHit(a, sa, 0, 1)});
        check(direction, {MakeRuleHit(a, sa, 0, 1)});
        for (std::string_view b : codes) {
          for (int sb = 1; sb <= 4; sb += 3)
            check(direction, {MakeHit(a, sa, 0, 1), MakeHit(b, sb, 2, 3)});
        }
      }
    }
  }
  EXPECT_GT(stricter, 0);
}

}  // namespace
}  // namespace menshen::internal

namespace menshen::internal {
namespace {

ScriptCounts CountsOf(std::string_view text) {
  ScriptCounts counts;
  CountScripts(text, &counts);
  return counts;
}

TEST(CountScripts, LettersAndHan) {
  EXPECT_EQ(CountsOf("abc 汉字，Z").han, 2u);
  EXPECT_EQ(CountsOf("abc 汉字，Z").latin, 4u);
  EXPECT_EQ(CountsOf("é Ａ 㐀 𠮷").latin, 2u);  // Latin-1 and full-width letters
  EXPECT_EQ(CountsOf("é Ａ 㐀 𠮷").han, 2u);    // extension A and B
  EXPECT_EQ(CountsOf("\xe5\x80 \xe5\x80\x80\x80 \xff\xe5").han, 1u);  // only the whole one
}

// Sixteen positions at a time equals reading the text one sequence at a time
// (each sequence counted alone, too short for the vector path), on random
// mixes of ASCII, Han (and the hexagrams beside it), punctuation and the
// full-width letters beside it, other scripts and invalid bytes, at every
// alignment.
TEST(CountScripts, EqualsSequenceBySequence) {
  static const std::vector<std::string> pieces = {
      "a", "Z", " ", "7", "卖", "淫", "，", "é", "Ａ", "㐀", "𠮷", "の", "ж",
      "\xe5\x80", "\xe5", "\x80", "\xff", "\xed\xa0\x80", "\xc3", "\xe9\xbf\xbf",
      "一", "䶵", "䷀", "\xe4\xb7", "\xe4\xb8", "。", "〇", "—", "＠", "Ｚ", "［", "｀", "ａ",
      "ｚ", "｛", "\xef\xbc", "\xe2\x80"};
  std::mt19937 rng(7);
  for (int round = 0; round < 2000; ++round) {
    std::string s;
    // Some texts long enough for the per-byte counters to be summed midway.
    const int pieces_in_text = static_cast<int>(round % 50 == 0 ? 4000 : rng() % 80);
    for (int k = 0, n = pieces_in_text; k < n; ++k) {
      s += pieces[rng() % pieces.size()];
    }
    ScriptCounts whole = CountsOf(s);
    ScriptCounts parts;
    for (size_t i = 0; i < s.size();) {
      char32_t cp;
      const size_t len = std::max<size_t>(DecodeUtf8(s, i, &cp), 1);
      CountScripts(std::string_view(s).substr(i, len), &parts);
      i += len;
    }
    ASSERT_EQ(whole.han, parts.han) << "round " << round;
    ASSERT_EQ(whole.latin, parts.latin) << "round " << round;
  }
}

// A letter at every position: each per-byte counter counts every round.
TEST(CountScripts, LongRunsOfOneScript) {
  ScriptCounts letters;
  CountScripts(std::string(10000, 'a'), &letters);
  EXPECT_EQ(letters.latin, 10000u);
  std::string han;
  for (int k = 0; k < 5000; ++k) han += "卖";
  ScriptCounts counted;
  CountScripts(han, &counted);
  EXPECT_EQ(counted.han, 5000u);
}

// Issue 18: streams decide hit by hit with a tally, which must decide exactly
// as Decide() over all hits, whatever order the hits come in: actions, rules,
// refusals (the most severe, then earliest hit's category) and labels, for
// every profile and direction of the default policy and a policy with
// min_hits/min_score rules and codes outside the taxonomy.
TEST(PolicyTallyTest, TallyDecidesAsDecideOverAllHits) {
  const std::shared_ptr<const Policy> default_policy = Policy::Default();
  ASSERT_NE(default_policy, nullptr);
  std::unique_ptr<CompiledPolicy> scored = MustCompile(kHeader + Profile(R"txt(
    rule { name: "many" categories: "A4" min_hits: 3 action: MASK }
    rule { name: "heavy" min_score: 7 action: REFUSE }
    rule { name: "output-crit" direction: OUTPUT min_severity: 4 action: BLOCK }
    default_action: FLAG
)txt"));
  ASSERT_NE(scored, nullptr);
  const std::vector<std::string> codes = {"A1.3", "A1.8", "A2.1", "A4.3", "A4.6", "X1",
                                          "X2",   "X3",   "A1",   "Z9"};
  static const std::vector<std::string> ids = {"e:1", "e:2", "e:3", "e:4"};
  std::mt19937 rng(18);
  int compared = 0;
  for (const CompiledPolicy* policy : {&default_policy->compiled(),
                                       static_cast<const CompiledPolicy*>(scored.get())}) {
    std::vector<std::string> profiles;
    for (const auto& p : policy->proto().profile()) profiles.push_back(p.name());
    for (int round = 0; round < 600; ++round) {
      std::vector<Hit> hits(std::uniform_int_distribution<size_t>(0, 9)(rng));
      for (Hit& h : hits) {
        h.category = codes[std::uniform_int_distribution<size_t>(0, codes.size() - 1)(rng)];
        h.severity = std::uniform_int_distribution<int>(1, 4)(rng);
        h.start = std::uniform_int_distribution<size_t>(0, 5)(rng);
        h.end = h.start + std::uniform_int_distribution<size_t>(1, 3)(rng);
        h.entry_id = ids[std::uniform_int_distribution<size_t>(0, ids.size() - 1)(rng)];
      }
      const Direction direction = round % 2 ? Direction::kOutput : Direction::kInput;
      const std::string& profile = profiles[static_cast<size_t>(round) % profiles.size()];
      const std::string_view locale = round % 3 ? "en" : "zh-CN";
      Decision block;
      block.hits = hits;
      std::sort(block.hits.begin(), block.hits.end(), [](const Hit& a, const Hit& b) {
        return std::tie(a.start, a.end, a.entry_id) < std::tie(b.start, b.end, b.entry_id);
      });
      ASSERT_TRUE(policy->Decide("", direction, profile, locale, &block).ok());
      HitTally tally;
      ASSERT_TRUE(policy->StartTally(direction, profile, &tally).ok());
      std::shuffle(hits.begin(), hits.end(), rng);  // a stream confirms out of order
      for (const Hit& h : hits) {
        TallyHit t;
        t.severity = h.severity;
        t.category = policy->CategoryIndex(h.category);
        t.start = h.start;
        t.end = h.end;
        t.entry_id = &h.entry_id;
        t.category_code = h.category;
        policy->AddToTally(t, &tally);
      }
      Decision streamed;
      policy->DecideTally(tally, locale, &streamed);
      const std::string context = "round " + std::to_string(round) + " profile " + profile;
      EXPECT_EQ(streamed.action, block.action) << context;
      EXPECT_EQ(streamed.rule, block.rule) << context;
      EXPECT_EQ(streamed.refusal, block.refusal) << context;
      EXPECT_EQ(streamed.profile, block.profile) << context;
      EXPECT_EQ(streamed.label, block.label) << context;
      EXPECT_EQ(streamed.label_position, block.label_position) << context;
      if (::testing::Test::HasFailure()) return;
      ++compared;
    }
  }
  EXPECT_EQ(compared, 1200);
}

TEST(PolicyTallyTest, StreamLimitIsRefuseOrBlock) {
  std::unique_ptr<CompiledPolicy> p = MustCompile(kHeader + Profile("default_action: FLAG\n"));
  ASSERT_NE(p, nullptr);
  HitTally tally;
  ASSERT_TRUE(p->StartTally(Direction::kOutput, "", &tally).ok());
  Decision d;
  p->DecideStreamLimit(tally, "en", &d);
  EXPECT_EQ(d.action, Action::kBlock);
  EXPECT_EQ(d.rule, "p/stream-limit");
  EXPECT_EQ(d.refusal, "refused: content that could not be checked");
  std::unique_ptr<CompiledPolicy> refuse =
      MustCompile(kHeader + "stream_limit_action: REFUSE\n" + Profile("default_action: FLAG\n"));
  ASSERT_NE(refuse, nullptr);
  ASSERT_TRUE(refuse->StartTally(Direction::kOutput, "", &tally).ok());
  refuse->DecideStreamLimit(tally, "zh-CN", &d);
  EXPECT_EQ(d.action, Action::kRefuse);
  absl::StatusOr<std::unique_ptr<CompiledPolicy>> weak = CompiledPolicy::Compile(
      kFile, kHeader + "stream_limit_action: MASK\n" + Profile("default_action: FLAG\n"),
      Taxonomy::Embedded());
  ASSERT_FALSE(weak.ok());
  EXPECT_THAT(std::string(weak.status().message()), HasSubstr("test.textproto:5: stream_limit_action"));
  // The name is reserved like "default" and "no-hits".
  weak = CompiledPolicy::Compile(
      kFile, kHeader + Profile("rule { name: \"stream-limit\" action: FLAG }\n"),
      Taxonomy::Embedded());
  ASSERT_FALSE(weak.ok());
  EXPECT_THAT(std::string(weak.status().message()), HasSubstr("reserved"));
}

}  // namespace
}  // namespace menshen::internal
