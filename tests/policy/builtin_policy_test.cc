#include "lib/policy/builtin_policy.h"

#include "gtest/gtest.h"

namespace menshen::internal {
namespace {

Hit Span(size_t start, size_t end) {
  Hit h;
  h.start = start;
  h.end = end;
  return h;
}

TEST(MaskHits, OneStarPerCodePointAndMergedOverlaps) {
  std::string out;
  const std::string text = "出售冰毒，量大";  // 3 bytes per character
  MaskHits(text, {Span(0, 12), Span(6, 12)}, &out);
  EXPECT_EQ(out, "****，量大");
  MaskHits(text, {Span(0, 6), Span(3, 9), Span(15, 21)}, &out);
  EXPECT_EQ(out, "***毒，**");
  MaskHits("abc def", {}, &out);
  EXPECT_EQ(out, "abc def");
  MaskHits("a\xff" "b", {Span(1, 2)}, &out);  // an invalid byte is one character
  EXPECT_EQ(out, "a*b");
  MaskHits("abcdef", {Span(0, 2), Span(2, 4)}, &out);  // adjacent, not overlapping
  EXPECT_EQ(out, "****ef");
}

}  // namespace
}  // namespace menshen::internal
