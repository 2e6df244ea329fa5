// The JSON-lines audit sink: records per second through JsonlAuditSink::Write
// with the blocking queue, to a file in a temp folder (default 64 MiB
// rotation, so long runs rotate as in production).
//
// With kBlock the caller waits whenever the queue is full, so in a run much
// longer than the queue the real time per Write() is the writer thread's time
// per record: JSON serialisation, the chain hash and the write(2) share. The
// CPU time per Write() is what the calling (request) thread itself pays: the
// copy into the queue. The records still queued when the loop ends are flushed
// outside the timed loop; `drained_per_s` counts that flush too.
// BM_RecordLine is the writer's CPU per record without the file or the queue.
//
// Durability (issue 18): the first argument is the sink's durability
// (0 kQueued, 1 kWritten, 2 kSynced). With kWritten and kSynced each Write()
// returns only once its line is written (synced), so records/s is what a
// request thread sees; with kSynced, callers that queue while an fdatasync
// runs share the next one: `per_sync` is records per fdatasync.
// BM_SinkSyncBatch is the CLI's way: 1024 queued records, then one Sync().
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "lib/audit/record_json.h"
#include "lib/audit/chain.h"
#include "menshen/audit.h"

namespace menshen::bench {
namespace {

// What the engine reports for a refused prompt with three hits.
audit::AuditRecord RealisticRecord() {
  audit::AuditRecord r;
  r.mutable_time()->set_seconds(1767225600);
  r.mutable_time()->set_nanos(123456789);
  r.set_request_id("req-7f3a9c1e-5b2d-4e8f-a0c6-1d9e2b4f6a8c");
  r.set_direction("input");
  r.set_profile("default");
  r.set_action("REFUSE");
  r.set_rule("default/a1-refuse");
  const char* categories[] = {"A1.3", "A1.8", "A4.6"};
  for (int i = 0; i < 3; ++i) {
    audit::AuditHit* h = r.add_hits();
    h->set_entry_id(absl::StrCat("3f9a2c", 10 + i, "e7b1d4"));
    h->set_category(categories[i]);
    h->set_severity(3 - i);
    h->set_start(120 * i + 17);
    h->set_end(120 * i + 29);
  }
  audit::AuditPack* p = r.add_packs();
  p->set_name("starter");
  p->set_version("1.4.2");
  p->set_sha256("9b74c9897bac770ffc029102a200c5de2c4a8a1c9d6f5e3b7a0c2d4e6f8a1b3c");
  r.set_policy_version("default 1.2.0");
  r.set_input_length(1873);
  r.set_input_sha256("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  r.set_fold_version("fold-3");
  return r;
}

// A fresh folder under $TMPDIR (or /tmp), removed with the object.
class TempFolder {
 public:
  TempFolder() {
    std::string pattern = (std::filesystem::temp_directory_path() / "menshen-audit-XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempFolder() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct SinkRun {
  TempFolder folder;
  std::unique_ptr<JsonlAuditSink> sink;
  std::chrono::steady_clock::time_point start;
};

SinkRun* shared_run = nullptr;  // for the threaded runs; set up by thread 0

// Thread 0 opens the sink before the loop (the loop's start barrier makes it
// visible to the other threads) and reports after it.
void BM_SinkWrite(benchmark::State& state) {
  const audit::AuditRecord record = RealisticRecord();
  if (state.thread_index() == 0) {
    shared_run = new SinkRun;
    JsonlAuditSink::Options options;
    options.path = shared_run->folder.path() + "/audit.jsonl";
    options.overflow = JsonlAuditSink::Overflow::kBlock;
    // Smaller than the default 65536 so that the timed loop, not the flush
    // after it, carries nearly all of the writing.
    options.queue_capacity = 4096;
    options.durability = static_cast<JsonlAuditSink::Durability>(state.range(0));
    absl::StatusOr<std::unique_ptr<JsonlAuditSink>> sink = JsonlAuditSink::Open(options);
    if (!sink.ok()) {
      state.SkipWithError(std::string(sink.status().message()).c_str());
      delete shared_run;
      shared_run = nullptr;
      return;
    }
    shared_run->sink = *std::move(sink);
    shared_run->start = std::chrono::steady_clock::now();
  }
  for (auto _ : state) {
    if (shared_run != nullptr) shared_run->sink->Write(record);  // null: setup failed
  }
  if (state.thread_index() != 0 || shared_run == nullptr) return;
  const absl::Status flushed = shared_run->sink->Flush();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - shared_run->start).count();
  const JsonlAuditSink::Counters c = shared_run->sink->counters();
  uint64_t bytes = 0;
  for (const auto& entry : std::filesystem::directory_iterator(shared_run->folder.path())) {
    bytes += entry.file_size();
  }
  if (!flushed.ok()) state.SkipWithError(std::string(flushed.message()).c_str());
  state.SetItemsProcessed(static_cast<int64_t>(c.written));
  state.counters["drained_per_s"] = static_cast<double>(c.written) / seconds;
  state.counters["line_bytes"] =
      c.written > 0 ? static_cast<double>(bytes) / static_cast<double>(c.written) : 0;
  state.counters["rotations"] = static_cast<double>(c.rotations);
  state.counters["lost"] = static_cast<double>(c.dropped + c.write_errors);
  state.counters["syncs"] = static_cast<double>(c.syncs);
  state.counters["per_sync"] =
      c.syncs > 0 ? static_cast<double>(c.written) / static_cast<double>(c.syncs) : 0;
  delete shared_run;  // closes the sink, removes the folder
  shared_run = nullptr;
}

// `menshen scan` in its default (synced) mode: a batch of queued records,
// then one Sync() before the batch's decisions are printed.
void BM_SinkSyncBatch(benchmark::State& state) {
  const audit::AuditRecord record = RealisticRecord();
  TempFolder folder;
  JsonlAuditSink::Options options;
  options.path = folder.path() + "/audit.jsonl";
  absl::StatusOr<std::unique_ptr<JsonlAuditSink>> sink = JsonlAuditSink::Open(options);
  if (!sink.ok()) {
    state.SkipWithError(std::string(sink.status().message()).c_str());
    return;
  }
  const int64_t batch = state.range(0);
  for (auto _ : state) {
    for (int64_t i = 0; i < batch; ++i) (*sink)->Write(record);
    if (!(*sink)->Sync().ok()) state.SkipWithError("sync failed");
  }
  state.SetItemsProcessed(state.iterations() * batch);
  state.counters["syncs"] = static_cast<double>((*sink)->counters().syncs);
}

// The writer's CPU per record: compact JSON plus the chained line, with the
// sink's encoder (record_json) and, as the baseline it replaced, protobuf's
// JSON printer, which writes the same bytes.
void RecordLine(benchmark::State& state, bool protobuf_printer) {
  const audit::AuditRecord record = RealisticRecord();
  google::protobuf::util::JsonPrintOptions print;
  print.preserve_proto_field_names = true;
  std::string json;
  std::string line;
  std::string prev(internal::kChainGenesis);
  uint64_t seq = 0;
  for (auto _ : state) {
    json.clear();
    line.clear();
    const bool printed =
        protobuf_printer ? google::protobuf::util::MessageToJsonString(record, &json, print).ok()
                         : internal::AppendAuditRecordJson(record, &json);
    if (!printed) {
      state.SkipWithError("the record could not be printed");
      return;
    }
    ++seq;
    const std::string seq_text = absl::StrCat(seq);
    std::string hash = internal::ChainHash(prev, seq_text, json);
    internal::AppendChainLine(seq, prev, hash, json, &line);
    prev = std::move(hash);
    benchmark::DoNotOptimize(line.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["line_bytes"] = static_cast<double>(line.size());
}
void BM_RecordLine(benchmark::State& state) { RecordLine(state, false); }
void BM_RecordLineProtobufJson(benchmark::State& state) { RecordLine(state, true); }

BENCHMARK(BM_SinkWrite)->Arg(0)->ArgName("durability")->UseRealTime();
BENCHMARK(BM_SinkWrite)->Arg(0)->ArgName("durability")->Threads(4)->UseRealTime();
BENCHMARK(BM_SinkWrite)->Arg(1)->ArgName("durability")->UseRealTime();
BENCHMARK(BM_SinkWrite)->Arg(2)->ArgName("durability")->UseRealTime();
BENCHMARK(BM_SinkWrite)->Arg(2)->ArgName("durability")->Threads(4)->UseRealTime();
BENCHMARK(BM_SinkWrite)->Arg(2)->ArgName("durability")->Threads(16)->UseRealTime();
BENCHMARK(BM_SinkSyncBatch)->Arg(1)->Arg(64)->Arg(1024)->ArgName("batch")->UseRealTime();
BENCHMARK(BM_RecordLine);
BENCHMARK(BM_RecordLineProtobufJson);

}  // namespace
}  // namespace menshen::bench
