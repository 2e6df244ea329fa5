// Tables for pack-time variant generation, generated at build time by
// tools/variantgen/variantgen.py from ICU (Han-Latin readings) and Unicode's
// Unihan data (other readings, GB 2312 level 1 with kFrequency ranks, variant
// characters). Never committed; see docs/packs.md, "Variants".
#ifndef MENSHEN_LIB_PACK_VARIANT_TABLES_H_
#define MENSHEN_LIB_PACK_VARIANT_TABLES_H_

#include <cstddef>
#include <cstdint>

namespace menshen::internal::vt {

inline constexpr uint16_t kNoReading = 0xFFFF;
inline constexpr uint16_t kNotCommon = 0xFFFF;

// Toneless pinyin syllables ("a" … "zuo"), sorted; readings index them.
extern const char* const kSyllables[];
extern const size_t kSyllableCount;

// A Han character of U+4E00..U+9FFF with a reading: up to three toneless
// readings, ICU's first; `common` is its frequency rank among the 3755
// characters of GB 2312 level 1 (0 most frequent) or kNotCommon.
struct HanReadings {
  char32_t cp;
  uint16_t readings[3];
  uint8_t count;
  uint16_t common;
};
extern const HanReadings kHan[];  // sorted by cp
extern const size_t kHanCount;

// Unihan variant pairs (semantic, Z, specialized semantic), both directions,
// sorted.
struct VariantPair {
  char32_t from;
  char32_t to;
};
extern const VariantPair kVariants[];
extern const size_t kVariantCount;

}  // namespace menshen::internal::vt

#endif  // MENSHEN_LIB_PACK_VARIANT_TABLES_H_
