#include "lib/match/resolve.h"

#include <algorithm>
#include <optional>
#include <tuple>

#include "lib/base/utf8.h"
#include "lib/match/validators.h"
#include "lib/pack/loader.h"

namespace menshen::internal {
namespace {

// The folded code point that ends just before byte `pos`, or 0 at the start.
char32_t CodePointBefore(std::string_view folded, size_t pos) {
  if (pos == 0) return 0;
  size_t i = pos - 1;
  while (i > 0 && (static_cast<unsigned char>(folded[i]) & 0xC0) == 0x80) --i;
  char32_t cp = 0;
  return DecodeUtf8(folded, i, &cp) != 0 ? cp : 0;
}

char32_t CodePointAt(std::string_view folded, size_t pos) {
  char32_t cp = 0;
  return pos < folded.size() && DecodeUtf8(folded, pos, &cp) != 0 ? cp : 0;
}

// Only an end of the match that is itself a letter or digit needs a
// boundary: `qq` must not fire inside `qqq`, but 被人 still matches in
// 被人AI换脸 (Han characters are not word characters).
bool WordOk(const pack::Entry& e, std::string_view folded, uint32_t start, uint32_t end) {
  if ((e.flags() & pack::WORD) == 0) return true;
  const char32_t before = CodePointBefore(folded, start);
  const char32_t after = CodePointAt(folded, end);
  return !((before != 0 && IsWordChar(before) && IsWordChar(CodePointAt(folded, start))) ||
           (after != 0 && IsWordChar(after) && IsWordChar(CodePointBefore(folded, end))));
}

bool Accepts(const pack::Entry& e, std::string_view original, const FoldedText& folded,
             const Candidate& c) {
  if (!WordOk(e, folded.text, c.start, c.end)) return false;
  if ((e.flags() & pack::EXACT) != 0 && NoiseSkippedWithin(original, folded, c.start, c.end)) {
    return false;
  }
  return true;
}

}  // namespace

bool WordBoundariesHold(const pack::Entry& entry, std::string_view folded, uint32_t start,
                        uint32_t end) {
  return WordOk(entry, folded, start, end);
}

bool AcceptCandidate(const pack::Entry& entry, std::string_view original,
                     const FoldedText& folded, const Candidate& candidate,
                     bool* rejected_by_validator) {
  if (!Accepts(entry, original, folded, candidate)) return false;
  const bool valid = Validate(entry.validator(), folded.text, candidate.start, candidate.end);
  if (rejected_by_validator != nullptr) *rejected_by_validator = !valid;
  return valid;
}

void ResolveCandidates(absl::Span<const LoadedPack* const> packs, std::string_view original,
                       const FoldedText& folded, std::vector<Candidate>* candidates,
                       std::vector<ResolvedHit>* out, size_t* rejected_by_validators,
                       std::vector<PartHit>* parts) {
  out->clear();
  if (candidates->empty()) return;
  auto meta_of = [&](const Candidate& c) -> const EntryMeta& { return packs[c.pack]->meta[c.entry]; };
  auto entry_of = [&](const Candidate& c) -> const pack::Entry& {
    return packs[c.pack]->compiled.entries(static_cast<int>(c.entry));
  };
  std::vector<Candidate>& c = *candidates;

  // Literals (nearly all candidates): one match per end, nothing to merge;
  // only the rare `word` and `exact` flags and generated variants' validator
  // look at the text. They
  // stay at the front, regexes go to the back, in one pass.
  size_t literals = 0;
  size_t regex_from = c.size();
  bool any_allow = false;
  for (size_t i = 0; i < regex_from;) {
    const EntryMeta& m = meta_of(c[i]);
    if (m.regex) {
      std::swap(c[i], c[--regex_from]);
      continue;
    }
    if ((m.flags & (pack::WORD | pack::EXACT)) != 0 && !Accepts(entry_of(c[i]), original, folded, c[i])) {
      ++i;
      continue;
    }
    // Generated pinyin variants carry a validator (LATIN_EDGES); their
    // rejections are not counted as a regex's would be.
    if (m.validator != pack::VALIDATOR_NONE &&
        !Validate(static_cast<pack::Validator>(m.validator), folded.text, c[i].start, c[i].end)) {
      ++i;
      continue;
    }
    any_allow |= (m.flags & pack::ALLOW) != 0;
    c[literals++] = c[i++];
  }

  // Regexes: grouped by entry, then position. A regex reports one match per
  // end offset, and those overlapping matches become their union;
  // overlapping rejected matches of one entry count once.
  size_t kept = literals;
  if (regex_from < c.size()) {
    std::sort(c.begin() + static_cast<std::ptrdiff_t>(regex_from), c.end(),
              [](const Candidate& a, const Candidate& b) {
                return std::tie(a.pack, a.entry, a.start, a.end) <
                       std::tie(b.pack, b.entry, b.start, b.end);
              });
    std::optional<Candidate> last_rejected;  // a copy: kept ones are compacted over it
    const size_t first_regex = kept;
    for (size_t i = regex_from; i < c.size(); ++i) {
      const EntryMeta& m = meta_of(c[i]);
      if (!Accepts(entry_of(c[i]), original, folded, c[i])) continue;
      if (!Validate(static_cast<pack::Validator>(m.validator), folded.text, c[i].start, c[i].end)) {
        const bool again = last_rejected && last_rejected->pack == c[i].pack &&
                           last_rejected->entry == c[i].entry && c[i].start < last_rejected->end;
        if (!again && rejected_by_validators != nullptr) ++*rejected_by_validators;
        last_rejected = c[i];
        continue;
      }
      if (kept > first_regex) {
        Candidate& last = c[kept - 1];
        if (last.pack == c[i].pack && last.entry == c[i].entry && c[i].start < last.end) {
          last.end = std::max(last.end, c[i].end);
          continue;
        }
      }
      any_allow |= (m.flags & pack::ALLOW) != 0;
      c[kept++] = c[i];
    }
  }
  c.resize(kept);

  // Allowlist: a deny candidate lying inside any allow span is dropped. Allow
  // spans sorted by start with a running maximum of their ends answer "does
  // an allow span cover [s, e)?" with one binary search.
  std::vector<std::pair<uint32_t, uint32_t>> allow;  // (start, max end so far)
  if (any_allow) {
    for (const Candidate& cand : c) {
      if (meta_of(cand).flags & pack::ALLOW) allow.emplace_back(cand.start, cand.end);
    }
    std::sort(allow.begin(), allow.end());
    for (size_t i = 1; i < allow.size(); ++i) {
      allow[i].second = std::max(allow[i].second, allow[i - 1].second);
    }
  }
  auto allowed = [&](const Candidate& cand) {
    auto it = std::upper_bound(allow.begin(), allow.end(),
                               std::make_pair(cand.start, UINT32_MAX));
    return it != allow.begin() && std::prev(it)->second >= cand.end;
  };

  out->reserve(c.size());
  for (const Candidate& cand : c) {
    const EntryMeta& m = meta_of(cand);
    if (any_allow && ((m.flags & pack::ALLOW) || allowed(cand))) continue;
    if (m.flags & pack::PART) {
      if (parts != nullptr) {
        parts->push_back(PartHit{cand.pack, cand.entry, cand.start, cand.end, 0, 0,
                                 folded.OriginalBegin(cand.start), folded.OriginalEnd(cand.end)});
      }
      continue;
    }
    out->push_back(ResolvedHit{packs[cand.pack], &entry_of(cand), folded.OriginalBegin(cand.start),
                               folded.OriginalEnd(cand.end), cand.pack, cand.entry});
  }
  // By start, end, then entry id. Hyperscan reports each database's matches
  // by end, so the hits are nearly in order already: insertion sort.
  auto before = [](const ResolvedHit& a, const ResolvedHit& b) {
    if (a.start != b.start) return a.start < b.start;
    if (a.end != b.end) return a.end < b.end;
    return a.entry->id() < b.entry->id();
  };
  std::vector<ResolvedHit>& h = *out;
  size_t moves = 0;
  const size_t max_moves = 4 * h.size() + 64;  // beyond that, a sort is cheaper
  for (size_t i = 1; i < h.size(); ++i) {
    if (!before(h[i], h[i - 1])) continue;
    ResolvedHit moving = h[i];
    size_t j = i;
    for (; j > 0 && before(moving, h[j - 1]); --j) h[j] = h[j - 1];
    h[j] = moving;
    moves += i - j;
    if (moves > max_moves) {
      std::sort(h.begin(), h.end(), before);
      break;
    }
  }
  // The same entry at the same span twice (two matches merged into one
  // span): once.
  h.erase(std::unique(h.begin(), h.end(),
                      [](const ResolvedHit& a, const ResolvedHit& b) {
                        return a.start == b.start && a.end == b.end && a.entry == b.entry;
                      }),
          h.end());
}

}  // namespace menshen::internal
