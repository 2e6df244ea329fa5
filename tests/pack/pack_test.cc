// Pack sources → .mspack → loaded pack: errors, reproducibility, integrity.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/normalize/normalizer.h"
#include "lib/pack/compiler.h"
#include "lib/pack/loader.h"
#include "lib/pack/mspack_file.h"
#include "lib/pack/taxonomy.h"
#include "menshen/pack.h"
#include "tests/test_util.h"

namespace menshen {
namespace {

using ::menshen::testing::Manifest;
using ::menshen::testing::ReadAll;
using ::menshen::testing::TempDir;
using ::menshen::testing::WriteFile;
using ::menshen::testing::WritePack;
using ::testing::HasSubstr;

// Builds a pack from a manifest and files; returns the status message or "".
std::string BuildError(const std::string& manifest, const std::map<std::string, std::string>& files,
                       PackBuildOptions options = {}) {
  TempDir dir;
  WritePack(dir.path(), manifest, files);
  absl::StatusOr<PackBuildResult> built = BuildPack(dir.path(), options);
  return built.ok() ? "" : std::string(built.status().message());
}

struct ErrorCase {
  std::string label;
  std::string manifest;
  std::map<std::string, std::string> files;
  std::string expected;  // substring of the error
};

void PrintTo(const ErrorCase& c, std::ostream* os) { *os << c.label; }

class PackErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(PackErrorTest, NamesFileAndLine) {
  const ErrorCase& c = GetParam();
  EXPECT_THAT(BuildError(c.manifest, c.files), HasSubstr(c.expected));
}

const std::string kRegexManifest = Manifest("test", /*with_regexes=*/true);

INSTANTIATE_TEST_SUITE_P(
    Manifest, PackErrorTest,
    ::testing::Values(
        ErrorCase{"syntax", "name: \"x\"\nversion 1.0.0\n", {}, "pack.textproto:2:"},
        ErrorCase{"unknown_field", "name: \"x\"\ncolour: \"red\"\n", {}, "pack.textproto:2:"},
        ErrorCase{"bad_name", "name: \"Bad Name\" version: \"1.0.0\" term_files { path: \"t.tsv\" }",
                  {{"t.tsv", "abc\tA1.8\t2\n"}}, "name 'Bad Name'"},
        ErrorCase{"bad_version", "name: \"x\" version: \"1.0\" term_files { path: \"t.tsv\" }",
                  {{"t.tsv", "abc\tA1.8\t2\n"}}, "not a semantic version"},
        ErrorCase{"leading_zero", "name: \"x\" version: \"1.02.0\" term_files { path: \"t.tsv\" }",
                  {{"t.tsv", "abc\tA1.8\t2\n"}}, "not a semantic version"},
        ErrorCase{"no_files", "name: \"x\" version: \"1.0.0\"", {}, "names no term_files"},
        ErrorCase{"missing_file", "name: \"x\" version: \"1.0.0\" term_files { path: \"gone.tsv\" }",
                  {}, "gone.tsv: cannot open"},
        ErrorCase{"escaping_path",
                  "name: \"x\" version: \"1.0.0\" term_files { path: \"../t.tsv\" }", {},
                  "must be relative and inside the pack folder"},
        ErrorCase{"bad_default_category",
                  "name: \"x\" version: \"1.0.0\" term_files { path: \"t.tsv\" "
                  "default_category: \"Q7\" }",
                  {{"t.tsv", "abc\t\t2\n"}}, "unknown default_category 'Q7'"},
        ErrorCase{"bad_default_severity",
                  "name: \"x\" version: \"1.0.0\" term_files { path: \"t.tsv\" "
                  "default_severity: 9 }",
                  {{"t.tsv", "abc\tA1.8\n"}}, "default_severity 9 is not 1 to 4"},
        ErrorCase{"empty_pack", Manifest(), {{"terms.tsv", "# nothing here\n\n"}},
                  "the pack has no entries"},
        ErrorCase{"manifest_not_utf8", "name: \"x\"\ndescription: \"\xff\"\n", {},
                  "pack.textproto:2: not valid UTF-8"}),
    [](const auto& info) { return info.param.label; });

INSTANTIATE_TEST_SUITE_P(
    Tsv, PackErrorTest,
    ::testing::Values(
        ErrorCase{"empty_term", Manifest(), {{"terms.tsv", "ok\n\tA1.8\t2\n"}},
                  "terms.tsv:2: empty term"},
        ErrorCase{"bad_severity", Manifest(), {{"terms.tsv", "# c\nabc\tA1.8\t7\n"}},
                  "terms.tsv:2: bad severity '7' (1 to 4)"},
        ErrorCase{"severity_not_number", Manifest(), {{"terms.tsv", "abc\tA1.8\thigh\n"}},
                  "terms.tsv:1: bad severity 'high'"},
        ErrorCase{"unknown_category", Manifest(), {{"terms.tsv", "abc\n\nxyz\tZ9.1\n"}},
                  "terms.tsv:3: unknown category 'Z9.1'"},
        ErrorCase{"unknown_flag", Manifest(), {{"terms.tsv", "abc\tA1.8\t2\tloud\n"}},
                  "terms.tsv:1: unknown flag 'loud'"},
        ErrorCase{"too_many_columns", Manifest(), {{"terms.tsv", "abc\tA1.8\t2\tword\textra\n"}},
                  "terms.tsv:1: too many columns"},
        ErrorCase{"invalid_utf8", Manifest(), {{"terms.tsv", "ok\nab\xff\n"}},
                  "terms.tsv:2: the line is not valid UTF-8"},
        ErrorCase{"conflicting_duplicate", Manifest(),
                  {{"terms.tsv", "冰毒\tA1.8\n卖淫\tA1.6\n冰毒\tA4.3\n"}},
                  "terms.tsv:3: '冰毒' duplicates '冰毒' at "},
        ErrorCase{"allow_deny_duplicate", Manifest(),
                  {{"terms.tsv", "大麻烦\t\t\tallow\n大麻烦\tA1.8\n"}}, "different allow flag"},
        ErrorCase{"regex_does_not_compile", kRegexManifest,
                  {{"terms.tsv", "abc\n"}, {"regexes.tsv", "# ok\n\\d{3}\n(unclosed\n"}},
                  "regexes.tsv:3: regex '(unclosed' does not compile: "},
        ErrorCase{"regex_matches_empty", kRegexManifest,
                  {{"terms.tsv", "abc\n"}, {"regexes.tsv", "a*\n"}},
                  "regexes.tsv:1: regex 'a*' does not compile"}),
    [](const auto& info) { return info.param.label; });

TEST(PackBuild, ConflictingDuplicateNamesBothLines) {
  std::string error = BuildError(Manifest(), {{"terms.tsv", "冰毒\tA1.8\n卖淫\tA1.6\n冰毒\tA4.3\n"}});
  EXPECT_THAT(error, HasSubstr("terms.tsv:1"));
  EXPECT_THAT(error, HasSubstr("A1.8 vs A4.3"));
}

TEST(PackBuild, FoldedDuplicatesAreOneEntry) {
  // 賣淫 folds to 卖淫: the same entry twice, same category → a warning.
  TempDir dir;
  WritePack(dir.path(), Manifest(), {{"terms.tsv", "卖淫\tA1.6\n賣淫\tA1.6\n"}});
  absl::StatusOr<PackBuildResult> built = BuildPack(dir.path());
  ASSERT_TRUE(built.ok()) << built.status();
  ASSERT_EQ(built->warnings.size(), 1u);
  EXPECT_THAT(built->warnings[0], HasSubstr("terms.tsv:2: '賣淫' duplicates '卖淫'"));
  PackBuildOptions strict;
  strict.strict = true;
  EXPECT_FALSE(BuildPack(dir.path(), strict).ok());
}

// Streams hold back the longest possible match: a regex without a bound is a
// warning at build time (an error with --strict), and streams refuse it.
TEST(PackBuild, UnboundedRegexWarnsAndStrictFails) {
  TempDir dir;
  WritePack(dir.path(), Manifest("test", /*with_regexes=*/true),
            {{"terms.tsv", "冰毒\n"}, {"regexes.tsv", "ab{1,8}c\nx[0-9]+y\n"}});
  absl::StatusOr<PackBuildResult> built = BuildPack(dir.path());
  ASSERT_TRUE(built.ok()) << built.status();
  ASSERT_EQ(built->warnings.size(), 1u);
  EXPECT_THAT(built->warnings[0], HasSubstr("regexes.tsv:2: regex 'x[0-9]+y' can match text of "
                                            "unbounded length, so streams refuse this pack"));
  PackBuildOptions strict;
  strict.strict = true;
  absl::StatusOr<PackBuildResult> failed = BuildPack(dir.path(), strict);
  ASSERT_FALSE(failed.ok());
  EXPECT_THAT(std::string(failed.status().message()), HasSubstr("regexes.tsv:2:"));
}

TEST(PackBuild, ShortAndEmptyFoldsWarnAndStrictFails) {
  const std::map<std::string, std::string> files = {
      {"terms.tsv", "ok term\n屄\n\xE2\x80\x8B\xE2\x80\x8B\n"}};  // 1 char; only ZWSPs
  TempDir dir;
  WritePack(dir.path(), Manifest(), files);
  absl::StatusOr<PackBuildResult> built = BuildPack(dir.path());
  ASSERT_TRUE(built.ok()) << built.status();
  ASSERT_EQ(built->warnings.size(), 2u);
  EXPECT_THAT(built->warnings[0], HasSubstr("terms.tsv:2: term '屄' folds to 1 character"));
  EXPECT_THAT(built->warnings[1], HasSubstr("terms.tsv:3: term"));
  EXPECT_THAT(built->warnings[1], HasSubstr("folds to nothing; skipped"));
  PackBuildOptions strict;
  strict.strict = true;
  absl::StatusOr<PackBuildResult> failed = BuildPack(dir.path(), strict);
  ASSERT_FALSE(failed.ok());
  EXPECT_THAT(std::string(failed.status().message()), HasSubstr("terms.tsv:2:"));
}

TEST(PackBuild, DefaultsFlagsAndComments) {
  TempDir dir;
  WritePack(dir.path(),
            "name: \"d\" version: \"0.1.0-rc.1+build.5\" "
            "term_files { path: \"t.tsv\" default_category: \"A4.3\" default_severity: 3 "
            "default_flags: \"word\" }",
            {{"t.tsv", "# comment\n  # indented comment\r\nidiot\r\nmoron\tA4.3\t1\t-\n"
                       "scunthorpe\t\t\tallow\n"}});
  absl::StatusOr<std::shared_ptr<const Pack>> pack = Pack::Load(dir.path());
  ASSERT_TRUE(pack.ok()) << pack.status();
  const PackInfo& info = (*pack)->info();
  EXPECT_EQ(info.version, "0.1.0-rc.1+build.5");
  EXPECT_EQ(info.literal_count, 2u);
  EXPECT_EQ(info.allow_count, 1u);
  EXPECT_EQ(info.counts_by_category.at("A4.3"), 2u);
}

TEST(PackBuild, ReproducibleAndStableIds) {
  TempDir a;
  TempDir b;
  const std::string terms = "冰毒\tA1.8\t3\n卖淫\tA1.6\n";
  WritePack(a.path(), Manifest(), {{"terms.tsv", terms}});
  absl::StatusOr<PackBuildResult> first = BuildPack(a.path());
  absl::StatusOr<PackBuildResult> second = BuildPack(a.path());
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->mspack, second->mspack) << "same sources must give identical bytes";

  // Adding a line above existing terms leaves their ids unchanged.
  WritePack(b.path(), Manifest(), {{"terms.tsv", "# new\n网络赌博\n" + terms}});
  absl::StatusOr<std::shared_ptr<const Pack>> old_pack = Pack::FromBytes(first->mspack, "a");
  absl::StatusOr<PackBuildResult> grown = BuildPack(b.path());
  ASSERT_TRUE(grown.ok());
  absl::StatusOr<std::shared_ptr<const Pack>> new_pack = Pack::FromBytes(grown->mspack, "b");
  ASSERT_TRUE(old_pack.ok() && new_pack.ok());
  std::map<std::string, std::string> old_ids;
  for (const auto& e : (*old_pack)->loaded().compiled.entries()) {
    if (e.variant_of().empty()) old_ids[e.term()] = e.id();
  }
  std::map<std::string, std::string> new_ids;
  for (const auto& e : (*new_pack)->loaded().compiled.entries()) {
    // Generated variants (氷毒) carry their base's id plus a suffix.
    if (e.variant_of().empty()) new_ids[e.term()] = e.id();
  }
  EXPECT_EQ(new_ids.size(), 3u);
  for (const auto& [term, id] : old_ids) EXPECT_EQ(new_ids[term], id) << term;
  EXPECT_THAT(old_ids["冰毒"], ::testing::StartsWith("test:"));
  EXPECT_EQ(old_ids["冰毒"].size(), std::string("test:").size() + 12);
}

TEST(PackBuild, UnknownCategoryAgainstCustomTaxonomy) {
  TempDir dir;
  WriteFile(dir / "tax.textproto",
            "version: \"t1\" category { code: \"A1\" } category { code: \"A1.8\" parent: \"A1\" }");
  WritePack(dir / "p", Manifest(), {{"terms.tsv", "abc\tA1.8\nxyz\tA4.3\n"}});
  PackBuildOptions options;
  options.taxonomy_path = dir / "tax.textproto";
  absl::StatusOr<PackBuildResult> built = BuildPack(dir / "p", options);
  ASSERT_FALSE(built.ok());
  EXPECT_THAT(std::string(built.status().message()), HasSubstr("terms.tsv:2: unknown category 'A4.3'"));
}

TEST(Taxonomy, EmbeddedHasTheStandardsRisks) {
  const internal::Taxonomy& t = internal::Taxonomy::Embedded();
  int classes = 0;
  int risks = 0;
  for (const auto& c : t.proto().category()) {
    if (c.code()[0] != 'A') continue;
    (c.parent().empty() ? classes : risks)++;
    EXPECT_FALSE(c.name_zh().empty()) << c.code();
    EXPECT_FALSE(c.name_en().empty()) << c.code();
  }
  EXPECT_EQ(classes, 5);
  EXPECT_EQ(risks, 31);
  for (const char* code : {"A1.3", "A2.9", "A5.2", "X1", "X2", "X3"}) {
    EXPECT_NE(t.Find(code), nullptr) << code;
  }
  EXPECT_EQ(t.Find("A6.1"), nullptr);
}

TEST(Taxonomy, RejectsBadFiles) {
  EXPECT_FALSE(internal::Taxonomy::Parse("t", "category { code: \"a1\" }").ok());
  EXPECT_FALSE(internal::Taxonomy::Parse("t", "category { code: \"A1\" } category { code: \"A1\" }").ok());
  EXPECT_FALSE(internal::Taxonomy::Parse("t", "category { code: \"A1.1\" parent: \"A9\" }").ok());
}

// --- The artefact ---------------------------------------------------------

class MspackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WritePack(dir_.path(), Manifest("t", true),
              {{"terms.tsv", "冰毒\tA1.8\t3\nfuck\tA4.3\t2\tword\n"},
               {"regexes.tsv", "1[3-9]\\d{9}\n"}});
    absl::StatusOr<PackBuildResult> built = BuildPack(dir_.path());
    ASSERT_TRUE(built.ok()) << built.status();
    bytes_ = built->mspack;
  }
  absl::Status Load(const std::string& bytes) { return Pack::FromBytes(bytes, "x.mspack").status(); }

  TempDir dir_;
  std::string bytes_;
};

TEST_F(MspackTest, LoadsAndDescribesItself) {
  absl::StatusOr<std::shared_ptr<const Pack>> pack = Pack::FromBytes(bytes_, "x.mspack");
  ASSERT_TRUE(pack.ok()) << pack.status();
  const PackInfo& info = (*pack)->info();
  EXPECT_EQ(info.name, "t");
  EXPECT_EQ(info.literal_count, 2u);
  EXPECT_EQ(info.regex_count, 1u);
  EXPECT_EQ(info.source_sha256.size(), 64u);
  EXPECT_EQ(info.artefact_sha256.size(), 64u);
  EXPECT_FALSE(info.fold_version.empty());
  EXPECT_TRUE((*pack)->notes().empty());
}

TEST_F(MspackTest, EveryTruncationIsAnError) {
  for (size_t n = 0; n < bytes_.size(); n += (n < 128 ? 1 : 97)) {
    absl::Status s = Load(bytes_.substr(0, n));
    ASSERT_FALSE(s.ok()) << "prefix of " << n << " bytes loaded";
    EXPECT_THAT(std::string(s.message()), ::testing::AnyOf(HasSubstr("truncated"), HasSubstr("bad magic")));
  }
}

TEST_F(MspackTest, CorruptionIsDetected) {
  for (size_t pos : {size_t{70}, bytes_.size() / 2, bytes_.size() - 1}) {
    std::string corrupt = bytes_;
    corrupt[pos] ^= 0x5A;
    absl::Status s = Load(corrupt);
    ASSERT_FALSE(s.ok());
    EXPECT_THAT(std::string(s.message()), HasSubstr("does not match its SHA-256"));
  }
  std::string magic = bytes_;
  magic[0] = 'X';
  EXPECT_THAT(std::string(Load(magic).message()), HasSubstr("bad magic"));
  std::string version = bytes_;
  version[8] = 9;
  EXPECT_THAT(std::string(Load(version).message()), HasSubstr("format version 9 is not supported"));
  EXPECT_THAT(std::string(Load(bytes_ + "junk").message()), HasSubstr("unexpected bytes"));
  EXPECT_FALSE(Load("").ok());
  EXPECT_FALSE(Load(std::string(1000, '\0')).ok());
}

TEST_F(MspackTest, ConsistentChecksumButBadContentIsAnError) {
  // A payload that hashes correctly but is not a pack, and one whose database
  // bytes are garbage: both refused with a message, never a crash.
  pack::CompiledPack junk;
  junk.mutable_manifest()->set_name("t");
  junk.set_fold_version(std::string(internal::FoldVersion()));
  auto* e = junk.add_entries();
  e->set_id("t:1");
  e->set_kind(pack::LITERAL);
  e->set_folded("x");
  e->set_severity(9);
  EXPECT_THAT(std::string(Load(internal::EncodeMspack(junk)).message()), HasSubstr("inconsistent"));

  absl::StatusOr<internal::DecodedMspack> decoded = internal::DecodeMspack(bytes_, "x");
  ASSERT_TRUE(decoded.ok());
  decoded->pack.mutable_literals()->set_serialized("not a database at all");
  EXPECT_FALSE(Load(internal::EncodeMspack(decoded->pack)).ok());
}

TEST_F(MspackTest, OtherFoldVersionIsRebuiltFromEmbeddedSources) {
  absl::StatusOr<internal::DecodedMspack> decoded = internal::DecodeMspack(bytes_, "x");
  ASSERT_TRUE(decoded.ok());
  decoded->pack.set_fold_version("menshen-fold-0/unicode-1.0");
  decoded->pack.mutable_literals()->clear_serialized();  // would be stale anyway
  absl::StatusOr<std::shared_ptr<const Pack>> pack =
      Pack::FromBytes(internal::EncodeMspack(decoded->pack), "old.mspack");
  ASSERT_TRUE(pack.ok()) << pack.status();
  ASSERT_EQ((*pack)->notes().size(), 1u);
  EXPECT_THAT((*pack)->notes()[0], HasSubstr("rebuilt from embedded sources"));
  EXPECT_EQ((*pack)->info().literal_count, 2u);
}

TEST_F(MspackTest, DatabaseForAnotherHyperscanIsRebuilt) {
  // The serialised database starts with a magic number and the Hyperscan
  // version; a different version is what another build would write.
  absl::StatusOr<internal::DecodedMspack> decoded = internal::DecodeMspack(bytes_, "x");
  ASSERT_TRUE(decoded.ok());
  std::string db = decoded->pack.literals().serialized();
  ASSERT_GT(db.size(), 8u);
  db[4] ^= 0x01;
  db[5] ^= 0x01;
  decoded->pack.mutable_literals()->set_serialized(db);
  absl::StatusOr<std::shared_ptr<const Pack>> pack =
      Pack::FromBytes(internal::EncodeMspack(decoded->pack), "other.mspack");
  ASSERT_TRUE(pack.ok()) << pack.status();
  ASSERT_FALSE((*pack)->notes().empty());
  EXPECT_THAT((*pack)->notes()[0], HasSubstr("built for another CPU or Hyperscan version"));
}

TEST_F(MspackTest, EntriesAreDerivedFromTheEmbeddedSources) {
  absl::StatusOr<internal::DecodedMspack> decoded = internal::DecodeMspack(bytes_, "x");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->pack.entries_size(), 0) << "the artefact leaves the entries out";
  EXPECT_EQ(decoded->pack.entries_sha256().size(), 32u);
  absl::StatusOr<std::shared_ptr<const Pack>> pack = Pack::FromBytes(bytes_, "x.mspack");
  ASSERT_TRUE(pack.ok()) << pack.status();
  const auto& entries = (*pack)->loaded().compiled.entries();
  // Three written entries, and the variants generated from them (氷毒).
  EXPECT_EQ(std::count_if(entries.begin(), entries.end(),
                          [](const pack::Entry& e) { return e.variant_of().empty(); }),
            3);
  EXPECT_EQ(internal::EntriesDigest(entries), decoded->pack.entries_sha256());
  for (const pack::Entry& e : entries) {
    EXPECT_THAT(e.id(), ::testing::StartsWith("t:"));
    if (e.kind() == pack::LITERAL) EXPECT_FALSE(e.folded().empty()) << e.term();
  }

  // Entries that derive differently (here: a digest that does not fit them)
  // rebuild the pack from its sources, with a note.
  decoded->pack.set_entries_sha256(std::string(32, 'x'));
  absl::StatusOr<std::shared_ptr<const Pack>> rebuilt =
      Pack::FromBytes(internal::EncodeMspack(decoded->pack), "odd.mspack");
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  ASSERT_EQ((*rebuilt)->notes().size(), 1u);
  EXPECT_THAT((*rebuilt)->notes()[0], HasSubstr("derives other entries"));
  EXPECT_EQ((*rebuilt)->info().literal_count, 2u);
  EXPECT_EQ((*rebuilt)->info().regex_count, 1u);

  // Format 2 carried the entries: such a payload is read as it is.
  absl::StatusOr<internal::DecodedMspack> again = internal::DecodeMspack(bytes_, "x");
  ASSERT_TRUE(again.ok());
  *again->pack.mutable_entries() = entries;
  again->pack.clear_entries_sha256();
  std::string v2 = internal::EncodeMspack(again->pack);
  v2[8] = 2;
  absl::StatusOr<std::shared_ptr<const Pack>> old = Pack::FromBytes(v2, "v2.mspack");
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_TRUE((*old)->notes().empty());
  EXPECT_EQ((*old)->info().literal_count, 2u);
}

TEST_F(MspackTest, FileRoundTrip) {
  WriteFile(dir_ / "out.mspack", bytes_);
  EXPECT_EQ(ReadAll(dir_ / "out.mspack"), bytes_);
  absl::StatusOr<std::shared_ptr<const Pack>> pack = Pack::Load(dir_ / "out.mspack");
  ASSERT_TRUE(pack.ok()) << pack.status();
  EXPECT_THAT(std::string(Pack::Load(dir_ / "missing.mspack").status().message()),
              HasSubstr("cannot open"));
}

TEST(StarterPack, IsEmbeddedAndLoads) {
  absl::StatusOr<std::shared_ptr<const Pack>> pack = Pack::Starter();
  ASSERT_TRUE(pack.ok()) << pack.status();
  EXPECT_EQ((*pack)->info().name, "starter");
  EXPECT_GT((*pack)->info().literal_count, 100u);
  EXPECT_TRUE((*pack)->notes().empty()) << (*pack)->notes()[0];
  // The shipped folder and the embedded copy are the same pack.
  absl::StatusOr<std::shared_ptr<const Pack>> folder =
      Pack::Load(std::string(MENSHEN_SOURCE_DIR) + "/keyword_packs/starter");
  ASSERT_TRUE(folder.ok()) << folder.status();
  EXPECT_EQ(folder->get()->info().source_sha256, (*pack)->info().source_sha256);
}

// MENSHEN_PACK_CACHE keeps built embedded packs: a second load reads the
// file; a damaged file is built again and replaced; without the variable
// nothing is written.
TEST(PackCache, KeepsBuiltEmbeddedPacksAndReplacesDamagedOnes) {
  TempDir dir;
  const char* before = std::getenv("MENSHEN_PACK_CACHE");
  const std::string saved = before == nullptr ? "" : before;
  setenv("MENSHEN_PACK_CACHE", dir.path().c_str(), 1);
  auto files = [&] {
    std::vector<std::filesystem::path> out;
    for (const auto& f : std::filesystem::directory_iterator(dir.path())) out.push_back(f.path());
    return out;
  };
  absl::StatusOr<std::shared_ptr<const Pack>> first = Pack::Embedded("starter");
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(files().size(), 1u);
  const std::filesystem::path file = files()[0];
  EXPECT_EQ(file.extension(), ".mspack");
  absl::StatusOr<std::shared_ptr<const Pack>> second = Pack::Embedded("starter");
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ((*second)->info().source_sha256, (*first)->info().source_sha256);
  EXPECT_EQ((*second)->info().literal_count, (*first)->info().literal_count);
  EXPECT_TRUE((*second)->notes().empty());

  {
    std::ofstream damage(file, std::ios::binary | std::ios::trunc);
    damage << "not a pack";
  }
  absl::StatusOr<std::shared_ptr<const Pack>> third = Pack::Embedded("starter");
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_EQ((*third)->info().literal_count, (*first)->info().literal_count);
  EXPECT_GT(std::filesystem::file_size(file), 1000u) << "replaced by a good file";
  ASSERT_EQ(files().size(), 1u) << "no temporary files left";

  setenv("MENSHEN_PACK_CACHE", "", 1);
  std::filesystem::remove(file);
  ASSERT_TRUE(Pack::Embedded("starter").ok());
  EXPECT_TRUE(files().empty());
  if (before == nullptr) {
    unsetenv("MENSHEN_PACK_CACHE");
  } else {
    setenv("MENSHEN_PACK_CACHE", saved.c_str(), 1);
  }
}

TEST(SemanticVersion, Forms) {
  for (const char* ok : {"0.0.0", "1.2.3", "10.20.30", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0+20130313",
                         "1.0.0-rc.1+build.1"}) {
    EXPECT_TRUE(internal::IsSemanticVersion(ok)) << ok;
  }
  for (const char* bad : {"", "1", "1.2", "1.2.3.4", "01.2.3", "1.2.3-", "1.2.3-01", "v1.2.3", "1.2.3+"}) {
    EXPECT_FALSE(internal::IsSemanticVersion(bad)) << bad;
  }
}

}  // namespace
}  // namespace menshen
