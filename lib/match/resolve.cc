#include "lib/match/resolve.h"

#include <algorithm>
#include <optional>
#include <tuple>

#include "lib/base/utf8.h"
#include "lib/match/validators.h"

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
  auto entry_of = [&](const Candidate& c) -> const pack::Entry& {
    return packs[c.pack]->compiled.entries(static_cast<int>(c.entry));
  };

  // Group by entry, then position: a regex reports one match per end offset,
  // and those overlapping matches become their union.
  std::sort(candidates->begin(), candidates->end(), [](const Candidate& a, const Candidate& b) {
    return std::tie(a.pack, a.entry, a.start, a.end) < std::tie(b.pack, b.entry, b.start, b.end);
  });
  std::vector<Candidate>& c = *candidates;
  size_t kept = 0;
  // A copy, not a pointer: kept candidates are compacted over rejected ones.
  std::optional<Candidate> last_rejected;  // overlapping rejections count once
  for (size_t i = 0; i < c.size(); ++i) {
    if (!Accepts(entry_of(c[i]), original, folded, c[i])) continue;
    if (!Validate(entry_of(c[i]).validator(), folded.text, c[i].start, c[i].end)) {
      const bool again = last_rejected && last_rejected->pack == c[i].pack &&
                         last_rejected->entry == c[i].entry && c[i].start < last_rejected->end;
      if (!again && rejected_by_validators != nullptr) ++*rejected_by_validators;
      last_rejected = c[i];
      continue;
    }
    if (kept > 0) {
      Candidate& last = c[kept - 1];
      const bool same_entry = last.pack == c[i].pack && last.entry == c[i].entry;
      if (same_entry && c[i].start < last.end && entry_of(c[i]).kind() == pack::REGEX) {
        last.end = std::max(last.end, c[i].end);
        continue;
      }
      if (same_entry && c[i].start == last.start && c[i].end == last.end) continue;
    }
    c[kept++] = c[i];
  }
  c.resize(kept);

  // Allowlist: a deny candidate lying inside any allow span is dropped. Allow
  // spans sorted by start with a running maximum of their ends answer "does
  // an allow span cover [s, e)?" with one binary search.
  std::vector<std::pair<uint32_t, uint32_t>> allow;  // (start, max end so far)
  for (const Candidate& cand : c) {
    if (entry_of(cand).flags() & pack::ALLOW) allow.emplace_back(cand.start, cand.end);
  }
  std::sort(allow.begin(), allow.end());
  for (size_t i = 1; i < allow.size(); ++i) {
    allow[i].second = std::max(allow[i].second, allow[i - 1].second);
  }
  auto allowed = [&](const Candidate& cand) {
    auto it = std::upper_bound(allow.begin(), allow.end(),
                               std::make_pair(cand.start, UINT32_MAX));
    return it != allow.begin() && std::prev(it)->second >= cand.end;
  };

  for (const Candidate& cand : c) {
    const pack::Entry& e = entry_of(cand);
    if ((e.flags() & pack::ALLOW) || allowed(cand)) continue;
    if (e.flags() & pack::PART) {
      if (parts != nullptr) {
        parts->push_back(PartHit{cand.pack, cand.entry, cand.start, cand.end, 0, 0,
                                 folded.OriginalBegin(cand.start), folded.OriginalEnd(cand.end)});
      }
      continue;
    }
    out->push_back(ResolvedHit{packs[cand.pack], &e, folded.OriginalBegin(cand.start),
                               folded.OriginalEnd(cand.end)});
  }
  std::sort(out->begin(), out->end(), [](const ResolvedHit& a, const ResolvedHit& b) {
    return std::tie(a.start, a.end, a.entry->id()) < std::tie(b.start, b.end, b.entry->id());
  });
}

}  // namespace menshen::internal
