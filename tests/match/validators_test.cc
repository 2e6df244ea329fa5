// Validators alone: each check on spans of folded text, positives and the
// look-alikes that must be rejected, and the guard next to Han characters.
#include "lib/match/validators.h"

#include <string>

#include "gtest/gtest.h"

namespace menshen::internal {
namespace {

// Validates the first occurrence of `candidate` inside `text` (both folded).
bool Check(pack::Validator v, const std::string& text, const std::string& candidate) {
  const size_t start = text.find(candidate);
  EXPECT_NE(start, std::string::npos) << candidate << " not in " << text;
  if (start == std::string::npos) return false;
  return Validate(v, text, start, start + candidate.size());
}

bool Alone(pack::Validator v, const std::string& candidate) { return Check(v, candidate, candidate); }

TEST(Validators, NoneAlwaysPassesAndUnknownFails) {
  EXPECT_TRUE(Validate(pack::VALIDATOR_NONE, "abc", 0, 3));
  EXPECT_FALSE(Validate(static_cast<pack::Validator>(99), "abc", 0, 3));
  EXPECT_FALSE(Validate(pack::DIGIT_RUN, "abc", 2, 1)) << "inverted span";
  EXPECT_FALSE(Validate(pack::DIGIT_RUN, "abc", 0, 9)) << "span past the end";
}

TEST(Validators, ResidentIdCheckDigitProvinceAndDate) {
  for (const char* ok : {"11010519491231002x", "44030419900307123x", "310115200002294567",
                         "510703198511126718", "320106198808081232", "130102197601011231",
                         "110105 19491231 002x", "110105-19491231-002x"}) {
    EXPECT_TRUE(Alone(pack::CN_RESIDENT_ID, ok)) << ok;
  }
  // The 15-digit form of before 1999: province and date, no check digit.
  EXPECT_TRUE(Alone(pack::CN_RESIDENT_ID, "110105491231002"));
  for (const char* bad : {
           "110105194912310021",  // wrong check digit
           "11010519491231002y",  // not a check character
           "310115200002304567",  // 30 February
           "310115190002294560",  // 1900 was not a leap year
           "910115200001014567",  // province 91 does not exist
           "000115200001014567",  // province 00
           "110105189912310020",  // born before 1900
           "110105194913310028",  // month 13
           "110105194900310022",  // month 00
           "1101051949123100x2",  // x not last
           "110105491331002",     // 15 digits, month 13
           "11010519491231002",   // 17 digits
       }) {
    EXPECT_FALSE(Alone(pack::CN_RESIDENT_ID, bad)) << bad;
  }
}

TEST(Validators, ResidentIdInsideLongerNumberIsRejected) {
  EXPECT_TRUE(Check(pack::CN_RESIDENT_ID, "身份证11010519491231002x。", "11010519491231002x"));
  EXPECT_FALSE(Check(pack::CN_RESIDENT_ID, "911010519491231002x", "11010519491231002x"));
  EXPECT_FALSE(Check(pack::CN_RESIDENT_ID, "11010519491231002x7", "11010519491231002x"));
  EXPECT_FALSE(Check(pack::CN_RESIDENT_ID, "no11010519491231002x", "11010519491231002x"));
}

TEST(Validators, Luhn) {
  for (const char* ok : {"4111111111111111", "5555555555554444", "2223000048400011",
                         "6214830123456781", "6228480012345671", "6217001234567890122",
                         "4532 0151 1283 0366", "6228-4800-1234-5671"}) {
    EXPECT_TRUE(Alone(pack::LUHN, ok)) << ok;
  }
  for (const char* bad : {"4111111111111112", "6214830123456782", "1234567890123456",
                          "6222021001123456788", "411111111111", "4111 1111 1111 111x"}) {
    EXPECT_FALSE(Alone(pack::LUHN, bad)) << bad;
  }
  EXPECT_FALSE(Check(pack::LUHN, "94111111111111111", "4111111111111111"));
  EXPECT_TRUE(Check(pack::LUHN, "卡号4111111111111111谢谢", "4111111111111111"));
}

TEST(Validators, PublicIpv4) {
  for (const char* ok : {"8.8.8.8", "1.2.3.4", "114.114.114.114", "223.5.5.5", "172.15.255.255",
                         "172.32.0.1", "192.169.0.1", "100.63.255.255", "100.128.0.1"}) {
    EXPECT_TRUE(Alone(pack::PUBLIC_IPV4, ok)) << ok;
  }
  for (const char* bad : {
           "10.0.0.1", "10.255.255.255",             // private
           "172.16.0.1", "172.31.255.255",           // private
           "192.168.1.1",                            // private
           "127.0.0.1",                              // loopback
           "169.254.10.20",                          // link-local
           "100.64.0.1", "100.127.255.254",          // shared address space
           "0.0.0.0", "255.255.255.255",             // this host, broadcast
           "224.0.0.1", "239.1.1.1", "240.0.0.1",    // multicast, reserved
           "192.0.2.1", "198.51.100.7", "203.0.113.9",  // documentation
           "198.18.0.1",                             // benchmarking
           "256.1.1.1", "1.2.3.999", "01.2.3.4", "1.2.3",
       }) {
    EXPECT_FALSE(Alone(pack::PUBLIC_IPV4, bad)) << bad;
  }
  // Version strings and longer dotted runs are not addresses.
  EXPECT_FALSE(Check(pack::PUBLIC_IPV4, "1.2.3.4.5", "1.2.3.4"));
  EXPECT_FALSE(Check(pack::PUBLIC_IPV4, "v1.2.3.4", "1.2.3.4"));
  EXPECT_FALSE(Check(pack::PUBLIC_IPV4, "9.1.2.3.4", "1.2.3.4"));
  EXPECT_TRUE(Check(pack::PUBLIC_IPV4, "服务器8.8.8.8。", "8.8.8.8"));
  EXPECT_TRUE(Check(pack::PUBLIC_IPV4, "at 8.8.8.8.", "8.8.8.8")) << "a full stop ends a sentence";
}

TEST(Validators, DigitRunGuardWorksNextToHan) {
  const std::string mobile = "13812345678";
  EXPECT_TRUE(Check(pack::DIGIT_RUN, "电话" + mobile + "谢谢", mobile));
  EXPECT_TRUE(Check(pack::DIGIT_RUN, mobile, mobile));
  EXPECT_TRUE(Check(pack::DIGIT_RUN, "tel:" + mobile + ".", mobile));
  EXPECT_TRUE(Check(pack::DIGIT_RUN, "(" + mobile + ")", mobile));
  // Inside longer runs of digits or letters, also between Han characters.
  EXPECT_FALSE(Check(pack::DIGIT_RUN, "订单2" + mobile + "号", mobile));
  EXPECT_FALSE(Check(pack::DIGIT_RUN, "订单" + mobile + "9号", mobile));
  EXPECT_FALSE(Check(pack::DIGIT_RUN, "单号a" + mobile, mobile));
  EXPECT_FALSE(Check(pack::DIGIT_RUN, mobile + "x", mobile));
  // Continued through one separator: dates, versions, decimals, ranges.
  EXPECT_FALSE(Check(pack::DIGIT_RUN, "2023-" + mobile, mobile));
  EXPECT_FALSE(Check(pack::DIGIT_RUN, mobile + ".5", mobile));
  EXPECT_FALSE(Check(pack::DIGIT_RUN, mobile + "_01", mobile));
  EXPECT_FALSE(Check(pack::DIGIT_RUN, "12:" + mobile, mobile));
  EXPECT_FALSE(Check(pack::DIGIT_RUN, "3/" + mobile, mobile));
  // A separator not followed by a digit does not continue the run.
  EXPECT_TRUE(Check(pack::DIGIT_RUN, "a-" + mobile + "-b", mobile));
}

TEST(Validators, TokenNeedsAStartAndDigits) {
  EXPECT_TRUE(Alone(pack::TOKEN, "sk-abc123def456ghi789jkl012mno345pq"));
  EXPECT_TRUE(Check(pack::TOKEN, "key=sk-abc123def456ghi789jkl012mno345pqrstu", "sk-abc123def456"))
      << "the end is not checked: a bounded pattern may stop inside the token";
  EXPECT_FALSE(Check(pack::TOKEN, "task-implement-the-new-feature-for", "sk-implement"));
  EXPECT_FALSE(Alone(pack::TOKEN, "sk-implement-the-new-feature-for-users-now"));
  EXPECT_FALSE(Alone(pack::TOKEN, "sk-only1digit-here-and-there-words"));
}

// The same answer on a window of the text as on the whole text: what a
// streaming caller relies on.
TEST(Validators, PureOverWindows) {
  const std::string text = "前文很长很长……电话13812345678，身份证11010519491231002x，卡4111111111111111。后文";
  for (const auto& [v, candidate] :
       std::initializer_list<std::pair<pack::Validator, std::string>>{
           {pack::DIGIT_RUN, "13812345678"},
           {pack::CN_RESIDENT_ID, "11010519491231002x"},
           {pack::LUHN, "4111111111111111"}}) {
    const size_t start = text.find(candidate);
    const size_t end = start + candidate.size();
    const bool whole = Validate(v, text, start, end);
    EXPECT_TRUE(whole) << candidate;
    for (size_t margin : {3, 6, 9}) {  // code points of 3 bytes on both sides
      const size_t from = start - margin;
      const std::string window = text.substr(from, end + margin - from);
      EXPECT_EQ(Validate(v, window, start - from, end - from), whole) << candidate << " " << margin;
    }
  }
}

}  // namespace
}  // namespace menshen::internal
