// Inline UTF-8 stepping for the policy's per-request passes (masking, the
// dominant script), which run over whole texts.
#ifndef MENSHEN_LIB_POLICY_UTF8_SCAN_H_
#define MENSHEN_LIB_POLICY_UTF8_SCAN_H_

#include <cstddef>
#include <string_view>

namespace menshen::internal {

// Whether s[i] starts a 3-byte sequence that is valid as soon as its two
// continuation bytes are (every lead but E0 and ED, which need range checks):
// the common case for Han text, decoded without a call.
inline bool IsPlainThreeByteSequence(std::string_view s, size_t i) {
  const unsigned char b0 = static_cast<unsigned char>(s[i]);
  return (b0 & 0xF0) == 0xE0 && b0 != 0xE0 && b0 != 0xED && s.size() - i >= 3 &&
         (static_cast<unsigned char>(s[i + 1]) & 0xC0) == 0x80 &&
         (static_cast<unsigned char>(s[i + 2]) & 0xC0) == 0x80;
}

inline char32_t DecodeThreeBytes(std::string_view s, size_t i) {
  return (char32_t{static_cast<unsigned char>(s[i])} & 0x0F) << 12 |
         (char32_t{static_cast<unsigned char>(s[i + 1])} & 0x3F) << 6 |
         (static_cast<unsigned char>(s[i + 2]) & 0x3F);
}

// The same as DecodeUtf8 (lib/base/utf8.h), inline: the length of the valid
// UTF-8 sequence at s[i] (1..4) and its code point in *cp, or 0 when the bytes
// there are not a valid sequence (overlong, surrogate, > U+10FFFF, truncated).
inline size_t DecodeUtf8At(std::string_view s, size_t i, char32_t* cp) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  auto cont = [&](size_t k) { return (byte(k) & 0xC0) == 0x80; };
  const unsigned char b0 = byte(0);
  const size_t left = s.size() - i;
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  }
  if (b0 < 0xC2) return 0;  // a continuation byte, or an overlong 2-byte lead
  if (b0 < 0xE0) {
    if (left < 2 || !cont(1)) return 0;
    *cp = (char32_t{b0} & 0x1F) << 6 | (byte(1) & 0x3F);
    return 2;
  }
  if (b0 < 0xF0) {
    if (left < 3 || !cont(1) || !cont(2)) return 0;
    if ((b0 == 0xE0 && byte(1) < 0xA0) || (b0 == 0xED && byte(1) >= 0xA0)) return 0;
    *cp = (char32_t{b0} & 0x0F) << 12 | (char32_t{byte(1)} & 0x3F) << 6 | (byte(2) & 0x3F);
    return 3;
  }
  if (b0 < 0xF5) {
    if (left < 4 || !cont(1) || !cont(2) || !cont(3)) return 0;
    if ((b0 == 0xF0 && byte(1) < 0x90) || (b0 == 0xF4 && byte(1) >= 0x90)) return 0;
    *cp = (char32_t{b0} & 0x07) << 18 | (char32_t{byte(1)} & 0x3F) << 12 |
          (char32_t{byte(2)} & 0x3F) << 6 | (byte(3) & 0x3F);
    return 4;
  }
  return 0;
}

// Characters in s[begin, end) the way masking counts them: a valid sequence
// is one, an invalid byte is one. Returns where counting stopped (>= end: a
// sequence that starts before `end` is counted whole).
inline size_t CountCharacters(std::string_view s, size_t begin, size_t end, size_t* count) {
  size_t n = 0;
  size_t i = begin;
  char32_t cp;
  while (i < end) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i, ++n;
      continue;
    }
    if (IsPlainThreeByteSequence(s, i)) {
      i += 3, ++n;
      continue;
    }
    const size_t len = DecodeUtf8At(s, i, &cp);
    i += len == 0 ? 1 : len;
    ++n;
  }
  *count = n;
  return i;
}

}  // namespace menshen::internal

#endif  // MENSHEN_LIB_POLICY_UTF8_SCAN_H_
