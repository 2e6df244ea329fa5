// UTF-8 helpers: validation of pack sources, masking, output sanitising. The
// normaliser has its own table-driven decoder.
#ifndef MENSHEN_LIB_BASE_UTF8_H_
#define MENSHEN_LIB_BASE_UTF8_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace menshen::internal {

// Length of the valid UTF-8 sequence starting at s[i] (1..4), or 0 when the
// bytes there are not a valid sequence (overlong, surrogate, > U+10FFFF,
// truncated). Stores the code point in *cp when valid. Inline: masking and
// the policy's script count run it over whole texts.
inline size_t DecodeUtf8(std::string_view s, size_t i, char32_t* cp) {
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

bool IsValidUtf8(std::string_view s);

// `s` with every invalid byte replaced by U+FFFD, for output formats that
// must be UTF-8 (JSON).
std::string SanitizeUtf8(std::string_view s);

// Appends the UTF-8 encoding of `cp` to `out`.
void AppendUtf8(char32_t cp, std::string* out);

// `end`, moved past the combining marks (U+0300..036F, U+1AB0..1AFF,
// U+1DC0..1DFF, U+20D0..20FF, U+FE20..FE2F) that follow it in `text`. The fold
// removes them, so a hit ending at a letter ends after its accents.
size_t ExtendOverCombiningMarks(std::string_view text, size_t end);

}  // namespace menshen::internal

#endif  // MENSHEN_LIB_BASE_UTF8_H_
