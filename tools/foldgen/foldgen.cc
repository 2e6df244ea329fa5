// menshen_foldgen: asks ICU, for every code point, what it folds to, and writes
// the fold table (layout: lib/normalize/fold_table.h) as a C++ source file.
//
//   menshen_foldgen OUTPUT.cc
//
// One folding step of a code point, in order:
//   1. Default_Ignorable_Code_Point → nothing (ignorable).
//   2. NFKC_Casefold (width, compat, case), then NFD, drop gc=Mn, NFC (accent).
//   3. Per resulting code point: Han → ICU "Hant-Hans" (traditional); a Latin,
//      Greek or Cyrillic letter whose confusable skeleton is one ASCII letter →
//      that letter, lower-cased (confusable). Only case-folded letters are
//      looked at, so upper and lower case always fold alike (Cyrillic Н, whose
//      skeleton is H, folds with н, whose skeleton is not Latin).
// The fold of a code point is the step applied recursively until every code
// point of the result folds to itself, so folding twice equals folding once.
#include <unicode/normalizer2.h>
#include <unicode/translit.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/uscript.h>
#include <unicode/uspoof.h>
#include <unicode/utf16.h>
#include <unicode/uversion.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lib/normalize/fold_table.h"
#include "lib/normalize/normalizer.h"

namespace {

namespace ft = menshen::internal::fold_table;
using menshen::internal::kFoldAccent;
using menshen::internal::kFoldCase;
using menshen::internal::kFoldCompat;
using menshen::internal::kFoldConfusable;
using menshen::internal::kFoldIgnorable;
using menshen::internal::kFoldTraditional;
using menshen::internal::kFoldWidth;

// Bump when the folding rules change: compiled packs record the fold version.
constexpr char kGeneratorVersion[] = "menshen-fold-1";
constexpr UChar32 kMaxCodePoint = 0x10FFFF;

using CodePoints = std::vector<UChar32>;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "menshen_foldgen: %s\n", what.c_str());
  std::exit(1);
}

void Check(UErrorCode status, const char* what) {
  if (U_FAILURE(status)) Die(std::string(what) + ": " + u_errorName(status));
}

CodePoints ToCodePoints(const icu::UnicodeString& s) {
  CodePoints out;
  for (int32_t i = 0; i < s.length();) {
    UChar32 c = s.char32At(i);
    out.push_back(c);
    i += U16_LENGTH(c);
  }
  return out;
}

bool IsSurrogate(UChar32 c) { return c >= 0xD800 && c <= 0xDFFF; }

class Folder {
 public:
  Folder() {
    UErrorCode status = U_ZERO_ERROR;
    nfkc_ = icu::Normalizer2::getNFKCInstance(status);
    Check(status, "NFKC");
    nfkc_cf_ = icu::Normalizer2::getNFKCCasefoldInstance(status);
    Check(status, "NFKC_Casefold");
    nfd_ = icu::Normalizer2::getNFDInstance(status);
    Check(status, "NFD");
    nfc_ = icu::Normalizer2::getNFCInstance(status);
    Check(status, "NFC");
    hant_hans_.reset(icu::Transliterator::createInstance(
        "Hant-Hans", UTRANS_FORWARD, status));
    Check(status, "Hant-Hans transliterator");
    spoof_ = uspoof_open(&status);
    Check(status, "uspoof_open");
    BuildConfusables();
  }
  ~Folder() { uspoof_close(spoof_); }
  Folder(const Folder&) = delete;
  Folder& operator=(const Folder&) = delete;

  // The complete fold of `cp` and the FoldKind bits that changed it.
  const CodePoints& Fold(UChar32 cp, uint32_t* kinds) {
    auto it = memo_.find(cp);
    if (it == memo_.end()) {
      if (in_progress_.count(cp) != 0) {
        // A cycle (ICU's Hant-Hans maps U+82CE and U+82E7 to each other):
        // the code point reached first is the one that stays.
        *kinds = 0;
        cycle_ = {cp};
        return cycle_;
      }
      in_progress_[cp] = true;
      uint32_t k = 0;
      CodePoints step = Step(cp, &k);
      CodePoints result;
      if (step.size() == 1 && step[0] == cp) {
        result = step;
      } else {
        for (UChar32 c : step) {
          uint32_t ck = 0;
          const CodePoints& sub = Fold(c, &ck);
          result.insert(result.end(), sub.begin(), sub.end());
          k |= ck;
        }
      }
      if (result.size() == 1 && result[0] == cp) k = 0;
      in_progress_.erase(cp);
      it = memo_.emplace(cp, Memo{std::move(result), k}).first;
    }
    *kinds = it->second.kinds;
    return it->second.folded;
  }

  static std::string Hex(UChar32 c) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04X", static_cast<unsigned>(c));
    return buf;
  }

  size_t traditional_calls() const { return traditional_calls_; }
  size_t confusables() const { return confusable_.size(); }

 private:
  struct Memo {
    CodePoints folded;
    uint32_t kinds;
  };

  static bool IsLetter(UChar32 c) {
    return (U_GET_GC_MASK(c) & U_GC_L_MASK) != 0;
  }

  void BuildConfusables() {
    for (UChar32 c = 0x80; c <= kMaxCodePoint; ++c) {
      if (!IsLetter(c)) continue;
      UErrorCode status = U_ZERO_ERROR;
      UScriptCode script = uscript_getScript(c, &status);
      if (script != USCRIPT_LATIN && script != USCRIPT_GREEK &&
          script != USCRIPT_CYRILLIC) {
        continue;
      }
      icu::UnicodeString skeleton;
      uspoof_getSkeletonUnicodeString(spoof_, 0, icu::UnicodeString(c),
                                      skeleton, &status);
      Check(status, "uspoof_getSkeleton");
      if (skeleton.length() != 1) continue;
      UChar s = skeleton.charAt(0);
      if (s >= 'A' && s <= 'Z') s = static_cast<UChar>(s - 'A' + 'a');
      if (s < 'a' || s > 'z') continue;
      confusable_[c] = s;
    }
  }

  CodePoints Step(UChar32 cp, uint32_t* kinds) {
    if (u_hasBinaryProperty(cp, UCHAR_DEFAULT_IGNORABLE_CODE_POINT)) {
      *kinds |= kFoldIgnorable;
      return {};
    }
    UErrorCode status = U_ZERO_ERROR;
    // Most code points (unassigned, private use, most letters) are untouched
    // by every step; skipping ICU for them keeps generation fast.
    if (nfkc_cf_->isInert(cp) && nfd_->isInert(cp) &&
        u_charType(cp) != U_NON_SPACING_MARK &&
        confusable_.count(cp) == 0 &&
        uscript_getScript(cp, &status) != USCRIPT_HAN) {
      return {cp};
    }
    const icu::UnicodeString s(cp);
    icu::UnicodeString compat = nfkc_->normalize(s, status);
    icu::UnicodeString folded = nfkc_cf_->normalize(s, status);
    Check(status, "normalize");
    if (compat != s) {
      int32_t dt = u_getIntPropertyValue(cp, UCHAR_DECOMPOSITION_TYPE);
      *kinds |= (dt == U_DT_WIDE || dt == U_DT_NARROW) ? kFoldWidth
                                                       : kFoldCompat;
    }
    if (folded != compat) *kinds |= kFoldCase;

    icu::UnicodeString decomposed = nfd_->normalize(folded, status);
    Check(status, "NFD");
    icu::UnicodeString bare;
    for (UChar32 c : ToCodePoints(decomposed)) {
      if (u_charType(c) != U_NON_SPACING_MARK) bare.append(c);
    }
    icu::UnicodeString stripped = nfc_->normalize(bare, status);
    Check(status, "NFC");
    if (stripped != folded) *kinds |= kFoldAccent;

    CodePoints out;
    for (UChar32 c : ToCodePoints(stripped)) {
      if (uscript_getScript(c, &status) == USCRIPT_HAN) {
        ++traditional_calls_;
        icu::UnicodeString t(c);
        hant_hans_->transliterate(t);
        CodePoints simplified = ToCodePoints(t);
        if (simplified.size() != 1 || simplified[0] != c) {
          *kinds |= kFoldTraditional;
        }
        out.insert(out.end(), simplified.begin(), simplified.end());
        continue;
      }
      auto cc = confusable_.find(c);
      if (cc != confusable_.end()) {
        *kinds |= kFoldConfusable;
        out.push_back(cc->second);
        continue;
      }
      out.push_back(c);
    }
    Check(status, "uscript_getScript");
    return out;
  }

  const icu::Normalizer2* nfkc_ = nullptr;
  const icu::Normalizer2* nfkc_cf_ = nullptr;
  const icu::Normalizer2* nfd_ = nullptr;
  const icu::Normalizer2* nfc_ = nullptr;
  std::unique_ptr<icu::Transliterator> hant_hans_;
  USpoofChecker* spoof_ = nullptr;
  std::map<UChar32, UChar32> confusable_;
  std::map<UChar32, Memo> memo_;
  std::map<UChar32, bool> in_progress_;
  CodePoints cycle_;
  size_t traditional_calls_ = 0;
};

// The class of a folded code point (see fold_table.h).
uint32_t ClassOf(UChar32 c) {
  UErrorCode status = U_ZERO_ERROR;
  if (uscript_getScript(c, &status) == USCRIPT_HAN) return ft::kClassHan;
  const uint32_t gc = U_GET_GC_MASK(c);
  if (gc & (U_GC_Z_MASK | U_GC_CC_MASK | U_GC_P_MASK | U_GC_S_MASK |
            U_GC_ME_MASK)) {
    return ft::kClassNoise;
  }
  if (gc & (U_GC_L_MASK | U_GC_N_MASK | U_GC_MC_MASK | U_GC_MN_MASK)) {
    // Letters of ideographic and syllabic East Asian scripts are not word
    // characters: a Latin term flagged `word` still matches inside Chinese,
    // Japanese or Korean text.
    static constexpr UScriptCode kEastAsian[] = {
        USCRIPT_HAN,      USCRIPT_HIRAGANA, USCRIPT_KATAKANA,
        USCRIPT_HANGUL,   USCRIPT_BOPOMOFO, USCRIPT_YI};
    for (UScriptCode s : kEastAsian) {
      if (uscript_hasScript(c, s)) return ft::kClassOther;
    }
    return ft::kClassWord;
  }
  return ft::kClassOther;
}

size_t Utf8Length(UChar32 c) {
  return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
}

struct Table {
  std::vector<uint16_t> stage1;
  std::vector<uint32_t> cjk;
  std::vector<uint32_t> han_identity;
  std::vector<uint32_t> fast_noise;
  std::vector<uint32_t> stage2;
  std::vector<uint32_t> pool;
  uint32_t max_expansion_bytes = 0;
  std::string version;
};

Table Build(Folder& folder) {
  Table table;
  std::map<CodePoints, uint32_t> pool_index;
  std::map<std::vector<uint32_t>, uint16_t> block_index;
  std::vector<uint32_t> block(ft::kBlockSize);
  for (UChar32 base = 0; base <= kMaxCodePoint;
       base += static_cast<UChar32>(ft::kBlockSize)) {
    for (uint32_t k = 0; k < ft::kBlockSize; ++k) {
      const UChar32 cp = base + static_cast<UChar32>(k);
      uint32_t entry = 0;
      if (IsSurrogate(cp)) {
        entry = ft::kModeIdentity << ft::kModeShift;
      } else {
        uint32_t kinds = 0;
        const CodePoints& f = folder.Fold(cp, &kinds);
        if (f.size() == 1 && f[0] == cp) {
          entry = ft::kModeIdentity << ft::kModeShift |
                  ClassOf(cp) << ft::kClassShift;
        } else if (f.empty()) {
          entry = ft::kModeEmpty << ft::kModeShift;
        } else if (f.size() == 1) {
          entry = static_cast<uint32_t>(f[0]) |
                  ft::kModeSingle << ft::kModeShift |
                  ClassOf(f[0]) << ft::kClassShift;
        } else {
          auto [it, added] = pool_index.emplace(
              f, static_cast<uint32_t>(table.pool.size()));
          if (added) {
            table.pool.push_back(static_cast<uint32_t>(f.size()));
            uint32_t bytes = 0;
            for (UChar32 c : f) {
              table.pool.push_back(static_cast<uint32_t>(c) |
                                   ClassOf(c) << ft::kClassShift);
              bytes += static_cast<uint32_t>(Utf8Length(c));
            }
            if (bytes > table.max_expansion_bytes) {
              table.max_expansion_bytes = bytes;
            }
          }
          if (it->second > ft::kValueMask) Die("expansion pool too large");
          // The runtime uses each item's class; the entry's class (that of
          // the first item) answers IsWordChar for an unfolded code point.
          entry = it->second | ft::kModeExpansion << ft::kModeShift |
                  ClassOf(f[0]) << ft::kClassShift;
        }
        if (kinds >> (32 - ft::kKindsShift)) Die("kind bits overflow");
        entry |= kinds << ft::kKindsShift;
        // Every folded code point must fold to itself.
        for (UChar32 c : f) {
          uint32_t ck = 0;
          const CodePoints& again = folder.Fold(c, &ck);
          if (again.size() != 1 || again[0] != c) {
            Die("fold of U+" + Folder::Hex(cp) + " is not stable at U+" +
                Folder::Hex(c));
          }
          if (IsSurrogate(c)) Die("fold of U+" + Folder::Hex(cp) +
                                  " contains a surrogate");
        }
      }
      block[k] = entry;
    }
    auto [it, added] = block_index.emplace(
        block, static_cast<uint16_t>(block_index.size()));
    if (added) {
      if (block_index.size() > 0xFFFF) Die("too many blocks");
      table.stage2.insert(table.stage2.end(), block.begin(), block.end());
    }
    table.stage1.push_back(it->second);
  }
  for (uint32_t cp = ft::kCjkFirst; cp < ft::kCjkFirst + ft::kCjkSize; ++cp) {
    const uint32_t entry =
        table.stage2[(uint32_t{table.stage1[cp >> ft::kBlockBits]}
                      << ft::kBlockBits) |
                     (cp & (ft::kBlockSize - 1))];
    table.cjk.push_back(ft::ModeOf(entry) == ft::kModeIdentity
                            ? ft::ClassOf(entry)
                            : ft::kCjkNotIdentity);
  }
  table.han_identity.assign(ft::kCjkSize / 32, 0);
  for (uint32_t k = 0; k < ft::kCjkSize; ++k) {
    if (table.cjk[k] == ft::kClassHan) table.han_identity[k / 32] |= 1u << (k % 32);
  }
  auto fast_noise = [&](uint32_t cp) -> uint32_t {
    const uint32_t entry =
        table.stage2[(uint32_t{table.stage1[cp >> ft::kBlockBits]}
                      << ft::kBlockBits) |
                     (cp & (ft::kBlockSize - 1))];
    if (ft::ClassOf(entry) != ft::kClassNoise) return 0;
    if (ft::ModeOf(entry) == ft::kModeIdentity) return ft::kFastNoiseSame;
    const uint32_t target = entry & ft::kValueMask;
    return ft::ModeOf(entry) == ft::kModeSingle && target != 0 && target < 0x80
               ? target
               : 0;
  };
  for (uint32_t k = 0; k < ft::kFastNoiseLowSize; ++k) {
    table.fast_noise.push_back(fast_noise(ft::kFastNoiseLowFirst + k));
  }
  for (uint32_t k = 0; k < ft::kFastNoiseHighSize; ++k) {
    table.fast_noise.push_back(fast_noise(ft::kFastNoiseHighFirst + k));
  }
  table.fast_noise.push_back(0);
  if (table.pool.empty()) table.pool.push_back(0);
  table.version = std::string(kGeneratorVersion) + "/unicode-" +
                  U_UNICODE_VERSION;
  return table;
}

void WriteArray(FILE* f, const char* decl, const uint32_t* v, size_t n,
                int width) {
  std::fprintf(f, "%s = {", decl);
  for (size_t i = 0; i < n; ++i) {
    std::fprintf(f, "%s0x%0*X,", i % 8 == 0 ? "\n    " : " ", width,
                 static_cast<unsigned>(v[i]));
  }
  std::fprintf(f, "\n};\n\n");
}

void Write(const Table& t, const char* path) {
  const std::string tmp = std::string(path) + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "w");
  if (f == nullptr) Die(std::string("cannot write ") + tmp);
  std::fprintf(f,
               "// Generated by menshen_foldgen from ICU %s (Unicode %s). "
               "Do not edit.\n"
               "#include \"lib/normalize/fold_table.h\"\n\n"
               "namespace menshen::internal::fold_table {\n\n",
               U_ICU_VERSION, U_UNICODE_VERSION);
  std::vector<uint32_t> s1(t.stage1.begin(), t.stage1.end());
  WriteArray(f, "extern const uint16_t kStage1[kStage1Size]", s1.data(),
             s1.size(), 4);
  WriteArray(f, "extern const uint8_t kCjk[kCjkSize]", t.cjk.data(),
             t.cjk.size(), 2);
  WriteArray(f, "extern const uint32_t kHanIdentity[kCjkSize / 32]",
             t.han_identity.data(), t.han_identity.size(), 8);
  WriteArray(f, "extern const uint8_t kFastNoise[kFastNoiseSize]",
             t.fast_noise.data(), t.fast_noise.size(), 2);
  std::fprintf(f, "extern const uint32_t kStage2Size = %zu;\n",
               t.stage2.size());
  WriteArray(f, "extern const uint32_t kStage2[]", t.stage2.data(),
             t.stage2.size(), 8);
  std::fprintf(f, "extern const uint32_t kPoolSize = %zu;\n", t.pool.size());
  WriteArray(f, "extern const uint32_t kPool[]", t.pool.data(), t.pool.size(),
             8);
  std::fprintf(f, "extern const uint32_t kMaxExpansionBytes = %u;\n",
               t.max_expansion_bytes);
  std::fprintf(f, "extern const char kVersion[] = \"%s\";\n\n",
               t.version.c_str());
  std::fprintf(f, "}  // namespace menshen::internal::fold_table\n");
  if (std::fclose(f) != 0) Die(std::string("cannot write ") + tmp);
  if (std::rename(tmp.c_str(), path) != 0) {
    Die(std::string("cannot rename to ") + path);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) Die("usage: menshen_foldgen OUTPUT.cc");
  const auto start = std::chrono::steady_clock::now();
  Folder folder;
  Table table = Build(folder);
  Write(table, argv[1]);
  const double seconds = std::chrono::duration<double>(
                             std::chrono::steady_clock::now() - start)
                             .count();
  const size_t bytes = table.stage1.size() * sizeof(uint16_t) +
                       table.cjk.size() +
                       table.han_identity.size() * sizeof(uint32_t) +
                       table.fast_noise.size() +
                       (table.stage2.size() + table.pool.size()) *
                           sizeof(uint32_t);
  std::printf(
      "menshen_foldgen: %s: %zu blocks, %zu pool items, %zu bytes, "
      "%zu Han look-ups, %zu confusables, %.2f s\n",
      table.version.c_str(), table.stage2.size() / ft::kBlockSize,
      table.pool.size(), bytes, folder.traditional_calls(),
      folder.confusables(), seconds);
  return 0;
}
