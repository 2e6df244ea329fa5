// menshen corpus audit: per-source shares of harmful documents in training
// data, a deterministic review sample, and evidence reports. A reader thread
// feeds batches of lines to N checking threads sharing one engine; the main
// thread takes the results back in input order and aggregates them.
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "lib/base/sha256.h"
#include "lib/base/text_proto.h"
#include "lib/base/utf8.h"
#include "menshen/engine.h"
#include "tools/menshen/args.h"
#include "tools/menshen/commands.h"
#include "tools/menshen/corpus.pb.h"
#include "tools/menshen/json_out.h"
#include "tools/menshen/line_reader.h"
#include "tools/menshen/progress.h"
#include "tools/menshen/report/report.h"

namespace menshen::cli {
namespace {

// Bytes of context on each side of the marked hit in an excerpt, and the
// length of an excerpt of a document without hits.
constexpr size_t kExcerptContext = 80;
constexpr size_t kExcerptPlain = 160;
// Bad documents listed per source (all are counted).
constexpr size_t kMaxBadListed = 10000;
// A batch handed to a checking thread: this many lines or bytes.
constexpr size_t kBatchLines = 256;
constexpr size_t kBatchBytes = size_t{1} << 20;
// Reports' creation time unless SOURCE_DATE_EPOCH says otherwise:
// 2025-01-01T00:00:00Z, so the same audit gives the same bytes.
constexpr std::time_t kReportCreated = 1735689600;

struct AuditArgs {
  std::vector<std::string> sources;
  std::vector<std::string> packs;
  std::string out_dir = "corpus-audit";
  std::string by = "file";
  std::string field;  // --by field:NAME
  std::string text_field = "text";
  std::string format = "auto";
  std::string policy, profile;
  Direction direction = Direction::kInput;
  double sample_rate = 0.1;
  uint64_t sample_cap = 1000;
  uint64_t seed = 1;
  uint64_t threads = 1;
  double threshold = 0.05;
  uint64_t max_bytes = EngineOptions{}.max_input_bytes;
};

struct InputFile {
  std::string path;
  bool jsonl = false;
  uint64_t size = 0;
};

int ParseAuditArgs(const std::vector<std::string>& args, AuditArgs* out) {
  std::string direction = "input";
  uint64_t sample = 0;
  double rate = -1;
  out->threads = std::max(1u, std::thread::hardware_concurrency());
  ArgParser parser("corpus audit");
  parser.Value("-o", &out->out_dir);
  parser.Value("--output", &out->out_dir);
  parser.Value("--by", &out->by);
  parser.Value("--text-field", &out->text_field);
  parser.Choice("--format", &out->format, {"auto", "text", "jsonl"});
  parser.Real("--sample-rate", &rate, 0, 1);
  parser.Number("--sample", &sample, 1, uint64_t{1} << 32);
  parser.Number("--sample-cap", &out->sample_cap, 0, uint64_t{1} << 32);
  parser.Number("--seed", &out->seed, 0, UINT64_MAX);
  parser.Number("--threads", &out->threads, 1, 256);
  parser.Real("--threshold", &out->threshold, 0, 1);
  parser.Number("--max-bytes", &out->max_bytes, 1, uint64_t{1} << 32);
  parser.Values("--pack", &out->packs);
  parser.Value("--policy", &out->policy);
  parser.Value("--profile", &out->profile);
  parser.Choice("--direction", &direction, {"input", "output"});
  parser.Positionals(&out->sources, 1, SIZE_MAX);
  if (absl::Status s = parser.Parse(args); !s.ok()) return UsageError(kCorpusAuditCommand, s);
  if (sample > 0 && rate >= 0) {
    return Fail(kExitUsage, "corpus audit: give --sample-rate or --sample, not both");
  }
  if (sample > 0) {
    out->sample_rate = 1;
    out->sample_cap = sample;
  } else if (rate >= 0) {
    out->sample_rate = rate;
  }
  if (absl::StartsWith(out->by, "field:") && out->by.size() > 6) {
    out->field = out->by.substr(6);
  } else if (out->by != "file" && out->by != "dir") {
    return Fail(kExitUsage, "corpus audit: --by takes file, dir or field:NAME");
  }
  if (out->text_field.empty()) return Fail(kExitUsage, "corpus audit: --text-field is empty");
  out->direction = direction == "input" ? Direction::kInput : Direction::kOutput;
  return kExitOk;
}

bool IsJsonlName(const std::string& path) {
  absl::string_view name = path;
  if (absl::EndsWith(name, ".gz")) name.remove_suffix(3);
  if (absl::EndsWith(name, ".zst")) name.remove_suffix(4);
  return absl::EndsWith(name, ".jsonl") || absl::EndsWith(name, ".ndjson") ||
         absl::EndsWith(name, ".json");
}

// Every file of the sources: a file as given, a folder's regular files
// (recursively, not hidden ones) sorted by path.
int ExpandSources(const AuditArgs& args, std::vector<InputFile>* files) {
  for (std::string source : args.sources) {
    while (source.size() > 1 && source.back() == '/') source.pop_back();
    std::error_code ec;
    std::vector<std::string> paths;
    if (std::filesystem::is_directory(source, ec)) {
      std::filesystem::recursive_directory_iterator it(source, ec), end;
      if (ec) return Fail(kExitUsage, "corpus audit: cannot read " + source + ": " + ec.message());
      for (; it != end; it.increment(ec)) {
        if (ec) return Fail(kExitUsage, "corpus audit: cannot read " + source + ": " + ec.message());
        const std::string name = it->path().filename().string();
        if (!name.empty() && name[0] == '.') {
          if (it->is_directory(ec)) it.disable_recursion_pending();
          continue;
        }
        if (it->is_regular_file(ec)) paths.push_back(it->path().string());
      }
      std::sort(paths.begin(), paths.end());
    } else if (std::filesystem::is_regular_file(source, ec)) {
      paths.push_back(source);
    } else {
      return Fail(kExitUsage, "corpus audit: " + source + ": no such file or folder");
    }
    for (std::string& path : paths) {
      InputFile f;
      f.jsonl = args.format == "jsonl" || (args.format == "auto" && IsJsonlName(path));
      struct stat st;
      f.size = ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
      f.path = std::move(path);
      files->push_back(std::move(f));
    }
  }
  return kExitOk;
}

std::string ParentDir(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

// The sampling key: the first 8 bytes of SHA-256("SEED\nSOURCE\nDOCUMENT"),
// big-endian. A function of the document alone, so the sample does not
// depend on threads, order or how a cluster splits the work.
uint64_t SampleKey(uint64_t seed, const std::string& source, const std::string& document) {
  const std::string data = absl::StrCat(seed, "\n", source, "\n", document);
  // Sha256Of, not OpenSSL's SHA256(): that one looks the digest up under a
  // global lock on every call, which kept two checking threads from scaling.
  const internal::Sha256Digest digest = internal::Sha256Of(data);
  uint64_t key = 0;
  for (int i = 0; i < 8; ++i) key = key << 8 | digest[i];
  return key;
}

bool IsContinuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// An excerpt around the most severe hit (the earliest among equals), marked
// 【like this】; invalid bytes shown as U+FFFD, one per byte.
std::string Excerpt(std::string_view text, const Decision& decision) {
  const Hit* mark = nullptr;
  for (const Hit& h : decision.hits) {
    if (mark == nullptr || h.severity > mark->severity) mark = &h;
  }
  using internal::SanitizeUtf8;
  if (mark == nullptr) {
    size_t end = text.size();
    if (end > kExcerptPlain) {
      end = kExcerptPlain;
      while (end > 0 && IsContinuation(text[end])) --end;
    }
    return SanitizeUtf8(text.substr(0, end)) + (end < text.size() ? "…" : "");
  }
  size_t start = 0;
  if (mark->start > kExcerptContext) {
    start = mark->start - kExcerptContext;
    while (start < mark->start && IsContinuation(text[start])) ++start;
  }
  size_t end = text.size();
  if (mark->end + kExcerptContext < text.size()) {
    end = mark->end + kExcerptContext;
    while (end > mark->end && IsContinuation(text[end])) --end;
  }
  return absl::StrCat(start > 0 ? "…" : "", SanitizeUtf8(text.substr(start, mark->start - start)),
                      "【", SanitizeUtf8(text.substr(mark->start, mark->end - mark->start)), "】",
                      SanitizeUtf8(text.substr(mark->end, end - mark->end)),
                      end < text.size() ? "…" : "");
}

// The class of a risk code: "A1.8" -> "A1".
std::string_view ClassOf(std::string_view code) { return code.substr(0, code.find('.')); }

struct DocResult {
  std::string source;
  std::string bad_reason, bad_detail;  // empty: checked
  uint64_t bytes = 0;
  Action action = Action::kAllow;
  std::vector<std::string> risks;  // sorted, unique
  bool invalid_utf8 = false;
  bool candidate = false;          // in the sample if its key is among the smallest
  uint64_t key = 0;
  std::string excerpt;
};


struct Sample {
  uint64_t key;
  CorpusSample record;
};

bool SampleBefore(const Sample& a, const Sample& b) {
  return a.key != b.key ? a.key < b.key : a.record.document() < b.record.document();
}

struct SourceAgg {
  uint64_t documents = 0, bytes = 0, bad = 0, with_hits = 0, invalid_utf8 = 0;
  uint64_t actions[5] = {0, 0, 0, 0, 0};
  std::map<std::string, uint64_t> classes, risks;
  std::vector<Sample> samples;
  std::vector<CorpusBadDocument> bad_listed;
  std::string error;

  void TrimSamples(size_t cap, bool final) {
    if (samples.size() <= cap || (!final && samples.size() < 2 * cap + 64)) return;
    std::nth_element(samples.begin(), samples.begin() + cap, samples.end(), SampleBefore);
    samples.resize(cap);
  }

  void Merge(SourceAgg&& other, size_t cap) {
    documents += other.documents;
    bytes += other.bytes;
    bad += other.bad;
    with_hits += other.with_hits;
    invalid_utf8 += other.invalid_utf8;
    for (int i = 0; i < 5; ++i) actions[i] += other.actions[i];
    for (auto& [k, v] : other.classes) classes[k] += v;
    for (auto& [k, v] : other.risks) risks[k] += v;
    for (Sample& s : other.samples) samples.push_back(std::move(s));
    TrimSamples(cap, false);
    for (CorpusBadDocument& b : other.bad_listed) {
      if (bad_listed.size() < kMaxBadListed) bad_listed.push_back(std::move(b));
    }
  }
};

struct Batch {
  size_t seq = 0;
  size_t file = 0;
  std::vector<LineReader::Line> lines;
  std::vector<DocResult> results;
  // The batch's results aggregated by the checking thread that checked it, so
  // the main thread's share of the work is per batch, not per document.
  std::map<std::string, SourceAgg> sources;
  uint64_t line_bytes = 0;
  bool last = false;         // the file's last batch
  absl::Status file_status;  // with `last`: how reading the file ended
  uint64_t done_bytes = 0;   // input bytes read when the batch was made
};

// Work handed between threads: a bounded queue of batches to check, and the
// checked batches waiting for the main thread to take them in order.
class Pipeline {
 public:
  explicit Pipeline(size_t capacity) : capacity_(capacity) {}

  void PushWork(std::unique_ptr<Batch> batch) {
    std::unique_lock<std::mutex> lock(mu_);
    room_.wait(lock, [&] { return work_.size() < capacity_; });
    work_.push_back(std::move(batch));
    ready_.notify_one();
  }
  void CloseWork() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    ready_.notify_all();
  }
  std::unique_ptr<Batch> PopWork() {
    std::unique_lock<std::mutex> lock(mu_);
    ready_.wait(lock, [&] { return !work_.empty() || closed_; });
    if (work_.empty()) return nullptr;
    std::unique_ptr<Batch> batch = std::move(work_.front());
    work_.pop_front();
    room_.notify_one();
    return batch;
  }
  void PushDone(std::unique_ptr<Batch> batch) {
    std::lock_guard<std::mutex> lock(mu_);
    const size_t seq = batch->seq;
    done_.emplace(seq, std::move(batch));
    if (seq == next_) taken_.notify_one();
  }
  // The checked batch `next_`, or null once `total` batches were taken.
  std::unique_ptr<Batch> PopDone(const std::atomic<size_t>& total) {
    std::unique_lock<std::mutex> lock(mu_);
    taken_.wait(lock, [&] {
      return done_.count(next_) > 0 || (reader_done_ && next_ == total.load());
    });
    auto it = done_.find(next_);
    if (it == done_.end()) return nullptr;
    std::unique_ptr<Batch> batch = std::move(it->second);
    done_.erase(it);
    ++next_;
    return batch;
  }
  void ReaderDone() {
    std::lock_guard<std::mutex> lock(mu_);
    reader_done_ = true;
    taken_.notify_all();
  }

 private:
  const size_t capacity_;
  std::mutex mu_;
  std::condition_variable room_, ready_, taken_;
  std::deque<std::unique_ptr<Batch>> work_;
  bool closed_ = false;
  std::map<size_t, std::unique_ptr<Batch>> done_;
  size_t next_ = 0;
  bool reader_done_ = false;
};

class Auditor {
 public:
  Auditor(const AuditArgs& args, std::vector<InputFile> files, std::shared_ptr<const Engine> engine)
      : args_(args), files_(std::move(files)), engine_(std::move(engine)) {
    sample_limit_ = args.sample_rate >= 1.0
                        ? UINT64_MAX
                        : static_cast<uint64_t>(args.sample_rate * 18446744073709551616.0);
  }

  CorpusSummary Run() {
    Pipeline pipeline(4 * args_.threads + 4);
    std::atomic<size_t> batches{0};
    std::thread reader([&] {
      Read(&pipeline, &batches);
      pipeline.CloseWork();
      pipeline.ReaderDone();
    });
    std::vector<std::thread> checkers;
    for (uint64_t i = 0; i < args_.threads; ++i) {
      checkers.emplace_back([&] {
        while (std::unique_ptr<Batch> batch = pipeline.PopWork()) {
          Check(batch.get());
          Aggregate(batch.get());
          pipeline.PushDone(std::move(batch));
        }
      });
    }
    uint64_t total = 0;
    for (const InputFile& f : files_) total += f.size;
    Progress progress(total, Progress::StderrIsTerminal());
    std::map<std::string, SourceAgg> partial;  // the current file's
    uint64_t documents = 0, bytes = 0;
    while (std::unique_ptr<Batch> batch = pipeline.PopDone(batches)) {
      // Batches merge in input order, so the bad documents listed are the first ones.
      for (auto& [name, agg] : batch->sources) partial[name].Merge(std::move(agg), args_.sample_cap);
      documents += batch->lines.size();
      bytes += batch->line_bytes;
      progress.Update(documents, bytes, batch->done_bytes);
      if (batch->last) EndFile(batch->file, batch->file_status, &partial);
    }
    reader.join();
    for (std::thread& t : checkers) t.join();
    progress.Finish();
    return Summarise();
  }

  const std::map<std::string, SourceAgg>& sources() const { return sources_; }

 private:
  void Read(Pipeline* pipeline, std::atomic<size_t>* batches) {
    uint64_t done_before = 0;
    for (size_t f = 0; f < files_.size(); ++f) {
      auto batch = std::make_unique<Batch>();
      batch->file = f;
      absl::StatusOr<std::unique_ptr<LineReader>> reader =
          LineReader::Open(files_[f].path, args_.max_bytes);
      if (reader.ok()) {
        size_t batch_bytes = 0;
        LineReader::Line line;
        while ((*reader)->Next(&line)) {
          if (!line.oversized && line.text.empty()) continue;
          batch_bytes += line.text.size();
          batch->lines.push_back(std::move(line));
          line = LineReader::Line();
          if (batch->lines.size() >= kBatchLines || batch_bytes >= kBatchBytes) {
            batch->seq = batches->fetch_add(1);
            batch->done_bytes = done_before + (*reader)->file_bytes_read();
            pipeline->PushWork(std::move(batch));
            batch = std::make_unique<Batch>();
            batch->file = f;
            batch_bytes = 0;
          }
        }
        batch->file_status = (*reader)->status();
      } else {
        batch->file_status = reader.status();
      }
      done_before += files_[f].size;
      batch->last = true;
      batch->done_bytes = done_before;
      batch->seq = batches->fetch_add(1);
      pipeline->PushWork(std::move(batch));
    }
  }

  std::string SourceOfFile(const InputFile& file) const {
    return args_.by == "file" ? file.path : ParentDir(file.path);
  }

  void Check(Batch* batch) {
    const InputFile& file = files_[batch->file];
    batch->results.resize(batch->lines.size());
    Decision decision;
    CheckRequest request;
    request.direction = args_.direction;
    request.profile = args_.profile;
    google::protobuf::util::JsonParseOptions parse;
    google::protobuf::Struct object;
    const std::string missing_field = "(no " + args_.field + ")";
    for (size_t i = 0; i < batch->lines.size(); ++i) {
      const LineReader::Line& line = batch->lines[i];
      DocResult& r = batch->results[i];
      r.source = args_.field.empty() ? SourceOfFile(file) : missing_field;
      std::string_view text = line.text;
      if (line.oversized) {
        r.bad_reason = "oversized";
        r.bad_detail = absl::StrCat("the line has ", line.length, " bytes, over --max-bytes ",
                                    args_.max_bytes);
        continue;
      }
      if (file.jsonl) {
        object.Clear();
        const auto parsed = google::protobuf::util::JsonStringToMessage(line.text, &object, parse);
        if (!parsed.ok()) {
          r.bad_reason = "invalid_json";
          r.bad_detail = std::string(parsed.message());
          continue;
        }
        if (!args_.field.empty()) {
          auto it = object.fields().find(args_.field);
          if (it != object.fields().end() && it->second.has_string_value()) {
            r.source = it->second.string_value();
          }
        }
        auto it = object.fields().find(args_.text_field);
        if (it == object.fields().end() || !it->second.has_string_value()) {
          r.bad_reason = "no_text";
          r.bad_detail = "no string field \"" + args_.text_field + "\"";
          continue;
        }
        text = it->second.string_value();
      }
      const absl::Status checked = engine_->Check(text, request, &decision);
      if (!checked.ok()) {
        r.bad_reason = checked.code() == absl::StatusCode::kResourceExhausted ? "oversized"
                                                                              : "check_failed";
        r.bad_detail = std::string(checked.message());
        continue;
      }
      r.bytes = text.size();
      r.action = decision.action;
      r.invalid_utf8 = decision.invalid_utf8 > 0;
      for (const Hit& h : decision.hits) r.risks.emplace_back(h.category);
      std::sort(r.risks.begin(), r.risks.end());
      r.risks.erase(std::unique(r.risks.begin(), r.risks.end()), r.risks.end());
      const std::string document = absl::StrCat(file.path, ":", line.number);
      r.key = SampleKey(args_.seed, r.source, document);
      r.candidate = args_.sample_cap > 0 && (args_.sample_rate >= 1.0 || r.key < sample_limit_);
      if (r.candidate) r.excerpt = Excerpt(text, decision);
    }
  }

  void Aggregate(Batch* batch) {
    for (size_t i = 0; i < batch->lines.size(); ++i) {
      Add(files_[batch->file], batch->lines[i], std::move(batch->results[i]), &batch->sources);
      batch->line_bytes += batch->lines[i].length;
    }
    batch->results.clear();
  }

  void Add(const InputFile& file, const LineReader::Line& line, DocResult&& r,
           std::map<std::string, SourceAgg>* partial) {
    SourceAgg& s = (*partial)[r.source];
    const std::string document = absl::StrCat(file.path, ":", line.number);
    if (!r.bad_reason.empty()) {
      ++s.bad;
      if (s.bad_listed.size() < kMaxBadListed) {
        CorpusBadDocument& b = s.bad_listed.emplace_back();
        b.set_source(r.source);
        b.set_document(document);
        b.set_offset(line.offset);
        b.set_reason(r.bad_reason);
        b.set_detail(internal::SanitizeUtf8(r.bad_detail));
      }
      return;
    }
    ++s.documents;
    s.bytes += r.bytes;
    s.invalid_utf8 += r.invalid_utf8 ? 1 : 0;
    s.actions[static_cast<int>(r.action)] += 1;
    if (!r.risks.empty()) ++s.with_hits;
    std::string last_class;
    for (const std::string& risk : r.risks) {
      ++s.risks[risk];
      const std::string cls(ClassOf(risk));
      if (cls != last_class) ++s.classes[cls];  // risks are sorted: a class's are adjacent
      last_class = cls;
    }
    if (r.candidate) {
      Sample& sample = s.samples.emplace_back();
      sample.key = r.key;
      CorpusSample& rec = sample.record;
      rec.set_source(r.source);
      rec.set_document(document);
      rec.set_file(file.path);
      rec.set_line(line.number);
      rec.set_offset(line.offset);
      rec.set_action(std::string(ActionName(r.action)));
      rec.set_risks(absl::StrJoin(r.risks, ","));
      rec.set_excerpt(std::move(r.excerpt));
      rec.set_key(absl::StrFormat("%016x", r.key));
      s.TrimSamples(args_.sample_cap, false);
    }
  }

  // A file's documents count only once it was read to its end.
  void EndFile(size_t f, const absl::Status& status, std::map<std::string, SourceAgg>* partial) {
    if (status.ok()) {
      for (auto& [name, agg] : *partial) sources_[name].Merge(std::move(agg), args_.sample_cap);
    } else {
      CorpusFileError& e = file_errors_.emplace_back();
      e.set_file(files_[f].path);
      e.set_error(internal::SanitizeUtf8(std::string(status.message())));
      if (args_.field.empty()) {
        SourceAgg& s = sources_[SourceOfFile(files_[f])];
        if (s.error.empty()) s.error = files_[f].path + ": " + e.error();
      }
    }
    partial->clear();
  }

  CorpusSummary Summarise() {
    CorpusSummary summary;
    summary.set_by(args_.by);
    summary.set_threshold(args_.threshold);
    summary.set_seed(args_.seed);
    summary.set_sample_rate(args_.sample_rate);
    summary.set_sample_cap(args_.sample_cap);
    for (auto& [name, agg] : sources_) {
      agg.TrimSamples(args_.sample_cap, true);
      std::sort(agg.samples.begin(), agg.samples.end(), SampleBefore);
      CorpusSource& s = *summary.add_sources();
      s.set_source(name);
      s.set_documents(agg.documents);
      s.set_bytes(agg.bytes);
      s.set_bad_documents(agg.bad);
      s.set_documents_with_hits(agg.with_hits);
      s.set_invalid_utf8_documents(agg.invalid_utf8);
      CorpusActions& actions = *s.mutable_actions();
      actions.set_allow(agg.actions[static_cast<int>(Action::kAllow)]);
      actions.set_flag(agg.actions[static_cast<int>(Action::kFlag)]);
      actions.set_mask(agg.actions[static_cast<int>(Action::kMask)]);
      actions.set_refuse(agg.actions[static_cast<int>(Action::kRefuse)]);
      actions.set_block(agg.actions[static_cast<int>(Action::kBlock)]);
      const double n = static_cast<double>(agg.documents);
      const uint64_t refused = agg.actions[static_cast<int>(Action::kRefuse)] +
                               agg.actions[static_cast<int>(Action::kBlock)];
      s.set_refuse_block(refused);
      s.set_refuse_block_share(agg.documents ? refused / n : 0.0);
      for (const auto& [code, count] : agg.classes) {
        CorpusShare& c = *s.add_classes();
        c.set_code(code);
        c.set_documents(count);
        c.set_share(count / n);
      }
      for (const auto& [code, count] : agg.risks) {
        CorpusShare& c = *s.add_risks();
        c.set_code(code);
        c.set_documents(count);
        c.set_share(count / n);
      }
      if (!agg.error.empty()) {
        s.set_verdict("error");
        s.set_error(agg.error);
      } else if (agg.documents == 0) {
        s.set_verdict("empty");
      } else {
        s.set_verdict(s.refuse_block_share() > args_.threshold ? "fail" : "pass");
      }
      s.set_sampled(agg.samples.size());
      if (s.verdict() == "fail" || s.verdict() == "error") {
        summary.set_sources_failed(summary.sources_failed() + 1);
      }
      summary.set_documents(summary.documents() + agg.documents);
      summary.set_bytes(summary.bytes() + agg.bytes);
      summary.set_bad_documents(summary.bad_documents() + agg.bad);
    }
    for (CorpusFileError& e : file_errors_) *summary.add_file_errors() = std::move(e);
    return summary;
  }

  const AuditArgs& args_;
  const std::vector<InputFile> files_;
  const std::shared_ptr<const Engine> engine_;
  uint64_t sample_limit_ = 0;
  std::map<std::string, SourceAgg> sources_;
  std::vector<CorpusFileError> file_errors_;
};

std::string Megabytes(uint64_t bytes) { return absl::StrFormat("%.2f", bytes / 1e6); }

report::Table SourcesTable(const CorpusSummary& summary) {
  report::Table t;
  t.title = "Sources";
  t.columns = {"Source",       "Documents", "MB",        "Bad",      "With hits",
               "REFUSE/BLOCK", "Share",     "Verdict",   "Sampled"};
  t.widths = {40, 12, 10, 8, 10, 14, 10, 10, 10};
  for (const CorpusSource& s : summary.sources()) {
    t.rows.push_back({s.source(), report::Cell::Integer(s.documents()), Megabytes(s.bytes()),
                      report::Cell::Integer(s.bad_documents()),
                      report::Cell::Integer(s.documents_with_hits()),
                      report::Cell::Integer(s.refuse_block()),
                      report::Cell::Percent(s.refuse_block_share()), s.verdict(),
                      report::Cell::Integer(s.sampled())});
  }
  return t;
}

report::Table RisksTable(const CorpusSummary& summary) {
  report::Table t;
  t.title = "Risks";
  t.columns = {"Source", "Class or risk", "Documents", "Share"};
  t.widths = {40, 14, 12, 10};
  for (const CorpusSource& s : summary.sources()) {
    for (const CorpusShare& c : s.classes()) {
      t.rows.push_back({s.source(), c.code(), report::Cell::Integer(c.documents()),
                        report::Cell::Percent(c.share())});
      for (const CorpusShare& r : s.risks()) {
        if (ClassOf(r.code()) != c.code() || r.code() == c.code()) continue;
        t.rows.push_back({s.source(), r.code(), report::Cell::Integer(r.documents()),
                          report::Cell::Percent(r.share())});
      }
    }
  }
  return t;
}

report::Table ReviewTable(const std::vector<CorpusSample>& samples) {
  report::Table t;
  t.title = "Review";
  t.columns = {"Source", "Document", "Offset", "Excerpt", "Risk", "Action",
               "Reviewer verdict", "Reviewer note"};
  t.widths = {30, 30, 10, 80, 14, 10, 18, 30};
  for (const CorpusSample& s : samples) {
    t.rows.push_back({s.source(), s.document(), report::Cell::Integer(s.offset()), s.excerpt(),
                      s.risks(), s.action(), "", ""});
  }
  return t;
}

report::Table BadTable(const std::vector<CorpusBadDocument>& bad, size_t per_source) {
  report::Table t;
  t.title = "Bad documents";
  t.columns = {"Source", "Document", "Offset", "Reason", "Detail"};
  std::map<std::string, size_t> listed;
  for (const CorpusBadDocument& b : bad) {
    if (listed[b.source()]++ >= per_source) continue;
    t.rows.push_back({b.source(), b.document(), report::Cell::Integer(b.offset()), b.reason(),
                      b.detail()});
  }
  return t;
}

std::string Percent(double x) { return report::Cell::Percent(x).Format(); }

std::string SummaryMarkdown(const CorpusSummary& summary,
                            const std::vector<CorpusBadDocument>& bad) {
  std::string md = "# Corpus audit\n\n";
  absl::StrAppendFormat(
      &md,
      "%d sources, %d documents (%s MB) checked, %d bad documents. A source passes when at "
      "most %s of its documents are refused or blocked under the policy; %d did not.\n"
      "Review sample: %s of each source's documents, at most %d, seed %d.\n\n",
      summary.sources_size(), summary.documents(), Megabytes(summary.bytes()),
      summary.bad_documents(), Percent(summary.threshold()), summary.sources_failed(),
      Percent(summary.sample_rate()), summary.sample_cap(), summary.seed());
  md += "## Sources\n\n" + report::MarkdownTable(SourcesTable(summary)) + "\n";
  md += "## Risks\n\n" + report::MarkdownTable(RisksTable(summary)) + "\n";
  if (summary.file_errors_size() > 0) {
    report::Table t;
    t.title = "Unreadable files";
    t.columns = {"File", "Error"};
    for (const CorpusFileError& e : summary.file_errors()) t.rows.push_back({e.file(), e.error()});
    md += "## Unreadable files\n\nTheir documents are not counted.\n\n" +
          report::MarkdownTable(t) + "\n";
  }
  if (!bad.empty()) {
    md += "## Bad documents\n\nThe first 20 of each source; all are in bad.jsonl.\n\n" +
          report::MarkdownTable(BadTable(bad, 20)) + "\n";
  }
  return md;
}

std::string ReportHtml(const CorpusSummary& summary) {
  std::vector<report::Section> sections;
  report::Section overview;
  overview.heading = "Sources";
  overview.paragraphs.push_back(absl::StrFormat(
      "%d sources, %d documents checked, %d bad documents. A source whose share of refused or "
      "blocked documents exceeds %s fails; %d did.",
      summary.sources_size(), summary.documents(), summary.bad_documents(),
      Percent(summary.threshold()), summary.sources_failed()));
  report::BarChart refused;
  refused.title = "Documents refused or blocked, per source";
  report::BarChart hits;
  hits.title = "Documents with hits, per source";
  double max = summary.threshold() * 2;
  for (const CorpusSource& s : summary.sources()) {
    refused.labels.push_back(s.source() + " (" + s.verdict() + ")");
    refused.values.push_back(s.refuse_block_share());
    hits.labels.push_back(s.source());
    hits.values.push_back(s.documents() ? static_cast<double>(s.documents_with_hits()) /
                                              s.documents()
                                        : 0.0);
    max = std::max(max, s.refuse_block_share());
  }
  refused.max = std::min(1.0, max);
  refused.threshold = summary.threshold();
  refused.threshold_label = "threshold " + Percent(summary.threshold());
  overview.charts = {refused, hits};
  overview.tables.push_back(SourcesTable(summary));
  sections.push_back(std::move(overview));
  report::Section risks;
  risks.heading = "Risk classes and risks";
  risks.tables.push_back(RisksTable(summary));
  sections.push_back(std::move(risks));
  if (summary.file_errors_size() > 0) {
    report::Section errors;
    errors.heading = "Unreadable files";
    report::Table t;
    t.columns = {"File", "Error"};
    for (const CorpusFileError& e : summary.file_errors()) t.rows.push_back({e.file(), e.error()});
    errors.tables.push_back(std::move(t));
    sections.push_back(std::move(errors));
  }
  return report::HtmlPage("Corpus audit", sections);
}

std::time_t ReportCreated() {
  const char* epoch = std::getenv("SOURCE_DATE_EPOCH");
  long long value = 0;
  if (epoch != nullptr && absl::SimpleAtoi(epoch, &value) && value >= 0) {
    return static_cast<std::time_t>(value);
  }
  return kReportCreated;
}

// The reports people open (summary.md, report.html, review.xlsx), rendered
// from the JSON outputs alone, so `corpus report` renders a cluster's
// (menshen.dask) exactly as `corpus audit` renders its own.
int WriteRenderedReports(const std::string& dir, const CorpusSummary& summary,
                         const std::vector<CorpusSample>& samples,
                         const std::vector<CorpusBadDocument>& bad) {
  for (const auto& [name, bytes] : std::vector<std::pair<std::string, std::string>>{
           {"summary.md", SummaryMarkdown(summary, bad)}, {"report.html", ReportHtml(summary)}}) {
    if (int rc = WriteFileAtomically(dir + name, bytes); rc != kExitOk) return rc;
  }
  report::Table about;
  about.title = "About";
  about.columns = {"Item", "Value"};
  about.widths = {24, 80};
  about.rows = {
      {"What", "Documents sampled for manual review: enter a verdict per row"},
      {"Sample", absl::StrFormat("%s of each source's documents, at most %d; seed %d",
                                 Percent(summary.sample_rate()), summary.sample_cap(),
                                 summary.seed())},
      {"Marked", "the most severe hit in each excerpt is marked 【like this】"}};
  absl::Status written = report::WriteXlsx(
      dir + "review.xlsx", {ReviewTable(samples), SourcesTable(summary), RisksTable(summary), about},
      "menshen corpus audit: review sheet", ReportCreated());
  if (!written.ok()) return Fail(kExitBadInput, written);
  return kExitOk;
}

int WriteReports(const AuditArgs& args, const CorpusSummary& summary,
                 const std::map<std::string, SourceAgg>& sources) {
  std::error_code ec;
  std::filesystem::create_directories(args.out_dir, ec);
  if (ec) return Fail(kExitUsage, "corpus audit: cannot create " + args.out_dir + ": " + ec.message());
  const std::string dir = args.out_dir + "/";
  std::vector<CorpusSample> samples;
  std::vector<CorpusBadDocument> bad;
  std::string review_jsonl, bad_jsonl, summary_json;
  for (const auto& [name, agg] : sources) {
    for (const Sample& s : agg.samples) {
      samples.push_back(s.record);
      AppendJsonLine(s.record, &review_jsonl);
    }
    for (const CorpusBadDocument& b : agg.bad_listed) {
      bad.push_back(b);
      AppendJsonLine(b, &bad_jsonl);
    }
  }
  if (!AppendJsonLine(summary, &summary_json)) {
    return Fail(kExitBadInput, "corpus audit: the summary could not be printed as JSON");
  }
  for (const auto& [name, bytes] : std::vector<std::pair<std::string, std::string>>{
           {"summary.json", summary_json}, {"review.jsonl", review_jsonl}, {"bad.jsonl", bad_jsonl}}) {
    if (int rc = WriteFileAtomically(dir + name, bytes); rc != kExitOk) return rc;
  }
  return WriteRenderedReports(dir, summary, samples, bad);
}

// Reads one JSON object per non-empty line of `path` into `out`; a line that
// is not such a record is an error naming the file and line.
template <typename Message>
absl::Status ReadJsonLines(const std::string& path, std::vector<Message>* out) {
  absl::StatusOr<std::string> bytes = internal::ReadFile(path);
  if (!bytes.ok()) return bytes.status();
  size_t line_number = 0;
  for (absl::string_view line : absl::StrSplit(*bytes, '\n')) {
    ++line_number;
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    Message& message = out->emplace_back();
    const auto parsed = google::protobuf::util::JsonStringToMessage(
        google::protobuf::StringPiece(line.data(), line.size()), &message);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ":", line_number, ": not a record of a corpus audit: ", std::string(parsed.message())));
    }
  }
  return absl::OkStatus();
}

int CorpusReport(const std::vector<std::string>& args) {
  std::vector<std::string> dirs;
  ArgParser parser("corpus report");
  parser.Positionals(&dirs, 1, 1);
  if (absl::Status s = parser.Parse(args); !s.ok()) return UsageError(kCorpusReportCommand, s);
  const std::string dir = dirs[0] + "/";
  std::vector<CorpusSummary> summaries;
  std::vector<CorpusSample> samples;
  std::vector<CorpusBadDocument> bad;
  for (const absl::Status& status : {ReadJsonLines(dir + "summary.json", &summaries),
                                     ReadJsonLines(dir + "review.jsonl", &samples),
                                     ReadJsonLines(dir + "bad.jsonl", &bad)}) {
    if (!status.ok()) return Fail(kExitBadInput, "corpus report: " + std::string(status.message()));
  }
  if (summaries.size() != 1) {
    return Fail(kExitBadInput, "corpus report: " + dir + "summary.json must hold one summary");
  }
  if (int rc = WriteRenderedReports(dir, summaries[0], samples, bad); rc != kExitOk) return rc;
  return PrintJsonLine(summaries[0]);
}

int CorpusAudit(const std::vector<std::string>& args) {
  AuditArgs parsed;
  if (int rc = ParseAuditArgs(args, &parsed); rc != kExitOk) return rc;
  std::vector<InputFile> files;
  if (int rc = ExpandSources(parsed, &files); rc != kExitOk) return rc;

  absl::StatusOr<std::vector<std::shared_ptr<const Pack>>> packs = LoadPackSpecs(parsed.packs);
  if (!packs.ok()) return Fail(kExitUsage, packs.status());
  EngineOptions options;
  options.max_input_bytes = parsed.max_bytes;
  if (!parsed.policy.empty()) {
    absl::StatusOr<std::shared_ptr<const Policy>> policy = Policy::Load(parsed.policy);
    if (!policy.ok()) return Fail(kExitUsage, policy.status());
    options.policy = *std::move(policy);
  }
  const Policy& policy = options.policy ? *options.policy : *Policy::Default();
  if (!parsed.profile.empty() && !policy.has_profile(parsed.profile)) {
    return Fail(kExitUsage, "corpus audit: the policy has no profile '" + parsed.profile + "'");
  }
  options.streams = false;  // documents are block checks
  absl::StatusOr<std::shared_ptr<const Engine>> engine = Engine::Create(*std::move(packs), options);
  if (!engine.ok()) return Fail(kExitUsage, engine.status());

  Auditor auditor(parsed, std::move(files), *std::move(engine));
  const CorpusSummary summary = auditor.Run();
  if (int rc = WriteReports(parsed, summary, auditor.sources()); rc != kExitOk) return rc;
  for (const CorpusFileError& e : summary.file_errors()) {
    std::cerr << "menshen: corpus audit: " << e.file() << ": " << e.error() << "\n";
  }
  if (int rc = PrintJsonLine(summary); rc != kExitOk) return rc;
  return summary.sources_failed() > 0 || summary.file_errors_size() > 0 ? kExitBadInput : kExitOk;
}

}  // namespace

const Command kCorpusAuditCommand = {
    "corpus audit",
    "audit training-data sources: harmful share per source, verdicts, review sample",
    "usage: menshen corpus audit SOURCE... [-o DIR] [--by file|dir|field:NAME]\n"
    "                            [--text-field NAME] [--format auto|text|jsonl]\n"
    "                            [--sample-rate R [--sample-cap N] | --sample N] [--seed S]\n"
    "                            [--threads N] [--threshold X] [--max-bytes N]\n"
    "                            [--pack P ...] [--policy FILE] [--profile NAME]\n"
    "                            [--direction input|output]",
    "Checks every document of the SOURCEs (files, or folders read recursively) and reports,\n"
    "per source, how many documents were refused or blocked under the policy against a\n"
    "threshold (GB/T 45654-2025: a source with more than 5% harmful content is not used),\n"
    "with shares per risk class and risk and a deterministic sample for manual review.\n"
    "Files: plain text (one document a line) or JSON lines (*.jsonl, *.ndjson, *.json: the\n"
    "text in --text-field), either one optionally compressed (*.gz, *.zst). Empty lines are\n"
    "skipped. A document is named FILE:LINE.\n"
    "  -o, --output DIR    where the reports go (default corpus-audit): summary.json,\n"
    "                      summary.md, report.html, review.xlsx, review.jsonl, bad.jsonl\n"
    "  --by file|dir|field:NAME  what a source is: each file (default), each file's folder,\n"
    "                      or the value of a JSON field (documents without it: \"(no NAME)\")\n"
    "  --text-field NAME   the JSON field holding the text (default text)\n"
    "  --format F          auto (by file name, the default), text or jsonl for every file\n"
    "  --sample-rate R     review sample: this share of each source (default 0.1) ...\n"
    "  --sample-cap N      ... but at most N documents of a source (default 1000)\n"
    "  --sample N          exactly N documents of each source (all if it has fewer)\n"
    "  --seed S            the sample's seed (default 1); a document is sampled by a hash\n"
    "                      of (seed, source, document), so the sample is the same for any\n"
    "                      --threads and on a cluster (menshen.dask)\n"
    "  --threads N         checking threads (default: every core)\n"
    "  --threshold X       the largest passing share of refused or blocked documents\n"
    "                      (default 0.05)\n"
    "  --max-bytes N       a longer line is a bad document, not checked (default 16 MiB)\n"
    "  --pack, --policy, --profile, --direction  as for scan\n"
    "Bad documents (invalid JSON, no text field, oversized) are counted and listed per\n"
    "source, never fatal. A file that cannot be read to its end (missing, corrupt or\n"
    "truncated compressed data) counts for nothing: its source's verdict is \"error\".\n"
    "Prints the summary as one JSON line; a progress line goes to stderr on a terminal.\n"
    "Exit: 0 every source passed (or is empty), 1 a source failed the threshold or a file\n"
    "could not be read, 2 bad usage or a bad pack or policy.",
    CorpusAudit};

const Command kCorpusReportCommand = {
    "corpus report",
    "render an audit's summary.md, report.html and review.xlsx from its JSON outputs",
    "usage: menshen corpus report DIR",
    "Reads DIR/summary.json, DIR/review.jsonl and DIR/bad.jsonl, as `corpus audit` and\n"
    "menshen.dask write them, and writes DIR/summary.md, DIR/report.html and\n"
    "DIR/review.xlsx: the bytes `corpus audit` writes for the same results.\n"
    "Prints the summary as one JSON line.\n"
    "Exit: 0 written, 1 a file is missing or is not an audit's output, 2 bad usage.",
    CorpusReport};

}  // namespace menshen::cli
