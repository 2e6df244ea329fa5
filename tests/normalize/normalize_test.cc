// The fold (lib/normalize): every folding alone and combined, noise skipping,
// invalid UTF-8, original spans, idempotence, and randomized properties.
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "tests/test_util.h"
#include "lib/normalize/fold_block.h"
#include "lib/normalize/normalizer.h"

namespace menshen::internal {
namespace {

using ::menshen::testing::Utf8;

using Span = std::pair<uint32_t, uint32_t>;


bool IsLead(char ch) { return (static_cast<unsigned char>(ch) & 0xC0) != 0x80; }

// The code points of valid UTF-8 `s`, one string each.
std::vector<std::string> Utf8Pieces(std::string_view s) {
  std::vector<std::string> pieces;
  for (size_t k = 0; k < s.size(); ++k) {
    if (IsLead(s[k])) pieces.emplace_back();
    pieces.back() += s[k];
  }
  return pieces;
}

// Length of the valid UTF-8 sequence that starts with `lead`.
size_t SequenceLength(char lead) {
  const auto b = static_cast<unsigned char>(lead);
  return b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
}

// Checks the structural invariants of a fold of `input` and returns the
// original span of each folded code point.
std::vector<Span> CheckedSpans(std::string_view input, const FoldedText& f) {
  std::vector<Span> spans;
  EXPECT_EQ(f.begin.size(), f.text.size());
  EXPECT_EQ(f.end.size(), f.text.size());
  if (f.begin.size() != f.text.size() || f.end.size() != f.text.size()) {
    return spans;
  }
  for (size_t k = 0; k < f.text.size(); ++k) {
    EXPECT_LT(f.begin[k], f.end[k]) << "byte " << k;
    EXPECT_LE(f.end[k], input.size()) << "byte " << k;
    if (k > 0) {
      EXPECT_LE(f.begin[k - 1], f.begin[k]) << "byte " << k;
      EXPECT_LE(f.end[k - 1], f.end[k]) << "byte " << k;
    }
    if (IsLead(f.text[k])) {
      spans.emplace_back(f.begin[k], f.end[k]);
    } else {
      EXPECT_GT(k, 0u);
      EXPECT_EQ(f.begin[k], f.begin[k - 1]) << "byte " << k;
      EXPECT_EQ(f.end[k], f.end[k - 1]) << "byte " << k;
    }
  }
  return spans;
}


struct FoldCase {
  const char* name;
  std::string input;
  std::string folded;
  std::vector<Span> spans;  // per folded code point
  uint32_t kinds;           // Explain(input)
  size_t invalid = 0;
};

const std::string kFFFD = "\xEF\xBF\xBD";

std::vector<FoldCase> Cases() {
  const std::string han_run_9 = "卖" + std::string(9, ' ') + "淫";
  std::vector<Span> han_run_9_spans = {{0, 3}};
  for (uint32_t k = 3; k < 12; ++k) han_run_9_spans.emplace_back(k, k + 1);
  han_run_9_spans.emplace_back(12, 15);
  return {
      // Every folding on its own.
      {"case", "FuCK", "fuck", {{0, 1}, {1, 2}, {2, 3}, {3, 4}}, kFoldCase},
      {"case_expanding", "ß", "ss", {{0, 2}, {0, 2}}, kFoldCase},
      {"width", "ｆｕｃｋ", "fuck", {{0, 3}, {3, 6}, {6, 9}, {9, 12}},
       kFoldWidth},
      {"width_and_case", "ＦＵＣＫ", "fuck", {{0, 3}, {3, 6}, {6, 9}, {9, 12}},
       kFoldWidth | kFoldCase},
      {"compat_circled", "①", "1", {{0, 3}}, kFoldCompat},
      {"compat_ligature", "ﬁ", "fi", {{0, 3}, {0, 3}}, kFoldCompat},
      {"compat_math", "𝐟", "f", {{0, 4}}, kFoldCompat},
      {"accent_precomposed", "café", "cafe", {{0, 1}, {1, 2}, {2, 3}, {3, 5}},
       kFoldAccent},
      {"accent_combining", "cafe\u0301", "cafe",
       {{0, 1}, {1, 2}, {2, 3}, {3, 4}}, kFoldAccent},
      {"accent_ogonek", "ą", "a", {{0, 2}}, kFoldAccent},
      {"accent_dotted_capital_i", "İ", "i", {{0, 2}}, kFoldCase | kFoldAccent},
      {"angstrom_sign", "\u212b", "a", {{0, 3}},
       kFoldCompat | kFoldCase | kFoldAccent},
      {"traditional", "賣淫", "卖淫", {{0, 3}, {3, 6}}, kFoldTraditional},
      {"confusable_cyrillic", "fu\u0441k", "fuck",
       {{0, 1}, {1, 2}, {2, 4}, {4, 5}}, kFoldConfusable},
      {"confusable_upper", "FU\u0421K", "fuck",
       {{0, 1}, {1, 2}, {2, 4}, {4, 5}}, kFoldCase | kFoldConfusable},
      {"confusable_greek", "f\u03bfo", "foo", {{0, 1}, {1, 3}, {3, 4}},
       kFoldConfusable},
      {"zero_width_space", "f\u200buck", "fuck",
       {{0, 1}, {4, 5}, {5, 6}, {6, 7}}, kFoldIgnorable},
      {"zero_width_joiners", "f\u200duc\u200ck", "fuck",
       {{0, 1}, {4, 5}, {5, 6}, {9, 10}}, kFoldIgnorable},
      {"word_joiner", "fu\u2060ck", "fuck", {{0, 1}, {1, 2}, {5, 6}, {6, 7}},
       kFoldIgnorable},
      {"bom", "\ufefffuck", "fuck", {{3, 4}, {4, 5}, {5, 6}, {6, 7}},
       kFoldIgnorable},
      {"variation_selector", "卖\ufe0f淫", "卖淫", {{0, 3}, {6, 9}},
       kFoldIgnorable},
      {"soft_hyphen", "f\u00aduck", "fuck", {{0, 1}, {3, 4}, {4, 5}, {5, 6}},
       kFoldIgnorable},
      // Combined.
      {"traditional_separators_zero_width", "賣 \u200b-淫", "卖淫",
       {{0, 3}, {8, 11}}, kFoldTraditional | kFoldIgnorable | kFoldNoise},
      {"latin_all_at_once", "Ｆ\u200bu\u0441k", "fuck",
       {{0, 3}, {6, 7}, {7, 9}, {9, 10}},
       kFoldWidth | kFoldCase | kFoldIgnorable | kFoldConfusable},
      // Noise between Han characters.
      {"noise_stars", "操**你**妈", "操你妈", {{0, 3}, {5, 8}, {10, 13}},
       kFoldNoise},
      {"noise_space", "卖 淫", "卖淫", {{0, 3}, {4, 7}}, kFoldNoise},
      {"noise_middle_dot", "冰·毒", "冰毒", {{0, 3}, {5, 8}}, kFoldNoise},
      {"noise_emoji", "网😀赌", "网赌", {{0, 3}, {7, 10}}, kFoldNoise},
      {"noise_emoji_zwj_sequence", "网👨\u200d👩\u200d👧赌", "网赌",
       {{0, 3}, {21, 24}}, kFoldNoise | kFoldIgnorable},
      {"noise_skin_tone", "网👍🏽赌", "网赌", {{0, 3}, {11, 14}}, kFoldNoise},
      {"noise_fullwidth_comma", "卖，淫", "卖淫", {{0, 3}, {6, 9}},
       kFoldNoise},
      {"noise_ideographic_space", "卖\u3000淫", "卖淫", {{0, 3}, {6, 9}},
       kFoldNoise},
      {"noise_run_at_limit", "卖********淫", "卖淫", {{0, 3}, {11, 14}},
       kFoldNoise},
      {"noise_run_too_long_kept", han_run_9, han_run_9, han_run_9_spans, 0},
      {"noise_at_start_and_end_kept", "**卖淫**", "**卖淫**",
       {{0, 1}, {1, 2}, {2, 5}, {5, 8}, {8, 9}, {9, 10}}, 0},
      {"noise_between_han_and_latin_kept", "卖 a 淫", "卖 a 淫",
       {{0, 3}, {3, 4}, {4, 5}, {5, 6}, {6, 9}}, 0},
      {"digit_is_not_noise", "卖1淫", "卖1淫", {{0, 3}, {3, 4}, {4, 7}}, 0},
      {"kana_is_not_noise", "卖の淫", "卖の淫", {{0, 3}, {3, 6}, {6, 9}}, 0},
      // Invalid UTF-8: one U+FFFD per maximal invalid subpart.
      {"invalid_start", "\xff" "ab", kFFFD + "ab", {{0, 1}, {1, 2}, {2, 3}},
       kFoldInvalidUtf8, 1},
      {"invalid_middle", "ab\x80" "cd", "ab" + kFFFD + "cd",
       {{0, 1}, {1, 2}, {2, 3}, {3, 4}, {4, 5}}, kFoldInvalidUtf8, 1},
      {"invalid_end", "ab\xc3", "ab" + kFFFD, {{0, 1}, {1, 2}, {2, 3}},
       kFoldInvalidUtf8, 1},
      {"truncated_three_byte", "a\xe4\xb8", "a" + kFFFD, {{0, 1}, {1, 3}},
       kFoldInvalidUtf8, 1},
      {"truncated_four_byte", "\xf0\x9f\x98" "a", kFFFD + "a",
       {{0, 3}, {3, 4}}, kFoldInvalidUtf8, 1},
      {"truncated_then_han", "\xe4\xb8卖", kFFFD + "卖", {{0, 2}, {2, 5}},
       kFoldInvalidUtf8, 1},
      {"overlong_two_byte", "\xc0\xaf", kFFFD + kFFFD, {{0, 1}, {1, 2}},
       kFoldInvalidUtf8, 2},
      {"overlong_three_byte", "\xe0\x80\xaf", kFFFD + kFFFD + kFFFD,
       {{0, 1}, {1, 2}, {2, 3}}, kFoldInvalidUtf8, 3},
      {"surrogate", "a\xed\xa0\x80", "a" + kFFFD + kFFFD + kFFFD,
       {{0, 1}, {1, 2}, {2, 3}, {3, 4}}, kFoldInvalidUtf8, 3},
      {"above_max", "\xf4\x90\x80\x80", kFFFD + kFFFD + kFFFD + kFFFD,
       {{0, 1}, {1, 2}, {2, 3}, {3, 4}}, kFoldInvalidUtf8, 4},
      {"stray_continuations", "\x80\xbf", kFFFD + kFFFD, {{0, 1}, {1, 2}},
       kFoldInvalidUtf8, 2},
      {"invalid_between_han_is_noise", "卖\xff淫", "卖淫", {{0, 3}, {4, 7}},
       kFoldInvalidUtf8 | kFoldNoise, 1},
      // Four-byte code points.
      {"four_byte_han", "𠮷野", "𠮷野", {{0, 4}, {4, 7}}, 0},
      {"four_byte_emoji", "a😀", "a😀", {{0, 1}, {1, 5}}, 0},
      // Degenerate inputs.
      {"only_ignorables", "\u200b\u200d\ufeff\u00ad", "", {}, kFoldIgnorable},
      {"empty", "", "", {}, 0},
      {"lone_combining_mark", "\u0301", "", {}, kFoldAccent},
      {"needs_no_folding", "hello 世界 123\n", "hello 世界 123\n",
       {{0, 1}, {1, 2}, {2, 3}, {3, 4}, {4, 5}, {5, 6}, {6, 9}, {9, 12},
        {12, 13}, {13, 14}, {14, 15}, {15, 16}, {16, 17}},
       0},
  };
}

TEST(FoldTest, Table) {
  FoldedText f;
  for (const FoldCase& c : Cases()) {
    SCOPED_TRACE(c.name);
    Fold(c.input, FoldOptions(), &f);
    EXPECT_EQ(f.text, c.folded);
    EXPECT_TRUE(IsValidUtf8(f.text));
    EXPECT_EQ(CheckedSpans(c.input, f), c.spans);
    EXPECT_EQ(f.invalid_sequences, c.invalid);
    EXPECT_EQ(FoldKindNames(Explain(c.input)), FoldKindNames(c.kinds));
    EXPECT_EQ(FoldTerm(c.input), c.folded);
  }
}

TEST(FoldTest, HitSpanCoversSkippedNoise) {
  const std::string text = "他说操**你**妈的";
  FoldedText f;
  Fold(text, FoldOptions(), &f);
  const std::string term = FoldTerm("操你妈");
  const size_t at = f.text.find(term);
  ASSERT_NE(at, std::string::npos);
  const size_t b = f.OriginalBegin(at), e = f.OriginalEnd(at + term.size());
  EXPECT_EQ(text.substr(b, e - b), "操**你**妈");
}

TEST(FoldTest, SkipNoiseOff) {
  FoldOptions exact;
  exact.skip_noise = false;
  FoldedText f;
  Fold("卖 淫", exact, &f);
  EXPECT_EQ(f.text, "卖 淫");
  EXPECT_EQ(FoldTerm("操**你", exact), "操**你");
  // Other foldings still apply.
  EXPECT_EQ(FoldTerm("賣\u200b淫", exact), "卖淫");
}

TEST(FoldTest, TermsFoldLikeText) {
  EXPECT_EQ(FoldTerm("法 轮-功"), FoldTerm("法轮功"));
  EXPECT_EQ(FoldTerm("ＦＵＣＫ"), FoldTerm("fuck"));
  EXPECT_EQ(FoldTerm("賣淫"), FoldTerm("卖淫"));
}

TEST(FoldTest, AsciiAndHanFastPathsAtEveryLengthAndOffset) {
  FoldedText f;
  for (size_t len = 0; len < 70; ++len) {
    std::string upper, lower, han;
    for (size_t k = 0; k < len; ++k) {
      upper += static_cast<char>('A' + k % 26);
      lower += static_cast<char>('a' + k % 26);
      han += (k % 3 == 2) ? "，" : "卖";
    }
    SCOPED_TRACE(len);
    Fold(upper, FoldOptions(), &f);
    EXPECT_EQ(f.text, lower);
    std::vector<Span> spans = CheckedSpans(upper, f);
    for (size_t k = 0; k < spans.size(); ++k) {
      EXPECT_EQ(spans[k], Span(k, k + 1));
    }
    Fold(han, FoldOptions(), &f);
    std::string expect;
    for (size_t k = 0; k < len; ++k) {
      if (k % 3 != 2) expect += "卖";
    }
    if (len % 3 == 0 && len > 0) expect += ",";  // a trailing comma stays
    EXPECT_EQ(f.text, expect);
    CheckedSpans(han, f);
  }
}

TEST(FoldTest, BufferReuse) {
  FoldedText f;
  const std::string longer(5000, 'X');
  Fold(longer, FoldOptions(), &f);
  EXPECT_EQ(f.text, std::string(5000, 'x'));
  const size_t capacity = f.begin.capacity();
  Fold("賣 淫", FoldOptions(), &f);
  EXPECT_EQ(f.text, "卖淫");
  EXPECT_EQ(CheckedSpans("賣 淫", f), (std::vector<Span>{{0, 3}, {4, 7}}));
  EXPECT_EQ(f.begin.capacity(), capacity);
  Fold("\xff", FoldOptions(), &f);
  EXPECT_EQ(f.invalid_sequences, 1u);
  Fold("ok", FoldOptions(), &f);
  EXPECT_EQ(f.invalid_sequences, 0u);
  EXPECT_EQ(f.text, "ok");
  EXPECT_EQ(f.begin.size(), 2u);
}

TEST(FoldTest, LongExpansionsGrowTheBuffers) {
  std::string input;
  for (int k = 0; k < 500; ++k) input += "\ufdfa";  // folds to 18 code points
  FoldedText f;
  Fold(input, FoldOptions(), &f);
  EXPECT_GT(f.text.size(), input.size() * 5);
  EXPECT_TRUE(IsValidUtf8(f.text));
  std::vector<Span> spans = CheckedSpans(input, f);
  EXPECT_EQ(spans.front(), Span(0, 3));
  EXPECT_EQ(spans.back(), Span(input.size() - 3, input.size()));
}

// Folding twice equals folding once, for every code point alone, between two
// Han characters and next to a letter.
TEST(FoldTest, IdempotentForEveryCodePoint) {
  FoldedText once, twice;
  const FoldOptions options;
  for (char32_t c = 0; c <= 0x10FFFF; ++c) {
    if (c >= 0xD800 && c <= 0xDFFF) continue;
    for (const std::string& s :
         {Utf8(c), "卖" + Utf8(c) + "淫", "a" + Utf8(c) + "b"}) {
      Fold(s, options, &once);
      ASSERT_TRUE(IsValidUtf8(once.text)) << std::hex << c;
      Fold(once.text, options, &twice);
      ASSERT_EQ(twice.text, once.text) << "U+" << std::hex << c;
    }
  }
}

TEST(ExplainTest, Names) {
  EXPECT_EQ(FoldKindNames(0), "");
  EXPECT_EQ(FoldKindNames(kFoldTraditional | kFoldNoise), "traditional,noise");
  EXPECT_EQ(FoldKindNames(0x1FF),
            "case,width,compat,accent,traditional,confusable,ignorable,noise,"
            "invalid_utf8");
}

TEST(ExplainTest, DroppedNoiseDoesNotReportItsOwnFolding) {
  // The full-width comma is skipped: "width" did not make this match.
  EXPECT_EQ(Explain("卖，淫"), static_cast<uint32_t>(kFoldNoise));
  EXPECT_EQ(Explain("卖，"), static_cast<uint32_t>(kFoldWidth));
}

TEST(NoiseSkippedWithinTest, SeesNoiseButNotIgnorables) {
  FoldedText f;
  const std::string noisy = "操**你";
  Fold(noisy, FoldOptions(), &f);
  ASSERT_EQ(f.text, "操你");
  EXPECT_TRUE(NoiseSkippedWithin(noisy, f, 0, 6));
  EXPECT_FALSE(NoiseSkippedWithin(noisy, f, 0, 3));
  EXPECT_FALSE(NoiseSkippedWithin(noisy, f, 3, 6));

  const std::string zero_width = "操\u200b你";
  Fold(zero_width, FoldOptions(), &f);
  ASSERT_EQ(f.text, "操你");
  EXPECT_FALSE(NoiseSkippedWithin(zero_width, f, 0, 6));

  const std::string plain = "操你";
  Fold(plain, FoldOptions(), &f);
  EXPECT_FALSE(NoiseSkippedWithin(plain, f, 0, 6));

  const std::string invalid = "操\xff你";
  Fold(invalid, FoldOptions(), &f);
  ASSERT_EQ(f.text, "操你");
  EXPECT_TRUE(NoiseSkippedWithin(invalid, f, 0, 6));

  // An expansion is not a gap.
  const std::string ligature = "ﬁ";
  Fold(ligature, FoldOptions(), &f);
  EXPECT_FALSE(NoiseSkippedWithin(ligature, f, 0, 2));
}

TEST(IsWordCharTest, LettersAndDigitsOfAlphabeticScripts) {
  for (char32_t c : {U'a', U'z', U'Z', U'0', U'9', U'é', U'ж', U'α', U'ß',
                     U'ا', U'क'}) {
    EXPECT_TRUE(IsWordChar(c)) << std::hex << static_cast<uint32_t>(c);
  }
  for (char32_t c : {U'中', U'あ', U'ア', U'한', U' ', U'!', U'_', U'-',
                     U'，', U'😀', char32_t{0x200B}, char32_t{0x110000}}) {
    EXPECT_FALSE(IsWordChar(c)) << std::hex << static_cast<uint32_t>(c);
  }
}

TEST(CountCodePointsTest, Counts) {
  EXPECT_EQ(CountCodePoints(""), 0u);
  EXPECT_EQ(CountCodePoints("a中😀é"), 4u);
}

TEST(FoldVersionTest, NamesGeneratorAndUnicode) {
  const std::string_view v = FoldVersion();
  EXPECT_EQ(v.substr(0, 23), "menshen-fold-1/unicode-");
  EXPECT_GT(v.size(), 23u);
}

// Random byte soup: never a crash, always valid output with sane spans, and
// every folded code point comes from the original bytes it points at.
TEST(FoldPropertyTest, RandomBytes) {
  std::mt19937 rng(1234);
  static const std::vector<std::string> pieces = {
      "a", "Z", " ", "*", "卖", "賣", "淫", "，", "😀", "\u200b", "\ufe0f",
      "é", "e\u0301", "ﬁ", "\u0441", "𠮷", "\ufdfa", "\xff", "\x80", "\xe4\xb8",
      "\xf0\x9f", "\xed\xa0\x80", "\xc0\xaf", "\n", "1", "の"};
  FoldedText f, piece;
  FoldOptions exact;
  exact.skip_noise = false;
  for (int round = 0; round < 3000; ++round) {
    std::string s;
    const int n = static_cast<int>(rng() % 40);
    for (int k = 0; k < n; ++k) {
      if (rng() % 4 == 0) {
        s += static_cast<char>(rng() & 0xFF);
      } else {
        s += pieces[rng() % pieces.size()];
      }
    }
    for (const FoldOptions& options : {FoldOptions(), exact}) {
      Fold(s, options, &f);
      ASSERT_TRUE(IsValidUtf8(f.text));
      const std::vector<Span> spans = CheckedSpans(s, f);
      size_t k = 0;
      for (const Span& span : spans) {
        const size_t len = SequenceLength(f.text[k]);
        Fold(std::string_view(s).substr(span.first, span.second - span.first),
             exact, &piece);
        EXPECT_NE(piece.text.find(f.text.substr(k, len)), std::string::npos)
            << "round " << round;
        k += len;
      }
      Fold(f.text, options, &piece);
      EXPECT_EQ(piece.text, f.text) << "round " << round;
    }
  }
}

// A fold without offsets keeps checkpoints; FillOffsets, folding again only
// between them, gives every byte of the requested spans the same original span
// as a fold with offsets. Texts of several KiB, so that noise runs, invalid
// UTF-8, expansions and ignorables fall on checkpoints.
TEST(FillOffsetsTest, EqualsAFoldWithOffsets) {
  std::mt19937 rng(4321);
  static const std::vector<std::string> pieces = {
      "a", "Z", " ", "*", "卖", "賣", "淫", "，", "。", "😀", "\u200b", "\ufe0f",
      "é", "ﬁ", "\u0441", "𠮷", "\ufdfa", "\xff", "\x80", "\xe4\xb8", "\n",
      "1", "の", "卖卖卖卖卖卖", "hello world ", "，，，，，，，，，"};
  FoldedText full, lazy, window;
  FoldOptions exact;
  exact.skip_noise = false;
  for (int round = 0; round < 300; ++round) {
    std::string s;
    const int n = static_cast<int>(rng() % 2000);
    for (int k = 0; k < n; ++k) s += pieces[rng() % pieces.size()];
    for (FoldOptions options : {FoldOptions(), exact}) {
      options.offsets = true;
      Fold(s, options, &full);
      options.offsets = false;
      Fold(s, options, &lazy);
      ASSERT_EQ(lazy.text, full.text) << "round " << round;
      EXPECT_TRUE(lazy.begin.empty());
      EXPECT_EQ(lazy.invalid_sequences, full.invalid_sequences);
      if (s.empty()) continue;
      ASSERT_FALSE(lazy.checkpoints.empty());
      EXPECT_EQ(lazy.checkpoints[0].in, 0u);
      for (size_t k = 1; k < lazy.checkpoints.size(); ++k) {
        EXPECT_GE(lazy.checkpoints[k].in,
                  lazy.checkpoints[k - 1].in + kCheckpointBytes);
        EXPECT_GE(lazy.checkpoints[k].out, lazy.checkpoints[k - 1].out);
      }
      std::vector<std::pair<uint32_t, uint32_t>> spans;
      const uint32_t size = static_cast<uint32_t>(full.text.size());
      for (int k = 0, m = static_cast<int>(rng() % 6); k < m && size > 0; ++k) {
        const uint32_t a = rng() % size;
        spans.emplace_back(a, a + 1 + rng() % std::min<uint32_t>(size - a, 40));
      }
      std::vector<std::pair<uint32_t, uint32_t>> requested = spans;
      FillOffsets(s, options, &spans, &lazy, &window);
      ASSERT_EQ(lazy.text, full.text);
      // Still the fold without offsets: not the fallback that folds it all.
      ASSERT_FALSE(lazy.checkpoints.empty()) << "round " << round;
      ASSERT_EQ(lazy.begin.size(), full.text.size());
      for (auto [a, b] : requested) {
        for (uint32_t k = a; k < b; ++k) {
          ASSERT_EQ(lazy.begin[k], full.begin[k]) << "round " << round << " byte " << k;
          ASSERT_EQ(lazy.end[k], full.end[k]) << "round " << round << " byte " << k;
        }
      }
    }
  }
}

// The vector step (fold_block.h) against the scalar pass, on text shaped like
// Chinese: mostly Han that folds to itself, with punctuation of every kind the
// step writes, and the code points that stop it (traditional Han, ASCII,
// full-width letters, emoji, ignorables, invalid and truncated sequences,
// noise runs longer than kMaxNoiseRun), then text that is half noise.
//
// Every vector step this CPU has is compared (AVX-512 blocks, AVX2 windows):
// the test forces each through FoldOptions::vector.
class FoldVectorTest : public ::testing::TestWithParam<FoldVector> {};

INSTANTIATE_TEST_SUITE_P(Paths, FoldVectorTest,
                         ::testing::Values(FoldVector::kAvx2, FoldVector::kAvx512,
                                           FoldVector::kAvx512Windows, FoldVector::kBest),
                         [](const ::testing::TestParamInfo<FoldVector>& info) {
                           return std::string(FoldVectorName(info.param));
                         });

TEST_P(FoldVectorTest, EqualsTheScalarPass) {
  if (!FoldVectorSupported(GetParam())) {
    GTEST_SKIP() << "this CPU lacks the instructions of the " << FoldVectorName(GetParam())
                 << " path; it is not compared here";
  }
  const std::vector<std::string> han = Utf8Pieces(
      "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会"
      "卖淫毒赌冰网操妈傻逼大麻烦");
  const std::vector<std::string> punctuation = Utf8Pieces(
      "，。、：；！？（）《》「」『』【】〈〉“”‘’—～·％＋＝　…‥※〃〇");
  const std::vector<std::string> stoppers = {
      "賣", "國", "說", "a", "Z", " ", "1", "*", "hello ", "\n", "ｆ", "Ａ", "０",
      "😀", "\u200b", "\ufe0f", "の", "が", "𠮷", "\xff", "\x80", "\xe4\xb8", "\xed\xa0\x80",
      "\xe0\x80\x80", "，，，，，，，，，", "。。。。。。。。", "\u00a0", "·", "é", "ß", "Ω",
      "\u00ad", "─", "│", "①", "ﬁ", "\xc0\xaf", "\xc2", "Hello, World: ", "-l --all ",
      "\u4dc0", "\ufeff", "\ue000", "\u2028", "™", "€", "㎏", "\u3000\u3000",
      "\uf900", "\ufad6" /* folds to U+2xxxx: longer than itself */};
  std::mt19937 rng(2026);
  FoldedText scalar, vector, with_offsets, window;
  // The later rounds are half noise, much of it … (three code points of a
  // noise run each), so that runs near kMaxNoiseRun are common.
  const std::vector<std::string> dense_noise = Utf8Pieces("…………，。 ·");
  for (int round = 0; round < 600; ++round) {
    std::string s;
    const int n = static_cast<int>(rng() % 3000);
    const unsigned stop_per_mille = round < 400 ? rng() % 80 : 0;
    const unsigned noise_per_mille = round < 400 ? 120 : 500;
    for (int k = 0; k < n; ++k) {
      const unsigned r = rng() % 1000;
      if (r < stop_per_mille) {
        s += stoppers[rng() % stoppers.size()];
      } else if (r < stop_per_mille + noise_per_mille) {
        s += round < 400 ? punctuation[rng() % punctuation.size()]
                         : dense_noise[rng() % dense_noise.size()];
      } else {
        s += han[rng() % han.size()];
      }
    }
    for (bool skip_noise : {true, false}) {
      FoldOptions options;
      options.skip_noise = skip_noise;
      options.offsets = false;
      options.vector = FoldVector::kNone;
      Fold(s, options, &scalar);
      options.vector = GetParam();
      Fold(s, options, &vector);
      ASSERT_EQ(vector.text, scalar.text) << "round " << round << " skip_noise " << skip_noise;
      EXPECT_EQ(vector.invalid_sequences, scalar.invalid_sequences);
      // Checkpoints may fall elsewhere (blocks pass them by less than a
      // block), but every one must resume the fold: FillOffsets over the
      // whole text refolds from each and would fall back on a mismatch.
      if (s.empty()) continue;
      ASSERT_FALSE(vector.checkpoints.empty());
      EXPECT_EQ(vector.checkpoints[0].in, 0u);
      for (size_t k = 1; k < vector.checkpoints.size(); ++k) {
        EXPECT_GE(vector.checkpoints[k].in, vector.checkpoints[k - 1].in + kCheckpointBytes);
      }
      std::vector<std::pair<uint32_t, uint32_t>> everything = {
          {0, static_cast<uint32_t>(vector.text.size())}};
      FillOffsets(s, options, &everything, &vector, &window);
      ASSERT_FALSE(vector.checkpoints.empty()) << "round " << round << ": fell back";
      options.offsets = true;
      Fold(s, options, &with_offsets);
      ASSERT_EQ(with_offsets.text, vector.text) << "round " << round;
      ASSERT_EQ(vector.begin.size(), with_offsets.begin.size());
      for (size_t k = 0; k < vector.text.size(); ++k) {
        ASSERT_EQ(vector.begin[k], with_offsets.begin[k]) << "round " << round << " byte " << k;
        ASSERT_EQ(vector.end[k], with_offsets.end[k]) << "round " << round << " byte " << k;
      }
    }
  }
}

// Random sequences of pieces of known class, checked against a direct
// implementation of the noise rule on the pieces.
TEST(FoldPropertyTest, NoiseRuleOnPieces) {
  enum Class { kHan, kNoise, kIgnorable, kWord };
  struct Piece {
    std::string text;
    std::string folded;
    Class cls;
  };
  const std::vector<Piece> pieces = {
      {"卖", "卖", kHan},         {"賣", "卖", kHan},
      {"𠮷", "𠮷", kHan},         {"淫", "淫", kHan},
      {" ", " ", kNoise},         {"*", "*", kNoise},
      {"，", ",", kNoise},        {"😀", "😀", kNoise},
      {"·", "·", kNoise},         {"\u3000", " ", kNoise},
      {"\u200b", "", kIgnorable}, {"\ufe0f", "", kIgnorable},
      {"a", "a", kWord},          {"Ｂ", "b", kWord},
      {"1", "1", kWord},          {"の", "の", kWord},
  };
  std::mt19937 rng(99);
  FoldedText f;
  for (int round = 0; round < 5000; ++round) {
    std::vector<const Piece*> seq;
    const int n = static_cast<int>(rng() % 30);
    for (int k = 0; k < n; ++k) {
      // Mostly Han and noise, so that runs of every length occur.
      const uint32_t r = rng() % 100;
      seq.push_back(&pieces[r < 45   ? rng() % 4
                            : r < 90 ? 4 + rng() % 6
                            : r < 95 ? 10 + rng() % 2
                                     : 12 + rng() % 4]);
    }
    std::string input, expect;
    std::vector<Span> expect_spans;
    // Output position and spans after the last Han piece, and noise since.
    size_t han_out = 0, han_spans = 0;
    int noise = -1;
    uint32_t at = 0;
    for (const Piece* p : seq) {
      const uint32_t len = static_cast<uint32_t>(p->text.size());
      if (p->cls == kHan && noise > 0 && noise <= kMaxNoiseRun) {
        expect.resize(han_out);
        expect_spans.resize(han_spans);
      }
      if (p->cls != kIgnorable) {
        expect += p->folded;
        expect_spans.emplace_back(at, at + len);
      }
      if (p->cls == kHan) {
        han_out = expect.size();
        han_spans = expect_spans.size();
        noise = 0;
      } else if (p->cls == kNoise) {
        noise = noise >= 0 ? noise + 1 : -1;
      } else if (p->cls == kWord) {
        noise = -1;
      }
      input += p->text;
      at += len;
    }
    Fold(input, FoldOptions(), &f);
    ASSERT_EQ(f.text, expect) << "round " << round << ": " << input;
    ASSERT_EQ(CheckedSpans(input, f), expect_spans) << input;
  }
}

}  // namespace
}  // namespace menshen::internal
