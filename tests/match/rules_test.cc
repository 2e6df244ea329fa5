// Rules (issue 22): the syntax, build errors naming file and line, the
// artefact, and what rules match in block mode (AND, NOT, NEAR, ordered,
// alternatives, spans, parts, explain). Streams: tests/stream/rules_stream_test.cc.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/pack/mspack_file.h"
#include "lib/pack/rule_syntax.h"
#include "menshen/engine.h"
#include "menshen/pack.h"
#include "tests/test_util.h"

namespace menshen {
namespace {

using ::menshen::internal::AndRuleText;
using ::menshen::internal::ParseImportedAndLine;
using ::menshen::internal::FormatRule;
using ::menshen::internal::ParseRule;
using ::menshen::internal::RuleSyntax;
using ::menshen::testing::TempDir;
using ::menshen::testing::WritePack;
using ::testing::HasSubstr;

std::string RuleManifest(const std::string& flags = "") {
  return "name: \"r\"\nversion: \"1.0.0\"\n"
         "term_files { path: \"terms.tsv\" default_category: \"A1.8\" default_severity: 2 }\n"
         "rule_files { path: \"rules.tsv\" default_category: \"A1.8\" default_severity: 3"
         " default_flags: \"" + flags + "\" }\n";
}

absl::StatusOr<PackBuildResult> Build(const TempDir& dir, const std::string& rules,
                                      const std::string& terms = "冰毒\n",
                                      const std::string& flags = "") {
  WritePack(dir.path(), RuleManifest(flags), {{"terms.tsv", terms}, {"rules.tsv", rules}});
  return BuildPack(dir.path());
}

std::string BuildError(const std::string& rules, const std::string& terms = "冰毒\n") {
  TempDir dir;
  absl::StatusOr<PackBuildResult> built = Build(dir, rules, terms);
  return built.ok() ? "" : std::string(built.status().message());
}

std::string SyntaxError(const std::string& rule) {
  absl::StatusOr<RuleSyntax> parsed = ParseRule(rule);
  return parsed.ok() ? "" : std::string(parsed.status().message());
}

TEST(RuleSyntax, ParsesOperatorsAndAlternatives) {
  absl::StatusOr<RuleSyntax> r = ParseRule(" 如何|怎么  ~10 制作 |制造 >4 炸药 + bomb > x ! 历史|新闻 ");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->steps.size(), 6u);
  EXPECT_EQ(r->steps[0].alternatives, (std::vector<std::string>{"如何", "怎么"}));
  EXPECT_EQ(r->steps[1].link, pack::RuleStep::NEAR);
  EXPECT_EQ(r->steps[1].max_gap, 10);
  EXPECT_EQ(r->steps[1].alternatives, (std::vector<std::string>{"制作", "制造"}));
  EXPECT_EQ(r->steps[2].link, pack::RuleStep::AFTER);
  EXPECT_EQ(r->steps[2].max_gap, 4);
  EXPECT_EQ(r->steps[3].link, pack::RuleStep::AND);
  EXPECT_EQ(r->steps[4].link, pack::RuleStep::AFTER);
  EXPECT_EQ(r->steps[4].max_gap, -1);
  EXPECT_FALSE(r->steps[4].negated);
  EXPECT_TRUE(r->steps[5].negated);
  absl::StatusOr<RuleSyntax> with_unless = ParseRule("a + b ! c|d ! e");
  ASSERT_TRUE(with_unless.ok());
  EXPECT_TRUE(with_unless->steps[2].negated);
  EXPECT_TRUE(with_unless->steps[3].negated);
  EXPECT_EQ(FormatRule(*r), "如何|怎么 ~10 制作|制造 >4 炸药 + bomb > x ! 历史|新闻");
}

TEST(RuleSyntax, CanonicalTextRoundTripsAndEscapes) {
  for (const std::string text :
       {"a|b + c", "how to ~12 make|build ~6 bomb", "x ! y", "a\\+b + c\\|d ! e\\!", "a > b >0 c"}) {
    absl::StatusOr<RuleSyntax> r = ParseRule(text);
    ASSERT_TRUE(r.ok()) << text << ": " << r.status();
    absl::StatusOr<RuleSyntax> again = ParseRule(FormatRule(*r));
    ASSERT_TRUE(again.ok()) << FormatRule(*r);
    EXPECT_EQ(FormatRule(*again), FormatRule(*r));
  }
  absl::StatusOr<RuleSyntax> escaped = ParseRule("c\\+\\+ + a\\|b");
  ASSERT_TRUE(escaped.ok());
  EXPECT_EQ(escaped->steps[0].alternatives[0], "c++");
  EXPECT_EQ(escaped->steps[1].alternatives[0], "a|b");
}

TEST(RuleSyntax, ErrorsSayWhatIsWrong) {
  EXPECT_THAT(SyntaxError(""), HasSubstr("empty rule"));
  EXPECT_THAT(SyntaxError("a"), HasSubstr("a rule needs two parts or an unless part"));
  EXPECT_THAT(SyntaxError("a|b"), HasSubstr("a rule needs two parts"));
  EXPECT_THAT(SyntaxError("+ a"), HasSubstr("starts with '+'"));
  EXPECT_THAT(SyntaxError("! a"), HasSubstr("starts with '!'"));
  EXPECT_THAT(SyntaxError("a +"), HasSubstr("ends with '+'"));
  EXPECT_THAT(SyntaxError("a ~3"), HasSubstr("ends with '~3'"));
  EXPECT_THAT(SyntaxError("a + + b"), HasSubstr("no part between '+' and '+'"));
  EXPECT_THAT(SyntaxError("a || b + c"), HasSubstr("empty alternative"));
  EXPECT_THAT(SyntaxError("a| + c"), HasSubstr("empty alternative"));
  EXPECT_THAT(SyntaxError("a ~ b"), HasSubstr("'~' needs a distance"));
  EXPECT_THAT(SyntaxError("a ~12b"), HasSubstr("put a space after '~12'"));
  EXPECT_THAT(SyntaxError("a ~99999999 b"), HasSubstr("more than 10000 characters"));
  EXPECT_THAT(SyntaxError("a ! b + c"), HasSubstr("unless parts ('!') come last"));
  EXPECT_THAT(SyntaxError("a\\b + c"), HasSubstr("'\\' must be followed by"));
  EXPECT_THAT(SyntaxError("a|a + c"), HasSubstr("written twice"));
  EXPECT_THAT(SyntaxError("a+b+c+d+e+f+g+h+i"), HasSubstr("more than 8 parts"));
  EXPECT_EQ(SyntaxError("a ! b"), "");
}

TEST(RuleSyntax, Groups) {
  internal::RuleGroups groups;
  ASSERT_TRUE(internal::DefineRuleGroup("@how = 如何|怎么", &groups).ok());
  ASSERT_TRUE(internal::DefineRuleGroup("@ask=@how|教我|如何", &groups).ok());
  EXPECT_EQ(groups.at("ask"), (std::vector<std::string>{"如何", "怎么", "教我"}));
  absl::StatusOr<RuleSyntax> rule = ParseRule("@ask|请问 ~5 炸弹 ! \\@news");
  ASSERT_TRUE(rule.ok()) << rule.status();
  EXPECT_EQ(FormatRule(*rule), "@ask|请问 ~5 炸弹 ! \\@news");
  absl::StatusOr<RuleSyntax> expanded = internal::ExpandRuleGroups(*rule, groups);
  ASSERT_TRUE(expanded.ok()) << expanded.status();
  EXPECT_EQ(expanded->steps[0].alternatives,
            (std::vector<std::string>{"如何", "怎么", "教我", "请问"}));
  EXPECT_EQ(expanded->steps[2].alternatives, (std::vector<std::string>{"@news"}));
  auto define_error = [&](const std::string& line) {
    absl::Status s = internal::DefineRuleGroup(line, &groups);
    return s.ok() ? std::string() : std::string(s.message());
  };
  EXPECT_THAT(define_error("@how = x"), HasSubstr("defined twice"));
  EXPECT_THAT(define_error("@x"), HasSubstr("defines a group"));
  EXPECT_TRUE(internal::IsRuleGroupLine(" @g = a|b"));
  EXPECT_TRUE(internal::IsRuleGroupLine("@g=a"));
  EXPECT_FALSE(internal::IsRuleGroupLine("@g ~3 a"));
  EXPECT_FALSE(internal::IsRuleGroupLine("\\@g = a"));
  EXPECT_THAT(define_error("@ = a"), HasSubstr("not a group name"));
  EXPECT_THAT(define_error("@y ="), HasSubstr("is empty"));
  EXPECT_THAT(define_error("@z = a + b"), HasSubstr("a group is one part"));
  EXPECT_THAT(define_error("@w = @nope|a"), HasSubstr("unknown group '@nope'"));
  absl::StatusOr<RuleSyntax> unknown = ParseRule("@nope + x");
  ASSERT_TRUE(unknown.ok());
  EXPECT_THAT(std::string(internal::ExpandRuleGroups(*unknown, groups).status().message()),
              HasSubstr("unknown group '@nope'"));
}

TEST(RuleSyntax, AndRuleTextForImporters) {
  absl::StatusOr<std::string> text = AndRuleText({"疫情", "病毒", "a+b"});
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "疫情 + 病毒 + a\\+b");
  absl::StatusOr<RuleSyntax> parsed = ParseRule(*text);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->steps[2].alternatives[0], "a+b");
  EXPECT_FALSE(AndRuleText({"only"}).ok());
  EXPECT_FALSE(AndRuleText({"a", " "}).ok());
  EXPECT_FALSE(AndRuleText({"a", "b\tc"}).ok());
}

TEST(RuleSyntax, ImportedAndLines) {
  absl::StatusOr<std::string> text = ParseImportedAndLine(" 疫情 +病毒＋ 封城 ");
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "疫情 + 病毒 + 封城");
  ASSERT_TRUE(ParseRule(*text).ok());
  EXPECT_TRUE(absl::IsNotFound(ParseImportedAndLine("只是一个词").status()));
  EXPECT_THAT(std::string(ParseImportedAndLine("a++b").status().message()),
              HasSubstr("an empty part"));
  EXPECT_FALSE(ParseImportedAndLine("a+b+c+d+e+f+g+h+i").ok());  // more than 8 parts
}

class RuleMatchGroups : public ::testing::Test {
 protected:
  TempDir dir_;
};

TEST(RuleBuild, ErrorsNameFileAndLine) {
  EXPECT_THAT(BuildError("# c\na + b\n\nc ~ d\n"), HasSubstr("rules.tsv:4: rule: '~' needs a distance"));
  EXPECT_THAT(BuildError("a + b\tA9.9\n"), HasSubstr("rules.tsv:1: unknown category 'A9.9'"));
  EXPECT_THAT(BuildError("a + b\t\t7\n"), HasSubstr("rules.tsv:1: bad severity '7'"));
  EXPECT_THAT(BuildError("a + b\t\t\tallow\n"), HasSubstr("rules.tsv:1: a rule cannot be an allow entry"));
  EXPECT_THAT(BuildError("a + b\t\t\tbogus\n"), HasSubstr("rules.tsv:1: unknown flag 'bogus'"));
  EXPECT_THAT(BuildError("a + b\t\t\t\tluhn\n"), HasSubstr("rules.tsv:1: too many columns"));
  EXPECT_THAT(BuildError("a + \xe2\x80\x8b\n"), HasSubstr("rules.tsv:1: rule part '\xe2\x80\x8b' folds to nothing"));
  EXPECT_THAT(BuildError("a + b\tA1.8\na  +  b\tA1.7\n"), HasSubstr("rules.tsv:2: 'a + b' duplicates"));
  EXPECT_THAT(BuildError("a\n"), HasSubstr("rules.tsv:1: rule: a rule needs two parts"));
  EXPECT_EQ(BuildError("a + b\nb ~3 c ! d\n"), "");
  EXPECT_THAT(BuildError("a + @g\n@g = x|y\n"), HasSubstr("rules.tsv:1: rule: unknown group '@g'"));
  EXPECT_THAT(BuildError("@g = x|y\n\n@g = z\n"), HasSubstr("rules.tsv:3: the group '@g' is defined twice"));
  EXPECT_EQ(BuildError("@g = x|y\na + @g|z ! @g\n"), "");
}

TEST_F(RuleMatchGroups, GroupsExpandIntoParts) {
  absl::StatusOr<PackBuildResult> built =
      Build(dir_, "# groups, then rules\n@how = 如何|怎么|怎样\n@bomb = 炸弹|炸药\n"
                  "@how ~8 制造|自制 ~2 @bomb\n");
  ASSERT_TRUE(built.ok()) << built.status();
  absl::StatusOr<std::shared_ptr<const Pack>> pack = Pack::FromBytes(built->mspack, "g");
  ASSERT_TRUE(pack.ok());
  EXPECT_EQ((*pack)->info().rule_count, 1u);
  EXPECT_EQ((*pack)->info().part_count, 7u);
  absl::StatusOr<std::shared_ptr<const Engine>> engine = Engine::Create({*pack});
  ASSERT_TRUE(engine.ok());
  absl::StatusOr<Decision> d = (*engine)->Check("怎样在家自制炸药", Direction::kInput);
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->hits.size(), 1u);
  EXPECT_EQ(d->hits[0].term, "@how ~8 制造|自制 ~2 @bomb");
}

TEST(RuleBuild, ArtefactCountsIdsAndFormat) {
  TempDir dir;
  absl::StatusOr<PackBuildResult> built =
      Build(dir, "如何 ~10 制造|製造 ~2 炸弹\nhow to ~3 bomb\t\t4\tword\n毒品 + 购买 ! 新闻\n");
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_EQ(built->mspack[8], static_cast<char>(internal::kMspackFormatVersion));
  EXPECT_EQ(internal::kMspackFormatVersion, 3u);
  absl::StatusOr<PackBuildResult> again = Build(dir, "如何 ~10 制造|製造 ~2 炸弹\nhow to ~3 bomb\t\t4\tword\n毒品 + 购买 ! 新闻\n");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(built->mspack, again->mspack) << "byte-identical for the same sources";
  absl::StatusOr<std::shared_ptr<const Pack>> pack = Pack::FromBytes(built->mspack, "r.mspack");
  ASSERT_TRUE(pack.ok()) << pack.status();
  const PackInfo& info = (*pack)->info();
  EXPECT_EQ(info.rule_count, 3u);
  EXPECT_EQ(info.literal_count, 1u);  // 冰毒; parts are not terms
  // 如何 制造 炸弹 (製造 folds to 制造: one part) how to, bomb (word) 毒品 购买 新闻.
  EXPECT_EQ(info.part_count, 8u);
  EXPECT_EQ(info.counts_by_category.at("A1.8"), 4u);

  // Spacing does not change a rule's id.
  TempDir other;
  absl::StatusOr<PackBuildResult> spaced =
      Build(other, "如何~10 制造 | 製造~2 炸弹\nhow to~3 bomb\t\t4\tword\n毒品+购买!新闻\n");
  ASSERT_TRUE(spaced.ok()) << spaced.status();
  absl::StatusOr<std::shared_ptr<const Pack>> spaced_pack =
      Pack::FromBytes(spaced->mspack, "r2.mspack");
  ASSERT_TRUE(spaced_pack.ok());
  absl::StatusOr<std::shared_ptr<const Engine>> e1 = Engine::Create({*pack});
  absl::StatusOr<std::shared_ptr<const Engine>> e2 = Engine::Create({*spaced_pack});
  ASSERT_TRUE(e1.ok() && e2.ok());
  absl::StatusOr<Decision> d1 = (*e1)->Check("如何制造炸弹", Direction::kInput);
  absl::StatusOr<Decision> d2 = (*e2)->Check("如何制造炸弹", Direction::kInput);
  ASSERT_TRUE(d1.ok() && d2.ok());
  ASSERT_EQ(d1->hits.size(), 1u);
  ASSERT_EQ(d2->hits.size(), 1u);
  EXPECT_EQ(d1->hits[0].entry_id, d2->hits[0].entry_id);
}

TEST(RuleBuild, OlderFormatsStillLoad) {
  TempDir dir;
  WritePack(dir.path(), testing::Manifest("old"), {{"terms.tsv", "冰毒\n"}});
  absl::StatusOr<PackBuildResult> built = BuildPack(dir.path());
  ASSERT_TRUE(built.ok());
  // A pack without rules or validators means the same in format 1, 2 and 3.
  for (char version : {1, 2}) {
    std::string old = built->mspack;
    old[8] = version;
    absl::StatusOr<std::shared_ptr<const Pack>> pack = Pack::FromBytes(old, "old.mspack");
    ASSERT_TRUE(pack.ok()) << pack.status();
    EXPECT_EQ((*pack)->info().literal_count, 1u);
  }
}

// Engines over a rule pack, checking prompts.
class RuleMatch : public ::testing::Test {
 protected:
  void Load(const std::string& rules, const std::string& terms = "冰毒\n",
            const std::string& flags = "", EngineOptions options = {}) {
    absl::StatusOr<PackBuildResult> built = Build(dir_, rules, terms, flags);
    ASSERT_TRUE(built.ok()) << built.status();
    absl::StatusOr<std::shared_ptr<const Pack>> pack = Pack::FromBytes(built->mspack, "r");
    ASSERT_TRUE(pack.ok()) << pack.status();
    absl::StatusOr<std::shared_ptr<const Engine>> engine = Engine::Create({*pack}, options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = *engine;
  }
  Decision Check(const std::string& text) {
    absl::StatusOr<Decision> d = engine_->Check(text, Direction::kInput);
    EXPECT_TRUE(d.ok()) << d.status();
    return d.ok() ? *d : Decision();
  }
  // "term@start-end" for every rule hit.
  std::string RuleHits(const std::string& text) {
    Decision d = Check(text);
    std::string out;
    for (const Hit& h : d.hits) {
      if (!h.rule) continue;
      if (!out.empty()) out += " ";
      out += std::string(h.term) + "@" + std::to_string(h.start) + "-" + std::to_string(h.end);
    }
    return out;
  }
  TempDir dir_;
  std::shared_ptr<const Engine> engine_;
};

TEST_F(RuleMatch, AndNeedsEveryPart) {
  Load("毒品 + 购买|买到\n");
  EXPECT_EQ(RuleHits("哪里能买到毒品"), "毒品 + 购买|买到@9-21");
  EXPECT_EQ(RuleHits("毒品的危害很大，不要买"), "");
  EXPECT_EQ(RuleHits("购买"), "");
  // Anywhere in the text, in any order, far apart.
  EXPECT_EQ(RuleHits("毒品" + std::string(3000, 'x') + "购买"), "毒品 + 购买|买到@0-3012");
  // Parts are not hits by themselves.
  Decision d = Check("毒品");
  EXPECT_TRUE(d.hits.empty());
  EXPECT_EQ(d.action, Action::kAllow);
}

TEST_F(RuleMatch, UnlessCancelsAnywhereInTheText) {
  Load("如何 ~10 制造 ~2 炸弹 ! 历史|新闻\n");
  EXPECT_EQ(RuleHits("如何制造炸弹"), "如何 ~10 制造 ~2 炸弹 ! 历史|新闻@0-18");
  EXPECT_EQ(RuleHits("历史上如何制造炸弹"), "");
  EXPECT_EQ(RuleHits("如何制造炸弹？这是新闻里说的"), "");
  Load("炸弹 ! 拆弹|排爆\n");  // one part and an unless part
  EXPECT_EQ(RuleHits("炸弹"), "炸弹 ! 拆弹|排爆@0-6");
  EXPECT_EQ(RuleHits("排爆队拆除了炸弹"), "");
}

TEST_F(RuleMatch, NearCountsFoldedCharactersEitherSide) {
  Load("如何 ~4 炸弹\n");
  EXPECT_EQ(RuleHits("如何做炸弹"), "如何 ~4 炸弹@0-15");
  EXPECT_EQ(RuleHits("如何一二三四炸弹"), "如何 ~4 炸弹@0-24");
  EXPECT_EQ(RuleHits("如何一二三四五炸弹"), "");
  EXPECT_EQ(RuleHits("炸弹要如何"), "如何 ~4 炸弹@0-15");  // either side
  // Noise skipped between Han characters does not count, nor do ignorables.
  EXPECT_EQ(RuleHits("如 - 何 * 一 二 三 四 炸 弹"), "如何 ~4 炸弹@0-35");
  // Latin text: spaces and letters count.
  Load("how ~6 bomb\n", "冰毒\n", "word");
  EXPECT_EQ(RuleHits("how a bomb"), "how ~6 bomb@0-10");
  EXPECT_EQ(RuleHits("how to a bomb"), "how ~6 bomb@0-13");
  EXPECT_EQ(RuleHits("how to do a bomb"), "");
  // The word flag applies to every part.
  EXPECT_EQ(RuleHits("show a bomb"), "");
  EXPECT_EQ(RuleHits("how a bombs"), "");
}

TEST_F(RuleMatch, AfterIsOrdered) {
  Load("教我 > 炸弹\n买 >2 枪\n");
  EXPECT_EQ(RuleHits("教我做一个很大的炸弹"), "教我 > 炸弹@0-30");
  EXPECT_EQ(RuleHits("炸弹教我"), "");
  EXPECT_EQ(RuleHits("买两把枪"), "买 >2 枪@0-12");
  EXPECT_EQ(RuleHits("买了三把枪"), "");
  EXPECT_EQ(RuleHits("枪买"), "");
}

TEST_F(RuleMatch, ChainsAlternativesAndTheTightestSpan) {
  Load("如何|怎么|怎样 ~6 制作|制造|自制 ~3 炸药|炸弹|雷管\n");
  EXPECT_EQ(RuleHits("怎样自制雷管"), "如何|怎么|怎样 ~6 制作|制造|自制 ~3 炸药|炸弹|雷管@0-18");
  // The chain must link each step to the next: 如何 is near 制作, which is
  // far from 炸药.
  EXPECT_EQ(RuleHits("如何制作蛋糕然后再去看看那个炸药"), "");
  // Of several chains ending at the same place, the one that starts latest.
  EXPECT_EQ(RuleHits("如何如何怎么制造炸药"), "如何|怎么|怎样 ~6 制作|制造|自制 ~3 炸药|炸弹|雷管@12-30");
  // One hit per rule and text: the first place it holds.
  EXPECT_EQ(RuleHits("如何制造炸药。怎么制作炸弹"), "如何|怎么|怎样 ~6 制作|制造|自制 ~3 炸药|炸弹|雷管@0-18");
}

TEST_F(RuleMatch, SpansPartsAndExplain) {
  EngineOptions options;
  options.explain = true;
  Load("如何 ~10 製造 ~2 炸弹\n", "冰毒\n", "", options);
  Decision d = Check("請問如何在家製造炸彈？");
  ASSERT_EQ(d.hits.size(), 1u);
  const Hit& h = d.hits[0];
  EXPECT_TRUE(h.rule);
  EXPECT_EQ(h.start, 6u);
  EXPECT_EQ(h.end, 30u);
  EXPECT_EQ(h.severity, 3);
  EXPECT_EQ(h.category, "A1.8");
  ASSERT_EQ(h.part_count, 3u);
  ASSERT_EQ(d.rule_parts.size(), 3u);
  EXPECT_EQ(d.rule_parts[h.first_part].term, "如何");
  EXPECT_EQ(d.rule_parts[h.first_part].start, 6u);
  EXPECT_EQ(d.rule_parts[h.first_part + 1].term, "製造");
  EXPECT_EQ(d.rule_parts[h.first_part + 1].start, 18u);
  EXPECT_EQ(d.rule_parts[h.first_part + 2].term, "炸弹");
  EXPECT_EQ(d.rule_parts[h.first_part + 2].end, 30u);
  EXPECT_NE(h.foldings, 0u) << "traditional forms were folded";
}

TEST_F(RuleMatch, RulesAreNeverMaskedAndMixWithTerms) {
  Load("如何 ~4 炸弹\n", "冰毒\n");
  absl::StatusOr<Decision> d = engine_->Check("如何做炸弹和冰毒", Direction::kOutput);
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->hits.size(), 2u);
  EXPECT_TRUE(d->hits[0].rule);
  EXPECT_FALSE(d->hits[1].rule);
  EXPECT_EQ(d->masked, "如何做炸弹和**");
  EXPECT_EQ(d->action, Action::kRefuse);
}

TEST_F(RuleMatch, WordFlagChecksOnlyTheEndsThatAreLetters) {
  Load("被人 ~4 qq号|k粉\n", "冰毒\n", "word");
  EXPECT_EQ(RuleHits("被人AI盗qq号"), "被人 ~4 qq号|k粉@0-16");  // 被人 touches "ai"
  EXPECT_EQ(RuleHits("被人盗qqq号"), "");                      // qq号 inside qqq号
  EXPECT_EQ(RuleHits("被人卖k粉x"), "被人 ~4 qq号|k粉@0-13");   // 粉 may touch x
  EXPECT_EQ(RuleHits("被人卖ak粉"), "");                         // k may not touch a
}

TEST_F(RuleMatch, AllowEntriesSuppressParts) {
  Load("毒品 + 购买\n", "冰毒\n打击毒品\t\t\tallow\n");
  EXPECT_EQ(RuleHits("购买毒品"), "毒品 + 购买@0-12");
  EXPECT_EQ(RuleHits("购买打击毒品的宣传册"), "");
}

TEST_F(RuleMatch, ManyOccurrencesStayBounded) {
  Load("a ~1 b\n", "冰毒\n", "word");
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "a x ";
  EXPECT_EQ(RuleHits(text + "a b"), "a ~1 b@8000-8003");
}

}  // namespace
}  // namespace menshen
