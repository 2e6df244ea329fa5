#include "lib/match/matcher.h"

#include "absl/strings/str_cat.h"

namespace menshen::internal {
namespace {

struct ScanContext {
  const EntryMeta* meta;
  unsigned entries;
  uint32_t pack_index;
  std::vector<Candidate>* out;
  uint32_t base = 0;  // where the scanned text starts in the folded text
};

int OnLiteral(unsigned id, unsigned long long /*from*/, unsigned long long to, unsigned /*flags*/,
              void* ctx) {
  auto* c = static_cast<ScanContext*>(ctx);
  // Ids come from a database the loader checked against these entries; the
  // bound check keeps a mismatch from becoming an out-of-range read.
  if (id >= c->entries) return 0;
  const size_t length = c->meta[id].folded_bytes;
  c->out->push_back(Candidate{c->pack_index, id, c->base + static_cast<uint32_t>(to - length),
                              c->base + static_cast<uint32_t>(to)});
  return 0;
}

int OnRegex(unsigned id, unsigned long long from, unsigned long long to, unsigned /*flags*/,
            void* ctx) {
  auto* c = static_cast<ScanContext*>(ctx);
  if (id >= c->entries || to <= from) return 0;
  c->out->push_back(
      Candidate{c->pack_index, id, static_cast<uint32_t>(from), static_cast<uint32_t>(to)});
  return 0;
}

absl::Status ScanOne(const hs_database_t* db, match_event_handler handler, std::string_view text,
                     hs_scratch_t* scratch, ScanContext* ctx) {
  if (db == nullptr) return absl::OkStatus();
  hs_error_t rc = hs_scan(db, text.data(), static_cast<unsigned>(text.size()), 0, scratch,
                          handler, ctx);
  if (rc != HS_SUCCESS) {
    return absl::InternalError(absl::StrCat("Hyperscan scan failed (hs error ", rc, ")"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<HsScratchPtr> AllocateScratch(absl::Span<const LoadedPack* const> packs) {
  hs_scratch_t* scratch = nullptr;
  for (const LoadedPack* p : packs) {
    for (const hs_database_t* db : {p->literals.get(), p->regexes.get(), p->parts.get()}) {
      if (db == nullptr) continue;
      if (hs_alloc_scratch(db, &scratch) != HS_SUCCESS) {
        hs_free_scratch(scratch);
        return absl::ResourceExhaustedError("could not allocate Hyperscan scratch space");
      }
    }
  }
  return HsScratchPtr(scratch);
}

absl::Status FindCandidates(absl::Span<const LoadedPack* const> packs, std::string_view folded,
                            hs_scratch_t* scratch, std::vector<Candidate>* out) {
  for (size_t i = 0; i < packs.size(); ++i) {
    ScanContext ctx{packs[i]->meta.data(), static_cast<unsigned>(packs[i]->meta.size()),
                    static_cast<uint32_t>(i), out};
    if (absl::Status s = ScanOne(packs[i]->literals.get(), OnLiteral, folded, scratch, &ctx);
        !s.ok()) {
      return s;
    }
    if (absl::Status s = ScanOne(packs[i]->regexes.get(), OnRegex, folded, scratch, &ctx);
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status FindPartCandidates(absl::Span<const LoadedPack* const> packs,
                                std::string_view folded, hs_scratch_t* scratch,
                                std::vector<Candidate>* out) {
  for (size_t i = 0; i < packs.size(); ++i) {
    ScanContext ctx{packs[i]->meta.data(), static_cast<unsigned>(packs[i]->meta.size()),
                    static_cast<uint32_t>(i), out};
    if (absl::Status s = ScanOne(packs[i]->parts.get(), OnLiteral, folded, scratch, &ctx);
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status FindPartCandidatesIn(absl::Span<const LoadedPack* const> packs,
                                  std::string_view folded,
                                  absl::Span<const std::pair<uint32_t, uint32_t>> windows,
                                  hs_scratch_t* scratch, std::vector<Candidate>* out) {
  for (size_t i = 0; i < packs.size(); ++i) {
    if (packs[i]->parts == nullptr) continue;
    ScanContext ctx{packs[i]->meta.data(), static_cast<unsigned>(packs[i]->meta.size()),
                    static_cast<uint32_t>(i), out};
    for (const auto& [from, to] : windows) {
      ctx.base = from;
      if (absl::Status s = ScanOne(packs[i]->parts.get(), OnLiteral,
                                   folded.substr(from, to - from), scratch, &ctx);
          !s.ok()) {
        return s;
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace menshen::internal
