// The engine end to end: spans in original bytes, several packs, flags,
// built-in policy, limits, and reload under concurrent scanning.
#include <atomic>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "menshen/engine.h"
#include "tests/test_util.h"

namespace menshen {
namespace {

using ::menshen::testing::Manifest;
using ::menshen::testing::TempDir;
using ::menshen::testing::WritePack;

std::shared_ptr<const Pack> MakePack(const TempDir& dir, const std::string& name,
                                     const std::string& terms, const std::string& regexes = "") {
  const std::string path = dir / name;
  std::map<std::string, std::string> files = {{"terms.tsv", terms}};
  if (!regexes.empty()) files["regexes.tsv"] = regexes;
  WritePack(path, Manifest(name, !regexes.empty()), files);
  absl::StatusOr<std::shared_ptr<const Pack>> pack = Pack::Load(path);
  EXPECT_TRUE(pack.ok()) << pack.status();
  return pack.ok() ? *pack : nullptr;
}

std::shared_ptr<const Engine> MakeEngine(std::vector<std::shared_ptr<const Pack>> packs,
                                         EngineOptions options = {}) {
  absl::StatusOr<std::shared_ptr<const Engine>> engine = Engine::Create(std::move(packs), options);
  EXPECT_TRUE(engine.ok()) << engine.status();
  return engine.ok() ? *engine : nullptr;
}

// The text each hit covers, in order.
std::vector<std::string> Covered(std::string_view text, const Decision& d) {
  std::vector<std::string> out;
  for (const Hit& h : d.hits) out.emplace_back(text.substr(h.start, h.end - h.start));
  return out;
}

class EngineTest : public ::testing::Test {
 protected:
  TempDir dir_;
};

TEST_F(EngineTest, LiteralAndRegexSpansAreOriginalBytes) {
  auto pack = MakePack(dir_, "p", "冰毒\tA1.8\t3\nfuck\tA4.3\t2\tword\n", "1[3-9]\\d{9}\tX1\t2\tword\n");
  auto engine = MakeEngine({pack});
  const std::string text = "价格：冰毒 call 13812345678 now, FUCK!";
  absl::StatusOr<Decision> d = engine->Check(text, Direction::kInput);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_THAT(Covered(text, *d), ::testing::ElementsAre("冰毒", "13812345678", "FUCK"));
  EXPECT_EQ(d->hits[0].start, std::string("价格：").size());
  EXPECT_EQ(d->hits[0].category, "A1.8");
  EXPECT_EQ(d->hits[0].severity, 3);
  EXPECT_EQ(d->hits[0].term, "冰毒");
  EXPECT_EQ(d->hits[0].pack, "p");
  EXPECT_THAT(std::string(d->hits[0].entry_id), ::testing::StartsWith("p:"));
  EXPECT_TRUE(d->hits[1].regex);
  EXPECT_EQ(d->hits[1].category, "X1");
  EXPECT_EQ(d->action, Action::kRefuse);
  EXPECT_EQ(d->masked, "价格：** call *********** now, ****!");
  EXPECT_FALSE(d->refusal.empty());
}

TEST_F(EngineTest, SeveralPacksAtOnce) {
  auto a = MakePack(dir_, "alpha", "冰毒\tA1.8\t3\n");
  auto b = MakePack(dir_, "beta", "冰毒\tA1.8\t2\n赌博\tA1.8\t2\n");
  auto engine = MakeEngine({a, b});
  absl::StatusOr<Decision> d = engine->Check("冰毒和赌博", Direction::kOutput);
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->hits.size(), 3u);
  std::set<std::string_view> packs;
  for (const Hit& h : d->hits) packs.insert(h.pack);
  EXPECT_THAT(packs, ::testing::ElementsAre("alpha", "beta"));
  EXPECT_EQ(d->hits[0].start, 0u);
  EXPECT_EQ(d->hits[1].start, 0u);
  EXPECT_EQ(d->hits[2].start, std::string("冰毒和").size());

  absl::StatusOr<std::shared_ptr<const Engine>> dup = Engine::Create({a, a});
  EXPECT_FALSE(dup.ok());
  EXPECT_FALSE(Engine::Create({}).ok());
}

TEST_F(EngineTest, WordBoundariesAndAllowlist) {
  auto pack = MakePack(dir_, "p",
                       "ass\tA4.3\t2\tword\ncunt\tA4.3\t2\tword\n大麻\tA1.8\t3\n大麻烦\t\t\tallow\n");
  auto engine = MakeEngine({pack});
  for (const char* clean : {"class", "bass", "assistant", "Scunthorpe", "这真是个大麻烦"}) {
    absl::StatusOr<Decision> d = engine->Check(clean, Direction::kInput);
    ASSERT_TRUE(d.ok());
    EXPECT_TRUE(d->hits.empty()) << clean;
    EXPECT_EQ(d->action, Action::kAllow) << clean;
  }
  for (const char* dirty : {"you ass", "ass!", "买大麻", "大麻烦和大麻"}) {
    absl::StatusOr<Decision> d = engine->Check(dirty, Direction::kInput);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->hits.size(), 1u) << dirty;
    EXPECT_NE(d->action, Action::kAllow) << dirty;
  }
  absl::StatusOr<Decision> d = engine->Check("大麻烦和大麻", Direction::kInput);
  EXPECT_EQ(d->hits[0].start, std::string("大麻烦和").size());
}

TEST_F(EngineTest, RegexMatchesMergeIntoOneSpan) {
  auto pack = MakePack(dir_, "p", "placeholder\n", "[a-z0-9.]+@[a-z0-9]+\\.[a-z]{2,6}\tX1\t2\n");
  auto engine = MakeEngine({pack});
  const std::string text = "mail a.b@example.com today";
  absl::StatusOr<Decision> d = engine->Check(text, Direction::kOutput);
  ASSERT_TRUE(d.ok());
  EXPECT_THAT(Covered(text, *d), ::testing::ElementsAre("a.b@example.com"));
}

TEST_F(EngineTest, InvalidUtf8IsCountedAndOffsetsHold) {
  auto pack = MakePack(dir_, "p", "冰毒\tA1.8\t3\n");
  auto engine = MakeEngine({pack});
  const std::string text = "\xff\xfe冰毒\xe4\xb8";  // bad start, truncated end
  absl::StatusOr<Decision> d = engine->Check(text, Direction::kInput);
  ASSERT_TRUE(d.ok());
  EXPECT_THAT(Covered(text, *d), ::testing::ElementsAre("冰毒"));
  EXPECT_GE(d->invalid_utf8, 2u);
  EXPECT_EQ(d->masked.size(), text.size() - 6 + 2);
}

// Short texts are folded without offsets first and again with them when
// there are candidates; long ones once with offsets. Both must map alike.
TEST_F(EngineTest, SpansAgreeForShortAndLongTexts) {
  auto engine = MakeEngine({MakePack(dir_, "p", "冰毒\tA1.8\t3\nfuck\tA4.3\t2\tword\n")});
  for (size_t filler : {size_t{0}, size_t{1000}, size_t{70000}, size_t{200000}}) {
    std::string text;
    for (size_t i = 0; i < filler; ++i) text += i % 7 ? "好" : "， ";
    const size_t first = text.size();
    text += "冰 毒 and FUCK";
    absl::StatusOr<Decision> d = engine->Check(text, Direction::kInput);
    ASSERT_TRUE(d.ok());
    ASSERT_EQ(d->hits.size(), 2u) << filler;
    EXPECT_EQ(d->hits[0].start, first) << filler;
    EXPECT_EQ(text.substr(d->hits[0].start, d->hits[0].end - d->hits[0].start), "冰 毒");
    EXPECT_EQ(text.substr(d->hits[1].start, d->hits[1].end - d->hits[1].start), "FUCK");
  }
}

TEST_F(EngineTest, OversizedInputIsRefusedWithAnError) {
  auto pack = MakePack(dir_, "p", "冰毒\tA1.8\t3\n");
  EngineOptions options;
  options.max_input_bytes = 16;
  auto engine = MakeEngine({pack}, options);
  EXPECT_TRUE(engine->Check(std::string(16, 'a'), Direction::kInput).ok());
  absl::StatusOr<Decision> d = engine->Check(std::string(17, 'a'), Direction::kInput);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kResourceExhausted);
}

TEST_F(EngineTest, DecisionKeepsItsEngineAlive) {
  Decision d;
  {
    auto engine = MakeEngine({MakePack(dir_, "p", "冰毒\tA1.8\t3\n")});
    ASSERT_TRUE(engine->Check("冰毒", Direction::kInput, &d).ok());
  }
  ASSERT_EQ(d.hits.size(), 1u);
  EXPECT_EQ(d.hits[0].term, "冰毒");  // views still valid: d.engine holds the snapshot
  EXPECT_EQ(d.engine->packs().size(), 1u);
}

// Threads scan through an EngineSlot while the main thread swaps between two
// engines. Every decision must come whole from one snapshot: with pack "one"
// the text has exactly one hit from "one", with "two" two hits from "two".
TEST_F(EngineTest, ReloadWhileScanning) {
  auto one = MakePack(dir_, "one", "冰毒\tA1.8\t3\n");
  auto two = MakePack(dir_, "two", "冰毒\tA1.8\t2\n赌博\tA1.8\t2\n");
  EngineSlot slot(MakeEngine({one}));
  std::atomic<bool> stop{false};
  std::atomic<int> checks{0};
  std::atomic<int> torn{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      Decision d;
      while (!stop.load()) {
        std::shared_ptr<const Engine> engine = slot.Get();
        if (!engine->Check("冰毒和赌博", Direction::kInput, &d).ok()) ++torn;
        const std::string& name = engine->packs()[0]->info().name;
        const size_t expected = name == "one" ? 1 : 2;
        if (d.hits.size() != expected || d.engine != engine) ++torn;
        for (const Hit& h : d.hits) {
          if (h.pack != name) ++torn;
        }
        ++checks;
      }
    });
  }
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(slot.Reload({i % 2 ? one : two}).ok());
    std::this_thread::yield();
  }
  EXPECT_FALSE(slot.Reload({one, one}).ok());  // a failed reload keeps the engine
  stop = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_GT(checks.load(), 0);
  EXPECT_EQ(slot.Get()->packs()[0]->info().name, "one");
}

}  // namespace
}  // namespace menshen
