// Resolution against a direct implementation of its rules (the algorithm it
// had before it was made fast for texts with very many hits): random
// candidates of literal and regex entries with every flag and a validator,
// from two packs, over a folded text with offsets.
#include "lib/match/resolve.h"

#include <algorithm>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"
#include "lib/match/validators.h"
#include "lib/normalize/normalizer.h"
#include "lib/pack/loader.h"
#include "menshen/pack.h"
#include "tests/test_util.h"

namespace menshen::internal {
namespace {

using ::menshen::testing::Manifest;
using ::menshen::testing::TempDir;
using ::menshen::testing::WritePack;

// Word boundaries, exact, validators, regex unions, allowlist, order: the
// rules of resolve.h, one candidate at a time in (pack, entry, start, end)
// order.
std::vector<ResolvedHit> Reference(absl::Span<const LoadedPack* const> packs,
                                   std::string_view original, const FoldedText& folded,
                                   std::vector<Candidate> c, size_t* rejected) {
  auto entry_of = [&](const Candidate& x) -> const pack::Entry& {
    return packs[x.pack]->compiled.entries(static_cast<int>(x.entry));
  };
  std::sort(c.begin(), c.end(), [](const Candidate& a, const Candidate& b) {
    return std::tie(a.pack, a.entry, a.start, a.end) < std::tie(b.pack, b.entry, b.start, b.end);
  });
  std::vector<Candidate> kept;
  std::optional<Candidate> last_rejected;
  for (const Candidate& x : c) {
    bool validator_rejected = false;
    if (!AcceptCandidate(entry_of(x), original, folded, x, &validator_rejected)) {
      if (!validator_rejected) continue;
      const bool again = last_rejected && last_rejected->pack == x.pack &&
                         last_rejected->entry == x.entry && x.start < last_rejected->end;
      if (!again) ++*rejected;
      last_rejected = x;
      continue;
    }
    if (!kept.empty()) {
      Candidate& last = kept.back();
      const bool same = last.pack == x.pack && last.entry == x.entry;
      if (same && x.start < last.end && entry_of(x).kind() == pack::REGEX) {
        last.end = std::max(last.end, x.end);
        continue;
      }
      if (same && x.start == last.start && x.end == last.end) continue;
    }
    kept.push_back(x);
  }
  std::vector<ResolvedHit> out;
  for (const Candidate& x : kept) {
    if (entry_of(x).flags() & pack::ALLOW) continue;
    bool allowed = false;
    for (const Candidate& a : kept) {
      if ((entry_of(a).flags() & pack::ALLOW) && a.start <= x.start && a.end >= x.end) {
        allowed = true;
      }
    }
    if (allowed) continue;
    out.push_back(ResolvedHit{packs[x.pack], &entry_of(x), folded.OriginalBegin(x.start),
                              folded.OriginalEnd(x.end), x.pack, x.entry});
  }
  std::sort(out.begin(), out.end(), [](const ResolvedHit& a, const ResolvedHit& b) {
    return std::tie(a.start, a.end, a.entry->id()) < std::tie(b.start, b.end, b.entry->id());
  });
  return out;
}

TEST(ResolveTest, EqualsTheRulesOneByOne) {
  TempDir dir;
  WritePack(dir / "a", Manifest("a", /*with_regexes=*/true),
            {{"terms.tsv", "冰毒\nass\t\t\tword\n卖淫\t\t\texact\n大麻\nok\t\t\tallow\n大麻烟\t\t\tallow\n"},
             {"regexes.tsv", "\\d{3,6}\n\\d{4}\t\t\t\tdigit_run\n[a-z]{2,4}\n"}});
  WritePack(dir / "a-b", Manifest("a-b"), {{"terms.tsv", "冰毒\nab\ncd\n"}});
  absl::StatusOr<std::shared_ptr<const Pack>> a = Pack::Load(dir / "a");
  absl::StatusOr<std::shared_ptr<const Pack>> b = Pack::Load(dir / "a-b");
  ASSERT_TRUE(a.ok() && b.ok());
  const std::vector<const LoadedPack*> packs = {&(*a)->loaded(), &(*b)->loaded()};

  const std::vector<std::string> pieces = {"冰", "毒", "卖", "，", "淫", "大", "麻", "烟", " ",
                                           "a", "s", "b", "c", "d", "o", "k", "1", "2", "3",
                                           "-", "class", "賣"};
  std::mt19937 rng(19);
  FoldedText folded;
  for (int round = 0; round < 4000; ++round) {
    std::string text;
    for (int k = static_cast<int>(rng() % 40); k > 0; --k) text += pieces[rng() % pieces.size()];
    Fold(text, FoldOptions(), &folded);  // with offsets
    const uint32_t size = static_cast<uint32_t>(folded.text.size());
    if (size == 0) continue;
    std::vector<Candidate> candidates;
    // Every tenth round is dense (hundreds of candidates, as an n-gram pack
    // gives), where the ordering falls back from insertion to a sort.
    const int count = static_cast<int>(round % 10 == 9 ? rng() % 600 : rng() % 60);
    for (int k = count; k > 0; --k) {
      const uint32_t pack = rng() % 2;
      const uint32_t entry = rng() % static_cast<uint32_t>(packs[pack]->meta.size());
      // Candidates start and end at code point boundaries, as Hyperscan's do.
      uint32_t start = rng() % size;
      while (start > 0 && (static_cast<unsigned char>(folded.text[start]) & 0xC0) == 0x80) --start;
      uint32_t end = start + 1 + rng() % std::min<uint32_t>(size - start, 12);
      while (end < size && (static_cast<unsigned char>(folded.text[end]) & 0xC0) == 0x80) ++end;
      candidates.push_back(Candidate{pack, entry, start, end});
      if (rng() % 4 == 0) candidates.push_back(candidates.back());  // reported twice
    }
    // Half the rounds in the order Hyperscan reports them (by end within a
    // database, literals before regexes), which resolution relies on being
    // nearly sorted; the other half at random.
    if (round % 2 == 0) {
      std::stable_sort(candidates.begin(), candidates.end(),
                       [&](const Candidate& x, const Candidate& y) {
                         const bool xr = packs[x.pack]->meta[x.entry].regex;
                         const bool yr = packs[y.pack]->meta[y.entry].regex;
                         return std::tie(x.pack, xr, x.end) < std::tie(y.pack, yr, y.end);
                       });
    }
    size_t expected_rejected = 0;
    const std::vector<ResolvedHit> expected =
        Reference(packs, text, folded, candidates, &expected_rejected);
    std::vector<ResolvedHit> got;
    size_t rejected = 0;
    ResolveCandidates(packs, text, folded, &candidates, &got, &rejected);
    ASSERT_EQ(got.size(), expected.size()) << "round " << round << ": " << text;
    for (size_t k = 0; k < got.size(); ++k) {
      EXPECT_EQ(got[k].entry, expected[k].entry) << "round " << round << " hit " << k;
      EXPECT_EQ(got[k].start, expected[k].start) << "round " << round << " hit " << k;
      EXPECT_EQ(got[k].end, expected[k].end) << "round " << round << " hit " << k;
      EXPECT_EQ(got[k].entry_index, expected[k].entry_index);
      EXPECT_EQ(got[k].pack_index, expected[k].pack_index);
    }
    EXPECT_EQ(rejected, expected_rejected) << "round " << round;
  }
}

}  // namespace
}  // namespace menshen::internal
