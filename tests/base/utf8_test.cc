#include "lib/base/utf8.h"

#include "gtest/gtest.h"

namespace menshen::internal {
namespace {

// Every scalar value encodes and decodes back, with its own length.
TEST(DecodeUtf8, RoundTripsEveryScalarValue) {
  std::string s;
  for (char32_t cp = 0; cp <= 0x10FFFF; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    s.clear();
    AppendUtf8(cp, &s);
    char32_t got = 0;
    ASSERT_EQ(DecodeUtf8(s, 0, &got), s.size()) << std::hex << cp;
    ASSERT_EQ(got, cp);
  }
}

// Ill-formed sequences from Unicode Table 3-7's boundaries are rejected.
TEST(DecodeUtf8, RejectsIllFormedSequences) {
  for (const char* bad : {"\x80", "\xBF", "\xC0\x80", "\xC1\xBF", "\xC2", "\xC2\x41",
                          "\xE0\x80\x80", "\xE0\x9F\xBF", "\xED\xA0\x80", "\xED\xBF\xBF",
                          "\xE4\xB8", "\xF0\x80\x80\x80", "\xF0\x8F\xBF\xBF",
                          "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xFF", "\xF0\x9F\x98"}) {
    char32_t cp;
    EXPECT_EQ(DecodeUtf8(bad, 0, &cp), 0u) << testing::PrintToString(std::string(bad));
  }
  EXPECT_FALSE(IsValidUtf8("ok\xE4\xB8"));
  EXPECT_TRUE(IsValidUtf8("好的 \xF0\x9F\x98\x80"));
  EXPECT_EQ(SanitizeUtf8("a\xFF" "b"), "a\xEF\xBF\xBD" "b");
}

}  // namespace
}  // namespace menshen::internal
