#include "lib/match/validators.h"

#include <algorithm>
#include <array>
#include <cstdint>

namespace menshen::internal {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAsciiAlnum(char c) { return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsJoiner(char c) { return c == '.' || c == '-' || c == '_' || c == '/' || c == ':'; }

// Bytes >= 0x80 belong to non-ASCII code points (Han, punctuation, ...),
// which never continue an ASCII number, so the guard reads single bytes.
bool ContinuesBefore(std::string_view s, size_t start) {
  if (start == 0) return false;
  const char c = s[start - 1];
  if (IsAsciiAlnum(c)) return true;
  return IsJoiner(c) && start >= 2 && IsDigit(s[start - 2]);
}

bool ContinuesAfter(std::string_view s, size_t end) {
  if (end >= s.size()) return false;
  const char c = s[end];
  if (IsAsciiAlnum(c)) return true;
  return IsJoiner(c) && end + 1 < s.size() && IsDigit(s[end + 1]);
}

// The span's digits (and a trailing x for IDs), separators dropped; false if
// it holds anything else or more than `max` of them.
template <size_t N>
bool CollectDigits(std::string_view span, bool allow_x, std::array<char, N>* out, size_t* n) {
  *n = 0;
  for (char c : span) {
    if (c == ' ' || c == '-') continue;
    if (!IsDigit(c) && !(allow_x && c == 'x')) return false;
    if (*n == N) return false;
    (*out)[(*n)++] = c;
  }
  return true;
}

int Number(const char* digits, size_t count) {
  int v = 0;
  for (size_t i = 0; i < count; ++i) v = v * 10 + (digits[i] - '0');
  return v;
}

bool IsRealDate(int year, int month, int day) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1) return false;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return day <= kDays[month - 1] + (month == 2 && leap ? 1 : 0);
}

// First two digits of the administrative division code (GB/T 2260) of the
// provinces, plus 71 Taiwan, 81 Hong Kong, 82 Macau, 83 residence permits.
bool IsProvinceCode(int code) {
  switch (code) {
    case 11: case 12: case 13: case 14: case 15:
    case 21: case 22: case 23:
    case 31: case 32: case 33: case 34: case 35: case 36: case 37:
    case 41: case 42: case 43: case 44: case 45: case 46:
    case 50: case 51: case 52: case 53: case 54:
    case 61: case 62: case 63: case 64: case 65:
    case 71: case 81: case 82: case 83:
      return true;
    default:
      return false;
  }
}

bool ValidResidentId(std::string_view span) {
  std::array<char, 18> d{};
  size_t n = 0;
  if (!CollectDigits(span, /*allow_x=*/true, &d, &n)) return false;
  for (size_t i = 0; i + 1 < n; ++i) {
    if (!IsDigit(d[i])) return false;  // x only as the check character
  }
  if (!IsProvinceCode(Number(d.data(), 2))) return false;
  if (n == 15) {
    return IsDigit(d[14]) &&
           IsRealDate(1900 + Number(&d[6], 2), Number(&d[8], 2), Number(&d[10], 2));
  }
  if (n != 18) return false;
  const int year = Number(&d[6], 4);
  if (year < 1900 || year > 2099 || !IsRealDate(year, Number(&d[10], 2), Number(&d[12], 2))) {
    return false;
  }
  static constexpr int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  static constexpr char kCheck[11] = {'1', '0', 'x', '9', '8', '7', '6', '5', '4', '3', '2'};
  int sum = 0;
  for (size_t i = 0; i < 17; ++i) sum += (d[i] - '0') * kWeights[i];
  return d[17] == kCheck[sum % 11];
}

bool PassesLuhn(std::string_view span) {
  std::array<char, 19> d{};
  size_t n = 0;
  if (!CollectDigits(span, /*allow_x=*/false, &d, &n) || n < 13) return false;
  int sum = 0;
  for (size_t i = 0; i < n; ++i) {
    int v = d[n - 1 - i] - '0';
    if (i % 2 == 1) {
      v *= 2;
      if (v > 9) v -= 9;
    }
    sum += v;
  }
  return sum % 10 == 0;
}

bool IsPublicIpv4(std::string_view span) {
  std::array<int, 4> part{};
  size_t i = 0;
  for (int k = 0; k < 4; ++k) {
    if (k > 0) {
      if (i >= span.size() || span[i] != '.') return false;
      ++i;
    }
    const size_t first = i;
    int v = 0;
    while (i < span.size() && IsDigit(span[i]) && i - first < 3) v = v * 10 + (span[i++] - '0');
    const size_t len = i - first;
    if (len == 0 || v > 255 || (len > 1 && span[first] == '0')) return false;
    part[k] = v;
  }
  if (i != span.size()) return false;
  const uint32_t a = static_cast<uint32_t>(part[0]) << 24 | static_cast<uint32_t>(part[1]) << 16 |
                     static_cast<uint32_t>(part[2]) << 8 | static_cast<uint32_t>(part[3]);
  struct Range {
    uint32_t base;
    int bits;
  };
  static constexpr Range kNotPublic[] = {
      {0x00000000, 8},  {0x0A000000, 8},  {0x64400000, 10}, {0x7F000000, 8},
      {0xA9FE0000, 16}, {0xAC100000, 12}, {0xC0000000, 24}, {0xC0000200, 24},
      {0xC0A80000, 16}, {0xC6120000, 15}, {0xC6336400, 24}, {0xCB007100, 24},
      {0xE0000000, 3},
  };
  for (const Range& r : kNotPublic) {
    const uint32_t mask = ~uint32_t{0} << (32 - r.bits);
    if ((a & mask) == r.base) return false;
  }
  return true;
}

}  // namespace

bool StandsAlone(std::string_view folded, size_t start, size_t end) {
  return !ContinuesBefore(folded, start) && !ContinuesAfter(folded, end);
}

bool Validate(pack::Validator v, std::string_view folded, size_t start, size_t end) {
  if (v == pack::VALIDATOR_NONE) return true;
  if (start > end || end > folded.size()) return false;
  const std::string_view span = folded.substr(start, end - start);
  if (v == pack::LATIN_EDGES) {
    const bool latin_start = IsAsciiAlnum(folded[start]);
    const bool latin_end = end > start && IsAsciiAlnum(folded[end - 1]);
    return !(latin_start && start > 0 && IsAsciiAlnum(folded[start - 1])) &&
           !(latin_end && end < folded.size() && IsAsciiAlnum(folded[end]));
  }
  if (v == pack::HAS_LETTER) {
    return std::any_of(span.begin(), span.end(), [](char c) { return IsAsciiLetter(c); });
  }
  if (v == pack::TOKEN) {
    if (start > 0 && IsAsciiAlnum(folded[start - 1])) return false;
    int digits = 0;
    for (char c : span) digits += IsDigit(c) ? 1 : 0;
    return digits >= 2;
  }
  if (!StandsAlone(folded, start, end)) return false;
  switch (v) {
    case pack::DIGIT_RUN:
      return true;
    case pack::CN_RESIDENT_ID:
      return ValidResidentId(span);
    case pack::LUHN:
      return PassesLuhn(span);
    case pack::PUBLIC_IPV4:
      return IsPublicIpv4(span);
    default:
      return false;
  }
}

}  // namespace menshen::internal
