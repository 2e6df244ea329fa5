// menshen corpus audit on a folder of known sources: plain text, JSON lines,
// gzip and zstd; the numbers, the verdicts, the sample and the reports.
#include <sys/wait.h>
#include <zlib.h>
#include <zstd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace menshen {
namespace {

using ::menshen::testing::ReadAll;
using ::menshen::testing::TempDir;
using ::menshen::testing::WriteFile;
using ::testing::HasSubstr;

struct CliRun {
  int status = -1;
  std::string out, err;
};

// Runs menshen in `dir`, so sources are named relative to it.
CliRun RunIn(const TempDir& dir, const std::string& args) {
  const std::string cmd = "cd " + dir / "" + " && " + MENSHEN_CLI + " " + args + " > " +
                          (dir / "stdout.txt") + " 2> " + (dir / "stderr.txt");
  CliRun r;
  const int raw = std::system(cmd.c_str());
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  r.out = ReadAll(dir / "stdout.txt");
  r.err = ReadAll(dir / "stderr.txt");
  return r;
}

void WriteGzip(const std::string& path, const std::string& data) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, data.data(), static_cast<unsigned>(data.size())),
            static_cast<int>(data.size()));
  ASSERT_EQ(gzclose(f), Z_OK);
}

void WriteZstd(const std::string& path, const std::string& data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  const size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3);
  ASSERT_FALSE(ZSTD_isError(n));
  out.resize(n);
  WriteFile(path, out);
}

const google::protobuf::Value& Field(const google::protobuf::Struct& s, const std::string& name) {
  static const google::protobuf::Value kNull;
  auto it = s.fields().find(name);
  return it == s.fields().end() ? kNull : it->second;
}

double Number(const google::protobuf::Struct& s, const std::string& name) {
  const google::protobuf::Value& v = Field(s, name);
  return v.has_string_value() ? std::stod(v.string_value()) : v.number_value();
}

// corpus/
//   web.txt          10 lines: 2 refused, 1 empty line (skipped) -> 9 documents
//   chat.jsonl       8 lines: 1 refused, 1 invalid JSON, 1 without "text"
//   forum/a.txt.gz   20 lines, all clean
//   forum/b.jsonl.zst 4 lines, 4 refused
//   broken.txt.gz    truncated gzip
void WriteCorpus(const TempDir& dir) {
  std::filesystem::create_directories(dir / "corpus/forum");
  std::string web;
  for (int i = 0; i < 10; ++i) {
    web += i == 3 ? "" : i == 5 || i == 7 ? "出售冰毒 联系我 " + std::to_string(i)
                                          : "a clean line number " + std::to_string(i);
    web += "\n";
  }
  WriteFile(dir / "corpus/web.txt", web);
  WriteFile(dir / "corpus/chat.jsonl",
            "{\"text\":\"hello there\"}\n"
            "{\"text\":\"出售冰毒\",\"site\":\"x\"}\n"
            "{not json\n"
            "{\"id\":4}\n"
            "{\"text\":\"weather today\"}\n"
            "{\"text\":\"good morning\"}\n"
            "{\"text\":\"see you\"}\n"
            "{\"text\":\"thanks\"}\n");
  std::string forum;
  for (int i = 0; i < 20; ++i) forum += "forum post " + std::to_string(i) + "\n";
  WriteGzip(dir / "corpus/forum/a.txt.gz", forum);
  WriteZstd(dir / "corpus/forum/b.jsonl.zst",
            "{\"text\":\"出售冰毒 1\"}\n{\"text\":\"出售冰毒 2\"}\n"
            "{\"text\":\"出售冰毒 3\"}\n{\"text\":\"出售冰毒 4\"}\n");
  std::string gz;
  WriteGzip(dir / "tmp.gz", forum);
  gz = ReadAll(dir / "tmp.gz");
  WriteFile(dir / "corpus/broken.txt.gz", gz.substr(0, gz.size() / 2));
  std::filesystem::remove(dir / "tmp.gz");
}

TEST(CorpusAudit, PerSourceNumbersVerdictsAndReports) {
  TempDir dir;
  WriteCorpus(dir);
  CliRun r = RunIn(dir, "corpus audit corpus -o out --threads 3 --sample-rate 1 --sample-cap 5");
  ASSERT_EQ(r.status, 1) << r.err;  // sources failed the threshold, one file is unreadable
  EXPECT_THAT(r.err, HasSubstr("corpus/broken.txt.gz"));
  google::protobuf::Struct summary;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(r.out, &summary).ok()) << r.out;
  EXPECT_EQ(ReadAll(dir / "out/summary.json"), r.out);

  struct Expected {
    std::string source;
    double documents, bad, hits, refused;
    std::string verdict;
    double sampled;
  };
  const std::vector<Expected> expected = {
      {"corpus/broken.txt.gz", 0, 0, 0, 0, "error", 0},
      {"corpus/chat.jsonl", 6, 2, 1, 1, "fail", 5},
      {"corpus/forum/a.txt.gz", 20, 0, 0, 0, "pass", 5},
      {"corpus/forum/b.jsonl.zst", 4, 0, 4, 4, "fail", 4},
      {"corpus/web.txt", 9, 0, 2, 2, "fail", 5},
  };
  const auto& sources = Field(summary, "sources").list_value().values();
  ASSERT_EQ(sources.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    const google::protobuf::Struct& s = sources[i].struct_value();
    SCOPED_TRACE(expected[i].source);
    EXPECT_EQ(Field(s, "source").string_value(), expected[i].source);
    EXPECT_EQ(Number(s, "documents"), expected[i].documents);
    EXPECT_EQ(Number(s, "bad_documents"), expected[i].bad);
    EXPECT_EQ(Number(s, "documents_with_hits"), expected[i].hits);
    EXPECT_EQ(Number(s, "refuse_block"), expected[i].refused);
    EXPECT_EQ(Field(s, "verdict").string_value(), expected[i].verdict);
    EXPECT_EQ(Number(s, "sampled"), expected[i].sampled);
    if (expected[i].documents > 0) {
      EXPECT_DOUBLE_EQ(Field(s, "refuse_block_share").number_value(),
                       expected[i].refused / expected[i].documents);
    }
  }
  EXPECT_EQ(Number(summary, "documents"), 39);
  EXPECT_EQ(Number(summary, "bad_documents"), 2);
  EXPECT_EQ(Number(summary, "sources_failed"), 4);

  const std::string bad = ReadAll(dir / "out/bad.jsonl");
  EXPECT_THAT(bad, HasSubstr("\"document\":\"corpus/chat.jsonl:3\",\"offset\":\"58\","
                             "\"reason\":\"invalid_json\""));
  EXPECT_THAT(bad, HasSubstr("\"document\":\"corpus/chat.jsonl:4\",\"offset\":\"68\","
                             "\"reason\":\"no_text\""));
  const std::string review = ReadAll(dir / "out/review.jsonl");
  EXPECT_EQ(std::count(review.begin(), review.end(), '\n'), 19);
  EXPECT_THAT(review, HasSubstr("\"excerpt\":\"【出售冰毒】 联系我 7\""));
  EXPECT_THAT(ReadAll(dir / "out/summary.md"), HasSubstr("| corpus/web.txt | 9 |"));
  const std::string html = ReadAll(dir / "out/report.html");
  EXPECT_THAT(html, HasSubstr("<svg"));
  EXPECT_THAT(html, HasSubstr("threshold 5.0%"));
  EXPECT_GT(ReadAll(dir / "out/review.xlsx").size(), 1000u);
}

TEST(CorpusAudit, SameOutputForAnyThreadCount) {
  TempDir dir;
  WriteCorpus(dir);
  std::string big;
  for (int i = 0; i < 3000; ++i) {
    big += i % 11 == 0 ? "出售冰毒 " + std::to_string(i) : "line " + std::to_string(i);
    big += "\n";
  }
  WriteFile(dir / "corpus/big.txt", big);
  CliRun one = RunIn(dir, "corpus audit corpus -o one --threads 1 --seed 7");
  CliRun four = RunIn(dir, "corpus audit corpus -o four --threads 4 --seed 7");
  ASSERT_EQ(one.status, 1);
  ASSERT_EQ(four.status, 1);
  EXPECT_EQ(one.out, four.out);
  for (const char* f : {"summary.json", "summary.md", "report.html", "review.jsonl",
                        "bad.jsonl", "review.xlsx"}) {
    EXPECT_EQ(ReadAll(dir / (std::string("one/") + f)), ReadAll(dir / (std::string("four/") + f)))
        << f;
  }
  // 10% of 3000 documents, near enough: the sample is a hash, not a count.
  const std::string review = ReadAll(dir / "one/review.jsonl");
  const auto lines = std::count(review.begin(), review.end(), '\n');
  EXPECT_GT(lines, 250);
  EXPECT_LT(lines, 360);
  // Another seed, another sample.
  CliRun other = RunIn(dir, "corpus audit corpus -o other --threads 2 --seed 8");
  EXPECT_NE(ReadAll(dir / "other/review.jsonl"), review);
}

TEST(CorpusAudit, BySourceFieldAndByDir) {
  TempDir dir;
  WriteCorpus(dir);
  CliRun by_dir = RunIn(dir, "corpus audit corpus/forum -o d --by dir");
  ASSERT_EQ(by_dir.status, 1) << by_dir.err;
  EXPECT_THAT(by_dir.out, HasSubstr("{\"source\":\"corpus/forum\",\"documents\":\"24\""));
  CliRun by_field = RunIn(dir, "corpus audit corpus/chat.jsonl -o f --by field:site --threshold 1");
  ASSERT_EQ(by_field.status, 0) << by_field.err;
  EXPECT_THAT(by_field.out, HasSubstr("{\"source\":\"(no site)\",\"documents\":\"5\""));
  EXPECT_THAT(by_field.out, HasSubstr("{\"source\":\"x\",\"documents\":\"1\""));
}

TEST(CorpusReport, RendersTheAuditsReportsFromItsJson) {
  TempDir dir;
  WriteCorpus(dir);
  ASSERT_EQ(RunIn(dir, "corpus audit corpus -o audit --sample-rate 1").status, 1);
  std::filesystem::create_directories(dir / "copy");
  for (const char* f : {"summary.json", "review.jsonl", "bad.jsonl"}) {
    WriteFile(dir / (std::string("copy/") + f), ReadAll(dir / (std::string("audit/") + f)));
  }
  CliRun report = RunIn(dir, "corpus report copy");
  ASSERT_EQ(report.status, 0) << report.err;
  EXPECT_EQ(report.out, ReadAll(dir / "audit/summary.json"));
  for (const char* f : {"summary.md", "report.html", "review.xlsx"}) {
    EXPECT_EQ(ReadAll(dir / (std::string("copy/") + f)), ReadAll(dir / (std::string("audit/") + f)))
        << f;
  }
  EXPECT_EQ(RunIn(dir, "corpus report").status, 2);
  EXPECT_EQ(RunIn(dir, "corpus report nowhere").status, 1);
  WriteFile(dir / "copy/review.jsonl", "{\"verdict\": 3}\n");
  CliRun bad = RunIn(dir, "corpus report copy");
  EXPECT_EQ(bad.status, 1);
  EXPECT_THAT(bad.err, HasSubstr("copy/review.jsonl:1: not a record of a corpus audit"));
}

TEST(CorpusAudit, UsageErrors) {
  TempDir dir;
  EXPECT_EQ(RunIn(dir, "corpus audit").status, 2);
  EXPECT_EQ(RunIn(dir, "corpus audit nowhere").status, 2);
  WriteFile(dir / "a.txt", "x\n");
  EXPECT_EQ(RunIn(dir, "corpus audit a.txt --by line").status, 2);
  EXPECT_EQ(RunIn(dir, "corpus audit a.txt --sample 3 --sample-rate 0.5").status, 2);
  CliRun ok = RunIn(dir, "corpus audit a.txt -o o");
  EXPECT_EQ(ok.status, 0) << ok.err;
  EXPECT_EQ(ok.err, "");  // no progress line when stderr is not a terminal
}

}  // namespace
}  // namespace menshen
