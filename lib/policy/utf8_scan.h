// Inline UTF-8 stepping for the policy's per-request passes (masking, the
// dominant script), which run over whole texts.
#ifndef MENSHEN_LIB_POLICY_UTF8_SCAN_H_
#define MENSHEN_LIB_POLICY_UTF8_SCAN_H_

#include <cstddef>
#include <string_view>

#include "lib/base/utf8.h"

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
    const size_t len = DecodeUtf8(s, i, &cp);
    i += len == 0 ? 1 : len;
    ++n;
  }
  *count = n;
  return i;
}

}  // namespace menshen::internal

#endif  // MENSHEN_LIB_POLICY_UTF8_SCAN_H_
