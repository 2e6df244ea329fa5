// Evasion handling end to end (DESIGN.md decisions 1-3, issue 3): each folding
// on its own and combined, Latin word boundaries, the allowlist, `exact`,
// invalid UTF-8 and 4-byte code points, always with the hit's span in the
// caller's original bytes; then a property test with random evasions.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "lib/normalize/normalizer.h"
#include "menshen/engine.h"
#include "tests/test_util.h"

namespace menshen {
namespace {

using ::menshen::testing::Utf8;

using ::menshen::testing::Manifest;
using ::menshen::testing::WritePack;

// The deny pack every table uses. Terms are written in their plain form; the
// texts carry the evasions.
constexpr char kDenyTerms[] =
    "fuck\tA4.3\t2\tword\n"
    "ass\tA4.3\t2\tword\n"
    "cunt\tA4.3\t2\tword\n"
    "flakka\tA1.8\t3\tword\n"
    "卖淫\tA1.8\t3\n"
    "操你妈\tA4.3\t2\n"
    "冰毒\tA1.8\t3\n"
    "网赌\tA1.8\t2\n"
    "洗钱\tA1.8\t2\n"
    "杀人\tA1.8\t3\n"
    "买枪\tA1.8\t3\n"
    "𠮷野家\tA4.3\t1\n"
    "大麻\tA1.8\t3\n"
    "大麻烦\t\t\tallow\n";

// Terms flagged `exact`: they must opt out of noise skipping and nothing else.
constexpr char kExactTerms[] =
    "卖淫\tA1.8\t3\texact\n"
    "flakka\tA1.8\t3\tword,exact\n";

// Compiles a pack source folder (in a per-process directory, so that ctest
// may run this binary's tests in parallel) and loads it.
std::shared_ptr<const Pack> LoadPack(const std::string& name, const std::string& terms) {
  const std::string dir =
      std::string(MENSHEN_TEST_TMPDIR) + "/evasion-" + std::to_string(::getpid()) + "-" + name;
  WritePack(dir, Manifest(name), {{"terms.tsv", terms}});
  absl::StatusOr<std::shared_ptr<const Pack>> pack = Pack::Load(dir);
  std::filesystem::remove_all(dir);
  EXPECT_TRUE(pack.ok()) << pack.status();
  return pack.ok() ? *pack : nullptr;
}

std::shared_ptr<const Engine> MakeEngine(const std::string& name, const std::string& terms) {
  EngineOptions options;
  options.explain = true;
  absl::StatusOr<std::shared_ptr<const Engine>> engine =
      Engine::Create({LoadPack(name, terms)}, options);
  EXPECT_TRUE(engine.ok()) << engine.status();
  return engine.ok() ? *engine : nullptr;
}

const Engine& DenyEngine() {
  static const std::shared_ptr<const Engine> engine = MakeEngine("deny", kDenyTerms);
  return *engine;
}

const Engine& ExactEngine() {
  static const std::shared_ptr<const Engine> engine = MakeEngine("exact", kExactTerms);
  return *engine;
}

Decision Check(const Engine& engine, std::string_view text) {
  absl::StatusOr<Decision> d = engine.Check(text, Direction::kInput);
  EXPECT_TRUE(d.ok()) << d.status();
  return d.ok() ? *std::move(d) : Decision{};
}

// The bytes as C escapes, for repro lines in failure messages.
std::string Hex(std::string_view bytes) {
  std::string out;
  char buf[8];
  for (unsigned char c : bytes) {
    std::snprintf(buf, sizeof buf, "\\x%02x", c);
    out += buf;
  }
  return out;
}

// Hits as "term[start,end)=covered(foldings)", for failure messages.
std::string Describe(std::string_view text, const Decision& d) {
  std::string out = "{";
  for (const Hit& h : d.hits) {
    out += std::string(h.term) + "[" + std::to_string(h.start) + "," + std::to_string(h.end) +
           ")=\"" + std::string(text.substr(h.start, h.end - h.start)) + "\"(" +
           internal::FoldKindNames(h.foldings) + ") ";
  }
  return out + "}";
}

// ---------------------------------------------------------------------------
// Texts with exactly one hit.

struct HitCase {
  const char* label;
  const Engine& (*engine)();
  std::string before;    // text before the hit
  std::string evaded;    // the evaded spelling: the hit covers exactly these bytes
  std::string after;     // text after the hit
  std::string term;      // the entry's term as written in the pack
  std::string foldings;  // FoldKindNames() of the hit, as explained

  std::string text() const { return before + evaded + after; }
  size_t start() const { return before.size(); }
  size_t end() const { return before.size() + evaded.size(); }
};

void PrintTo(const HitCase& c, std::ostream* os) {
  *os << c.label << ": \"" << c.text() << "\" = \"" << Hex(c.text()) << "\" -> " << c.term << " ["
      << c.start() << "," << c.end() << ") foldings=" << c.foldings;
}

class HitTest : public ::testing::TestWithParam<HitCase> {};

TEST_P(HitTest, SpanCoversTheEvadedSpelling) {
  const HitCase& c = GetParam();
  const std::string text = c.text();
  const Decision d = Check(c.engine(), text);
  ASSERT_EQ(d.hits.size(), 1u) << Describe(text, d);
  const Hit& h = d.hits[0];
  EXPECT_EQ(h.term, c.term);
  EXPECT_EQ(h.start, c.start());
  EXPECT_EQ(h.end, c.end());
  EXPECT_EQ(text.substr(h.start, h.end - h.start), c.evaded);
  EXPECT_EQ(internal::FoldKindNames(h.foldings), c.foldings);
  EXPECT_NE(d.action, Action::kAllow);
}

const HitCase kFoldingAlone[] = {
    {"Plain", DenyEngine, "say ", "fuck", " now", "fuck", ""},
    {"CaseUpper", DenyEngine, "say ", "FUCK", " now", "fuck", "case"},
    {"CaseMixed", DenyEngine, "", "FuCk", "", "fuck", "case"},
    {"FullWidth", DenyEngine, "say ", "ｆｕｃｋ", " now", "fuck", "width"},
    {"FullWidthUpper", DenyEngine, "", "ＦＵＣＫ", "！", "fuck", "case,width"},
    {"CompatCircled", DenyEngine, "", "ⓕⓤⓒⓚ", "", "fuck", "compat"},
    {"CompatMathBold", DenyEngine, "a ", "𝐟𝐮𝐜𝐤", " b", "fuck", "compat"},
    {"CompatLigature", DenyEngine, "buy ", "ﬂakka", " here", "flakka", "compat"},
    {"AccentDiaeresis", DenyEngine, "", "fück", "", "fuck", "accent"},
    {"AccentAcute", DenyEngine, "oh ", "fúck", "", "fuck", "accent"},
    {"AccentCombining", DenyEngine, "", "fu\u0308ck", "", "fuck", "accent"},
    {"Traditional", DenyEngine, "提供", "賣淫", "服务", "卖淫", "traditional"},
    {"ConfusableCyrillicEs", DenyEngine, "", "fu\u0441k", "", "fuck", "confusable"},
    {"ConfusableInCunt", DenyEngine, "you ", "\u0441unt", "", "cunt", "confusable"},
    {"IgnorableZwsp", DenyEngine, "", "f\u200buck", "", "fuck", "ignorable"},
    {"IgnorableBom", DenyEngine, "", "fu\ufeffck", "", "fuck", "ignorable"},
    {"IgnorableWordJoiner", DenyEngine, "", "fuc\u2060k", "", "fuck", "ignorable"},
    {"IgnorableSoftHyphen", DenyEngine, "", "f\u00aduck", "", "fuck", "ignorable"},
    {"IgnorableVariationSelector", DenyEngine, "", "fu\ufe0fck", "", "fuck", "ignorable"},
    {"IgnorableBetweenHan", DenyEngine, "", "冰\u200d毒", "", "冰毒", "ignorable"},
    {"NoiseAsterisks", DenyEngine, "你", "操**你**妈", "啊", "操你妈", "noise"},
    {"NoiseSpace", DenyEngine, "", "卖 淫", "", "卖淫", "noise"},
    {"NoiseMiddleDot", DenyEngine, "买", "冰·毒", "", "冰毒", "noise"},
    {"NoiseEmoji", DenyEngine, "", "网😀赌", "", "网赌", "noise"},
    {"NoiseFullWidthComma", DenyEngine, "", "卖，淫", "", "卖淫", "noise"},
    {"NoiseEightIsTheLimit", DenyEngine, "", "冰        毒", "", "冰毒", "noise"},
    {"NoiseIgnorablesDoNotCount", DenyEngine, "",
     "冰 \u200b \u200b \u200b \u200b \u200b \u200b \u200b \u200b毒", "", "冰毒", "ignorable,noise"},
    {"NoiseEllipsisCountsFolded", DenyEngine, "", "冰……毒", "", "冰毒", "noise"},
    {"NoiseEmojiZwjSequence", DenyEngine, "", "冰👨\u200d👩\u200d👧毒", "", "冰毒", "ignorable,noise"},
    {"NoiseEmojiSkinTone", DenyEngine, "", "网👍🏽赌", "", "网赌", "noise"},
    {"NoiseFlag", DenyEngine, "", "网🇨🇳赌", "", "网赌", "noise"},
    {"CaseKelvinSign", DenyEngine, "", "fuc\u212a", "", "fuck", "case,compat"},
};

const HitCase kFoldingsCombined[] = {
    {"TraditionalZwspSpace", DenyEngine, "在", "賣\u200b 淫", "吗", "卖淫",
     "traditional,ignorable,noise"},
    {"IdeographicSpaceAndDot", DenyEngine, "", "冰\u3000·\u3000毒", "", "冰毒", "noise"},
    {"TraditionalEmojiZwj", DenyEngine, "", "網 😀\u200d 賭", "", "网赌",
     "traditional,ignorable,noise"},
    {"EmojiWithVariationSelector", DenyEngine, "", "冰❤\ufe0f毒", "", "冰毒", "ignorable,noise"},
    {"FullWidthCaseZwsp", DenyEngine, "", "Ｆ\u200bｕｃＫ", "", "fuck", "case,width,ignorable"},
    {"ConfusableAndAccent", DenyEngine, "", "fü\u0441k", "", "fuck", "accent,confusable"},
};

const HitCase kWordBoundaries[] = {
    {"FollowedByPeriod", DenyEngine, "", "ass", ".", "ass", ""},
    {"InParentheses", DenyEngine, "(", "ass", ")", "ass", ""},
    {"BetweenHan", DenyEngine, "你", "ass", "好", "ass", ""},
    {"FullWidthBetweenHan", DenyEngine, "你", "ＡＳＳ", "好", "ass", "case,width"},
    {"AfterDigitSeparator", DenyEngine, "1 ", "cunt", "", "cunt", ""},
    {"BeforeKana", DenyEngine, "", "fuck", "の", "fuck", ""},
    {"BeforeHangul", DenyEngine, "", "fuck", "한국", "fuck", ""},
    {"AfterIdeographicFullStop", DenyEngine, "。", "ass", "", "ass", ""},
};

const HitCase kAllowlist[] = {
    {"DenyAlone", DenyEngine, "", "大麻", "", "大麻", ""},
    {"DenyAfterAllowed", DenyEngine, "大麻烦和", "大麻", "", "大麻", ""},
    {"DenyNoiseOutsideAllow", DenyEngine, "大麻烦。", "大 麻", "！", "大麻", "noise"},
};

const HitCase kExact[] = {
    {"ExactPlain", ExactEngine, "", "卖淫", "", "卖淫", ""},
    {"ExactTraditional", ExactEngine, "有", "賣淫", "吗", "卖淫", "traditional"},
    {"ExactIgnorableIsNotNoise", ExactEngine, "", "卖\u200b淫", "", "卖淫", "ignorable"},
    {"ExactLatinLigature", ExactEngine, "", "ﬂakka", "", "flakka", "compat"},
    {"ExactLatinCase", ExactEngine, "", "FLAKKA", "", "flakka", "case"},
};

const HitCase kBytes[] = {
    {"InvalidAtStart", DenyEngine, "\xff", "冰毒", "", "冰毒", ""},
    {"InvalidAtEnd", DenyEngine, "", "冰毒", "\xff", "冰毒", ""},
    {"TruncatedAtEnd", DenyEngine, "", "冰毒", "\xe6\xaf", "冰毒", ""},
    {"InvalidInMiddleIsNoise", DenyEngine, "", "冰\xff毒", "", "冰毒", "noise,invalid_utf8"},
    {"TruncatedInMiddleIsNoise", DenyEngine, "", "冰\xe6\xaf毒", "", "冰毒", "noise,invalid_utf8"},
    {"InvalidAroundHit", DenyEngine, "\xc0\xaf", "網\xff賭", "\xed\xa0\x80", "网赌",
     "traditional,noise,invalid_utf8"},
    {"FourByteHanBefore", DenyEngine, "𠮷", "冰毒", "", "冰毒", ""},
    {"EmojiBefore", DenyEngine, "😀😀", "冰毒", "😀", "冰毒", ""},
    {"FourByteHanInTerm", DenyEngine, "去", "𠮷野家", "吃饭", "𠮷野家", ""},
    {"FourByteHanInTermWithNoise", DenyEngine, "", "𠮷 · 野家", "", "𠮷野家", "noise"},
    {"FourByteBeforeLatin", DenyEngine, "𝐚 ", "fuck", "", "fuck", ""},
};

std::string CaseName(const ::testing::TestParamInfo<HitCase>& info) { return info.param.label; }

INSTANTIATE_TEST_SUITE_P(FoldingAlone, HitTest, ::testing::ValuesIn(kFoldingAlone), CaseName);
INSTANTIATE_TEST_SUITE_P(FoldingsCombined, HitTest, ::testing::ValuesIn(kFoldingsCombined),
                         CaseName);
INSTANTIATE_TEST_SUITE_P(WordBoundaries, HitTest, ::testing::ValuesIn(kWordBoundaries), CaseName);
INSTANTIATE_TEST_SUITE_P(Allowlist, HitTest, ::testing::ValuesIn(kAllowlist), CaseName);
INSTANTIATE_TEST_SUITE_P(Exact, HitTest, ::testing::ValuesIn(kExact), CaseName);
INSTANTIATE_TEST_SUITE_P(Bytes, HitTest, ::testing::ValuesIn(kBytes), CaseName);

// ---------------------------------------------------------------------------
// Texts with no hit at all: ALLOW, and the masked text is the input.

struct CleanCase {
  const char* label;
  const Engine& (*engine)();
  std::string text;
};

void PrintTo(const CleanCase& c, std::ostream* os) {
  *os << c.label << ": \"" << c.text << "\" = \"" << Hex(c.text) << "\"";
}

class CleanTest : public ::testing::TestWithParam<CleanCase> {};

TEST_P(CleanTest, NoHit) {
  const CleanCase& c = GetParam();
  const Decision d = Check(c.engine(), c.text);
  EXPECT_TRUE(d.hits.empty()) << Describe(c.text, d);
  EXPECT_EQ(d.action, Action::kAllow);
  EXPECT_EQ(d.masked, c.text);
}

const CleanCase kClean[] = {
    {"Empty", DenyEngine, ""},
    {"OnlyIgnorables", DenyEngine, "\u200b\u200c\u200d\ufeff\u2060\u00ad\ufe0f"},
    {"AssInClass", DenyEngine, "class"},
    {"AssInBass", DenyEngine, "bass"},
    {"AssInAssistant", DenyEngine, "assistant"},
    {"CuntInScunthorpe", DenyEngine, "Scunthorpe"},
    {"FuckInFucking", DenyEngine, "fucking"},
    {"AssInFullWidthClass", DenyEngine, "ｃｌａｓｓ"},
    {"AssInClassWithZwsp", DenyEngine, "cl\u200bass"},
    {"AssAfterDigit", DenyEngine, "1ass"},
    {"NoiseBetweenLatinIsKept", DenyEngine, "f uck"},
    {"AssAfterFullWidthDigit", DenyEngine, "１ass"},
    {"AssBeforeSuperscript", DenyEngine, "ass²"},
    {"FuckBeforeCyrillicLetter", DenyEngine, "fuck\u0436"},
    {"FuckBeforeConfusableLetter", DenyEngine, "fuck\u0430"},
    {"DigitBetweenHanIsNotNoise", DenyEngine, "冰1毒"},
    {"NineFoldedNoiseFromEllipses", DenyEngine, "冰………毒"},
    {"NineNoiseIsTooMany", DenyEngine, "冰         毒"},
    {"AllowWhole", DenyEngine, "这真是个大麻烦"},
    {"AllowNoiseSeparated", DenyEngine, "大 麻 烦"},
    {"AllowTraditional", DenyEngine, "大麻煩"},
    {"AllowMixedNoise", DenyEngine, "大·麻\u200b烦"},
    {"ExactRejectsSpace", ExactEngine, "卖 淫"},
    {"ExactRejectsMiddleDot", ExactEngine, "卖·淫"},
    {"ExactRejectsEmoji", ExactEngine, "賣😀淫"},
    {"ExactRejectsInvalidByte", ExactEngine, "卖\xff淫"},
};

std::string CleanName(const ::testing::TestParamInfo<CleanCase>& info) { return info.param.label; }

INSTANTIATE_TEST_SUITE_P(Clean, CleanTest, ::testing::ValuesIn(kClean), CleanName);

// A few whole-decision checks the tables above do not express.
TEST(EvasionTest, InvalidUtf8IsCountedAndMaskedInPlace) {
  const std::string text = "\xff冰\xff毒\xff";
  const Decision d = Check(DenyEngine(), text);
  ASSERT_EQ(d.hits.size(), 1u) << Describe(text, d);
  EXPECT_EQ(d.hits[0].start, 1u);
  EXPECT_EQ(d.hits[0].end, 8u);
  EXPECT_EQ(d.invalid_utf8, 3u);
  // One '*' per code point of the span; the bad byte inside counts as one.
  EXPECT_EQ(d.masked, "\xff***\xff");
}

TEST(EvasionTest, MaskCountsFourByteCodePointsOnce) {
  const std::string text = "😀去𠮷 野家";
  const Decision d = Check(DenyEngine(), text);
  ASSERT_EQ(d.hits.size(), 1u) << Describe(text, d);
  EXPECT_EQ(d.hits[0].start, std::string("😀去").size());
  EXPECT_EQ(d.masked, "😀去****");
}

TEST(EvasionTest, AllowlistSuppressesOnlyInsideItsSpan) {
  const std::string text = "大麻烦 大麻 大 麻 烦";
  const Decision d = Check(DenyEngine(), text);
  ASSERT_EQ(d.hits.size(), 1u) << Describe(text, d);
  EXPECT_EQ(text.substr(d.hits[0].start, d.hits[0].end - d.hits[0].start), "大麻");
  EXPECT_EQ(d.hits[0].start, std::string("大麻烦 ").size());
}

// ---------------------------------------------------------------------------
// Property: a known term inserted into random benign filler under random
// foldings is found, and its span is exactly the inserted spelling.

struct TermSpec {
  const char* term;  // as written in kDenyTerms
  bool latin;        // a `word` term of ASCII letters
};

const TermSpec kPropertyTerms[] = {
    {"卖淫", false}, {"网赌", false},   {"洗钱", false}, {"杀人", false}, {"买枪", false},
    {"冰毒", false}, {"操你妈", false}, {"fuck", true},  {"cunt", true},  {"flakka", true},
};

// Traditional forms of term characters that have one.
const std::pair<const char*, const char*> kTraditional[] = {
    {"卖", "賣"}, {"网", "網"}, {"赌", "賭"}, {"钱", "錢"},
    {"杀", "殺"}, {"买", "買"}, {"枪", "槍"}, {"妈", "媽"},
};

// Separators skipped between Han characters (the zero-width space is an
// ignorable and does not count towards the noise run).
const char* const kNoise[] = {" ", "\u3000", "*", "·", "-", "😀", "\u200b", "，"};
const char* const kLatinIgnorables[] = {"\u200b", "\u200d", "\u00ad", "\u2060"};
// Filler that cannot form or extend any term of kDenyTerms.
const char* const kFiller[] = {"的", "是", "在", "天", "气", "好", "a",
                               "b",  "c",  "1",  "2",  " ",  "。"};

// The code points of valid UTF-8 `s`, each as its bytes.
std::vector<std::string> CodePoints(std::string_view s) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size();) {
    const unsigned char lead = static_cast<unsigned char>(s[i]);
    const size_t n = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    out.emplace_back(s.substr(i, n));
    i += n;
  }
  return out;
}


class Evader {
 public:
  explicit Evader(uint32_t seed) : rng_(seed) {}

  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool Coin() { return Uniform(0, 1) == 1; }
  template <typename T, size_t N>
  const T& Pick(const T (&items)[N]) {
    return items[Uniform(0, static_cast<int>(N) - 1)];
  }

  // A Han term with random traditional forms and noise runs between characters.
  std::string Han(std::string_view term) {
    const std::vector<std::string> chars = CodePoints(term);
    std::string out;
    for (size_t i = 0; i < chars.size(); ++i) {
      if (i > 0) {
        for (int n = Uniform(0, 3); n > 0; --n) out += Pick(kNoise);
      }
      std::string c = chars[i];
      for (const auto& [simplified, traditional] : kTraditional) {
        if (c == simplified && Coin()) c = traditional;
      }
      out += c;
    }
    return out;
  }

  // A Latin term with random case, full width, Cyrillic с and ignorables.
  std::string Latin(std::string_view term) {
    std::string out;
    for (size_t i = 0; i < term.size(); ++i) {
      if (i > 0 && Uniform(0, 2) == 0) out += Pick(kLatinIgnorables);
      char c = term[i];
      if (c == 'c' && Uniform(0, 3) == 0) {
        out += "\u0441";  // Cyrillic small es
        continue;
      }
      if (Coin()) c = static_cast<char>(c - 'a' + 'A');
      out += Coin() ? Utf8(0xFF01 + (c - '!')) : std::string(1, c);
    }
    return out;
  }

  std::string Filler(int max_chars) {
    std::string out;
    for (int n = Uniform(0, max_chars); n > 0; --n) out += Pick(kFiller);
    return out;
  }

 private:
  std::mt19937 rng_;
};

TEST(EvasionPropertyTest, RandomEvasionsAreFoundWithExactSpans) {
  constexpr uint32_t kSeeds[] = {1, 42, 2024, 0xC0FFEE};
  constexpr int kIterationsPerSeed = 50;
  int checked = 0;
  for (uint32_t seed : kSeeds) {
    Evader ev(seed);
    for (int i = 0; i < kIterationsPerSeed; ++i) {
      const TermSpec& spec = ev.Pick(kPropertyTerms);
      const std::string evaded = spec.latin ? ev.Latin(spec.term) : ev.Han(spec.term);
      // Latin terms are `word` terms: keep letters and digits of the filler
      // away from them with a space or a Han character.
      const char* const kGuards[] = {" ", "的", "。"};
      const std::string before = ev.Filler(10) + (spec.latin ? ev.Pick(kGuards) : "");
      const std::string after = (spec.latin ? ev.Pick(kGuards) : "") + ev.Filler(10);
      const std::string text = before + evaded + after;
      SCOPED_TRACE("seed " + std::to_string(seed) + " iteration " + std::to_string(i) +
                   ": text \"" + Hex(text) + "\" = \"" + text + "\", expected " + spec.term +
                   " at [" + std::to_string(before.size()) + "," +
                   std::to_string(before.size() + evaded.size()) + ")");
      const Decision d = Check(DenyEngine(), text);
      ASSERT_EQ(d.hits.size(), 1u) << Describe(text, d);
      const Hit& h = d.hits[0];
      EXPECT_EQ(h.term, spec.term);
      EXPECT_EQ(h.start, before.size());
      EXPECT_EQ(h.end, before.size() + evaded.size());
      EXPECT_EQ(text.substr(h.start, h.end - h.start), evaded) << Describe(text, d);
      EXPECT_EQ(h.foldings == 0, evaded == spec.term) << internal::FoldKindNames(h.foldings);
      ++checked;
    }
  }
  EXPECT_EQ(checked, 200);
}

}  // namespace
}  // namespace menshen
