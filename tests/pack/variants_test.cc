// Variants generated at build time (lib/pack/variants.h): each evasion type is
// caught with an exact span, reports the entry it was made from, is named by
// --explain, and does not match plain or unrelated words.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/normalize/normalizer.h"
#include "lib/pack/loader.h"
#include "lib/pack/variants.h"
#include "menshen/engine.h"
#include "menshen/pack.h"
#include "tests/test_util.h"

namespace menshen {
namespace {

using ::menshen::testing::Manifest;
using ::menshen::testing::TempDir;
using ::menshen::testing::WritePack;

constexpr char kTerms[] =
    "傻逼\t\t\tpinyin,homophone\n"
    "操你妈\t\t\tpinyin,homophone\n"
    "冰毒\t\t\tpinyin\n"
    "约炮\t\t\tpinyin\n"
    "fuck\t\t\tword,leet\n"
    "shit\t\t\tword,leet\n"
    "heroin\t\t\tword,leet\n"
    "pipe bomb\t\t\tword,leet\n"
    "rapist\t\t\tword,leet\n"
    "asshole\t\t\tword,leet\n"
    "tit\t\t\tword,leet\n"
    "k粉\n"
    "cafe\t\t\tword\n";

class VariantsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WritePack(dir_.path(), Manifest("v"), {{"terms.tsv", kTerms}});
    absl::StatusOr<std::shared_ptr<const Pack>> pack = Pack::Load(dir_.path());
    ASSERT_TRUE(pack.ok()) << pack.status();
    pack_ = *pack;
    EngineOptions options;
    options.explain = true;
    absl::StatusOr<std::shared_ptr<const Engine>> engine = Engine::Create({pack_}, options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = *engine;
  }

  // The one hit in `text`: "term [start,end) explain", or what was found.
  std::string One(const std::string& text) {
    absl::StatusOr<Decision> d = engine_->Check(text, Direction::kInput);
    if (!d.ok()) return std::string(d.status().message());
    if (d->hits.size() != 1) {
      std::string found = "hits: " + std::to_string(d->hits.size());
      for (const Hit& h : d->hits) found += " " + std::string(h.term);
      return found;
    }
    const Hit& h = d->hits[0];
    return std::string(h.term) + " [" + std::to_string(h.start) + "," + std::to_string(h.end) + ") " +
           internal::FoldKindNames(h.foldings);
  }
  size_t Hits(const std::string& text) {
    absl::StatusOr<Decision> d = engine_->Check(text, Direction::kInput);
    return d.ok() ? d->hits.size() : 99;
  }

  TempDir dir_;
  std::shared_ptr<const Pack> pack_;
  std::shared_ptr<const Engine> engine_;
};

TEST_F(VariantsTest, PinyinInitialsAndMixes) {
  EXPECT_EQ(One("shabi"), "傻逼 [0,5) pinyin");
  EXPECT_EQ(One("你cnm啊"), "操你妈 [3,6) pinyin");
  EXPECT_EQ(One("约pao吗"), "约炮 [0,6) pinyin");
  EXPECT_EQ(One("冰du"), "冰毒 [0,5) pinyin");
  EXPECT_EQ(Hits("shabiz and xcnm"), 0u) << "pinyin forms stand alone on their Latin ends";
}

TEST_F(VariantsTest, Homophones) {
  EXPECT_EQ(One("傻比"), "傻逼 [0,6) homophone");
  EXPECT_EQ(One("操尼玛"), "操你妈 [0,9) homophone");
  EXPECT_EQ(One("傻逼"), "傻逼 [0,6) ") << "the plain term is its own entry, hit once";
}

TEST_F(VariantsTest, VariantCharacters) {
  EXPECT_EQ(One("出售氷毒"), "冰毒 [6,12) variant");
}

TEST_F(VariantsTest, LeetSymbolsAndRepeats) {
  EXPECT_EQ(One("sh1t"), "shit [0,4) leet");
  EXPECT_EQ(One("h3r01n"), "heroin [0,6) leet");
  EXPECT_EQ(One("a p1p3 b0mb"), "pipe bomb [2,11) leet");
  EXPECT_EQ(One("f*ck"), "fuck [0,4) leet");
  EXPECT_EQ(One("a$$hole"), "asshole [0,7) leet");
  EXPECT_EQ(One("fuuuck"), "fuck [0,6) leet");
  EXPECT_EQ(One("fuck"), "fuck [0,4) ");
  EXPECT_EQ(One("t1t"), "tit [0,3) leet");
  // Digits and symbols alone stand for no word: neither a number nor a
  // spaced-out one is "tit".
  EXPECT_EQ(Hits("call 717 or 7177"), 0u);
  EXPECT_EQ(Hits("+!7 and 7|+"), 0u);
  EXPECT_EQ(Hits("room 7 1 7"), 0u);
  EXPECT_EQ(One("t 1 t"), "tit [0,5) spaced");
}

TEST_F(VariantsTest, SpacedAndSplit) {
  EXPECT_EQ(One("f u c k"), "fuck [0,7) spaced");
  EXPECT_EQ(One("f.u.c.k"), "fuck [0,7) spaced");
  EXPECT_EQ(One("fu\nck"), "fuck [0,5) spaced");
  EXPECT_EQ(One("fu\xF0\x9F\x98\x80" "ck"), "fuck [0,8) spaced");
  EXPECT_EQ(One("K 粉"), "k粉 [0,5) case,spaced");
  EXPECT_EQ(One("K\xC2\xB7粉"), "k粉 [0,6) case,spaced");
  EXPECT_EQ(One("K**粉"), "k粉 [0,6) case,spaced");
  // The Latin side stands alone: not the last letter of a longer word.
  EXPECT_EQ(Hits("desk 粉笔"), 0u);
  EXPECT_EQ(One("买 K 粉"), "k粉 [4,9) case,spaced");
}

TEST_F(VariantsTest, RealWordsStayApart) {
  EXPECT_EQ(One("the rapist"), "rapist [4,10) ");
  EXPECT_EQ(Hits("therapist"), 0u);
  EXPECT_EQ(Hits("if u c kind"), 0u);
  EXPECT_EQ(Hits("shitake? no: shiitake mushrooms"), 0u);
}

TEST_F(VariantsTest, HitsReportTheBaseEntry) {
  absl::StatusOr<Decision> plain = engine_->Check("fuck", Direction::kInput);
  absl::StatusOr<Decision> spaced = engine_->Check("f u c k", Direction::kInput);
  ASSERT_TRUE(plain.ok() && spaced.ok());
  ASSERT_EQ(plain->hits.size(), 1u);
  ASSERT_EQ(spaced->hits.size(), 1u);
  EXPECT_EQ(plain->hits[0].entry_id, spaced->hits[0].entry_id);
  EXPECT_EQ(spaced->hits[0].entry_id.find('~'), std::string::npos);
}

TEST_F(VariantsTest, CountedInPackInfo) {
  const PackInfo& info = pack_->info();
  EXPECT_EQ(info.literal_count, 13u) << "variants are not counted as terms";
  EXPECT_GT(info.variant_count, 0u);
  for (const char* kind :
       {"pinyin", "initials", "mixed", "homophone", "character", "leet", "spaced"}) {
    EXPECT_GT(info.variants_by_kind.count(kind), 0u) << kind;
  }
}

TEST_F(VariantsTest, ByteIdenticalRebuilds) {
  absl::StatusOr<PackBuildResult> a = BuildPack(dir_.path());
  absl::StatusOr<PackBuildResult> b = BuildPack(dir_.path());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->mspack, b->mspack);
  absl::StatusOr<std::shared_ptr<const Pack>> loaded = Pack::FromBytes(a->mspack, "v.mspack");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ((*loaded)->info().variant_count, pack_->info().variant_count);
}

// A term that ends in a letter whose accent is a combining mark: the hit
// covers the accent (it was one code point short).
TEST_F(VariantsTest, SpanCoversATrailingCombiningAccent) {
  EXPECT_EQ(One("cafe\xCC\x81!"), "cafe [0,6) accent");
}

TEST(Variants, ReadingsComeFromIcuAndUnihan) {
  EXPECT_EQ(internal::HanReadings(U'傻'), std::vector<std::string>{"sha"});
  std::vector<std::string> xing = internal::HanReadings(U'行');
  ASSERT_FALSE(xing.empty());
  EXPECT_EQ(xing[0], "xing");
  EXPECT_THAT(xing, ::testing::Contains("hang")) << "polyphonic: other readings too";
  EXPECT_TRUE(internal::HanReadings(U'a').empty());
}

}  // namespace
}  // namespace menshen
