// Rules in streams (issue 22): for any chunking a stream reaches block mode's
// rule hits (same rules, spans and parts) and final decision; rules with
// unless parts are decided when the text ends; rule hits are never masked and
// hold nothing back.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "menshen/engine.h"
#include "menshen/stream.h"
#include "tests/test_util.h"

namespace menshen {
namespace {

using ::menshen::testing::Utf8;
using ::menshen::testing::WritePack;

// A1.8 rules are refused (and cut the stream); A4.3 ones are masked in
// output, which must leave their text alone.
constexpr char kRules[] =
    "如何|怎么 ~6 制造|自制 ~2 炸弹|炸药\tA1.8\t3\n"
    "教我 > 冰毒 ! 危害|新闻\tA1.8\t3\n"
    "买 >3 枪|弹药\tA1.8\t2\n"
    "骂 ~2 他 + 傻\tA4.3\t2\n"
    "毒品 ! 禁毒\tA4.3\t1\n"
    "how to ~8 make ~8 bomb|meth\tA1.8\t3\tword\n"
    "kill + him|her ! movie|game\tA4.3\t2\tword\n";
constexpr char kTerms[] =
    "傻逼\tA4.3\t2\n"
    "fuck\tA4.3\t2\tword\n"
    "大麻\tA1.8\t3\n"
    "禁毒日\t\t\tallow\n";

// Rules whose parts all lie within a bounded distance of their anchor: block
// mode looks for their other parts only in windows around anchor occurrences
// (lib/match/rules.h, PartWindows), and must still reach a stream's hits
// (which looks at every part), also for unless parts far from the anchor.
constexpr char kBoundedRules[] =
    "如何|怎么 ~6 制造|自制 ~2 炸弹|炸药\tA1.8\t3\n"
    "教我 >10 冰毒 ! 危害|新闻\tA1.8\t3\n"
    "买 >3 枪|弹药\tA1.8\t2\n"
    "骂 ~2 他 ~4 傻\tA4.3\t2\n"
    "how to ~8 make ~8 bomb|meth\tA1.8\t3\tword\n"
    "kill ~12 him|her ! movie|game\tA4.3\t2\tword\n";

std::shared_ptr<const Engine> RuleEngine(EngineOptions options = {},
                                         const char* rules = kRules) {
  const std::string dir =
      std::string(MENSHEN_TEST_TMPDIR) + "/rules-stream-" + std::to_string(::getpid());
  WritePack(dir,
            "name: \"rs\"\nversion: \"1.0.0\"\n"
            "term_files { path: \"terms.tsv\" default_category: \"A1.8\" default_severity: 2 }\n"
            "rule_files { path: \"rules.tsv\" default_category: \"A1.8\" default_severity: 2 }\n",
            {{"terms.tsv", kTerms}, {"rules.tsv", rules}});
  absl::StatusOr<std::shared_ptr<const Pack>> pack = Pack::Load(dir);
  std::filesystem::remove_all(dir);
  EXPECT_TRUE(pack.ok()) << pack.status();
  if (!pack.ok()) return nullptr;
  absl::StatusOr<std::shared_ptr<const Engine>> engine = Engine::Create({*pack}, options);
  EXPECT_TRUE(engine.ok()) << engine.status();
  return engine.ok() ? *engine : nullptr;
}

struct StreamRun {
  std::string released;
  Decision decision;
  bool cut = false;
};

StreamRun RunStream(const Engine& engine, std::string_view text, const std::vector<size_t>& sizes,
           Direction direction) {
  StreamRun run;
  CheckRequest request;
  request.direction = direction;
  absl::StatusOr<menshen::Stream> stream = engine.OpenStream(request);
  EXPECT_TRUE(stream.ok()) << stream.status();
  if (!stream.ok()) return run;
  size_t pos = 0;
  for (size_t k = 0; pos < text.size(); ++k) {
    const size_t n = std::min(sizes[k % sizes.size()], text.size() - pos);
    EXPECT_TRUE(stream->Feed(text.substr(pos, n), &run.released).ok());
    pos += n;
  }
  EXPECT_TRUE(stream->Finish(&run.released).ok());
  run.decision = stream->decision();
  run.cut = stream->cut();
  return run;
}

// Every hit, with a rule's parts: "id@start-end[part@s-e ...]".
std::string Describe(const Decision& d) {
  std::string out;
  for (const Hit& h : d.hits) {
    out += std::string(h.entry_id) + "@" + std::to_string(h.start) + "-" + std::to_string(h.end);
    if (h.rule) {
      out += "[";
      for (uint32_t k = 0; k < h.part_count; ++k) {
        const RulePart& p = d.rule_parts[h.first_part + k];
        out += std::string(p.term) + "@" + std::to_string(p.start) + "-" + std::to_string(p.end) + " ";
      }
      out += "]";
    }
    out += " ";
  }
  return out;
}

std::string RandomText(std::mt19937& rng, int max_pieces) {
  static const std::vector<std::string> kPieces = {
      "如何", "怎么", "制造", "自制", "炸弹", "炸药", "教我", "冰毒", "危害", "新闻", "买",
      "枪", "弹药", "骂", "他", "傻", "毒品", "禁毒", "禁毒日", "傻逼", "大麻", "how to ",
      "How To ", "make ", "bomb", "meth ", "kill ", "him ", "her ", "movie", "game", "fuck ",
      "show ", "的", "在家", "一个", "，", "。", " ", "  ", "\n", "·", Utf8(0x200B), "😀",
      "x", "ab ", "\xff", "\xe4\xb8", "製造", "炸彈", "如 何", "冰 毒", "- - -"};
  std::string text;
  const int pieces = std::uniform_int_distribution<int>(0, max_pieces)(rng);
  for (int i = 0; i < pieces; ++i) {
    text += kPieces[std::uniform_int_distribution<size_t>(0, kPieces.size() - 1)(rng)];
  }
  return text;
}

std::vector<size_t> RandomChunking(std::mt19937& rng) {
  switch (std::uniform_int_distribution<int>(0, 4)(rng)) {
    case 0: return {1};
    case 1: return {16};
    case 2: return {1u << 20};
    default: {
      std::vector<size_t> sizes(7);
      for (size_t& s : sizes) s = std::uniform_int_distribution<size_t>(1, 24)(rng);
      return sizes;
    }
  }
}

void ExpectLikeBlock(const Engine& engine, const std::string& text, Direction direction,
                     const StreamRun& run, const std::string& context) {
  absl::StatusOr<Decision> block = engine.Check(text, direction);
  ASSERT_TRUE(block.ok()) << block.status();
  if (!run.cut) {
    EXPECT_EQ(Describe(run.decision), Describe(*block))
        << context;
    EXPECT_EQ(run.decision.action, block->action) << context;
    EXPECT_EQ(run.decision.rule, block->rule) << context;
    EXPECT_EQ(run.released, block->masked) << context;
    return;
  }
  // Cut: block mode refuses too, every hit the stream found is block mode's,
  // and what was released is a prefix of block mode's masked text.
  EXPECT_GE(static_cast<int>(block->action), static_cast<int>(Action::kRefuse)) << context;
  EXPECT_GE(static_cast<int>(run.decision.action), static_cast<int>(Action::kRefuse)) << context;
  const std::string all = Describe(*block);
  for (const Hit& h : run.decision.hits) {
    Decision one;
    one.hits = {h};
    one.rule_parts = run.decision.rule_parts;
    EXPECT_NE(all.find(Describe(one)), std::string::npos) << context;
  }
  EXPECT_EQ(block->masked.substr(0, run.released.size()), run.released) << context;
}

TEST(RuleStream, AnyChunkingReachesBlockModesDecision) {
  const std::shared_ptr<const Engine> engine = RuleEngine();
  ASSERT_NE(engine, nullptr);
  std::mt19937 rng(22);
  int rule_hits = 0, cuts = 0, unless = 0;
  for (int iteration = 0; iteration < 4000; ++iteration) {
    const std::string text = RandomText(rng, iteration % 10 == 0 ? 1200 : 20);
    const Direction direction = iteration % 2 ? Direction::kInput : Direction::kOutput;
    const std::vector<size_t> sizes = RandomChunking(rng);
    const StreamRun run = RunStream(*engine, text, sizes, direction);
    for (const Hit& h : run.decision.hits) rule_hits += h.rule;
    cuts += run.cut;
    unless += text.find("毒品") != std::string::npos && text.find("禁毒") != std::string::npos;
    std::string context = "iteration " + std::to_string(iteration) + " \"" + text + "\" chunks";
    for (size_t s : sizes) context += " " + std::to_string(s);
    ExpectLikeBlock(*engine, text, direction, run, context);
    if (::testing::Test::HasFailure()) break;
  }
  EXPECT_GT(rule_hits, 1000);
  EXPECT_GT(cuts, 200);
  EXPECT_GT(unless, 100);
}

std::string Repeat(const std::string& piece, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += piece;
  return out;
}

TEST(RuleStream, WindowsAroundAnchorsChangeNoHit) {
  const std::shared_ptr<const Engine> engine = RuleEngine({}, kBoundedRules);
  ASSERT_NE(engine, nullptr);
  std::mt19937 rng(2022);
  int rule_hits = 0;
  for (int iteration = 0; iteration < 1500; ++iteration) {
    // Long texts, so that anchors are far apart and windows do not cover all.
    std::string text = RandomText(rng, iteration % 3 == 0 ? 1500 : 60);
    if (iteration % 5 == 0) text += std::string(300, ' ') + "新闻";  // an unless part far away
    const Direction direction = iteration % 2 ? Direction::kInput : Direction::kOutput;
    const std::vector<size_t> sizes = RandomChunking(rng);
    const StreamRun run = RunStream(*engine, text, sizes, direction);
    for (const Hit& h : run.decision.hits) rule_hits += h.rule;
    ExpectLikeBlock(*engine, text, direction, run, "iteration " + std::to_string(iteration));
    if (::testing::Test::HasFailure()) break;
  }
  EXPECT_GT(rule_hits, 300);
  // An unless part far outside the anchor's window still cancels the rule.
  absl::StatusOr<Decision> near = engine->Check("教我做冰毒", Direction::kInput);
  ASSERT_TRUE(near.ok());
  EXPECT_EQ(near->action, Action::kRefuse);
  const std::string far = "教我做冰毒" + Repeat("的", 5000) + "新闻";
  absl::StatusOr<Decision> cancelled = engine->Check(far, Direction::kInput);
  ASSERT_TRUE(cancelled.ok());
  EXPECT_EQ(cancelled->action, Action::kAllow) << Describe(*cancelled);
  // A part just inside the reach counts, one beyond it does not.
  absl::StatusOr<Decision> inside = engine->Check("教我" + Repeat("的", 10) + "冰毒",
                                                  Direction::kInput);
  ASSERT_TRUE(inside.ok());
  EXPECT_EQ(inside->action, Action::kRefuse);
  absl::StatusOr<Decision> beyond = engine->Check("教我" + Repeat("的", 11) + "冰毒",
                                                  Direction::kInput);
  ASSERT_TRUE(beyond.ok());
  EXPECT_EQ(beyond->action, Action::kAllow);
}

TEST(RuleStream, ExplainedPartsAndForks) {
  EngineOptions options;
  options.explain = true;
  const std::shared_ptr<const Engine> engine = RuleEngine(options);
  ASSERT_NE(engine, nullptr);
  std::mt19937 rng(7);
  for (int iteration = 0; iteration < 500; ++iteration) {
    const std::string head = RandomText(rng, 10);
    const std::string tail = RandomText(rng, 10);
    const StreamRun run = RunStream(*engine, head + tail, RandomChunking(rng), Direction::kInput);
    ExpectLikeBlock(*engine, head + tail, Direction::kInput, run, head + tail);
    // A fork after the head, fed the tail, reaches the same decision.
    CheckRequest request;
    absl::StatusOr<menshen::Stream> parent = engine->OpenStream(request);
    ASSERT_TRUE(parent.ok());
    std::string released;
    ASSERT_TRUE(parent->Feed(head, &released).ok());
    absl::StatusOr<menshen::Stream> fork = parent->Fork();
    ASSERT_TRUE(fork.ok());
    std::string fork_released = released;
    ASSERT_TRUE(fork->Feed(tail, &fork_released).ok());
    ASSERT_TRUE(fork->Finish(&fork_released).ok());
    // (A cut stream's hits depend on where it was cut, so only the verdict is compared then.)
    EXPECT_EQ(fork->cut(), run.cut) << head << "|" << tail;
    if (!run.cut) {
      EXPECT_EQ(Describe(fork->decision()), Describe(run.decision)) << head << "|" << tail;
      EXPECT_EQ(fork->decision().action, run.decision.action) << head << "|" << tail;
    }
    if (::testing::Test::HasFailure()) break;
  }
}

TEST(RuleStream, UnlessRulesWaitForTheEnd) {
  const std::shared_ptr<const Engine> engine = RuleEngine();
  ASSERT_NE(engine, nullptr);
  CheckRequest request;
  absl::StatusOr<menshen::Stream> stream = engine->OpenStream(request);
  ASSERT_TRUE(stream.ok());
  std::string released;
  ASSERT_TRUE(stream->Feed("教我做冰毒" + std::string(200, ' '), &released).ok());
  EXPECT_EQ(stream->decision().action, Action::kAllow) << "a later 危害 could still cancel it";
  EXPECT_FALSE(stream->cut());
  ASSERT_TRUE(stream->Finish(&released).ok());
  EXPECT_EQ(stream->decision().action, Action::kRefuse);
  EXPECT_TRUE(stream->cut());
  // Without unless parts, a rule cuts as soon as its parts are settled.
  absl::StatusOr<menshen::Stream> early = engine->OpenStream(request);
  ASSERT_TRUE(early.ok());
  released.clear();
  ASSERT_TRUE(early->Feed("怎么自制炸弹" + std::string(200, ' '), &released).ok());
  EXPECT_TRUE(early->cut());
  EXPECT_EQ(early->decision().action, Action::kRefuse);
}

TEST(RuleStream, PartsHoldNothingBack) {
  const std::shared_ptr<const Engine> engine = RuleEngine();
  ASSERT_NE(engine, nullptr);
  CheckRequest request;
  request.direction = Direction::kOutput;
  absl::StatusOr<menshen::Stream> stream = engine->OpenStream(request);
  ASSERT_TRUE(stream.ok());
  std::string released;
  // 毒品 is a part only: the stream releases it like any other text.
  const std::string text = "关于毒品" + std::string(100, '.');
  ASSERT_TRUE(stream->Feed(text, &released).ok());
  EXPECT_GE(released.size(), text.size() - 20);
  ASSERT_TRUE(stream->Finish(&released).ok());
  EXPECT_EQ(released, text) << "a rule's hit is never masked";
  EXPECT_EQ(stream->decision().action, Action::kMask);  // A4.3, severity 1, in output
}

}  // namespace
}  // namespace menshen
