// Layout of the fold table that tools/foldgen generates from ICU at build time
// (the generated fold_table.cc is a build output, never committed).
//
// The table answers, for every code point, what it folds to and what class of
// character the result is. It is a two-stage table: kStage1[cp >> 8] names a
// block of 256 entries in kStage2; identical blocks are stored once.
//
// An entry is one uint32_t:
//   bits  0..20  value: the target code point (kModeSingle) or an offset into
//                kPool (kModeExpansion); 0 otherwise
//   bits 21..22  mode (Mode)
//   bits 23..24  class of the folded result (CharClass); for an expansion,
//                that of its first item (each pool item carries its own)
//   bits 25..31  FoldKind bits 0..6 (case .. ignorable) that changed the code
//                point; 0 for kModeIdentity
// A pool item at kPool[offset] is the count n, followed by n items, each a
// folded code point | class << kClassShift.
//
// Invariants the generator checks: every folded code point folds to itself
// (so folding is idempotent); no expansion is longer than kMaxExpansionBytes
// of UTF-8; surrogates are never looked up.
#ifndef MENSHEN_LIB_NORMALIZE_FOLD_TABLE_H_
#define MENSHEN_LIB_NORMALIZE_FOLD_TABLE_H_

#include <cstdint>

namespace menshen::internal::fold_table {

inline constexpr uint32_t kValueMask = (1u << 21) - 1;
inline constexpr uint32_t kModeShift = 21;
inline constexpr uint32_t kModeMask = 3;
inline constexpr uint32_t kClassShift = 23;
inline constexpr uint32_t kClassMask = 3;
inline constexpr uint32_t kKindsShift = 25;

enum Mode : uint32_t {
  kModeIdentity = 0,   // folds to itself
  kModeSingle = 1,     // folds to one other code point
  kModeExpansion = 2,  // folds to two or more code points (kPool)
  kModeEmpty = 3,      // folds to nothing (ignorable, lone combining mark)
};

enum CharClass : uint32_t {
  kClassOther = 0,  // kana, hangul, private use, unassigned, other format chars
  kClassWord = 1,   // letter, digit or mark of an alphabetic script
  kClassHan = 2,    // Script=Han
  kClassNoise = 3,  // whitespace, controls, punctuation, symbols, emoji
};

inline constexpr int kBlockBits = 8;
inline constexpr uint32_t kBlockSize = 1u << kBlockBits;
inline constexpr uint32_t kStage1Size = 0x110000 >> kBlockBits;

// A one-byte shortcut for U+3000..U+9FFF (CJK punctuation, kana, CJK
// unified ideographs), small enough to stay in L1 cache: the class of a code
// point that folds to itself, or kCjkNotIdentity.
inline constexpr uint32_t kCjkFirst = 0x3000;
inline constexpr uint32_t kCjkSize = 0xA000 - kCjkFirst;
inline constexpr uint8_t kCjkNotIdentity = 0xFF;

extern const uint16_t kStage1[kStage1Size];
extern const uint8_t kCjk[kCjkSize];
// One bit per code point of U+3000..U+9FFF, set when it is Han and folds to
// itself: most of any Chinese text. At 3.5 KiB it stays in L1 cache while a
// long text streams through, where kCjk (28 KiB) does not.
extern const uint32_t kHanIdentity[kCjkSize / 32];
extern const uint32_t kStage2[];
extern const uint32_t kStage2Size;  // entries
extern const uint32_t kPool[];
extern const uint32_t kPoolSize;  // items
extern const uint32_t kMaxExpansionBytes;
extern const char kVersion[];

inline uint32_t Lookup(uint32_t cp) {
  return kStage2[(static_cast<uint32_t>(kStage1[cp >> kBlockBits])
                  << kBlockBits) |
                 (cp & (kBlockSize - 1))];
}
// Punctuation of Chinese text that folds to noise the fold can write without
// the two-stage table: one byte per code point of U+2000..U+303F, then of
// U+FF00..U+FFEF, then a 0 for everything else. The byte is
// kFastNoiseSame (folds to itself, three bytes of UTF-8), the ASCII noise
// character it folds to (，→ ","), or 0 (not such punctuation).
inline constexpr uint32_t kFastNoiseLowFirst = 0x2000;
inline constexpr uint32_t kFastNoiseLowSize = 0x3040 - kFastNoiseLowFirst;
inline constexpr uint32_t kFastNoiseHighFirst = 0xFF00;
inline constexpr uint32_t kFastNoiseHighSize = 0xFFF0 - kFastNoiseHighFirst;
inline constexpr uint32_t kFastNoiseSize =
    kFastNoiseLowSize + kFastNoiseHighSize + 1;
inline constexpr uint8_t kFastNoiseSame = 0x80;
extern const uint8_t kFastNoise[kFastNoiseSize];

// 1 when cp is Han and folds to itself, else 0.
inline uint32_t IsIdentityHan(uint32_t cp) {
  const uint32_t k = cp - kCjkFirst;
  return k < kCjkSize ? (kHanIdentity[k / 32] >> (k % 32)) & 1 : 0;
}
// Any code point.
inline uint32_t FastNoise(uint32_t cp) {
  const uint32_t low = cp - kFastNoiseLowFirst;
  const uint32_t high = cp - kFastNoiseHighFirst;
  uint32_t k = kFastNoiseSize - 1;
  k = high < kFastNoiseHighSize ? kFastNoiseLowSize + high : k;
  k = low < kFastNoiseLowSize ? low : k;
  return kFastNoise[k];
}
inline uint32_t ModeOf(uint32_t entry) {
  return (entry >> kModeShift) & kModeMask;
}
inline uint32_t ClassOf(uint32_t entry) {
  return (entry >> kClassShift) & kClassMask;
}
inline uint32_t KindsOf(uint32_t entry) { return entry >> kKindsShift; }

}  // namespace menshen::internal::fold_table

#endif  // MENSHEN_LIB_NORMALIZE_FOLD_TABLE_H_
