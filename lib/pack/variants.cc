#include "lib/pack/variants.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/base/utf8.h"
#include "lib/normalize/normalizer.h"
#include "lib/pack/variant_tables.h"

namespace menshen::internal {
namespace {

const vt::HanReadings* FindHan(char32_t cp) {
  const vt::HanReadings* end = vt::kHan + vt::kHanCount;
  const vt::HanReadings* it = std::lower_bound(
      vt::kHan, end, cp, [](const vt::HanReadings& h, char32_t c) { return h.cp < c; });
  return it != end && it->cp == cp ? it : nullptr;
}

// Common characters by reading, most frequent first (built once).
const std::vector<std::vector<char32_t>>& CommonByReading() {
  static const auto* table = [] {
    auto* t = new std::vector<std::vector<char32_t>>(vt::kSyllableCount);
    std::vector<std::pair<uint16_t, char32_t>> ranked;
    for (size_t i = 0; i < vt::kHanCount; ++i) {
      if (vt::kHan[i].common != vt::kNotCommon) ranked.emplace_back(vt::kHan[i].common, vt::kHan[i].cp);
    }
    std::sort(ranked.begin(), ranked.end());
    for (const auto& [rank, cp] : ranked) {
      const vt::HanReadings* h = FindHan(cp);
      for (uint8_t r = 0; r < h->count; ++r) (*t)[h->readings[r]].push_back(cp);
    }
    return t;
  }();
  return *table;
}

std::vector<char32_t> Decode(std::string_view s) {
  std::vector<char32_t> out;
  for (size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    size_t n = DecodeUtf8(s, i, &cp);
    if (n == 0) break;
    out.push_back(cp);
    i += n;
  }
  return out;
}

std::string Encode(const std::vector<char32_t>& cps) {
  std::string out;
  for (char32_t cp : cps) AppendUtf8(cp, &out);
  return out;
}

bool IsAsciiLetter(char32_t c) { return c >= 'a' && c <= 'z'; }
bool IsAsciiAlnum(char32_t c) { return IsAsciiLetter(c) || (c >= '0' && c <= '9'); }
bool IsHan(char32_t c) { return (c >= 0x3400 && c <= 0x9FFF) || (c >= 0x20000 && c <= 0x3FFFF); }

// Reading combinations of a Han term, ICU's readings first, at most
// kMaxReadingCombinations.
std::vector<std::vector<uint16_t>> ReadingCombinations(const std::vector<const vt::HanReadings*>& han) {
  std::vector<std::vector<uint16_t>> out{{}};
  for (const vt::HanReadings* h : han) {
    std::vector<std::vector<uint16_t>> next;
    for (uint8_t r = 0; r < h->count; ++r) {
      for (const auto& prefix : out) {
        if (next.size() >= kMaxReadingCombinations) break;
        next.push_back(prefix);
        next.back().push_back(h->readings[r]);
      }
    }
    out = std::move(next);
  }
  return out;
}

// A character class for Hyperscan (UTF-8 mode) of the given code points.
std::string Class(const std::vector<char32_t>& cps) {
  if (cps.size() == 1 && IsHan(cps[0])) return Encode(cps);
  std::string out = "[";
  for (char32_t c : cps) {
    if (c < 0x80 && !IsAsciiAlnum(c)) out += '\\';
    AppendUtf8(c, &out);
  }
  return out + "]";
}

// Leet digits and symbols that stand for a letter.
const char* Leet(char32_t c) {
  switch (c) {
    case 'a': return "4@";
    case 'b': return "8";
    case 'c': return "(";
    case 'e': return "3";
    case 'g': return "9";
    case 'i': return "1!|";
    case 'l': return "1|";
    case 'o': return "0";
    case 's': return "5$";
    case 't': return "7+";
    case 'z': return "2";
    default: return "";
  }
}

// Symbols that may stand for any letter inside a word (f*ck).
constexpr const char* kWildcards = "*#%";
// One separator between letters (f u c k, f.u.c.k).
constexpr const char* kSpacedSeparator = "[ \\n.\\-_*,/|~+:]";
// One break inside a word (fu\nck, fu😀ck, fu.ck): a line break, an ASCII
// symbol, or any code point that is neither ASCII nor Han (emoji, symbols).
constexpr const char* kSplit = "(?:\\r?\\n|[.\\-_*~+#|/\\\\^]|[^\\x00-\\x7f\\x{3400}-\\x{9fff}])";
// Noise between a Latin letter and a Han character (K 粉, K·粉, K**粉).
constexpr const char* kLatinHanNoise = "[^a-z0-9\\x{3400}-\\x{9fff}]{1,3}";
constexpr size_t kMaxLatinHanJoins = 2;

std::string Chars(char32_t letter, const char* extra) {
  std::vector<char32_t> cps{letter};
  for (const char* c = extra; *c != 0; ++c) cps.push_back(static_cast<unsigned char>(*c));
  return Class(cps);
}

// Latin term, words of letters and digits separated by single spaces.
bool LatinWords(const std::vector<char32_t>& cps, std::vector<std::vector<char32_t>>* words) {
  words->assign(1, {});
  size_t letters = 0;
  for (char32_t c : cps) {
    if (c == ' ') {
      if (words->back().empty()) return false;
      words->emplace_back();
    } else if (IsAsciiAlnum(c)) {
      words->back().push_back(c);
      letters += IsAsciiLetter(c) ? 1 : 0;
    } else {
      return false;
    }
  }
  return !words->back().empty() && letters >= 3 && letters <= kMaxLatinLetters;
}

// Leet, symbols and repeated letters: every position may be its letter or a
// leet character (repeated up to four times); one position at least is not
// the plain letter once, so the plain term (its own literal) never matches.
std::string LeetPattern(const std::vector<std::vector<char32_t>>& words) {
  std::vector<std::string> any, changed;
  std::vector<bool> word_end;
  for (size_t w = 0; w < words.size(); ++w) {
    for (size_t i = 0; i < words[w].size(); ++i) {
      const char32_t c = words[w][i];
      const std::string leet(Leet(c));
      const bool interior = i > 0 && i + 1 < words[w].size();
      const std::string with = Chars(c, leet.c_str());
      any.push_back(absl::StrCat(with, "{1,4}"));
      std::string lead = leet + (interior ? std::string(kWildcards) : "");
      std::string alt = absl::StrCat(Class({c}), "{2,5}");
      if (!lead.empty()) {
        std::vector<char32_t> lc;
        for (char x : lead) lc.push_back(static_cast<unsigned char>(x));
        const std::string l = Class(lc);
        absl::StrAppend(&alt, "|", l, with, "{0,3}|", Class({c}), l, with, "{0,2}");
      }
      changed.push_back(absl::StrCat("(?:", alt, ")"));
      word_end.push_back(i + 1 == words[w].size() && w + 1 < words.size());
    }
  }
  std::vector<std::string> alternatives;
  for (size_t k = 0; k < any.size(); ++k) {
    std::string a;
    for (size_t j = 0; j < any.size(); ++j) {
      a += j == k ? changed[j] : any[j];
      if (word_end[j]) a += "[ \\-_.]{1,2}";
    }
    alternatives.push_back(std::move(a));
  }
  return absl::StrJoin(alternatives, "|");
}

// A separator between every letter (f u c k), or one split inside a word
// (fu\nck); words of the term are apart by one to three separators.
std::string SpacedPattern(const std::vector<std::vector<char32_t>>& words) {
  std::string every;
  for (size_t w = 0; w < words.size(); ++w) {
    if (w > 0) absl::StrAppend(&every, kSpacedSeparator, "{1,3}");
    for (size_t i = 0; i < words[w].size(); ++i) {
      if (i > 0) every += kSpacedSeparator;
      every += Chars(words[w][i], Leet(words[w][i]));
    }
  }
  std::vector<std::string> alternatives{every};
  for (size_t w = 0; w < words.size(); ++w) {
    for (size_t gap = 1; gap < words[w].size(); ++gap) {
      std::string a;
      for (size_t v = 0; v < words.size(); ++v) {
        if (v > 0) a += " ";
        for (size_t i = 0; i < words[v].size(); ++i) {
          if (v == w && i == gap) a += kSplit;
          a += Class({words[v][i]});
        }
      }
      alternatives.push_back(std::move(a));
    }
  }
  return absl::StrJoin(alternatives, "|");
}

// Homophones: each character or one of the most frequent common characters
// sharing a reading; one position at least substituted.
std::string HomophonePattern(const std::vector<char32_t>& cps,
                             const std::vector<const vt::HanReadings*>& han) {
  const auto& by_reading = CommonByReading();
  std::vector<std::vector<char32_t>> subs(cps.size());
  bool any = false;
  for (size_t i = 0; i < cps.size(); ++i) {
    std::set<char32_t> seen{cps[i]};
    for (uint8_t r = 0; r < han[i]->count && subs[i].size() < kMaxHomophonesPerChar; ++r) {
      for (char32_t c : by_reading[han[i]->readings[r]]) {
        if (subs[i].size() >= kMaxHomophonesPerChar) break;
        if (seen.insert(c).second) subs[i].push_back(c);
      }
    }
    any = any || !subs[i].empty();
  }
  if (!any) return "";
  std::vector<std::string> alternatives;
  for (size_t k = 0; k < cps.size(); ++k) {
    if (subs[k].empty()) continue;
    std::string a;
    for (size_t j = 0; j < cps.size(); ++j) {
      if (j == k) {
        a += Class(subs[j]);
      } else {
        std::vector<char32_t> all{cps[j]};
        all.insert(all.end(), subs[j].begin(), subs[j].end());
        a += Class(all);
      }
    }
    alternatives.push_back(std::move(a));
  }
  return absl::StrJoin(alternatives, "|");
}

// Terms that mix Latin letters and Han characters: noise where they meet.
std::string LatinHanPattern(const std::vector<char32_t>& cps) {
  std::string out;
  size_t boundaries = 0;
  for (size_t i = 0; i < cps.size(); ++i) {
    if (i > 0) {
      const bool a = IsAsciiAlnum(cps[i - 1]), b = IsAsciiAlnum(cps[i]);
      if ((a && IsHan(cps[i])) || (IsHan(cps[i - 1]) && b)) {
        out += kLatinHanNoise;
        ++boundaries;
      }
    }
    out += Class({cps[i]});
  }
  // A term that alternates scripts throughout (一9键j退i出…) is an evasion
  // spelled out already; noise at each of its joins would only widen what a
  // stream must hold back.
  return boundaries > 0 && boundaries <= kMaxLatinHanJoins ? out : "";
}

char KindLetter(pack::VariantKind kind) {
  switch (kind) {
    case pack::VARIANT_PINYIN: return 'p';
    case pack::VARIANT_INITIALS: return 'i';
    case pack::VARIANT_MIXED: return 'm';
    case pack::VARIANT_HOMOPHONE: return 'h';
    case pack::VARIANT_CHARACTER: return 'v';
    case pack::VARIANT_LEET: return 'l';
    case pack::VARIANT_SPACED: return 's';
    default: return 'x';
  }
}

}  // namespace

std::vector<std::string> HanReadings(char32_t cp) {
  std::vector<std::string> out;
  if (const vt::HanReadings* h = FindHan(cp)) {
    for (uint8_t r = 0; r < h->count; ++r) out.emplace_back(vt::kSyllables[h->readings[r]]);
  }
  return out;
}

uint32_t VariantFoldKind(pack::VariantKind kind) {
  switch (kind) {
    case pack::VARIANT_PINYIN:
    case pack::VARIANT_INITIALS:
    case pack::VARIANT_MIXED: return kFoldPinyin;
    case pack::VARIANT_HOMOPHONE: return kFoldHomophone;
    case pack::VARIANT_CHARACTER: return kFoldVariant;
    case pack::VARIANT_LEET: return kFoldLeet;
    case pack::VARIANT_SPACED: return kFoldSpaced;
    default: return 0;
  }
}

void AddVariants(std::vector<pack::Entry>* entries) {
  std::set<std::string> literals, regexes;
  for (const pack::Entry& e : *entries) {
    (e.kind() == pack::LITERAL ? literals : regexes).insert(e.kind() == pack::LITERAL ? e.folded() : e.term());
  }
  std::vector<pack::Entry> added;
  const size_t count = entries->size();
  for (size_t n = 0; n < count; ++n) {
    const pack::Entry& base = (*entries)[n];
    // Rule parts are not hits by themselves, and a rule names its parts'
    // alternatives itself.
    if (base.kind() != pack::LITERAL || (base.flags() & (pack::ALLOW | pack::PART)) != 0) continue;
    std::map<char, int> counters;
    auto add = [&](pack::VariantKind kind, pack::EntryKind entry_kind, std::string text,
                   uint32_t flags, pack::Validator validator) {
      if (text.empty()) return;
      if (!(entry_kind == pack::LITERAL ? literals : regexes).insert(text).second) return;
      pack::Entry& v = added.emplace_back();
      const char letter = KindLetter(kind);
      v.set_id(absl::StrCat(base.id(), "~", std::string(1, letter), counters[letter]++));
      v.set_kind(entry_kind);
      if (entry_kind == pack::LITERAL) {
        v.set_term(text);
        v.set_folded(text);
      } else {
        v.set_term(text);
      }
      v.set_category(base.category());
      v.set_severity(base.severity());
      v.set_flags(flags & (pack::WORD | pack::EXACT));
      v.set_file(base.file());
      v.set_line(base.line());
      v.set_validator(validator);
      v.set_variant_of(base.id());
      v.set_variant(kind);
      v.set_base_term(base.term());
    };
    const std::vector<char32_t> cps = Decode(base.folded());
    std::vector<const vt::HanReadings*> han;
    for (char32_t c : cps) {
      const vt::HanReadings* h = FindHan(c);
      if (h == nullptr) break;
      han.push_back(h);
    }
    const bool all_han = !cps.empty() && han.size() == cps.size();

    // Variant characters, always: one substitution by a rare variant that
    // the fold leaves alone.
    size_t character_variants = 0;
    for (size_t i = 0; i < cps.size() && character_variants < kMaxCharacterVariants; ++i) {
      const vt::VariantPair* end = vt::kVariants + vt::kVariantCount;
      for (const vt::VariantPair* p = std::lower_bound(
               vt::kVariants, end, cps[i],
               [](const vt::VariantPair& v, char32_t c) { return v.from < c; });
           p != end && p->from == cps[i] && character_variants < kMaxCharacterVariants; ++p) {
        const vt::HanReadings* h = FindHan(p->to);
        if (h != nullptr && h->common != vt::kNotCommon) continue;  // a word of its own
        std::string one;
        AppendUtf8(p->to, &one);
        if (FoldTerm(one) != one) continue;  // the fold already turns it into something
        std::vector<char32_t> v = cps;
        v[i] = p->to;
        const std::string text = Encode(v);
        if (FoldTerm(text) == base.folded()) continue;
        add(pack::VARIANT_CHARACTER, pack::LITERAL, text, base.flags(), pack::VALIDATOR_NONE);
        ++character_variants;
      }
    }

    if (all_han && (base.flags() & pack::PINYIN) != 0 && cps.size() >= 2 &&
        cps.size() <= kMaxHanForPinyin) {
      for (const std::vector<uint16_t>& combo : ReadingCombinations(han)) {
        std::string full, initials;
        for (uint16_t r : combo) {
          full += vt::kSyllables[r];
          initials += vt::kSyllables[r][0];
        }
        if (full.size() >= 4) {
          add(pack::VARIANT_PINYIN, pack::LITERAL, full, base.flags(), pack::LATIN_EDGES);
        }
        if (initials.size() >= 3) {
          add(pack::VARIANT_INITIALS, pack::LITERAL, initials, base.flags(), pack::LATIN_EDGES);
        }
      }
      if (cps.size() <= kMaxHanForMixed) {
        for (size_t i = 0; i < cps.size(); ++i) {
          for (uint8_t r = 0; r < han[i]->count; ++r) {
            std::string text;
            for (size_t j = 0; j < cps.size(); ++j) {
              if (j == i) {
                text += vt::kSyllables[han[i]->readings[r]];
              } else {
                AppendUtf8(cps[j], &text);
              }
            }
            add(pack::VARIANT_MIXED, pack::LITERAL, text, base.flags(), pack::LATIN_EDGES);
          }
        }
      }
    }
    if (all_han && (base.flags() & pack::HOMOPHONE) != 0 && cps.size() >= 2 &&
        cps.size() <= kMaxHanForPinyin) {
      add(pack::VARIANT_HOMOPHONE, pack::REGEX, HomophonePattern(cps, han), base.flags(),
          pack::VALIDATOR_NONE);
    }
    std::vector<std::vector<char32_t>> words;
    if ((base.flags() & pack::LEET) != 0 && LatinWords(cps, &words)) {
      add(pack::VARIANT_LEET, pack::REGEX, LeetPattern(words), base.flags(), pack::HAS_LETTER);
      add(pack::VARIANT_SPACED, pack::REGEX, SpacedPattern(words), base.flags() | pack::WORD,
          pack::HAS_LETTER);
    }
    // The Latin side must stand alone: 'g 档' for g档, never the g of 'org 档案'.
    add(pack::VARIANT_SPACED, pack::REGEX, LatinHanPattern(cps), base.flags() & ~pack::EXACT,
        pack::LATIN_EDGES);
  }
  for (pack::Entry& v : added) entries->push_back(std::move(v));
}

}  // namespace menshen::internal
