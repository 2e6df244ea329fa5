// The JSON-lines audit sink and `menshen audit verify`: the hash chain catches
// edited, deleted, reordered and truncated lines; rotation and reopening keep
// the chain; a full queue and a full disk are counted, never fatal; and four
// threads lose no record.
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "lib/base/sha256.h"
#include "menshen/audit.h"
#include "tests/test_util.h"

namespace menshen {
namespace {

using ::menshen::testing::ReadAll;
using ::menshen::testing::TempDir;
using ::menshen::testing::WriteFile;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// A realistic record: three hits, two packs, a digest.
audit::AuditRecord MakeRecord(const std::string& request_id) {
  audit::AuditRecord r;
  r.mutable_time()->set_seconds(1767225600);
  r.mutable_time()->set_nanos(123000000);
  r.set_request_id(request_id);
  r.set_direction("input");
  r.set_profile("default");
  r.set_action("REFUSE");
  r.set_rule("default/a1-refuse");
  const char* categories[] = {"A1.3", "A1.8", "A4.6"};
  for (int i = 0; i < 3; ++i) {
    audit::AuditHit* h = r.add_hits();
    h->set_entry_id(absl::StrCat("e", 1000 + i, "a7f3"));
    h->set_category(categories[i]);
    h->set_severity(3 - i);
    h->set_start(10 * i);
    h->set_end(10 * i + 6);
  }
  for (const char* name : {"starter", "pii"}) {
    audit::AuditPack* p = r.add_packs();
    p->set_name(name);
    p->set_version("1.2.0");
    p->set_sha256(std::string(64, 'a'));
  }
  r.set_policy_version("default 1.0.0");
  r.set_input_length(842);
  r.set_input_sha256(std::string(64, 'b'));
  r.set_fold_version("fold-3");
  return r;
}

std::unique_ptr<JsonlAuditSink> OpenSink(const JsonlAuditSink::Options& options) {
  absl::StatusOr<std::unique_ptr<JsonlAuditSink>> sink = JsonlAuditSink::Open(options);
  EXPECT_TRUE(sink.ok()) << sink.status();
  return sink.ok() ? *std::move(sink) : nullptr;
}

JsonlAuditSink::Options SinkOptions(const std::string& path) {
  JsonlAuditSink::Options o;
  o.path = path;
  return o;
}

// Writes `n` records "<prefix><i>" through a new sink and closes it.
void WriteLog(const std::string& path, int n, const std::string& prefix = "req-",
              uint64_t max_file_bytes = uint64_t{64} << 20) {
  JsonlAuditSink::Options o = SinkOptions(path);
  o.max_file_bytes = max_file_bytes;
  std::unique_ptr<JsonlAuditSink> sink = OpenSink(o);
  ASSERT_NE(sink, nullptr);
  for (int i = 0; i < n; ++i) sink->Write(MakeRecord(absl::StrCat(prefix, i)));
  ASSERT_TRUE(sink->Close().ok());
  EXPECT_EQ(sink->counters().written, static_cast<uint64_t>(n));
}

std::vector<std::string> Lines(const std::string& path) {
  std::vector<std::string> lines = absl::StrSplit(ReadAll(path), '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

void WriteLines(const std::string& path, const std::vector<std::string>& lines) {
  std::string content;
  for (const std::string& l : lines) absl::StrAppend(&content, l, "\n");
  WriteFile(path, content);
}

AuditVerifyResult Verify(const std::vector<std::string>& files) {
  absl::StatusOr<AuditVerifyResult> r = VerifyAuditLog(files);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : AuditVerifyResult{};
}

TEST(AuditChainTest, FreshLogVerifiesAndFollowsTheDocumentedEncoding) {
  TempDir dir;
  const std::string log = dir / "audit.jsonl";
  WriteLog(log, 50);
  const AuditVerifyResult r = Verify({log});
  EXPECT_TRUE(r.ok) << r.first_error;
  EXPECT_EQ(r.lines, 50u);

  // Recompute every line from audit.h's description, independently of the
  // library's own line code.
  std::string prev(64, '0');
  const std::vector<std::string> lines = Lines(log);
  ASSERT_EQ(lines.size(), 50u);
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    const std::string seq = std::to_string(i + 1);
    const std::string head = "{\"seq\":" + seq + ",\"prev\":\"" + prev + "\",\"hash\":\"";
    ASSERT_THAT(line, StartsWith(head));
    const std::string hash = line.substr(head.size(), 64);
    const std::string record_key = "\",\"record\":";
    ASSERT_EQ(line.substr(head.size() + 64, record_key.size()), record_key);
    const std::string record = line.substr(head.size() + 64 + record_key.size(),
                                           line.size() - head.size() - 64 - record_key.size() - 1);
    ASSERT_EQ(line.back(), '}');
    EXPECT_EQ(hash, internal::DigestToHex(internal::Sha256Of(
                        "menshen-audit-v1\n" + prev + "\n" + seq + "\n" + record)));
    // Compact JSON with proto field names that reads back as the same record.
    EXPECT_EQ(record.find('\n'), std::string::npos);
    EXPECT_THAT(record, StartsWith("{\"time\":\"2026-01-01T00:00:00.123Z\",\"request_id\":"));
    EXPECT_EQ(record.find("\": "), std::string::npos);
    EXPECT_THAT(record, HasSubstr("\"request_id\":\"req-" + std::to_string(i) + "\""));
    audit::AuditRecord parsed;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(record, &parsed).ok());
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(
        parsed, MakeRecord("req-" + std::to_string(i))));
    prev = hash;
  }
}

TEST(AuditChainTest, EditedLineIsCaught) {
  TempDir dir;
  const std::string log = dir / "audit.jsonl";
  WriteLog(log, 50);
  std::vector<std::string> lines = Lines(log);
  // One character inside the record of line 17: REFUSE -> REFUSF.
  const size_t at = lines[16].find("REFUSE");
  ASSERT_NE(at, std::string::npos);
  lines[16][at + 5] = 'F';
  WriteLines(log, lines);
  const AuditVerifyResult r = Verify({log});
  EXPECT_FALSE(r.ok);
  EXPECT_THAT(r.first_error, StartsWith(log + ":17: edited"));
  EXPECT_EQ(r.lines, 16u);
}

TEST(AuditChainTest, EditedHashIsCaught) {
  TempDir dir;
  const std::string log = dir / "audit.jsonl";
  WriteLog(log, 10);
  std::vector<std::string> lines = Lines(log);
  const size_t at = lines[4].find("\"hash\":\"") + 8;
  lines[4][at] = lines[4][at] == '0' ? '1' : '0';
  WriteLines(log, lines);
  EXPECT_THAT(Verify({log}).first_error, StartsWith(log + ":5: edited"));
}

TEST(AuditChainTest, DeletedLineIsCaught) {
  TempDir dir;
  const std::string log = dir / "audit.jsonl";
  WriteLog(log, 50);
  std::vector<std::string> lines = Lines(log);
  lines.erase(lines.begin() + 9);  // line 10
  WriteLines(log, lines);
  const AuditVerifyResult r = Verify({log});
  EXPECT_FALSE(r.ok);
  EXPECT_THAT(r.first_error, StartsWith(log + ":10: broken chain"));
  EXPECT_THAT(r.first_error, HasSubstr("deleted or moved"));
  EXPECT_THAT(r.first_error, HasSubstr("seq 11 does not follow 9"));
  EXPECT_EQ(r.lines, 9u);
}

TEST(AuditChainTest, DeletedLastLineIsCaughtByTheCheckpoint) {
  // The chain alone proves order and integrity of what is there: a missing
  // tail looks like a log that ended earlier. The checkpoint the sink keeps
  // beside the log names its last line.
  TempDir dir;
  const std::string log = dir / "audit.jsonl";
  WriteLog(log, 5);
  std::vector<std::string> lines = Lines(log);
  lines.pop_back();
  WriteLines(log, lines);
  EXPECT_TRUE(Verify({log}).ok);
  AuditVerifyOptions options;
  options.checkpoint = log + ".checkpoint";
  absl::StatusOr<AuditVerifyResult> r = VerifyAuditLog({log}, options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->ok);
  EXPECT_THAT(r->first_error, HasSubstr("cut tail"));
  EXPECT_THAT(r->first_error, HasSubstr("names seq 5 but the log ends at seq 4"));
}

TEST(AuditChainTest, SwappedLinesAreCaught) {
  TempDir dir;
  const std::string log = dir / "audit.jsonl";
  WriteLog(log, 50);
  std::vector<std::string> lines = Lines(log);
  std::swap(lines[19], lines[20]);  // lines 20 and 21
  WriteLines(log, lines);
  const AuditVerifyResult r = Verify({log});
  EXPECT_FALSE(r.ok);
  EXPECT_THAT(r.first_error, StartsWith(log + ":20: broken chain"));
  EXPECT_EQ(r.lines, 19u);
}

TEST(AuditChainTest, InsertedCopyIsCaught) {
  TempDir dir;
  const std::string log = dir / "audit.jsonl";
  WriteLog(log, 10);
  std::vector<std::string> lines = Lines(log);
  lines.insert(lines.begin() + 6, lines[2]);  // a copy of line 3 as line 7
  WriteLines(log, lines);
  EXPECT_THAT(Verify({log}).first_error, StartsWith(log + ":7: broken chain"));
}

TEST(AuditChainTest, TruncatedLastLineIsCaught) {
  TempDir dir;
  const std::string log = dir / "audit.jsonl";
  WriteLog(log, 50);
  std::string content = ReadAll(log);
  content.resize(content.size() - 20);  // mid-record, no newline
  WriteFile(log, content);
  const AuditVerifyResult r = Verify({log});
  EXPECT_FALSE(r.ok);
  EXPECT_THAT(r.first_error, StartsWith(log + ":50: truncated line"));
  EXPECT_EQ(r.lines, 49u);

  // Even a complete line is truncated without its newline.
  WriteLog(dir / "b.jsonl", 3);
  content = ReadAll(dir / "b.jsonl");
  content.pop_back();
  WriteFile(dir / "b.jsonl", content);
  EXPECT_THAT(Verify({dir / "b.jsonl"}).first_error, StartsWith(dir / "b.jsonl" + ":3: truncated"));
}

TEST(AuditChainTest, MalformedLinesNameTheLine) {
  TempDir dir;
  const std::string log = dir / "audit.jsonl";
  WriteLog(log, 5);
  std::vector<std::string> lines = Lines(log);
  std::vector<std::string> bad = lines;
  bad[2] = "";
  WriteLines(log, bad);
  EXPECT_EQ(Verify({log}).first_error, log + ":3: empty line");
  bad = lines;
  bad[3] = "hello";
  WriteLines(log, bad);
  EXPECT_THAT(Verify({log}).first_error, StartsWith(log + ":4: malformed line"));
  bad = lines;
  bad[1].insert(bad[1].find(',') + 1, " ");  // whitespace is not the format
  WriteLines(log, bad);
  EXPECT_THAT(Verify({log}).first_error, StartsWith(log + ":2: malformed line"));
}

TEST(AuditChainTest, PrunedLogMayStartAnywhere) {
  // Retention deletes old files: the first line checked may have any seq/prev.
  TempDir dir;
  const std::string log = dir / "audit.jsonl";
  WriteLog(log, 30);
  std::vector<std::string> lines = Lines(log);
  WriteLines(log, std::vector<std::string>(lines.begin() + 10, lines.end()));
  const AuditVerifyResult r = Verify({log});
  EXPECT_TRUE(r.ok) << r.first_error;
  EXPECT_EQ(r.lines, 20u);
}

TEST(AuditChainTest, UnreadableFileIsAnError) {
  TempDir dir;
  absl::StatusOr<AuditVerifyResult> r = VerifyAuditLog({dir / "missing.jsonl"});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr(dir / "missing.jsonl"));
  r = VerifyAuditLog({dir.path()});
  EXPECT_FALSE(r.ok());
}

TEST(AuditSinkTest, RotationKeepsTheChainAcrossFiles) {
  TempDir dir;
  const std::string log = dir / "audit.jsonl";
  JsonlAuditSink::Options o = SinkOptions(log);
  o.max_file_bytes = 2048;
  std::unique_ptr<JsonlAuditSink> sink = OpenSink(o);
  ASSERT_NE(sink, nullptr);
  for (int i = 0; i < 200; ++i) sink->Write(MakeRecord(absl::StrCat("req-", i)));
  ASSERT_TRUE(sink->Close().ok());
  const JsonlAuditSink::Counters c = sink->counters();
  EXPECT_EQ(c.written, 200u);

  absl::StatusOr<std::vector<std::string>> files = AuditLogFiles(log);
  ASSERT_TRUE(files.ok()) << files.status();
  ASSERT_GE(files->size(), 10u);  // > 10: numeric, not lexicographic, order matters
  EXPECT_EQ(files->size(), c.rotations + 1);
  for (size_t i = 0; i + 1 < files->size(); ++i) {
    EXPECT_EQ((*files)[i], log + "." + std::to_string(i + 1));
  }
  EXPECT_EQ(files->back(), log);
  uint64_t total = 0;
  for (const std::string& f : *files) {
    const uint64_t size = std::filesystem::file_size(f);
    EXPECT_LE(size, 2048u) << f;
    EXPECT_GT(size, 0u) << f;
    total += Lines(f).size();
  }
  EXPECT_EQ(total, 200u);

  AuditVerifyResult r = Verify(*files);
  EXPECT_TRUE(r.ok) << r.first_error;
  EXPECT_EQ(r.lines, 200u);

  // Without a middle file the next one breaks at its first line.
  std::vector<std::string> gap = *files;
  gap.erase(gap.begin() + 3);
  r = Verify(gap);
  EXPECT_FALSE(r.ok);
  EXPECT_THAT(r.first_error, StartsWith((*files)[4] + ":1: broken chain"));
  // Out of order is caught the same way.
  std::vector<std::string> swapped = *files;
  std::swap(swapped[1], swapped[2]);
  EXPECT_THAT(Verify(swapped).first_error, StartsWith((*files)[2] + ":1: broken chain"));
}

TEST(AuditSinkTest, ReopeningContinuesTheChain) {
  TempDir dir;
  const std::string log = dir / "audit.jsonl";
  WriteLog(log, 30, "first-");
  WriteLog(log, 20, "second-");
  const AuditVerifyResult r = Verify({log});
  EXPECT_TRUE(r.ok) << r.first_error;
  EXPECT_EQ(r.lines, 50u);
  EXPECT_THAT(Lines(log).back(), StartsWith("{\"seq\":50,"));
}

TEST(AuditSinkTest, ReopeningWithRotatedFilesContinuesTheChain) {
  TempDir dir;
  const std::string log = dir / "audit.jsonl";
  WriteLog(log, 40, "first-", 2048);
  // Rotated away from outside (logrotate): the current file is missing.
  std::filesystem::rename(log, log + ".99");
  WriteLog(log, 40, "second-", 2048);
  absl::StatusOr<std::vector<std::string>> files = AuditLogFiles(log);
  ASSERT_TRUE(files.ok());
  const AuditVerifyResult r = Verify(*files);
  EXPECT_TRUE(r.ok) << r.first_error;
  EXPECT_EQ(r.lines, 80u);
  // The new session rotated past .99 rather than into the gaps.
  EXPECT_TRUE(std::filesystem::exists(log + ".100"));
}

TEST(AuditSinkTest, ReopeningATruncatedLogFails) {
  TempDir dir;
  const std::string log = dir / "audit.jsonl";
  WriteLog(log, 10);
  std::string content = ReadAll(log);
  content.resize(content.size() - 30);
  WriteFile(log, content);
  absl::StatusOr<std::unique_ptr<JsonlAuditSink>> sink = JsonlAuditSink::Open(SinkOptions(log));
  ASSERT_FALSE(sink.ok());
  EXPECT_THAT(std::string(sink.status().message()), HasSubstr("truncated"));
  EXPECT_THAT(std::string(sink.status().message()), HasSubstr("menshen audit repair"));
  EXPECT_EQ(ReadAll(log), content);  // untouched

  // An edited last line is not continued either.
  WriteLog(dir / "b.jsonl", 3);
  std::vector<std::string> lines = Lines(dir / "b.jsonl");
  lines[2][lines[2].find("REFUSE")] = 'X';
  WriteLines(dir / "b.jsonl", lines);
  sink = JsonlAuditSink::Open(SinkOptions(dir / "b.jsonl"));
  ASSERT_FALSE(sink.ok());
  EXPECT_THAT(std::string(sink.status().message()), HasSubstr("does not match its hash"));
}

TEST(AuditSinkTest, SecondSinkOnTheSameLogIsRefused) {
  TempDir dir;
  std::unique_ptr<JsonlAuditSink> first = OpenSink(SinkOptions(dir / "audit.jsonl"));
  ASSERT_NE(first, nullptr);
  absl::StatusOr<std::unique_ptr<JsonlAuditSink>> second =
      JsonlAuditSink::Open(SinkOptions(dir / "audit.jsonl"));
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(std::string(second.status().message()), HasSubstr("another audit sink"));
  ASSERT_TRUE(first->Close().ok());
  EXPECT_NE(OpenSink(SinkOptions(dir / "audit.jsonl")), nullptr);
}

TEST(AuditSinkTest, BadOptionsAndPathsAreErrors) {
  TempDir dir;
  EXPECT_FALSE(JsonlAuditSink::Open(SinkOptions("")).ok());
  JsonlAuditSink::Options o = SinkOptions(dir / "a.jsonl");
  o.queue_capacity = 0;
  EXPECT_FALSE(JsonlAuditSink::Open(o).ok());
  absl::StatusOr<std::unique_ptr<JsonlAuditSink>> sink =
      JsonlAuditSink::Open(SinkOptions(dir / "no/such/dir/a.jsonl"));
  ASSERT_FALSE(sink.ok());
  EXPECT_THAT(std::string(sink.status().message()), HasSubstr(dir / "no/such/dir/a.jsonl"));
}

TEST(AuditSinkTest, CloseTwiceAndWriteAfterClose) {
  TempDir dir;
  std::unique_ptr<JsonlAuditSink> sink = OpenSink(SinkOptions(dir / "audit.jsonl"));
  ASSERT_NE(sink, nullptr);
  sink->Write(MakeRecord("a"));
  EXPECT_TRUE(sink->Close().ok());
  EXPECT_TRUE(sink->Close().ok());
  sink->Write(MakeRecord("b"));
  sink->Hook()(MakeRecord("c"));
  EXPECT_TRUE(sink->Flush().ok());
  const JsonlAuditSink::Counters c = sink->counters();
  EXPECT_EQ(c.written, 1u);
  EXPECT_EQ(c.dropped, 2u);
  EXPECT_EQ(Lines(dir / "audit.jsonl").size(), 1u);
}

TEST(AuditSinkTest, InvalidUtf8IsReplacedSilently) {
  TempDir dir;
  const std::string log = dir / "audit.jsonl";
  std::unique_ptr<JsonlAuditSink> sink = OpenSink(SinkOptions(log));
  ASSERT_NE(sink, nullptr);
  audit::AuditRecord record = MakeRecord("id-\xff\xfe-end");
  record.mutable_hits(1)->set_entry_id("e\xc3");
  ::testing::internal::CaptureStderr();
  sink->Write(record);
  EXPECT_TRUE(sink->Flush().ok());
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");  // the library never prints
  EXPECT_EQ(sink->counters().written, 1u);
  const std::string line = ReadAll(log);
  EXPECT_THAT(line, HasSubstr("\"request_id\":\"id-\xef\xbf\xbd\xef\xbf\xbd-end\""));
  EXPECT_THAT(line, HasSubstr("\"entry_id\":\"e\xef\xbf\xbd\""));
  EXPECT_TRUE(Verify({log}).ok);
}

TEST(AuditSinkTest, FlushWritesEverythingEnqueuedBefore) {
  TempDir dir;
  const std::string log = dir / "audit.jsonl";
  std::unique_ptr<JsonlAuditSink> sink = OpenSink(SinkOptions(log));
  ASSERT_NE(sink, nullptr);
  for (int round = 1; round <= 5; ++round) {
    for (int i = 0; i < 7; ++i) sink->Write(MakeRecord("r"));
    ASSERT_TRUE(sink->Flush().ok());
    EXPECT_EQ(Lines(log).size(), static_cast<size_t>(7 * round));
    EXPECT_EQ(sink->counters().written, static_cast<uint64_t>(7 * round));
  }
}

// The writer is stalled on a FIFO nobody reads: a tiny queue overflows and
// every record is either written or counted as dropped.
TEST(AuditSinkTest, DropModeCountsWhatAFullQueueRefuses) {
  TempDir dir;
  const std::string fifo = dir / "audit.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  JsonlAuditSink::Options o = SinkOptions(fifo);
  o.queue_capacity = 4;
  o.overflow = JsonlAuditSink::Overflow::kDrop;
  std::unique_ptr<JsonlAuditSink> sink = OpenSink(o);
  ASSERT_NE(sink, nullptr);
  constexpr int kAttempts = 5000;  // ~2 MB of lines: far more than a pipe holds
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kAttempts; ++i) sink->Write(MakeRecord(absl::StrCat("req-", i)));
  // Never waited for the stalled writer.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_GT(sink->counters().dropped, 0u);

  // Drain the pipe so the writer can finish.
  ASSERT_EQ(::fcntl(reader, F_SETFL, 0), 0);
  std::string received;
  std::thread drain([&] {
    char buf[65536];
    ssize_t n;
    while ((n = ::read(reader, buf, sizeof buf)) > 0) received.append(buf, static_cast<size_t>(n));
  });
  EXPECT_TRUE(sink->Close().ok());
  drain.join();
  ::close(reader);
  const JsonlAuditSink::Counters c = sink->counters();
  EXPECT_GT(c.dropped, 0u);
  EXPECT_GT(c.written, 0u);
  EXPECT_EQ(c.write_errors, 0u);
  EXPECT_EQ(c.written + c.dropped, static_cast<uint64_t>(kAttempts));
  EXPECT_EQ(static_cast<uint64_t>(std::count(received.begin(), received.end(), '\n')), c.written);
}

// Four threads, a blocking queue smaller than the load: nothing is lost.
TEST(AuditSinkTest, ConcurrentBlockingWritersLoseNothing) {
  TempDir dir;
  const std::string log = dir / "audit.jsonl";
  JsonlAuditSink::Options o = SinkOptions(log);
  o.queue_capacity = 1024;
  o.overflow = JsonlAuditSink::Overflow::kBlock;
  std::unique_ptr<JsonlAuditSink> sink = OpenSink(o);
  ASSERT_NE(sink, nullptr);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 25000;
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      audit::AuditRecord record;  // small, to keep the test quick under sanitizers
      record.set_action("FLAG");
      record.add_hits()->set_category("A4.6");
      for (int i = 0; i < kPerThread; ++i) {
        record.set_request_id(absl::StrCat("t", t, "-", i));
        sink->Write(record);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  ASSERT_TRUE(sink->Flush().ok());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("[          ] 100,000 records by 4 threads written in %.2f s\n", seconds);
  const JsonlAuditSink::Counters c = sink->counters();
  EXPECT_EQ(c.written, 100000u);
  EXPECT_EQ(c.dropped, 0u);
  EXPECT_EQ(c.write_errors, 0u);
  ASSERT_TRUE(sink->Close().ok());

  absl::StatusOr<std::vector<std::string>> files = AuditLogFiles(log);
  ASSERT_TRUE(files.ok());
  const AuditVerifyResult r = Verify(*files);
  EXPECT_TRUE(r.ok) << r.first_error;
  EXPECT_EQ(r.lines, 100000u);  // a verified chain from seq 1: seqs 1..100000
  std::string all;
  for (const std::string& f : *files) {
    // fread, not ReadAll's istreambuf_iterator, which is slow unoptimised.
    FILE* in = std::fopen(f.c_str(), "rb");
    ASSERT_NE(in, nullptr);
    char buf[1 << 16];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, in)) > 0) all.append(buf, n);
    std::fclose(in);
  }
  EXPECT_THAT(all, StartsWith("{\"seq\":1,\"prev\":\"" + std::string(64, '0')));
  EXPECT_NE(all.find("{\"seq\":100000,"), std::string::npos);
  // Every thread's records are there, each once, in the thread's order.
  constexpr std::string_view kId = "\"request_id\":\"t";
  std::vector<int> next(kThreads, 0);
  // Line by line with memchr/memmem rather than std::string::find: the test
  // runs unoptimised under ASan, and a sanitizer checks every byte a
  // haystack spans, so each search must stay within its line.
  size_t count = 0;
  for (size_t begin = 0; begin < all.size();) {
    const char* nl = static_cast<const char*>(::memchr(&all[begin], '\n', all.size() - begin));
    ASSERT_NE(nl, nullptr);
    const std::string_view line(&all[begin], static_cast<size_t>(nl - &all[begin]));
    begin = static_cast<size_t>(nl - all.data()) + 1;
    const char* id =
        static_cast<const char*>(::memmem(line.data(), line.size(), kId.data(), kId.size()));
    ASSERT_NE(id, nullptr) << line;
    const std::string_view rest = line.substr(static_cast<size_t>(id - line.data()) + kId.size());
    const int t = rest[0] - '0';
    ASSERT_TRUE(t >= 0 && t < kThreads) << line;
    const size_t quote = rest.find('"');
    int n = -1;
    ASSERT_TRUE(absl::SimpleAtoi(absl::string_view(rest.data() + 2, quote - 2), &n)) << line;
    ASSERT_EQ(n, next[t]) << "thread " << t;
    ++next[t];
    ++count;
  }
  EXPECT_EQ(count, 100000u);
  for (int n : next) EXPECT_EQ(n, kPerThread);
}

TEST(AuditSinkTest, DiskFullIsCountedNotFatal) {
  if (::access("/dev/full", W_OK) != 0) GTEST_SKIP() << "no writable /dev/full";
  std::unique_ptr<JsonlAuditSink> sink = OpenSink(SinkOptions("/dev/full"));
  ASSERT_NE(sink, nullptr);
  for (int i = 0; i < 10; ++i) sink->Write(MakeRecord("full"));
  absl::Status flushed = sink->Flush();
  ASSERT_FALSE(flushed.ok());
  EXPECT_THAT(std::string(flushed.message()), HasSubstr("/dev/full"));
  EXPECT_THAT(std::string(flushed.message()), HasSubstr("No space left on device"));
  JsonlAuditSink::Counters c = sink->counters();
  EXPECT_EQ(c.written, 0u);
  EXPECT_EQ(c.write_errors, 10u);
  // It keeps trying, and keeps counting.
  sink->Write(MakeRecord("full"));
  EXPECT_FALSE(sink->Flush().ok());
  EXPECT_EQ(sink->counters().write_errors, 11u);
  EXPECT_TRUE(sink->Flush().ok());  // the error was reported once
  EXPECT_TRUE(sink->Close().ok());
}

// A device starts a fresh chain, and failed writes do not bend it: the first
// line that gets through still links to the genesis hash.
TEST(AuditSinkTest, ChainSurvivesFailedWritesToADevice) {
  TempDir dir;
  const std::string fifo = dir / "audit.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  std::unique_ptr<JsonlAuditSink> sink = OpenSink(SinkOptions(fifo));
  ASSERT_NE(sink, nullptr);
  ::close(reader);  // no reader: writes fail with EPIPE (SIGPIPE stays blocked)
  sink->Write(MakeRecord("lost"));
  absl::Status flushed = sink->Flush();
  EXPECT_THAT(std::string(flushed.message()), HasSubstr("Broken pipe"));
  EXPECT_EQ(sink->counters().write_errors, 1u);
  reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  sink->Write(MakeRecord("kept"));
  EXPECT_TRUE(sink->Flush().ok());
  char buf[4096];
  const ssize_t n = ::read(reader, buf, sizeof buf);
  ::close(reader);
  ASSERT_GT(n, 0);
  EXPECT_THAT(std::string(buf, static_cast<size_t>(n)),
              StartsWith("{\"seq\":1,\"prev\":\"" + std::string(64, '0') + "\""));
  EXPECT_TRUE(sink->Close().ok());
}

// A real regular file that runs out of room half-way through a line (the
// file size limit stands in for a full disk): the partial line is cut off,
// the chain on disk stays intact, and writing resumes once there is room.
TEST(AuditSinkTest, FailedWriteLeavesNoPartialLine) {
  TempDir dir;
  const std::string log = dir / "audit.jsonl";
  std::unique_ptr<JsonlAuditSink> sink = OpenSink(SinkOptions(log));
  ASSERT_NE(sink, nullptr);
  rlimit saved;
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  void (*saved_handler)(int) = ::signal(SIGXFSZ, SIG_IGN);
  rlimit small = saved;
  small.rlim_cur = 50000;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  int attempted = 0;
  bool failed = false;
  std::string first_error;
  for (; attempted < 400; ++attempted) {
    sink->Write(MakeRecord(absl::StrCat("req-", attempted)));
    absl::Status s = sink->Flush();
    if (!s.ok() && !failed) {
      failed = true;
      first_error = std::string(s.message());
    }
  }
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &saved), 0);
  ::signal(SIGXFSZ, saved_handler);
  EXPECT_TRUE(failed);
  EXPECT_THAT(first_error, HasSubstr(log));
  JsonlAuditSink::Counters c = sink->counters();
  EXPECT_GT(c.written, 0u);
  EXPECT_GT(c.write_errors, 0u);
  EXPECT_EQ(c.written + c.write_errors, static_cast<uint64_t>(attempted));
  EXPECT_LE(std::filesystem::file_size(log), 50000u);
  EXPECT_EQ(ReadAll(log).back(), '\n');
  AuditVerifyResult r = Verify({log});
  EXPECT_TRUE(r.ok) << r.first_error;
  EXPECT_EQ(r.lines, c.written);

  // Room again: the chain goes on from the last line on disk.
  for (int i = 0; i < 5; ++i) sink->Write(MakeRecord("after"));
  EXPECT_TRUE(sink->Flush().ok());
  EXPECT_TRUE(sink->Close().ok());
  r = Verify({log});
  EXPECT_TRUE(r.ok) << r.first_error;
  EXPECT_EQ(r.lines, c.written + 5);
}

// `menshen audit verify` as an operator runs it.
struct CliRun {
  int status = -1;
  std::string out;
  std::string err;
};

CliRun RunVerify(const TempDir& dir, const std::string& args) {
  const std::string cmd = std::string(MENSHEN_CLI) + " audit verify " + args + " > " +
                          (dir / "out.txt") + " 2> " + (dir / "err.txt");
  CliRun r;
  const int raw = std::system(cmd.c_str());
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  r.out = ReadAll(dir / "out.txt");
  r.err = ReadAll(dir / "err.txt");
  return r;
}

TEST(AuditCliTest, VerifyReportsTheChainOrTheFirstBrokenLine) {
  TempDir dir;
  const std::string log = dir / "audit.jsonl";
  WriteLog(log, 60, "req-", 4096);
  absl::StatusOr<std::vector<std::string>> files = AuditLogFiles(log);
  ASSERT_TRUE(files.ok());
  ASSERT_GE(files->size(), 3u);
  std::string all;
  for (const std::string& f : *files) absl::StrAppend(&all, " ", f);

  CliRun r = RunVerify(dir, all);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, absl::StrCat("ok: 60 lines in ", files->size(),
                                " files, chain intact, checkpoint (seq 60) matches\n"));
  r = RunVerify(dir, "--rotated " + log);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, absl::StrCat("ok: 60 lines in ", files->size(),
                                " files, chain intact, checkpoint (seq 60) matches\n"));
  r = RunVerify(dir, "--no-checkpoint " + all);
  EXPECT_EQ(r.out, absl::StrCat("ok: 60 lines in ", files->size(), " files, chain intact\n"));

  // A cut tail: the chain alone still verifies, the checkpoint does not.
  const std::string current = ReadAll(log);
  std::vector<std::string> tail = Lines(log);
  tail.pop_back();
  WriteLines(log, tail);
  r = RunVerify(dir, "--rotated " + log);
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.err, HasSubstr("cut tail: the checkpoint names seq 60 but the log ends at seq 59"));
  EXPECT_EQ(RunVerify(dir, "--no-checkpoint --rotated " + log).status, 0);
  WriteFile(log, current);

  std::vector<std::string> lines = Lines((*files)[1]);
  lines.erase(lines.begin() + 1);
  WriteLines((*files)[1], lines);
  r = RunVerify(dir, all);
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.err, StartsWith("menshen: " + (*files)[1] + ":2: broken chain"));
  EXPECT_EQ(r.out, "");

  r = RunVerify(dir, dir / "missing.jsonl");
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.err, HasSubstr("missing.jsonl: cannot open"));
  r = RunVerify(dir, "");
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("usage"));
  r = RunVerify(dir, "--bogus " + log);
  EXPECT_EQ(r.status, 2);
}

}  // namespace
}  // namespace menshen

namespace menshen {
namespace {

// ---- Issue 18: durability, checkpoint, repair, retention, fail closed ----

JsonlAuditSink::Options Durable(const std::string& path,
                                JsonlAuditSink::Durability durability =
                                    JsonlAuditSink::Durability::kSynced) {
  JsonlAuditSink::Options o = SinkOptions(path);
  o.durability = durability;
  return o;
}

absl::StatusOr<AuditVerifyResult> VerifyWhole(const std::string& log) {
  absl::StatusOr<std::vector<std::string>> files = AuditLogFiles(log);
  if (!files.ok()) return files.status();
  AuditVerifyOptions options;
  options.checkpoint = log + ".checkpoint";
  options.whole_log = true;
  return VerifyAuditLog(*files, options);
}

TEST(AuditDurabilityTest, WrittenAndSyncedRecordsAreInTheFileWhenAppendReturns) {
  TempDir dir;
  for (auto durability :
       {JsonlAuditSink::Durability::kWritten, JsonlAuditSink::Durability::kSynced}) {
    const std::string log = dir / (durability == JsonlAuditSink::Durability::kSynced
                                       ? "synced.jsonl"
                                       : "written.jsonl");
    std::unique_ptr<JsonlAuditSink> sink = OpenSink(Durable(log, durability));
    ASSERT_NE(sink, nullptr);
    for (int i = 1; i <= 20; ++i) {
      ASSERT_TRUE(sink->Append(MakeRecord(absl::StrCat("r", i))).ok());
      // No Flush: the line is there as soon as the call returns.
      ASSERT_EQ(Lines(log).size(), static_cast<size_t>(i));
    }
    EXPECT_EQ(sink->counters().syncs > 0, durability == JsonlAuditSink::Durability::kSynced);
    ASSERT_TRUE(sink->Close().ok());
    absl::StatusOr<AuditVerifyResult> r = VerifyWhole(log);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(r->ok) << r->first_error;
    EXPECT_TRUE(r->checkpoint_matched);
    EXPECT_EQ(r->checkpoint_seq, 20u);
  }
}

// Synced writers on several threads share their fdatasync calls.
TEST(AuditDurabilityTest, ConcurrentSyncedWritersShareSyncs) {
  TempDir dir;
  const std::string log = dir / "audit.jsonl";
  std::unique_ptr<JsonlAuditSink> sink = OpenSink(Durable(log));
  ASSERT_NE(sink, nullptr);
  constexpr int kThreads = 4, kPerThread = 150;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        if (!sink->Append(MakeRecord(absl::StrCat("t", t, "-", i))).ok()) ++failures;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const JsonlAuditSink::Counters c = sink->counters();
  std::printf("[          ] %d synced records, %llu fdatasync calls\n", kThreads * kPerThread,
              static_cast<unsigned long long>(c.syncs));
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(c.written, static_cast<uint64_t>(kThreads * kPerThread));
  EXPECT_LE(c.syncs, c.written);
  ASSERT_TRUE(sink->Close().ok());
  absl::StatusOr<AuditVerifyResult> r = VerifyWhole(log);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->ok) << r->first_error;
}

TEST(AuditDurabilityTest, SyncWritesTheCheckpoint) {
  TempDir dir;
  const std::string log = dir / "audit.jsonl";
  JsonlAuditSink::Options o = SinkOptions(log);
  o.checkpoint_interval = absl::Hours(1);  // only Sync() and Close() write it
  std::unique_ptr<JsonlAuditSink> sink = OpenSink(o);
  ASSERT_NE(sink, nullptr);
  for (int i = 0; i < 7; ++i) sink->Write(MakeRecord("r"));
  ASSERT_TRUE(sink->Sync().ok());
  EXPECT_THAT(ReadAll(log + ".checkpoint"), StartsWith("{\"seq\":7,\"hash\":\""));
  EXPECT_GE(sink->counters().syncs, 1u);
  sink->Write(MakeRecord("r"));
  ASSERT_TRUE(sink->Close().ok());
  EXPECT_THAT(ReadAll(log + ".checkpoint"), StartsWith("{\"seq\":8,\"hash\":\""));
}

TEST(AuditCheckpointTest, CutTailIsReportedAndNotContinued) {
  TempDir dir;
  const std::string log = dir / "audit.jsonl";
  WriteLog(log, 10);
  std::vector<std::string> lines = Lines(log);
  lines.resize(7);
  WriteLines(log, lines);
  absl::StatusOr<AuditVerifyResult> r = VerifyWhole(log);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->ok);
  EXPECT_THAT(r->first_error, HasSubstr("cut tail"));
  EXPECT_THAT(r->first_error, HasSubstr("3 line(s) are missing"));
  // A sink does not paper over it with a new checkpoint.
  absl::StatusOr<std::unique_ptr<JsonlAuditSink>> sink = JsonlAuditSink::Open(SinkOptions(log));
  ASSERT_FALSE(sink.ok());
  EXPECT_THAT(std::string(sink.status().message()), HasSubstr("checkpoint names seq 10"));
  EXPECT_THAT(std::string(sink.status().message()), HasSubstr("menshen audit repair"));
  // Repair records the loss; the log then verifies and continues.
  absl::StatusOr<AuditRepairResult> repaired = RepairAuditLog(log);
  ASSERT_TRUE(repaired.ok()) << repaired.status();
  EXPECT_TRUE(repaired->repaired);
  EXPECT_EQ(repaired->missing_lines, 3u);
  EXPECT_EQ(repaired->event_seq, 8u);
  EXPECT_THAT(Lines(log).back(), HasSubstr("\"log_event\":{\"kind\":\"repair\""));
  r = VerifyWhole(log);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->ok) << r->first_error;
  EXPECT_EQ(r->repairs, 1u);
  WriteLog(log, 2, "after-");
  r = VerifyWhole(log);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->ok) << r->first_error;
  EXPECT_EQ(r->last_seq, 10u);
}

TEST(AuditRepairTest, TornLastLineIsCutAndRecorded) {
  TempDir dir;
  const std::string log = dir / "audit.jsonl";
  WriteLog(log, 12);
  const std::string whole = ReadAll(log);
  WriteFile(log, whole + whole.substr(0, 57));  // a crash mid-line
  EXPECT_FALSE(JsonlAuditSink::Open(SinkOptions(log)).ok());
  absl::StatusOr<AuditRepairResult> repaired = RepairAuditLog(log);
  ASSERT_TRUE(repaired.ok()) << repaired.status();
  EXPECT_TRUE(repaired->repaired);
  EXPECT_EQ(repaired->cut_bytes, 57u);
  EXPECT_EQ(repaired->missing_lines, 0u);
  EXPECT_EQ(repaired->event_seq, 13u);
  EXPECT_THAT(repaired->summary, HasSubstr("torn last line of 57 bytes"));
  const std::vector<std::string> lines = Lines(log);
  ASSERT_EQ(lines.size(), 13u);
  EXPECT_THAT(lines.back(), HasSubstr("\"cut_bytes\":\"57\""));
  absl::StatusOr<AuditVerifyResult> r = VerifyWhole(log);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->ok) << r->first_error;
  // Nothing left to repair; the sink continues the chain.
  repaired = RepairAuditLog(log);
  ASSERT_TRUE(repaired.ok());
  EXPECT_FALSE(repaired->repaired);
  WriteLog(log, 3);
  r = VerifyWhole(log);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->ok) << r->first_error;
  EXPECT_EQ(r->last_seq, 16u);
}

TEST(AuditRepairTest, EditsAreNotRepaired) {
  TempDir dir;
  const std::string log = dir / "audit.jsonl";
  WriteLog(log, 4);
  std::vector<std::string> lines = Lines(log);
  lines[3][lines[3].find("REFUSE")] = 'X';
  WriteLines(log, lines);
  absl::StatusOr<AuditRepairResult> repaired = RepairAuditLog(log);
  ASSERT_FALSE(repaired.ok());
  EXPECT_THAT(std::string(repaired.status().message()), HasSubstr("audit verify"));
  // Nor while a sink writes.
  WriteLog(dir / "b.jsonl", 2);
  std::unique_ptr<JsonlAuditSink> sink = OpenSink(SinkOptions(dir / "b.jsonl"));
  ASSERT_NE(sink, nullptr);
  repaired = RepairAuditLog(dir / "b.jsonl");
  ASSERT_FALSE(repaired.ok());
  EXPECT_THAT(std::string(repaired.status().message()), HasSubstr("sink is writing"));
}

void SetAge(const std::string& path, int days) {
  const std::filesystem::file_time_type t =
      std::filesystem::file_time_type::clock::now() - std::chrono::hours(24 * days);
  std::filesystem::last_write_time(path, t);
}

TEST(AuditRetentionTest, OldRotatedFilesAreRemovedAndRecorded) {
  TempDir dir;
  const std::string log = dir / "audit.jsonl";
  WriteLog(log, 60, "req-", 4096);
  absl::StatusOr<std::vector<std::string>> files = AuditLogFiles(log);
  ASSERT_TRUE(files.ok());
  ASSERT_GE(files->size(), 4u);
  const size_t old = 2;
  for (size_t i = 0; i < files->size() - 1; ++i) SetAge((*files)[i], i < old ? 200 : 10);
  JsonlAuditSink::Options o = SinkOptions(log);
  o.retention = absl::Hours(24 * 180);
  o.max_file_bytes = 4096;
  std::unique_ptr<JsonlAuditSink> sink = OpenSink(o);
  ASSERT_NE(sink, nullptr);
  sink->Write(MakeRecord("after"));
  ASSERT_TRUE(sink->Close().ok());
  EXPECT_EQ(sink->counters().removed_files, old);
  for (size_t i = 0; i < files->size() - 1; ++i) {
    EXPECT_EQ(std::filesystem::exists((*files)[i]), i >= old) << (*files)[i];
  }
  absl::StatusOr<AuditVerifyResult> r = VerifyWhole(log);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->ok) << r->first_error;
  EXPECT_EQ(r->retention_events, 1u);
  EXPECT_GT(r->first_seq, 1u);
  // A file removed by hand is not covered by the record.
  absl::StatusOr<std::vector<std::string>> left = AuditLogFiles(log);
  ASSERT_TRUE(left.ok());
  std::filesystem::remove((*left)[0]);
  r = VerifyWhole(log);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->ok);
  EXPECT_THAT(r->first_error, HasSubstr("removed without a record"));
}

TEST(AuditRetentionTest, FilesRotateByAge) {
  TempDir dir;
  const std::string log = dir / "audit.jsonl";
  JsonlAuditSink::Options o = SinkOptions(log);
  o.max_file_age = absl::Nanoseconds(1);  // every line finds its file too old
  std::unique_ptr<JsonlAuditSink> sink = OpenSink(o);
  ASSERT_NE(sink, nullptr);
  for (int i = 0; i < 4; ++i) {
    sink->Write(MakeRecord("r"));
    ASSERT_TRUE(sink->Flush().ok());
  }
  ASSERT_TRUE(sink->Close().ok());
  EXPECT_EQ(sink->counters().rotations, 3u);
  absl::StatusOr<AuditVerifyResult> r = VerifyWhole(log);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->ok) << r->first_error;
  EXPECT_EQ(r->lines, 4u);
}

TEST(AuditFailClosedTest, AppendReportsRecordsThatDidNotMakeIt) {
  if (::access("/dev/full", W_OK) != 0) GTEST_SKIP() << "no writable /dev/full";
  std::unique_ptr<JsonlAuditSink> written =
      OpenSink(Durable("/dev/full", JsonlAuditSink::Durability::kWritten));
  ASSERT_NE(written, nullptr);
  absl::Status s = written->Append(MakeRecord("lost"));
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_FALSE(written->FailClosedHook()(MakeRecord("lost")).ok());
  EXPECT_FALSE(written->Close().ok());  // the error is reported there too
  // Queued: a failure shows from the next record on.
  std::unique_ptr<JsonlAuditSink> queued = OpenSink(SinkOptions("/dev/full"));
  ASSERT_NE(queued, nullptr);
  EXPECT_TRUE(queued->Append(MakeRecord("q")).ok());
  EXPECT_FALSE(queued->Flush().ok());
  EXPECT_EQ(queued->Append(MakeRecord("q")).code(), absl::StatusCode::kDataLoss);
  queued->Close().IgnoreError();
  EXPECT_EQ(queued->Append(MakeRecord("q")).code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace menshen
