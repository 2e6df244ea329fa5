// Variants generated when a pack is built: spellings the fold cannot undo
// because they are rewritten, not re-encoded (pinyin, homophones, variant
// characters, leet, spaced letters). Each becomes an entry of its own, with
// its own Hyperscan pattern, that names the entry it was made from
// (Entry.variant_of), so matching and resolution treat it as any entry and
// hits report the original id and term. docs/packs.md, "Variants", has the
// rules and the bounds.
#ifndef MENSHEN_LIB_PACK_VARIANTS_H_
#define MENSHEN_LIB_PACK_VARIANTS_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "lib/pack/pack.pb.h"

namespace menshen::internal {

// Bounds per entry, so a pack's size stays a small multiple of its terms.
inline constexpr size_t kMaxReadingCombinations = 4;  // of polyphonic characters
inline constexpr size_t kMaxHanForPinyin = 6;         // longer terms get no pinyin forms
inline constexpr size_t kMaxHanForMixed = 4;          // mixes replace one character
inline constexpr size_t kMaxHomophonesPerChar = 12;   // most frequent first
inline constexpr size_t kMaxCharacterVariants = 8;
inline constexpr size_t kMaxLatinLetters = 24;        // longer Latin terms: no leet forms

// Appends to `entries` the variants of every deny literal with id set: those
// its flags ask for (pinyin, homophone, leet), plus variant characters of Han
// terms and noise between Latin letters and Han characters (K 粉), which every
// term gets, as the fold gives every term traditional characters and noise
// between Han characters. Variants that fold to an existing literal are
// dropped. Variant ids are the base id, "~", a kind letter and a counter.
void AddVariants(std::vector<pack::Entry>* entries);

// The readings of a Han character (toneless pinyin), ICU's first; empty for
// anything else. For tests and the measurement tools.
std::vector<std::string> HanReadings(char32_t cp);

// The FoldKind bit (lib/normalize/normalizer.h) that names a variant kind in
// explanations; 0 for VARIANT_NONE.
uint32_t VariantFoldKind(pack::VariantKind kind);

}  // namespace menshen::internal

#endif  // MENSHEN_LIB_PACK_VARIANTS_H_
