// Resolution: turns candidates into hits. Drops candidates that break their
// entry's flags (word boundaries, exact), suppresses deny hits inside
// allowlisted spans, merges the overlapping matches one regex reports, and
// maps folded offsets back to the caller's bytes.
#ifndef MENSHEN_LIB_MATCH_RESOLVE_H_
#define MENSHEN_LIB_MATCH_RESOLVE_H_

#include <cstddef>
#include <string_view>
#include <vector>

#include "absl/types/span.h"
#include "lib/match/matcher.h"
#include "lib/match/rules.h"
#include "lib/normalize/normalizer.h"
#include "lib/pack/loader.h"

namespace menshen::internal {

struct ResolvedHit {
  const LoadedPack* pack;
  const pack::Entry* entry;
  size_t start;  // original bytes [start, end)
  size_t end;
  uint32_t pack_index;   // into the packs resolved against
  uint32_t entry_index;  // into that pack's entries (and meta)
};

// Whether one candidate keeps to its entry's flags and validator: word
// boundaries (the folded code points beside it), `exact` (no noise skipped
// inside it), the validator (lib/match/validators.h). Looks at most two code
// points beyond the candidate on either side, so a stream can call it on a
// window of folded text. Sets *rejected_by_validator (when given) to whether
// the validator was what rejected it.
bool AcceptCandidate(const pack::Entry& entry, std::string_view original,
                     const FoldedText& folded, const Candidate& candidate,
                     bool* rejected_by_validator = nullptr);

// Whether a candidate of `entry` keeps to its `word` flag (true for entries
// without it), judged on the folded text alone.
bool WordBoundariesHold(const pack::Entry& entry, std::string_view folded, uint32_t start,
                        uint32_t end);

// Resolves `candidates` (reordered in place) found in `folded`, the fold of
// `original`. Appends deny hits to `out` (cleared first), ordered by start,
// end, then entry id. Candidates whose entry's validator fails are dropped and,
// when `rejected_by_validators` is given, added to it (overlapping rejected
// matches of one entry count once). Occurrences of rule parts (PART entries)
// are not hits: they are appended to `parts` when given (code point offsets
// not set; lib/match/rules.h), dropped otherwise.
void ResolveCandidates(absl::Span<const LoadedPack* const> packs, std::string_view original,
                       const FoldedText& folded, std::vector<Candidate>* candidates,
                       std::vector<ResolvedHit>* out, size_t* rejected_by_validators = nullptr,
                       std::vector<PartHit>* parts = nullptr);

}  // namespace menshen::internal

#endif  // MENSHEN_LIB_MATCH_RESOLVE_H_
