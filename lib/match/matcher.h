// The match stage: runs every pack's Hyperscan databases over folded text and
// collects candidate matches, in folded-byte offsets.
#ifndef MENSHEN_LIB_MATCH_MATCHER_H_
#define MENSHEN_LIB_MATCH_MATCHER_H_

#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include <hs/hs.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "lib/pack/loader.h"

namespace menshen::internal {

// A match before resolution: entry `entry` of pack `pack` (indexes into the
// engine's pack list and that pack's entries) at folded bytes [start, end).
struct Candidate {
  uint32_t pack;
  uint32_t entry;
  uint32_t start;
  uint32_t end;
};

struct HsScratchDeleter {
  void operator()(hs_scratch_t* s) const { hs_free_scratch(s); }
};
using HsScratchPtr = std::unique_ptr<hs_scratch_t, HsScratchDeleter>;

// Scratch space large enough for every database of `packs`. Clone it for each
// thread (hs_clone_scratch); one scratch must not be used by two scans at once.
absl::StatusOr<HsScratchPtr> AllocateScratch(absl::Span<const LoadedPack* const> packs);

// Appends the candidates of every pack to `out` (not cleared). `folded` must
// be valid UTF-8 (the normaliser guarantees it) and shorter than 4 GiB.
absl::Status FindCandidates(absl::Span<const LoadedPack* const> packs, std::string_view folded,
                            hs_scratch_t* scratch, std::vector<Candidate>* out);

// The same for the parts databases (rule parts outside anchor steps), which
// only a text where some anchor part occurred needs (lib/match/rules.h).
absl::Status FindPartCandidates(absl::Span<const LoadedPack* const> packs,
                                std::string_view folded, hs_scratch_t* scratch,
                                std::vector<Candidate>* out);

// The same over the folded byte ranges `windows` only (sorted, disjoint;
// lib/match/rules.h, PartWindows): a part is found where it lies wholly in a
// range, with offsets into the whole of `folded`.
absl::Status FindPartCandidatesIn(absl::Span<const LoadedPack* const> packs,
                                  std::string_view folded,
                                  absl::Span<const std::pair<uint32_t, uint32_t>> windows,
                                  hs_scratch_t* scratch, std::vector<Candidate>* out);

}  // namespace menshen::internal

#endif  // MENSHEN_LIB_MATCH_MATCHER_H_
