// Small UTF-8 helpers for code off the hot path (validation of pack sources,
// output sanitising). The normaliser has its own table-driven decoder.
#ifndef MENSHEN_LIB_BASE_UTF8_H_
#define MENSHEN_LIB_BASE_UTF8_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace menshen::internal {

// Length of the valid UTF-8 sequence starting at s[i] (1..4), or 0 when the
// bytes there are not a valid sequence (overlong, surrogate, > U+10FFFF,
// truncated). Stores the code point in *cp when valid.
size_t DecodeUtf8(std::string_view s, size_t i, char32_t* cp);

bool IsValidUtf8(std::string_view s);

// `s` with every invalid byte replaced by U+FFFD, for output formats that
// must be UTF-8 (JSON).
std::string SanitizeUtf8(std::string_view s);

// Appends the UTF-8 encoding of `cp` to `out`.
void AppendUtf8(char32_t cp, std::string* out);

}  // namespace menshen::internal

#endif  // MENSHEN_LIB_BASE_UTF8_H_
