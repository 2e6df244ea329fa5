// The normalisation stage: folds text so that evasive spellings of a term meet
// the term's own folded form, and keeps a map back to the caller's bytes.
//
// Pack terms (at compile time) and scanned text (at run time) go through the
// same fold, so they always agree. The folded text is internal: it is valid
// UTF-8 of folded code points, never shown to users.
//
// Thread safety: every function here is pure or works on caller-owned state;
// the fold table is immutable. A FoldedText is owned by one thread at a time.
#ifndef MENSHEN_LIB_NORMALIZE_NORMALIZER_H_
#define MENSHEN_LIB_NORMALIZE_NORMALIZER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace menshen::internal {

// Which foldings changed a piece of text; reported by Explain().
enum FoldKind : uint32_t {
  kFoldCase = 1u << 0,         // A → a, ß → ss
  kFoldWidth = 1u << 1,        // ｆ → f, full-width/half-width forms
  kFoldCompat = 1u << 2,       // other compatibility forms: ① → 1, ﬁ → fi
  kFoldAccent = 1u << 3,       // combining marks removed: é → e
  kFoldTraditional = 1u << 4,  // 賣 → 卖
  kFoldConfusable = 1u << 5,   // Cyrillic с → c
  kFoldIgnorable = 1u << 6,    // zero-width and other default-ignorables removed
  kFoldNoise = 1u << 7,        // separators skipped between Han characters
  kFoldInvalidUtf8 = 1u << 8,  // an invalid sequence replaced by U+FFFD
  // Not foldings but variants generated when the pack was built
  // (lib/pack/variants.h); a hit on one names it.
  kFoldPinyin = 1u << 9,      // shabi, cnm, 约pao
  kFoldHomophone = 1u << 10,  // 傻比
  kFoldLeet = 1u << 11,       // sh1t, f*ck, fuuuck
  kFoldSpaced = 1u << 12,     // f u c k, fu\nck, K 粉
  kFoldVariant = 1u << 13,    // 氷毒: a Unicode variant character
};

// Comma-separated names of the bits in `kinds`, e.g. "traditional,noise".
std::string FoldKindNames(uint32_t kinds);

// Identifies the fold: generator version plus ICU's Unicode version, e.g.
// "menshen-fold-1/unicode-15.0". Compiled packs record it; a pack folded with
// another version is refolded from its embedded sources.
std::string_view FoldVersion();

// Most noise code points skipped between two Han characters. Bounded so that a
// stream's hold-back stays bounded; a longer run is kept as text.
inline constexpr int kMaxNoiseRun = 8;

// Leaves new elements uninitialised, so that growing an offset map costs
// nothing until the fold writes it (FillOffsets writes only parts of one).
template <typename T>
struct UninitializedAllocator : std::allocator<T> {
  template <typename U>
  struct rebind {
    using other = UninitializedAllocator<U>;
  };
  UninitializedAllocator() = default;
  template <typename U>
  UninitializedAllocator(const UninitializedAllocator<U>&) noexcept {}
  template <typename U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};
using OffsetMap = std::vector<uint32_t, UninitializedAllocator<uint32_t>>;

// A point where a fold without offsets can be resumed: input byte `in` is the
// start of a code point, `out` bytes of folded text came before it, and no
// noise run was open (the last folded code point was Han when `after_han`).
// Every byte folded before `out` is final.
struct FoldCheckpoint {
  uint32_t in;
  uint32_t out;
  bool after_han;
};

// Input bytes between checkpoints (at least; a checkpoint waits for a noise
// run to close). FillOffsets refolds about this much around each span.
inline constexpr uint32_t kCheckpointBytes = 64;

// The result of folding one text. Buffers keep their capacity between calls,
// so a reused FoldedText allocates nothing in steady state.
struct FoldedText {
  std::string text;  // folded code points, always valid UTF-8
  // For every byte of `text`: the original byte range [begin, end) of the
  // input code point that produced it. Folded without offsets, they are as
  // long as `text` but hold only what FillOffsets wrote.
  OffsetMap begin;
  OffsetMap end;
  // Kept by a fold without offsets, in increasing order, the first at 0.
  std::vector<FoldCheckpoint, UninitializedAllocator<FoldCheckpoint>> checkpoints;
  // Invalid UTF-8 sequences replaced by U+FFFD.
  size_t invalid_sequences = 0;

  // Original byte span of the folded bytes [start, stop); stop > start.
  size_t OriginalBegin(size_t start) const { return begin[start]; }
  size_t OriginalEnd(size_t stop) const { return end[stop - 1]; }
};

// The vector step of the fold without offsets (fold_block.h). The result is
// the same whichever runs; tests choose each to compare them.
enum class FoldVector {
  kBest,           // the fastest this CPU has for the text (by its share of ASCII)
  kNone,           // the scalar pass alone
  kAvx2,           // windows of 32 bytes, AVX2
  kAvx512,         // blocks of sixteen code points, AVX-512 BW, VBMI and VBMI2
  kAvx512Windows,  // windows of 64 bytes, AVX-512 BW, VBMI and VBMI2
};

// Whether this CPU runs `vector` (kBest and kNone: always).
bool FoldVectorSupported(FoldVector vector);
// "best", "none", "avx2", "avx512", "avx512w".
std::string_view FoldVectorName(FoldVector vector);

struct FoldOptions {
  // Skip noise (spaces, punctuation, symbols, emoji) between Han characters:
  // a run of at most kMaxNoiseRun folded noise code points (ignorables do not
  // count) between two Han characters is dropped. See docs/normalisation.md.
  bool skip_noise = true;
  // Fill FoldedText::begin and end. Without them the pass writes only the
  // folded text and checkpoints, which is all a first look for candidates
  // needs; FillOffsets then maps the few spans that matched.
  bool offsets = true;
  // The vector step, where the pass keeps no offsets; one this CPU does not
  // have means the scalar pass.
  FoldVector vector = FoldVector::kBest;
};

// Folds `input` (any bytes; invalid UTF-8 becomes U+FFFD, one per maximal
// invalid subpart, mapped to exactly the bytes it replaces) into `out`.
// Inputs longer than 4 GiB are the caller's to refuse.
void Fold(std::string_view input, const FoldOptions& options, FoldedText* out);

// Makes folded->begin and end hold the original spans of the folded bytes in
// each of `spans` (folded byte ranges [first, second), sorted or not), by
// folding again, with offsets, the input between the checkpoints around them.
// `folded` must be the fold of `input` with `options` and offsets off.
// `window` is scratch space, reused between calls.
void FillOffsets(std::string_view input, const FoldOptions& options,
                 std::vector<std::pair<uint32_t, uint32_t>>* spans,
                 FoldedText* folded, FoldedText* window);

// Folds a pack term; equal to Fold(term).text.
std::string FoldTerm(std::string_view term, const FoldOptions& options = {});

// Which foldings turn `original` (the caller's bytes of one hit) into its
// folded form. Not on the hot path: called only to explain a hit.
uint32_t Explain(std::string_view original);

// Whether noise was skipped between two folded characters inside the folded
// bytes [start, stop) of `folded`, which was made from `original`. Used to
// reject hits of terms flagged `exact`.
bool NoiseSkippedWithin(std::string_view original, const FoldedText& folded,
                        size_t start, size_t stop);

// Whether the folded code point counts as part of a word (a letter or digit)
// for the `word` flag's boundary test. Letters, digits and spacing marks of
// alphabetic scripts count; Han, kana, Hangul, Bopomofo and Yi do not, so a
// Latin term flagged `word` still matches inside Chinese text.
bool IsWordChar(char32_t folded_code_point);

// Number of code points in valid UTF-8 `folded`.
size_t CountCodePoints(std::string_view folded);

}  // namespace menshen::internal

#endif  // MENSHEN_LIB_NORMALIZE_NORMALIZER_H_
