// Validators in pack sources: the fifth column of a regex file, its errors,
// its round trip through .mspack, and its effect on hits.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/pack/loader.h"
#include "lib/pack/mspack_file.h"
#include "menshen/engine.h"
#include "menshen/pack.h"
#include "tests/test_util.h"

namespace menshen {
namespace {

using ::menshen::testing::Manifest;
using ::menshen::testing::TempDir;
using ::menshen::testing::WritePack;
using ::testing::HasSubstr;

absl::StatusOr<PackBuildResult> Build(const TempDir& dir, const std::string& terms,
                                      const std::string& regexes) {
  WritePack(dir.path(), Manifest("v", /*with_regexes=*/true),
            {{"terms.tsv", terms}, {"regexes.tsv", regexes}});
  return BuildPack(dir.path());
}

std::string Error(const std::string& terms, const std::string& regexes) {
  TempDir dir;
  absl::StatusOr<PackBuildResult> built = Build(dir, terms, regexes);
  return built.ok() ? "" : std::string(built.status().message());
}

TEST(ValidatorColumn, ErrorsNameFileAndLine) {
  EXPECT_THAT(Error("abc\n", "# c\n1[3-9]\\d{9}\t\t\t\tno_such_check\n"),
              HasSubstr("regexes.tsv:2: unknown validator 'no_such_check'"));
  EXPECT_THAT(Error("abc\t\t\t\tluhn\n", "x\\d{3}\n"), HasSubstr("terms.tsv:1: too many columns"));
  EXPECT_THAT(Error("abc\n", "x\\d{3}\t\t\tallow\tluhn\n"),
              HasSubstr("regexes.tsv:1: an allow entry cannot have a validator"));
  EXPECT_THAT(Error("abc\n", "x\\d{3}\t\t\t\tluhn\tname\textra\n"),
              HasSubstr("regexes.tsv:1: too many columns (7)"));
  EXPECT_THAT(Error("abc\tA1.8\t2\t\tname\n", "x\\d{3}\n"),
              HasSubstr("terms.tsv:1: too many columns"));
  EXPECT_THAT(Error("abc\n", "x\\d{3}\t\t\t\tluhn\nx\\d{3}\t\t\t\tdigit_run\n"),
              HasSubstr("regexes.tsv:2: 'x\\d{3}' duplicates 'x\\d{3}' at"));
  EXPECT_THAT(Error("abc\n", "x(\\d{3}\n"), HasSubstr("regexes.tsv:1: regex 'x(\\d{3}' does not compile"));
  EXPECT_EQ(Error("abc\n", "a\\d{3}\t\t\t\t-\nb\\d{3}\t\t\t\tdigit_run\nc\\d{3}\t\t\t\ttoken\n"
                           "\\d{18}\t\t\t\tcn_resident_id\n\\d{16}\t\t\t\tluhn\n"
                           "\\d{1,3}(?:\\.\\d{1,3}){3}\t\t\t\tpublic_ipv4\n"),
            "");
}

TEST(ValidatorColumn, SurvivesTheArtefactAndItsRebuild) {
  TempDir dir;
  absl::StatusOr<PackBuildResult> built = Build(dir, "abc\n", "\\d{16}\t\t\t\tluhn\n");
  ASSERT_TRUE(built.ok()) << built.status();
  absl::StatusOr<PackBuildResult> again = Build(dir, "abc\n", "\\d{16}\t\t\t\tluhn\n");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(built->mspack, again->mspack) << "byte-identical for the same sources";
  EXPECT_EQ(built->mspack[8], static_cast<char>(internal::kMspackFormatVersion));
  absl::StatusOr<std::shared_ptr<const Pack>> pack = Pack::FromBytes(built->mspack, "v.mspack");
  ASSERT_TRUE(pack.ok()) << pack.status();
  bool found = false;
  for (const pack::Entry& e : (*pack)->loaded().compiled.entries()) {
    if (e.kind() == pack::REGEX) {
      EXPECT_EQ(e.validator(), pack::LUHN);
      found = true;
    }
  }
  EXPECT_TRUE(found);
}

TEST(ValidatorColumn, FormatOneIsStillReadAndNewerIsRefused) {
  TempDir dir;
  absl::StatusOr<PackBuildResult> built = Build(dir, "abc\n", "x\\d{3}\n");
  ASSERT_TRUE(built.ok());
  std::string v1 = built->mspack;
  v1[8] = 1;  // the version is outside the checksummed payload
  EXPECT_TRUE(Pack::FromBytes(v1, "v1.mspack").ok());
  std::string v3 = built->mspack;
  v3[8] = static_cast<char>(internal::kMspackFormatVersion + 1);
  absl::StatusOr<std::shared_ptr<const Pack>> newer = Pack::FromBytes(v3, "v3.mspack");
  ASSERT_FALSE(newer.ok());
  EXPECT_THAT(std::string(newer.status().message()), HasSubstr("is not supported"));
}

TEST(ValidatorColumn, RejectedCandidatesAreDroppedAndCounted) {
  TempDir dir;
  WritePack(dir.path(), Manifest("v", /*with_regexes=*/true),
            {{"terms.tsv", "abc\n"},
             {"regexes.tsv", "\\d{4}(?:[ -]?\\d{4}){3}\t\t\t\tluhn\n"}});
  absl::StatusOr<std::shared_ptr<const Pack>> pack = Pack::Load(dir.path());
  ASSERT_TRUE(pack.ok()) << pack.status();
  absl::StatusOr<std::shared_ptr<const Engine>> engine = Engine::Create({*pack});
  ASSERT_TRUE(engine.ok());
  absl::StatusOr<Decision> d =
      (*engine)->Check("卡号4111 1111 1111 1111，另一张4111111111111112。", Direction::kInput);
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->hits.size(), 1u);
  EXPECT_EQ(d->hits[0].start, std::string("卡号").size());
  EXPECT_EQ(d->hits[0].end, std::string("卡号4111 1111 1111 1111").size());
  EXPECT_EQ(d->rejected_by_validators, 1u);
  d = (*engine)->Check("4111111111111111，4111111111111112，5555555555554444，4111111111111113",
                       Direction::kInput);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->hits.size(), 2u);
  EXPECT_EQ(d->rejected_by_validators, 2u);
  d = (*engine)->Check("nothing here", Direction::kInput);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->rejected_by_validators, 0u);
}

// The sixth column names a regex entry: hits print the name as their term
// (instead of the pattern), and the id stays the pattern's.
TEST(NameColumn, HitsPrintTheNameInsteadOfThePattern) {
  TempDir named_dir, plain_dir;
  absl::StatusOr<PackBuildResult> named =
      Build(named_dir, "abc\n", "order-\\d{6}\t\t\t\t\torder-number\n");
  ASSERT_TRUE(named.ok()) << named.status();
  absl::StatusOr<PackBuildResult> plain = Build(plain_dir, "abc\n", "order-\\d{6}\n");
  ASSERT_TRUE(plain.ok()) << plain.status();
  std::string ids[2];
  int i = 0;
  for (const PackBuildResult* built : {&*named, &*plain}) {
    absl::StatusOr<std::shared_ptr<const Pack>> pack = Pack::FromBytes(built->mspack, "v.mspack");
    ASSERT_TRUE(pack.ok()) << pack.status();
    absl::StatusOr<std::shared_ptr<const Engine>> engine = Engine::Create({*pack});
    ASSERT_TRUE(engine.ok());
    absl::StatusOr<Decision> d = (*engine)->Check("see order-123456 now", Direction::kInput);
    ASSERT_TRUE(d.ok());
    ASSERT_EQ(d->hits.size(), 1u);
    EXPECT_EQ(d->hits[0].term, i == 0 ? "order-number" : "order-\\d{6}");
    ids[i++] = std::string(d->hits[0].entry_id);
  }
  EXPECT_EQ(ids[0], ids[1]) << "the name is not part of the id";
}

// A row whose columns are separated by spaces builds (as one long term) but
// warns; --strict makes it an error.
TEST(SpaceSeparatedRows, WarnAndStrictFails) {
  TempDir dir;
  absl::StatusOr<PackBuildResult> built = Build(dir, "good\tA1.8\t2\nbad term A1.8 3\n", "x\\d{3}\n");
  ASSERT_TRUE(built.ok()) << built.status();
  ASSERT_EQ(built->warnings.size(), 1u);
  EXPECT_THAT(built->warnings[0], HasSubstr("terms.tsv:2: the row has no tab"));
  PackBuildOptions strict;
  strict.strict = true;
  absl::StatusOr<PackBuildResult> failed = BuildPack(dir.path(), strict);
  ASSERT_FALSE(failed.ok());
  EXPECT_THAT(failed.status().message(), HasSubstr("terms.tsv:2: the row has no tab"));
  // A term with spaces and no category word is fine.
  EXPECT_TRUE(Build(dir, "a phrase with spaces\tA1.8\t2\nplain words here\n", "x\\d{3}\n")
                  ->warnings.empty());
}

}  // namespace
}  // namespace menshen
