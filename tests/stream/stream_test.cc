// Streaming (issue 5): for any chunking a stream finds block mode's hits and
// releases block mode's masked text (or its prefix up to a cut); forks are
// independent; hold-back, limits, errors and the audit record.
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <atomic>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "menshen/engine.h"
#include "menshen/policy.h"
#include "menshen/stream.h"
#include "tests/test_util.h"

namespace menshen {
namespace {

using ::menshen::testing::Utf8;
using ::menshen::testing::WritePack;

// Insults and personal information (masked in output by the default policy),
// drugs (refused: they cut the stream), an allow entry, `word` and `exact`
// terms, and regexes whose matches overlap (merged into one hit).
constexpr char kTerms[] =
    "fuck\tA4.3\t2\tword\n"
    "ass\tA4.3\t2\tword\n"
    "操你妈\tA4.3\t2\n"
    "傻逼\tA4.3\t2\n"
    "傻\tA4.3\t1\texact\n"
    "𠮷野家\tA4.3\t1\n"
    "大麻\tA1.8\t3\n"
    "大麻烦\t\t\tallow\n"
    "卖淫\tA1.8\t3\texact\n";
constexpr char kRegexes[] =
    "1[3-9]\\d{9}\tX1\t2\tword\n"
    "[a-z]{2,8}@[a-z]{2,8}\\.com\tX1\t2\n"
    "ab{1,6}c?\tA4.3\t1\n";

std::string PackDir(const std::string& name) {
  return std::string(MENSHEN_TEST_TMPDIR) + "/stream-" + std::to_string(::getpid()) + "-" + name;
}

std::shared_ptr<const Pack> LoadPack(const std::string& name, const std::string& terms,
                                     const std::string& regexes) {
  const std::string dir = PackDir(name);
  WritePack(dir, testing::Manifest(name, /*with_regexes=*/true),
            {{"terms.tsv", terms}, {"regexes.tsv", regexes}});
  absl::StatusOr<std::shared_ptr<const Pack>> pack = Pack::Load(dir);
  std::filesystem::remove_all(dir);
  EXPECT_TRUE(pack.ok()) << pack.status();
  return pack.ok() ? *pack : nullptr;
}

std::shared_ptr<const Engine> MakeEngine(EngineOptions options = {}) {
  absl::StatusOr<std::shared_ptr<const Engine>> engine =
      Engine::Create({LoadPack("s", kTerms, kRegexes)}, options);
  EXPECT_TRUE(engine.ok()) << engine.status();
  return engine.ok() ? *engine : nullptr;
}

// Lists every hit of a stream, so that long random texts compare hit by hit
// with block mode (the default cap is tested on its own).
EngineOptions AllHits(EngineOptions options = {}) {
  options.max_stream_hits = size_t{1} << 20;
  return options;
}

const std::shared_ptr<const Engine>& SharedEngine() {
  static const std::shared_ptr<const Engine> engine = MakeEngine(AllHits());
  return engine;
}

CheckRequest Output() {
  CheckRequest r;
  r.direction = Direction::kOutput;
  return r;
}

struct StreamRun {
  std::string released;
  Decision decision;
  bool cut = false;
  size_t cut_offset = 0;
  size_t max_held = 0;
};

// Feeds `text` in chunks of the given sizes (cycled) and finishes.
StreamRun RunStream(const Engine& engine, std::string_view text,
                    const std::vector<size_t>& sizes, const CheckRequest& request = Output()) {
  StreamRun run;
  absl::StatusOr<Stream> stream = engine.OpenStream(request);
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
  run.cut_offset = stream->cut_offset();
  run.max_held = stream->max_held_bytes();
  return run;
}

std::string Spans(const std::vector<Hit>& hits) {
  std::string out;
  for (const Hit& h : hits) {
    out += std::string(h.entry_id) + "@" + std::to_string(h.start) + "-" +
           std::to_string(h.end) + " ";
  }
  return out;
}

// The stream must agree with block mode on the whole text.
void ExpectLikeBlock(const Engine& engine, const std::string& text, const StreamRun& run,
                     const std::string& context) {
  absl::StatusOr<Decision> block = engine.Check(text, Direction::kOutput);
  ASSERT_TRUE(block.ok()) << block.status();
  if (!run.cut) {
    EXPECT_EQ(Spans(run.decision.hits), Spans(block->hits)) << context;
    EXPECT_EQ(run.decision.action, block->action) << context;
    EXPECT_EQ(run.decision.rule, block->rule) << context;
    EXPECT_EQ(run.decision.refusal, block->refusal) << context;
    EXPECT_EQ(run.released, block->masked) << context;
    EXPECT_EQ(run.decision.invalid_utf8, block->invalid_utf8) << context;
    return;
  }
  // Cut: what was released is a prefix of block mode's masked text, every
  // hit the stream confirmed is one of block mode's, and block mode refuses
  // too (it saw at least the hits the stream saw).
  EXPECT_EQ(block->masked.substr(0, run.released.size()), run.released) << context;
  EXPECT_TRUE(run.decision.action == Action::kRefuse || run.decision.action == Action::kBlock)
      << context;
  EXPECT_GE(static_cast<int>(block->action), static_cast<int>(Action::kRefuse)) << context;
  const std::string block_spans = Spans(block->hits);
  for (const Hit& h : run.decision.hits) {
    EXPECT_NE(block_spans.find(Spans({h})), std::string::npos) << context;
  }
  EXPECT_LE(run.cut_offset, text.size()) << context;
  EXPECT_FALSE(run.decision.refusal.empty()) << context;
}

// Pieces of random text: terms in evasive spellings, their look-alikes, and
// filler of every kind the fold treats specially.
std::string RandomText(std::mt19937& rng, bool allow_refusals, int max_pieces = 24) {
  static const std::vector<std::string> kPieces = {
      "fuck", "FUCK", "ｆｕｃｋ", "f" + Utf8(0x200B) + "uck", "fu" + Utf8(0x0441) + "k",
      "class", "ass", "assistant", " ass ", "操 你 妈", "操**你**妈", "傻逼", "傻 逼", "傻",
      "𠮷野家", "大麻烦", "13912345678", "139123456789", "x13912345678", "bob@mail.com",
      "abbbbc", "ab", "abbbbbbbbc", "abab", "你好", "世界", "，", "。", " ", "  ", "\n", "😀",
      "·", Utf8(0xFE0F), "\xff", "\xe4\xb8", "\xf0\x9f", "a", "b", "c", "1", "hello ",
      "ＡＢＣ", "é", "e\xcc\x81", "語", "賣", "淫", "         ", "- - - - -", "①"};
  static const std::vector<std::string> kRefused = {"大麻", "大 麻", "賣淫", "卖淫", "卖 淫"};
  std::string text;
  const int pieces = std::uniform_int_distribution<int>(0, max_pieces)(rng);
  for (int i = 0; i < pieces; ++i) {
    if (allow_refusals && std::uniform_int_distribution<int>(0, 30)(rng) == 0) {
      text += kRefused[std::uniform_int_distribution<size_t>(0, kRefused.size() - 1)(rng)];
    } else {
      text += kPieces[std::uniform_int_distribution<size_t>(0, kPieces.size() - 1)(rng)];
    }
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
      for (size_t& s : sizes) s = std::uniform_int_distribution<size_t>(1, 20)(rng);
      return sizes;
    }
  }
}

TEST(StreamProperty, AnyChunkingEqualsBlockMode) {
  const Engine& engine = *SharedEngine();
  std::mt19937 rng(20261125);
  int cuts = 0, masks = 0;
  for (int iteration = 0; iteration < 3000; ++iteration) {
    // Every tenth text is long enough for the stream to drop what it no
    // longer needs several times over.
    const std::string text =
        RandomText(rng, iteration % 3 == 0, iteration % 10 == 0 ? 1500 : 24);
    const std::vector<size_t> sizes = RandomChunking(rng);
    const StreamRun run = RunStream(engine, text, sizes);
    cuts += run.cut;
    masks += run.decision.action == Action::kMask;
    std::string context = "iteration " + std::to_string(iteration) + " text \"" + text +
                          "\" chunks";
    for (size_t s : sizes) context += " " + std::to_string(s);
    ExpectLikeBlock(engine, text, run, context);
    if (::testing::Test::HasFailure()) break;
  }
  // The generator exercises both outcomes.
  EXPECT_GT(cuts, 50);
  EXPECT_GT(masks, 500);
}

// The placeholder style merges touching spans into one placeholder, so the
// stream must not release between them.
TEST(StreamProperty, PlaceholderMaskingEqualsBlockMode) {
  std::string policy_text =
      testing::ReadAll(std::string(MENSHEN_SOURCE_DIR) + "/keyword_packs/policies/default.textproto");
  const size_t at = policy_text.find("style: CHARACTER");
  ASSERT_NE(at, std::string::npos);
  policy_text.replace(at, 16, "style: PLACEHOLDER");
  absl::StatusOr<std::shared_ptr<const Policy>> policy =
      Policy::Parse(policy_text, "placeholder.textproto");
  ASSERT_TRUE(policy.ok()) << policy.status();
  EngineOptions options = AllHits();
  options.policy = *policy;
  const std::shared_ptr<const Engine> engine = MakeEngine(options);
  std::mt19937 rng(99);
  for (int iteration = 0; iteration < 1500; ++iteration) {
    const std::string text = RandomText(rng, iteration % 3 == 0, iteration % 10 == 0 ? 600 : 24);
    const std::vector<size_t> sizes = RandomChunking(rng);
    const StreamRun run = RunStream(*engine, text, sizes);
    ExpectLikeBlock(*engine, text, run, "iteration " + std::to_string(iteration) + " \"" + text + "\"");
    if (::testing::Test::HasFailure()) break;
  }
  // Touching hits: one placeholder, however the text is cut.
  const StreamRun run = RunStream(*engine, "傻逼傻逼 ok", {1});
  EXPECT_EQ(run.released, "[已屏蔽] ok");
}

// The default packs: regexes with validators, whose rejections a stream
// counts as block mode does.
TEST(StreamProperty, DefaultPacksWithValidatorsEqualBlockMode) {
  absl::StatusOr<std::vector<std::shared_ptr<const Pack>>> packs = Pack::Defaults();
  ASSERT_TRUE(packs.ok()) << packs.status();
  absl::StatusOr<std::shared_ptr<const Engine>> engine = Engine::Create(*packs);
  ASSERT_TRUE(engine.ok()) << engine.status();
  static const std::vector<std::string> kPieces = {
      "13912345678", "1391234567890", "电话139 1234 5678", "订单号2024139123456789",
      "11010519491231002X", "110105194912310021", "6222021234567890123", "4111111111111111",
      "4111111111111112", "8.8.8.8", "192.168.1.1", "10.0.0.1", "bob@mail.com",
      "akiaiosfodnn7example", "AKIAIOSFODNN7EXAMPLE", "ignore all previous instructions",
      "忽略之前的所有指令", "傻逼", "fuck", "你好", " ", "，", "v1.2.3", "ISBN 978-7-111-12345-6",
      "\xff", "x", "2024-11-25 12:00:00", "400-810-8888", "(010)8888-6666"};
  std::mt19937 rng(5);
  for (int iteration = 0; iteration < 600; ++iteration) {
    std::string text;
    const int pieces = std::uniform_int_distribution<int>(1, 12)(rng);
    for (int i = 0; i < pieces; ++i) {
      text += kPieces[std::uniform_int_distribution<size_t>(0, kPieces.size() - 1)(rng)];
    }
    const StreamRun run = RunStream(**engine, text, RandomChunking(rng));
    const std::string context = "iteration " + std::to_string(iteration) + " \"" + text + "\"";
    ExpectLikeBlock(**engine, text, run, context);
    if (!run.cut) {
      const absl::StatusOr<Decision> block = (*engine)->Check(text, Direction::kOutput);
      ASSERT_TRUE(block.ok());
      EXPECT_EQ(run.decision.rejected_by_validators, block->rejected_by_validators) << context;
    }
    if (::testing::Test::HasFailure()) break;
  }
}

TEST(Stream, TermSplitAtEveryBytePosition) {
  const Engine& engine = *SharedEngine();
  for (const std::string text :
       {std::string("前文操你妈后文"), std::string("前 傻 逼 后"), std::string("say fuck now"),
        std::string("电话13912345678。"), std::string("x𠮷野家y")}) {
    const absl::StatusOr<Decision> block = engine.Check(text, Direction::kOutput);
    ASSERT_TRUE(block.ok());
    ASSERT_FALSE(block->hits.empty()) << text;
    for (size_t split = 0; split <= text.size(); ++split) {
      StreamRun run;
      auto stream = engine.OpenStream(Output());
      ASSERT_TRUE(stream.ok());
      ASSERT_TRUE(stream->Feed(std::string_view(text).substr(0, split), &run.released).ok());
      ASSERT_TRUE(stream->Feed(std::string_view(text).substr(split), &run.released).ok());
      ASSERT_TRUE(stream->Finish(&run.released).ok());
      EXPECT_EQ(run.released, block->masked) << text << " split at " << split;
      EXPECT_EQ(Spans(stream->decision().hits), Spans(block->hits)) << text << " " << split;
    }
  }
}

// A block-only engine (EngineOptions::streams false) checks as any other
// and refuses streams with a clear error instead of building them late.
TEST(Stream, BlockOnlyEngineRefusesStreams) {
  EngineOptions options;
  options.streams = false;
  std::shared_ptr<const Engine> engine = MakeEngine(options);
  ASSERT_NE(engine, nullptr);
  const absl::StatusOr<Decision> block = engine->Check("前文操你妈后文", Direction::kOutput);
  ASSERT_TRUE(block.ok());
  const absl::StatusOr<Decision> streaming_engine =
      SharedEngine()->Check("前文操你妈后文", Direction::kOutput);
  ASSERT_TRUE(streaming_engine.ok());
  EXPECT_EQ(Spans(block->hits), Spans(streaming_engine->hits));
  EXPECT_EQ(block->masked, streaming_engine->masked);
  auto stream = engine->OpenStream(Output());
  ASSERT_FALSE(stream.ok());
  EXPECT_EQ(stream.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(stream.status().message().find("block checks only"), std::string::npos);
}

TEST(Stream, Utf8CharacterSplitAcrossChunks) {
  const Engine& engine = *SharedEngine();
  // 𠮷 is four bytes; fed one byte per call it is still one character.
  const StreamRun run = RunStream(engine, "𠮷野家", {1});
  ASSERT_EQ(run.decision.hits.size(), 1u);
  EXPECT_EQ(run.decision.hits[0].start, 0u);
  EXPECT_EQ(run.decision.hits[0].end, 10u);
  EXPECT_EQ(run.decision.invalid_utf8, 0u);
  // A sequence cut by the end of the stream is one invalid sequence.
  const StreamRun cut = RunStream(engine, "ok\xe4\xb8", {1});
  EXPECT_EQ(cut.decision.invalid_utf8, 1u);
  EXPECT_EQ(cut.released, "ok\xe4\xb8");
}

TEST(Stream, SeparatorsInTheirOwnChunk) {
  const Engine& engine = *SharedEngine();
  auto stream = engine.OpenStream(Output());
  ASSERT_TRUE(stream.ok());
  std::string released;
  for (std::string_view chunk : {"傻", " ", "*", "·", "逼", "!"}) {
    ASSERT_TRUE(stream->Feed(chunk, &released).ok());
  }
  ASSERT_TRUE(stream->Finish(&released).ok());
  // 傻逼 across the separators, and 傻 (`exact`) on its own.
  ASSERT_EQ(stream->decision().hits.size(), 2u);
  EXPECT_EQ(stream->decision().hits[1].start, 0u);
  EXPECT_EQ(stream->decision().hits[1].end, std::string("傻 *·逼").size());
  EXPECT_EQ(released, "*****!");
}

TEST(Stream, ReleasesTextThatNoPatternCanReach) {
  const Engine& engine = *SharedEngine();
  auto stream = engine.OpenStream(Output());
  ASSERT_TRUE(stream.ok());
  std::string released;
  const std::string clean(200, 'x');
  ASSERT_TRUE(stream->Feed(clean, &released).ok());
  // Only the tail a pattern could still start in is held back.
  EXPECT_GT(released.size(), 150u);
  EXPECT_EQ(released, clean.substr(0, released.size()));
  const absl::StatusOr<size_t> bound = engine.stream_holdback_bytes();
  ASSERT_TRUE(bound.ok());
  EXPECT_LE(stream->bytes_fed() - stream->bytes_released(), *bound);
}

TEST(Stream, CutInTheMiddleOfAChunk) {
  const Engine& engine = *SharedEngine();
  auto stream = engine.OpenStream(Output());
  ASSERT_TRUE(stream.ok());
  std::string released;
  const std::string text = "开头一段话，然后大麻然后更多的文字" + std::string(100, '.');
  ASSERT_TRUE(stream->Feed(text, &released).ok());
  EXPECT_TRUE(stream->cut());
  const size_t at = text.find("大麻");
  EXPECT_EQ(stream->cut_offset(), at);
  EXPECT_EQ(released, text.substr(0, at));
  EXPECT_EQ(stream->decision().action, Action::kRefuse);
  EXPECT_FALSE(stream->decision().refusal.empty());
  EXPECT_FALSE(stream->decision().label.empty());  // output: the policy's label
  // Nothing more is released after the cut, and Finish adds nothing.
  ASSERT_TRUE(stream->Feed("more text", &released).ok());
  ASSERT_TRUE(stream->Finish(&released).ok());
  EXPECT_EQ(released, text.substr(0, at));
}

TEST(Stream, ForkFollowsItsOwnContinuation) {
  const Engine& engine = *SharedEngine();
  auto parent = engine.OpenStream(Output());
  ASSERT_TRUE(parent.ok());
  std::string parent_out, fork_out;
  ASSERT_TRUE(parent->Feed("hello 操你", &parent_out).ok());
  auto fork = parent->Fork();
  ASSERT_TRUE(fork.ok()) << fork.status();
  fork_out = parent_out;
  auto same = parent->Fork();
  ASSERT_TRUE(same.ok());
  std::string same_out = parent_out;

  ASSERT_TRUE(parent->Feed("妈 bye", &parent_out).ok());
  ASSERT_TRUE(parent->Finish(&parent_out).ok());
  ASSERT_TRUE(fork->Feed("们好 bye", &fork_out).ok());
  ASSERT_TRUE(fork->Finish(&fork_out).ok());
  ASSERT_TRUE(same->Feed("妈 bye", &same_out).ok());
  ASSERT_TRUE(same->Finish(&same_out).ok());

  EXPECT_EQ(parent_out, "hello *** bye");
  EXPECT_EQ(parent->decision().action, Action::kMask);
  EXPECT_EQ(fork_out, "hello 操你们好 bye");
  EXPECT_EQ(fork->decision().action, Action::kAllow);
  EXPECT_EQ(same_out, parent_out);
  EXPECT_EQ(Spans(same->decision().hits), Spans(parent->decision().hits));
}

TEST(Stream, ForkAfterPropertyChunks) {
  // Fork at random points of random texts: the fork fed the rest ends like
  // a stream fed everything.
  const Engine& engine = *SharedEngine();
  std::mt19937 rng(7);
  for (int i = 0; i < 300; ++i) {
    const std::string text = RandomText(rng, true);
    const size_t split = std::uniform_int_distribution<size_t>(0, text.size())(rng);
    auto parent = engine.OpenStream(Output());
    ASSERT_TRUE(parent.ok());
    std::string out;
    ASSERT_TRUE(parent->Feed(std::string_view(text).substr(0, split), &out).ok());
    auto fork = parent->Fork();
    ASSERT_TRUE(fork.ok());
    std::string fork_out = out;
    ASSERT_TRUE(fork->Feed(std::string_view(text).substr(split), &fork_out).ok());
    ASSERT_TRUE(fork->Finish(&fork_out).ok());
    { Stream gone = *std::move(parent); }  // the fork outlives its parent
    StreamRun run;
    run.released = fork_out;
    run.decision = fork->decision();
    run.cut = fork->cut();
    run.cut_offset = fork->cut_offset();
    ExpectLikeBlock(engine, text, run, text);
  }
}

// The refusal's language comes from the first 64 KiB, in both modes; a long
// stream keeps no more than its hold-back.
TEST(Stream, LongStreamRefusesInTheLanguageOfItsStart) {
  const Engine& engine = *SharedEngine();
  const std::string text = std::string(70 << 10, 'a') + " 这是大麻，全是中文" + std::string(100, ' ');
  const absl::StatusOr<Decision> block = engine.Check(text, Direction::kOutput);
  ASSERT_TRUE(block.ok());
  const StreamRun run = RunStream(engine, text, {4096});
  EXPECT_TRUE(run.cut);
  EXPECT_EQ(run.decision.refusal, block->refusal);
  EXPECT_EQ(block->refusal.find("抱歉"), std::string::npos) << block->refusal;
  EXPECT_LT(run.max_held, size_t{8} << 10);
}

TEST(Stream, FeedAfterFinishIsAnError) {
  auto stream = SharedEngine()->OpenStream(Output());
  ASSERT_TRUE(stream.ok());
  std::string out;
  ASSERT_TRUE(stream->Finish(&out).ok());
  EXPECT_EQ(stream->Feed("x", &out).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(stream->Finish(&out).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(stream->finished());
}

TEST(Stream, UnknownProfileIsAnError) {
  CheckRequest request = Output();
  request.profile = "nope";
  EXPECT_EQ(SharedEngine()->OpenStream(request).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(Stream, UnboundedRegexCannotStream) {
  absl::StatusOr<std::shared_ptr<const Engine>> engine =
      Engine::Create({LoadPack("unbounded", "x\tA4.3\t1\n", "a+b\tX1\t2\n")});
  ASSERT_TRUE(engine.ok());
  // Block mode is fine with it; streams are refused with a clear message.
  EXPECT_TRUE((*engine)->Check("aaab", Direction::kInput).ok());
  const absl::Status status = (*engine)->OpenStream(Output()).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(status.message().find("regexes.tsv:1"), std::string::npos) << status;
  EXPECT_NE(status.message().find("unbounded"), std::string::npos) << status;
  EXPECT_FALSE((*engine)->stream_holdback_bytes().ok());
}

TEST(Stream, InputLimitCutsTheStream) {
  EngineOptions options;
  options.max_input_bytes = 100;
  std::shared_ptr<const Engine> engine = MakeEngine(options);
  auto stream = engine->OpenStream(Output());
  ASSERT_TRUE(stream.ok());
  std::string out;
  ASSERT_TRUE(stream->Feed(std::string(60, 'x'), &out).ok());
  EXPECT_EQ(stream->Feed(std::string(60, 'x'), &out).code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(stream->cut());
  EXPECT_LE(out.size(), 60u);
  // Fails closed: BLOCK, and the decision says why.
  EXPECT_EQ(stream->decision().action, Action::kBlock);
  EXPECT_EQ(stream->decision().rule, "default/stream-limit");
  EXPECT_EQ(stream->decision().cut_reason, "max_input_bytes");
  EXPECT_FALSE(stream->decision().refusal.empty());
}

TEST(Stream, HoldBackLimitCutsTheStream) {
  EngineOptions options;
  options.max_stream_holdback_bytes = 1000;
  std::shared_ptr<const Engine> engine = MakeEngine(options);
  auto stream = engine->OpenStream(Output());
  ASSERT_TRUE(stream.ok());
  std::string out;
  // Ignorables inside a possible term fold to nothing, so the stream cannot
  // release them until the term is decided.
  absl::Status status = stream->Feed("f", &out);
  std::string zwsp;
  for (int i = 0; i < 400; ++i) zwsp += Utf8(0x200B);
  for (int i = 0; i < 5 && status.ok(); ++i) status = stream->Feed(zwsp, &out);
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
  EXPECT_NE(status.message().find("max_stream_holdback_bytes"), std::string::npos);
  EXPECT_TRUE(stream->cut());
  EXPECT_EQ(stream->decision().action, Action::kBlock);
  EXPECT_EQ(stream->decision().cut_reason, "max_stream_holdback_bytes");
}

// Issue 18: 冰 + 100 KB of zero-width spaces + 毒 is REFUSE as a block
// check; as a stream it cannot be decided within the hold-back limit, and the
// cut fails closed in the decision and in the audit record, never ALLOW.
TEST(StreamLimits, ZeroWidthRunIsCutClosed) {
  absl::StatusOr<std::vector<std::shared_ptr<const Pack>>> packs = Pack::Defaults();
  ASSERT_TRUE(packs.ok());
  std::vector<audit::AuditRecord> records;
  EngineOptions options;
  options.audit_hook = [&records](const audit::AuditRecord& r) { records.push_back(r); };
  absl::StatusOr<std::shared_ptr<const Engine>> engine = Engine::Create(*packs, options);
  ASSERT_TRUE(engine.ok());
  std::string text = "出售冰";  // a trade phrase: refused, where a bare drug name is flagged
  while (text.size() < 100000) text += Utf8(0x200B);
  text += "毒";
  const absl::StatusOr<Decision> block = (*engine)->Check(text, Direction::kOutput);
  ASSERT_TRUE(block.ok());
  EXPECT_EQ(block->action, Action::kBlock);  // severity 4 in an answer is cut
  records.clear();
  auto stream = (*engine)->OpenStream(Output());
  ASSERT_TRUE(stream.ok());
  std::string out;
  absl::Status status;
  for (size_t pos = 0; pos < text.size() && status.ok(); pos += 16) {
    status = stream->Feed(std::string_view(text).substr(pos, 16), &out);
  }
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  ASSERT_TRUE(stream->Finish(&out).ok());
  const Decision& d = stream->decision();
  EXPECT_TRUE(stream->cut());
  EXPECT_EQ(d.action, Action::kBlock);
  EXPECT_EQ(d.rule, "default/stream-limit");
  EXPECT_EQ(d.cut_reason, "max_stream_holdback_bytes");
  EXPECT_FALSE(d.refusal.empty());
  EXPECT_EQ(out.find("冰"), std::string::npos);  // the possible term is never released
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].action(), "BLOCK");
  EXPECT_EQ(records[0].rule(), "default/stream-limit");
  EXPECT_EQ(records[0].cut_reason(), "max_stream_holdback_bytes");
}

TEST(StreamLimits, PolicyChoosesTheLimitAction) {
  std::string policy_text =
      testing::ReadAll(std::string(MENSHEN_SOURCE_DIR) + "/keyword_packs/policies/default.textproto");
  absl::StatusOr<std::shared_ptr<const Policy>> refuse =
      Policy::Parse(policy_text + "\nstream_limit_action: REFUSE\n", "refuse.textproto");
  ASSERT_TRUE(refuse.ok()) << refuse.status();
  EngineOptions options;
  options.policy = *refuse;
  options.max_input_bytes = 10;
  std::shared_ptr<const Engine> engine = MakeEngine(options);
  auto stream = engine->OpenStream(Output());
  ASSERT_TRUE(stream.ok());
  std::string out;
  EXPECT_FALSE(stream->Feed(std::string(20, 'x'), &out).ok());
  EXPECT_EQ(stream->decision().action, Action::kRefuse);
  EXPECT_EQ(stream->decision().cut_reason, "max_input_bytes");
  // Anything weaker than REFUSE would let unchecked text pass: not a policy.
  for (const char* weak : {"ALLOW", "FLAG", "MASK"}) {
    absl::StatusOr<std::shared_ptr<const Policy>> bad = Policy::Parse(
        policy_text + "\nstream_limit_action: " + weak + "\n", "weak.textproto");
    ASSERT_FALSE(bad.ok()) << weak;
    EXPECT_NE(bad.status().message().find("stream_limit_action"), std::string::npos);
  }
}

// Random texts and chunkings with small limits: whenever a limit cuts a
// stream, its decision and audit record are REFUSE or BLOCK with the reason.
TEST(StreamLimits, NoLimitCutIsEverAllow) {
  std::vector<audit::AuditRecord> records;
  EngineOptions options = AllHits();
  options.max_stream_holdback_bytes = 40;
  options.max_input_bytes = 600;
  options.audit_hook = [&records](const audit::AuditRecord& r) { records.push_back(r); };
  std::shared_ptr<const Engine> engine = MakeEngine(options);
  std::mt19937 rng(18);
  int cuts = 0;
  for (int i = 0; i < 1500; ++i) {
    records.clear();
    std::string text = RandomText(rng, false, 60);
    if (i % 5 == 0) {
      for (int k = 0; k < 30; ++k) text.insert(text.size() / 2, Utf8(0x200B));
    }
    auto stream = engine->OpenStream(Output());
    ASSERT_TRUE(stream.ok());
    std::string out;
    const std::vector<size_t> sizes = RandomChunking(rng);
    for (size_t pos = 0, k = 0; pos < text.size(); ++k) {
      const size_t n = std::min(sizes[k % sizes.size()], text.size() - pos);
      const absl::Status s = stream->Feed(std::string_view(text).substr(pos, n), &out);
      ASSERT_TRUE(s.ok() || s.code() == absl::StatusCode::kResourceExhausted) << s;
      pos += n;
    }
    ASSERT_TRUE(stream->Finish(&out).ok());
    const Decision& d = stream->decision();
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0].action(), std::string(ActionName(d.action)));
    EXPECT_EQ(records[0].cut_reason(), d.cut_reason);
    if (!d.cut_reason.empty()) {
      ++cuts;
      EXPECT_TRUE(stream->cut());
      EXPECT_GE(static_cast<int>(d.action), static_cast<int>(Action::kRefuse)) << text;
      EXPECT_EQ(d.rule, "default/stream-limit");
    }
    if (::testing::Test::HasFailure()) break;
  }
  EXPECT_GT(cuts, 100);
}

// Dense hits: the decision lists at most max_stream_hits (the most severe)
// and counts the rest; the action is decided on all of them.
TEST(StreamHits, CapKeepsTheMostSevereAndCountsTheRest) {
  EngineOptions options;
  options.max_stream_hits = 8;
  std::vector<audit::AuditRecord> records;
  options.audit_hook = [&records](const audit::AuditRecord& r) { records.push_back(r); };
  std::shared_ptr<const Engine> engine = MakeEngine(options);
  std::string text;
  for (int i = 0; i < 40; ++i) text += "ab ";  // severity 1 each (A4.3)
  text += "傻逼 ";                             // severity 2
  for (int i = 0; i < 10; ++i) text += "ab ";
  const absl::StatusOr<Decision> block = engine->Check(text, Direction::kOutput);
  ASSERT_TRUE(block.ok());
  ASSERT_EQ(block->hits.size(), 52u);  // 傻逼 is also 傻 (`exact`, severity 1)
  for (const std::vector<size_t>& sizes : {std::vector<size_t>{1}, {16}, {1u << 20}}) {
    records.clear();
    const StreamRun run = RunStream(*engine, text, sizes);
    EXPECT_EQ(run.released, block->masked);
    EXPECT_EQ(run.decision.action, block->action);
    EXPECT_EQ(run.decision.rule, block->rule);
    ASSERT_EQ(run.decision.hits.size(), 8u);
    EXPECT_EQ(run.decision.hits_not_kept, 44u);
    EXPECT_TRUE(std::is_sorted(run.decision.hits.begin(), run.decision.hits.end(),
                               [](const Hit& a, const Hit& b) { return a.start < b.start; }));
    EXPECT_TRUE(std::any_of(run.decision.hits.begin(), run.decision.hits.end(),
                            [](const Hit& h) { return h.severity == 2; }));
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0].hits_size(), 8);
    EXPECT_EQ(records[0].hits_not_kept(), 44u);
  }
}

TEST(Stream, AuditRecordOncePerStream) {
  std::vector<audit::AuditRecord> records;
  EngineOptions options;
  options.audit_hook = [&records](const audit::AuditRecord& r) { records.push_back(r); };
  std::shared_ptr<const Engine> engine = MakeEngine(options);
  CheckRequest request = Output();
  request.request_id = "req-1";
  {
    auto stream = engine->OpenStream(request);
    ASSERT_TRUE(stream.ok());
    std::string out;
    ASSERT_TRUE(stream->Feed("hello 傻", &out).ok());
    EXPECT_TRUE(records.empty());
    ASSERT_TRUE(stream->Feed("逼 world", &out).ok());
    ASSERT_TRUE(stream->Finish(&out).ok());
  }
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].request_id(), "req-1");
  EXPECT_EQ(records[0].action(), "MASK");
  EXPECT_EQ(records[0].input_length(), std::string("hello 傻逼 world").size());
  Decision block;
  ASSERT_TRUE(engine->Check("hello 傻逼 world", request, &block).ok());
  ASSERT_EQ(records.size(), 2u);  // the block check's own record
  EXPECT_EQ(records[0].input_sha256(), records[1].input_sha256());
  EXPECT_EQ(records[0].hits_size(), records[1].hits_size());

  // A cut stream reports when it is cut.
  records.clear();
  auto stream = engine->OpenStream(request);
  ASSERT_TRUE(stream.ok());
  std::string out;
  ASSERT_TRUE(stream->Feed("这是大麻" + std::string(100, ' '), &out).ok());
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].action(), "REFUSE");
  // An abandoned stream (neither finished nor cut) reports nothing.
  records.clear();
  { auto abandoned = engine->OpenStream(request); }
  EXPECT_TRUE(records.empty());
}

TEST(Stream, MemoryPerStreamIsSmallAndStreamsArePooled) {
  const Engine& engine = *SharedEngine();
  std::mt19937 rng(3);
  size_t most = 0;
  for (int i = 0; i < 50; ++i) {
    auto stream = engine.OpenStream(Output());
    ASSERT_TRUE(stream.ok());
    std::string out;
    const std::string text = RandomText(rng, false);
    for (size_t pos = 0; pos < text.size(); pos += 16) {
      ASSERT_TRUE(stream->Feed(std::string_view(text).substr(pos, 16), &out).ok());
    }
    most = std::max(most, stream->memory_bytes());
  }
  EXPECT_LT(most, size_t{64} << 10);
}

// Ordinary completions: prose with now and then a hit.
std::string Prose(std::mt19937& rng, size_t bytes) {
  static const std::vector<std::string> kSentences = {
      "今天天气很好，我们一起去公园散步吧。", "这个问题可以从三个方面来分析。",
      "The quick brown fox jumps over the lazy dog. ", "首先，我们需要了解基本的概念和原理。",
      "Please find the summary of the report below. ", "联系电话13912345678，欢迎咨询。",
      "他说这件事真是傻逼透了。", "In short, the results are encouraging. "};
  std::string text;
  while (text.size() < bytes) {
    text += kSentences[std::uniform_int_distribution<size_t>(0, kSentences.size() - 1)(rng)];
  }
  return text;
}

size_t MemoryWithoutListedHits(const Stream& stream) {
  return stream.memory_bytes() - stream.decision().hits.capacity() * sizeof(Hit);
}

// Issue 18: a stream holds about what its hold-back needs: at most 4 KB
// between chunks of ordinary text with the default packs (plus sizeof(Hit)
// per hit its decision lists), and a large chunk does not pin memory. About
// 3.6 KB is used: the Hyperscan stream state (286 bytes), the held text and its
// folded window with two offsets a byte, and the open candidate groups.
constexpr size_t kSteadyStreamBytes = 4096;
// The intent packs' rules add state per part that occurred (lib/match/rules.h:
// a few occurrences of each): see StreamMemory.RulesKeepBoundedState.
std::vector<std::shared_ptr<const Pack>> DefaultsWithoutRules() {
  absl::StatusOr<std::vector<std::shared_ptr<const Pack>>> packs = Pack::Defaults();
  EXPECT_TRUE(packs.ok());
  std::vector<std::shared_ptr<const Pack>> out;
  if (!packs.ok()) return out;
  for (const auto& p : *packs) {
    if (p->info().rule_count == 0) out.push_back(p);
  }
  return out;
}

TEST(StreamMemory, SteadyStreamsStayUnder4KB) {
  absl::StatusOr<std::shared_ptr<const Engine>> engine = Engine::Create(DefaultsWithoutRules());
  ASSERT_TRUE(engine.ok());
  std::mt19937 rng(4);
  for (size_t chunk : {1, 7, 16, 64, 300}) {
    size_t most = 0;
    for (int i = 0; i < 20; ++i) {
      auto stream = (*engine)->OpenStream(Output());
      ASSERT_TRUE(stream.ok());
      std::string out;
      const std::string text = Prose(rng, 2048);
      for (size_t pos = 0; pos < text.size(); pos += chunk) {
        ASSERT_TRUE(stream->Feed(std::string_view(text).substr(pos, chunk), &out).ok());
        most = std::max(most, MemoryWithoutListedHits(*stream));
      }
    }
    EXPECT_LE(most, kSteadyStreamBytes) << chunk << "-byte chunks";
  }
}

TEST(StreamMemory, ShrinksBackAfterALargeChunk) {
  absl::StatusOr<std::shared_ptr<const Engine>> engine = Engine::Create(DefaultsWithoutRules());
  ASSERT_TRUE(engine.ok());
  std::mt19937 rng(5);
  auto stream = (*engine)->OpenStream(Output());
  ASSERT_TRUE(stream.ok());
  std::string out;
  const std::string big = Prose(rng, 256 << 10);
  ASSERT_TRUE(stream->Feed(big, &out).ok());
  // Only the hold-back is left of 256 KiB (~19 bytes a byte before).
  EXPECT_LE(MemoryWithoutListedHits(*stream), kSteadyStreamBytes);
  const std::string small = Prose(rng, 4096);
  for (size_t pos = 0; pos < small.size(); pos += 16) {
    ASSERT_TRUE(stream->Feed(std::string_view(small).substr(pos, 16), &out).ok());
  }
  EXPECT_LE(MemoryWithoutListedHits(*stream), kSteadyStreamBytes);
  ASSERT_TRUE(stream->Finish(&out).ok());
  EXPECT_EQ(stream->decision().hits.size(), 256u);  // the cap: dense hits are counted
  EXPECT_GT(stream->decision().hits_not_kept, 0u);
}

// Issue 22: with every default pack, rules included, a stream's state is
// what the hold-back needs plus at most a few occurrences per rule part that
// occurred (bounded by the packs, not by the stream's length): it does not
// grow as ordinary text goes on, and a large chunk does not pin memory.
TEST(StreamMemory, RulesKeepBoundedState) {
  absl::StatusOr<std::vector<std::shared_ptr<const Pack>>> packs = Pack::Defaults();
  ASSERT_TRUE(packs.ok());
  absl::StatusOr<std::shared_ptr<const Engine>> engine = Engine::Create(*packs);
  ASSERT_TRUE(engine.ok());
  std::mt19937 rng(6);
  auto stream = (*engine)->OpenStream(Output());
  ASSERT_TRUE(stream.ok());
  std::string out;
  const std::string big = Prose(rng, 256 << 10);
  ASSERT_TRUE(stream->Feed(big, &out).ok());
  const size_t after_big = MemoryWithoutListedHits(*stream);
  EXPECT_LE(after_big, 32u << 10);
  const std::string more = Prose(rng, 64 << 10);
  for (size_t pos = 0; pos < more.size(); pos += 16) {
    ASSERT_TRUE(stream->Feed(std::string_view(more).substr(pos, 16), &out).ok());
  }
  EXPECT_LE(MemoryWithoutListedHits(*stream), 32u << 10);
  ASSERT_TRUE(stream->Finish(&out).ok());
}

TEST(StreamConcurrency, ThreadsStreamOnOneEngine) {
  const std::shared_ptr<const Engine> engine = SharedEngine();
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(100 + t);
      for (int i = 0; i < 100; ++i) {
        const std::string text = RandomText(rng, false);
        const StreamRun run = RunStream(*engine, text, {static_cast<size_t>(1 + t * 5)});
        const absl::StatusOr<Decision> block = engine->Check(text, Direction::kOutput);
        if (!block.ok() || (!run.cut && run.released != block->masked)) ++mismatches;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
}

// Issue 18: streams open on whatever snapshot is current while another
// thread reloads without pause; the reloading thread builds the streaming
// databases, so a stream never finds them missing (and never compiles).
TEST(StreamConcurrency, StreamsDuringReloads) {
  EngineSlot slot(MakeEngine(AllHits()));
  std::atomic<bool> stop{false};
  std::atomic<int> mismatches{0}, streams{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(300 + t);
      while (!stop.load()) {
        const std::shared_ptr<const Engine> engine = slot.Get();
        const std::string text = RandomText(rng, false);
        const StreamRun run = RunStream(*engine, text, {static_cast<size_t>(1 + t * 7)});
        const absl::StatusOr<Decision> block = engine->Check(text, Direction::kOutput);
        if (!block.ok() || (!run.cut && run.released != block->masked)) ++mismatches;
        ++streams;
      }
    });
  }
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(slot.Reload({LoadPack("reload", kTerms, kRegexes)}, AllHits()).ok());
    // Each new snapshot streams at once: its databases came with it.
    EXPECT_TRUE(slot.Get()->stream_holdback_bytes().ok());
  }
  while (streams.load() < 50) std::this_thread::yield();
  stop = true;
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
}  // namespace menshen
