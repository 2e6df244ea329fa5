// The normaliser's UTF-8 decoding (one code point, or one maximal invalid
// subpart, replaced by U+FFFD) and encoding, shared by the block and the streaming fold so
// both split invalid input the same way.
#ifndef MENSHEN_LIB_NORMALIZE_UTF8_DECODE_H_
#define MENSHEN_LIB_NORMALIZE_UTF8_DECODE_H_

#include <cstddef>

namespace menshen::internal {

inline constexpr char32_t kReplacement = 0xFFFD;

// Decodes the sequence at p[0..avail) (p[0] >= 0x80). Returns its length and
// sets *cp, or returns the length of the maximal invalid subpart (Unicode
// 15.0, section 3.9, "U+FFFD Substitution of Maximal Subparts") and sets *cp
// to U+FFFD and *valid to false.
inline size_t DecodeMultiByte(const unsigned char* p, size_t avail,
                              char32_t* cp, bool* valid) {
  const unsigned b0 = p[0];
  size_t need;
  unsigned lo = 0x80, hi = 0xBF;
  char32_t c;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 1;
    c = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 2;
    c = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;  // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 3;
    c = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    *cp = kReplacement;
    *valid = false;
    return 1;
  }
  for (size_t k = 1; k <= need; ++k) {
    if (k >= avail || p[k] < lo || p[k] > hi) {
      *cp = kReplacement;
      *valid = false;
      return k;
    }
    c = (c << 6) | (p[k] & 0x3F);
    lo = 0x80;
    hi = 0xBF;
  }
  *cp = c;
  *valid = true;
  return need + 1;
}

// Writes the UTF-8 of c at t (up to 4 bytes); returns the length.
inline size_t EncodeUtf8(char32_t c, char* t) {
  if (c < 0x80) {
    t[0] = static_cast<char>(c);
    return 1;
  }
  if (c < 0x800) {
    t[0] = static_cast<char>(0xC0 | (c >> 6));
    t[1] = static_cast<char>(0x80 | (c & 0x3F));
    return 2;
  }
  if (c < 0x10000) {
    t[0] = static_cast<char>(0xE0 | (c >> 12));
    t[1] = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    t[2] = static_cast<char>(0x80 | (c & 0x3F));
    return 3;
  }
  t[0] = static_cast<char>(0xF0 | (c >> 18));
  t[1] = static_cast<char>(0x80 | ((c >> 12) & 0x3F));
  t[2] = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
  t[3] = static_cast<char>(0x80 | (c & 0x3F));
  return 4;
}

// Whether the sequence at p[0..avail) is the start of a valid sequence that
// needs more bytes than `avail`: a stream keeps such bytes for the next chunk.
inline bool IsIncompleteSequence(const unsigned char* p, size_t avail) {
  if (avail == 0 || avail >= 4 || p[0] < 0xC2 || p[0] > 0xF4) return false;
  char32_t cp;
  bool valid;
  return DecodeMultiByte(p, avail, &cp, &valid) == avail && !valid;
}

}  // namespace menshen::internal

#endif  // MENSHEN_LIB_NORMALIZE_UTF8_DECODE_H_
