// The engine with a policy and an audit hook: actions by profile and
// direction, labels, and one complete audit record per decision, also under
// four threads writing through the JSON-lines sink.
#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/base/sha256.h"
#include "menshen/audit.h"
#include "menshen/engine.h"
#include "tests/test_util.h"

namespace menshen {
namespace {

using ::menshen::testing::Manifest;
using ::menshen::testing::TempDir;
using ::menshen::testing::WritePack;
using ::testing::HasSubstr;

constexpr char kPolicy[] = R"pb(
  version: "test-7"
  default_profile: "default"
  profile {
    name: "default"
    rule { name: "refuse-high" categories: "A1" min_severity: 3 action: REFUSE }
    rule { name: "mask-insults-out" direction: OUTPUT categories: "A4.3" action: MASK }
    default_action: FLAG
  }
  profile {
    name: "strict"
    rule { name: "refuse-all" action: REFUSE }
  }
  refusal { category: "*" locale: "zh-CN" text: "抱歉，这类内容我无法协助。" }
  refusal { category: "*" locale: "en" text: "Sorry, I can't help with that." }
  label { position: END text: "本内容由人工智能生成" }
)pb";

class PolicyAuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WritePack(dir_ / "p", Manifest("p"), {{"terms.tsv", "冰毒\tA1.8\t3\nidiot\tA4.3\t2\tword\n"}});
    absl::StatusOr<std::shared_ptr<const Pack>> pack = Pack::Load(dir_ / "p");
    ASSERT_TRUE(pack.ok()) << pack.status();
    pack_ = *pack;
    absl::StatusOr<std::shared_ptr<const Policy>> policy = Policy::Parse(kPolicy, "test.textproto");
    ASSERT_TRUE(policy.ok()) << policy.status();
    policy_ = *policy;
  }

  std::shared_ptr<const Engine> Make(EngineOptions options) {
    options.policy = policy_;
    absl::StatusOr<std::shared_ptr<const Engine>> engine = Engine::Create({pack_}, options);
    EXPECT_TRUE(engine.ok()) << engine.status();
    return *engine;
  }

  Decision Check(const Engine& engine, std::string_view text, Direction direction,
                 std::string_view profile = "") {
    CheckRequest request;
    request.direction = direction;
    request.profile = profile;
    Decision d;
    absl::Status s = engine.Check(text, request, &d);
    EXPECT_TRUE(s.ok()) << s;
    return d;
  }

  TempDir dir_;
  std::shared_ptr<const Pack> pack_;
  std::shared_ptr<const Policy> policy_;
};

TEST_F(PolicyAuditTest, ProfilesDirectionsAndLabels) {
  auto engine = Make({});
  Decision d = Check(*engine, "you idiot", Direction::kInput);
  EXPECT_EQ(d.action, Action::kFlag);
  EXPECT_EQ(d.rule, "default/default");
  EXPECT_TRUE(d.label.empty());
  d = Check(*engine, "you idiot", Direction::kOutput);
  EXPECT_EQ(d.action, Action::kMask);
  EXPECT_EQ(d.rule, "default/mask-insults-out");
  EXPECT_EQ(d.masked, "you *****");
  EXPECT_EQ(d.label, "本内容由人工智能生成");
  EXPECT_EQ(d.label_position, LabelPosition::kEnd);
  EXPECT_EQ(d.policy_version, "test-7");
  d = Check(*engine, "出售冰毒", Direction::kInput);
  EXPECT_EQ(d.action, Action::kRefuse);
  EXPECT_EQ(d.refusal, "抱歉，这类内容我无法协助。");
  d = Check(*engine, "you idiot", Direction::kInput, "strict");
  EXPECT_EQ(d.action, Action::kRefuse);
  EXPECT_EQ(d.rule, "strict/refuse-all");
  EXPECT_EQ(d.refusal, "Sorry, I can't help with that.");
  d = Check(*engine, "hello", Direction::kOutput, "strict");
  EXPECT_EQ(d.action, Action::kAllow);

  CheckRequest unknown;
  unknown.profile = "nobody";
  Decision ignored;
  absl::Status s = engine->Check("hello", unknown, &ignored);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("nobody"));
}

TEST_F(PolicyAuditTest, DefaultPolicyIsUsedWithoutOne) {
  absl::StatusOr<std::shared_ptr<const Engine>> engine = Engine::Create({pack_});
  ASSERT_TRUE(engine.ok());
  EXPECT_EQ(&(*engine)->policy(), Policy::Default().get());
  EXPECT_TRUE((*engine)->policy().has_profile("minors"));
}

TEST_F(PolicyAuditTest, EveryDecisionIsAuditedWithVersions) {
  std::vector<audit::AuditRecord> records;
  EngineOptions options;
  options.audit_hook = [&](const audit::AuditRecord& r) { records.push_back(r); };
  auto engine = Make(options);
  CheckRequest request;
  request.direction = Direction::kOutput;
  request.request_id = "req-42";
  Decision d;
  const std::string text = "hi 冰毒 \xff";
  ASSERT_TRUE(engine->Check(text, request, &d).ok());
  ASSERT_TRUE(engine->Check("clean", Direction::kInput, &d).ok());
  ASSERT_EQ(records.size(), 2u);
  const audit::AuditRecord& r = records[0];
  EXPECT_EQ(r.request_id(), "req-42");
  EXPECT_EQ(r.direction(), "output");
  EXPECT_EQ(r.profile(), "default");
  EXPECT_EQ(r.action(), "REFUSE");
  EXPECT_EQ(r.rule(), "default/refuse-high");
  EXPECT_EQ(r.policy_version(), "test-7");
  ASSERT_EQ(r.packs_size(), 1);
  EXPECT_EQ(r.packs(0).name(), "p");
  EXPECT_EQ(r.packs(0).version(), "1.0.0");
  EXPECT_EQ(r.packs(0).sha256(), pack_->info().artefact_sha256);
  ASSERT_EQ(r.hits_size(), 1);
  EXPECT_EQ(r.hits(0).category(), "A1.8");
  EXPECT_EQ(r.hits(0).start(), 3u);
  EXPECT_EQ(r.hits(0).end(), 9u);
  EXPECT_EQ(r.input_length(), text.size());
  EXPECT_EQ(r.input_sha256(), internal::DigestToHex(internal::Sha256Of(text)));
  EXPECT_EQ(r.invalid_utf8(), 1u);
  EXPECT_FALSE(r.has_text()) << "raw text only when the operator opts in";
  EXPECT_GT(r.time().seconds(), 1700000000);
  EXPECT_EQ(records[1].action(), "ALLOW");
  EXPECT_EQ(records[1].direction(), "input");

  request.request_id = "bad\xff";
  records.clear();
  ASSERT_TRUE(engine->Check("clean", request, &d).ok());
  EXPECT_EQ(records[0].request_id(), "bad\xEF\xBF\xBD");

  options.audit_include_text = true;
  records.clear();
  auto with_text = Make(options);
  ASSERT_TRUE(with_text->Check(text, Direction::kInput, &d).ok());
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].text(), "hi 冰毒 \xEF\xBF\xBD");
}

TEST_F(PolicyAuditTest, ThrowingHookCannotBreakTheEngine) {
  EngineOptions options;
  options.audit_hook = [](const audit::AuditRecord&) { throw std::runtime_error("hook broke"); };
  auto engine = Make(options);
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<Decision> d = engine->Check("出售冰毒", Direction::kInput);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->action, Action::kRefuse);
  }
  EXPECT_EQ(engine->audit_hook_failures(), 3u);
}

// Four threads check 100,000 texts in all through a blocking JSON-lines sink:
// every decision is on disk, in one intact chain.
TEST_F(PolicyAuditTest, ConcurrentChecksLoseNoAuditRecord) {
  JsonlAuditSink::Options sink_options;
  sink_options.path = dir_ / "audit.jsonl";
  sink_options.queue_capacity = 1024;
  sink_options.overflow = JsonlAuditSink::Overflow::kBlock;
  absl::StatusOr<std::unique_ptr<JsonlAuditSink>> sink = JsonlAuditSink::Open(sink_options);
  ASSERT_TRUE(sink.ok()) << sink.status();
  EngineOptions options;
  options.audit_hook = (*sink)->Hook();
  auto engine = Make(options);

  constexpr int kThreads = 4;
  constexpr int kPerThread = 25000;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Decision d;
      for (int i = 0; i < kPerThread; ++i) {
        const std::string text = (i % 3 == 0 ? "出售冰毒 #" : "hello #") + std::to_string(t * kPerThread + i);
        if (!engine->Check(text, Direction::kInput, &d).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE((*sink)->Close().ok());
  EXPECT_EQ(failures.load(), 0);
  const JsonlAuditSink::Counters c = (*sink)->counters();
  EXPECT_EQ(c.written, uint64_t{kThreads * kPerThread});
  EXPECT_EQ(c.dropped, 0u);
  EXPECT_EQ(c.write_errors, 0u);
  absl::StatusOr<AuditVerifyResult> verified = VerifyAuditLog({dir_ / "audit.jsonl"});
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_TRUE(verified->ok) << verified->first_error;
  EXPECT_EQ(verified->lines, uint64_t{kThreads * kPerThread});
}

// Issue 18: with a fail-closed hook, a decision whose record did not make it
// is an error, never an unaudited answer: a check fails, a stream ends
// without releasing its rest.
TEST_F(PolicyAuditTest, FailClosedHookTurnsUnrecordedDecisionsIntoErrors) {
  std::atomic<bool> disk_full{false};
  std::atomic<int> recorded{0};
  EngineOptions options;
  options.fail_closed_audit_hook = [&](const audit::AuditRecord&) -> absl::Status {
    if (disk_full) return absl::DataLossError("no space left");
    ++recorded;
    return absl::OkStatus();
  };
  auto engine = Make(options);
  Decision d;
  CheckRequest request;
  EXPECT_TRUE(engine->Check("hello", request, &d).ok());
  disk_full = true;
  absl::Status s = engine->Check("hello 冰毒", request, &d);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(s.message()), HasSubstr("not recorded"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("no space left"));

  request.direction = Direction::kOutput;
  absl::StatusOr<Stream> stream = engine->OpenStream(request);
  ASSERT_TRUE(stream.ok());
  std::string released;
  ASSERT_TRUE(stream->Feed("a long and harmless answer, word after word", &released).ok());
  const std::string before = released;
  EXPECT_EQ(stream->Finish(&released).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(released, before);  // the rest is not released unaudited
  // A cut stream whose record fails: the feed that cut it says so.
  stream = engine->OpenStream(request);
  ASSERT_TRUE(stream.ok());
  EXPECT_EQ(stream->Feed("卖冰毒了" + std::string(50, ' '), &released).code(),
            absl::StatusCode::kDataLoss);
  EXPECT_TRUE(stream->cut());
  // With room again, everything is recorded.
  disk_full = false;
  EXPECT_TRUE(engine->Check("hello", request, &d).ok());
  EXPECT_EQ(recorded.load(), 2);
}

// Both hooks: the plain one sees every record, the fail-closed one decides.
TEST_F(PolicyAuditTest, FailClosedSinkHookWithTheJsonlSink) {
  const std::string log = dir_ / "audit.jsonl";
  JsonlAuditSink::Options sink_options;
  sink_options.path = log;
  sink_options.durability = JsonlAuditSink::Durability::kSynced;
  absl::StatusOr<std::unique_ptr<JsonlAuditSink>> sink = JsonlAuditSink::Open(sink_options);
  ASSERT_TRUE(sink.ok()) << sink.status();
  EngineOptions options;
  options.fail_closed_audit_hook = (*sink)->FailClosedHook();
  auto engine = Make(options);
  Decision d;
  CheckRequest request;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(engine->Check("冰毒", request, &d).ok());
  // Synced: the lines are on disk when Check returns.
  const std::string written = testing::ReadAll(log);
  EXPECT_EQ(std::count(written.begin(), written.end(), '\n'), 5);
  ASSERT_TRUE((*sink)->Close().ok());
  // A closed sink cannot record: checks fail closed.
  EXPECT_EQ(engine->Check("冰毒", request, &d).code(), absl::StatusCode::kUnavailable);
}

// Four threads check through a synced, fail-closed sink (each call waits
// for its group's fdatasync) while a fifth syncs the log: every decision
// returned has its record on disk, none is lost (also under ThreadSanitizer).
TEST_F(PolicyAuditTest, ConcurrentChecksWithASyncedFailClosedSink) {
  const std::string log = dir_ / "synced.jsonl";
  JsonlAuditSink::Options sink_options;
  sink_options.path = log;
  sink_options.durability = JsonlAuditSink::Durability::kSynced;
  absl::StatusOr<std::unique_ptr<JsonlAuditSink>> sink = JsonlAuditSink::Open(sink_options);
  ASSERT_TRUE(sink.ok()) << sink.status();
  EngineOptions options;
  options.fail_closed_audit_hook = (*sink)->FailClosedHook();
  auto engine = Make(options);
  std::atomic<int> failures{0};
  std::atomic<bool> done{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      Decision d;
      CheckRequest request;
      for (int i = 0; i < 40; ++i) {
        if (!engine->Check(i % 2 ? "冰毒" : "hello", request, &d).ok()) ++failures;
      }
    });
  }
  std::thread syncer([&] {
    while (!done) (*sink)->Sync().IgnoreError();
  });
  for (std::thread& t : threads) t.join();
  done = true;
  syncer.join();
  EXPECT_EQ(failures.load(), 0);
  ASSERT_TRUE((*sink)->Close().ok());
  EXPECT_EQ((*sink)->counters().written, 160u);
  absl::StatusOr<AuditVerifyResult> verified = VerifyAuditLog({log});
  ASSERT_TRUE(verified.ok());
  EXPECT_TRUE(verified->ok) << verified->first_error;
  EXPECT_EQ(verified->lines, 160u);
}

}  // namespace
}  // namespace menshen
