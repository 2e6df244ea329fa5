// menshen scan: one JSON object per input text, in input order.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"
#include "lib/base/utf8.h"
#include "lib/normalize/normalizer.h"
#include "menshen/engine.h"
#include "tools/menshen/cli.pb.h"
#include "tools/menshen/args.h"
#include "tools/menshen/commands.h"
#include "tools/menshen/json_out.h"
#include "tools/menshen/progress.h"
#include "tools/menshen/scan.pb.h"

namespace menshen::cli {
namespace {

struct ScanArgs {
  std::vector<std::string> packs;
  std::string policy;     // file; empty: the embedded default policy
  std::string profile;    // empty: the policy's default profile
  std::string locale;     // empty: each text's dominant script
  std::string audit_log;  // empty: no audit log
  bool audit_text = false;
  // A decision is printed only once its record is where this says (synced:
  // on disk; written: in the file; queued: nothing waited for).
  JsonlAuditSink::Durability durability = JsonlAuditSink::Durability::kSynced;
  uint64_t rotate_bytes = JsonlAuditSink::Options{}.max_file_bytes;
  absl::Duration rotate_age = absl::ZeroDuration();
  absl::Duration retention = absl::ZeroDuration();
  bool audit_options = false;  // any --audit-* option besides --audit-log
  std::vector<std::string> inputs;
  Direction direction = Direction::kInput;
  bool jsonl = false;
  bool explain = false;
  size_t max_bytes = EngineOptions{}.max_input_bytes;
  // --stream: chunk size (0: block mode), or random sizes from `seed`.
  size_t stream_chunk = 0;
  bool stream_random = false;
  uint32_t seed = 1;
  // --summary: "text" or "json" (on stderr at the end); empty: none.
  std::string summary;
};

// Random chunk sizes are drawn from 1..kMaxRandomChunk bytes.
constexpr size_t kMaxRandomChunk = 64;

// Decisions held for one sync of the audit log: at most this many, or this
// many bytes of output, or until the input pauses.
constexpr size_t kMaxHeldDecisions = 1024;
constexpr size_t kMaxHeldBytes = size_t{1} << 20;

// Returns an exit status on bad usage, kExitOk otherwise.
int ParseScanArgs(const std::vector<std::string>& args, ScanArgs* out) {
  std::string direction = "input", durability, stream;
  uint64_t rotate_mb = 0, rotate_hours = 0, retain_days = 0, max_bytes = out->max_bytes;
  uint64_t seed = out->seed;
  // --summary takes an optional value (--summary or --summary=json), which
  // ArgParser has no kind for: it is taken out here, the rest parsed below.
  std::vector<std::string> rest;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      rest.insert(rest.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
      break;
    }
    if (a == "--summary") {
      out->summary = "text";
    } else if (a.rfind("--summary=", 0) == 0) {
      out->summary = a.substr(10);
      if (out->summary != "text" && out->summary != "json") {
        return UsageError(kScanCommand, absl::InvalidArgumentError(
                                            "scan: --summary is text or json; not '" +
                                            out->summary + "'"));
      }
    } else {
      rest.push_back(a);
    }
  }
  ArgParser parser("scan");
  parser.Values("--pack", &out->packs);
  parser.Value("--policy", &out->policy);
  parser.Value("--profile", &out->profile);
  parser.Choice("--locale", &out->locale, {"zh-CN", "en"});
  parser.Value("--audit-log", &out->audit_log);
  parser.Flag("--audit-text", &out->audit_text);
  parser.Choice("--audit-durability", &durability, {"synced", "written", "queued"});
  parser.Number("--audit-rotate-mb", &rotate_mb, 1, uint64_t{1} << 30);
  parser.Number("--audit-rotate-hours", &rotate_hours, 1, uint64_t{1} << 30);
  parser.Number("--retain-days", &retain_days, 1, uint64_t{1} << 30);
  parser.Choice("--direction", &direction, {"input", "output"});
  parser.Flag("--jsonl", &out->jsonl);
  parser.Flag("--explain", &out->explain);
  parser.Number("--max-bytes", &max_bytes, 1, SIZE_MAX);
  parser.Value("--stream", &stream);
  parser.Number("--seed", &seed, 0, UINT32_MAX);
  parser.Positionals(&out->inputs, 0, SIZE_MAX);
  if (absl::Status s = parser.Parse(rest); !s.ok()) return UsageError(kScanCommand, s);

  out->direction = direction == "input" ? Direction::kInput : Direction::kOutput;
  out->max_bytes = static_cast<size_t>(max_bytes);
  out->seed = static_cast<uint32_t>(seed);
  if (!durability.empty()) {
    out->audit_options = true;
    out->durability = durability == "synced"    ? JsonlAuditSink::Durability::kSynced
                      : durability == "written" ? JsonlAuditSink::Durability::kWritten
                                                : JsonlAuditSink::Durability::kQueued;
  }
  if (rotate_mb > 0) out->rotate_bytes = rotate_mb << 20;
  if (rotate_hours > 0) out->rotate_age = absl::Hours(static_cast<int64_t>(rotate_hours));
  if (retain_days > 0) out->retention = absl::Hours(24 * static_cast<int64_t>(retain_days));
  out->audit_options |= rotate_mb > 0 || rotate_hours > 0 || retain_days > 0;
  if (stream == "random") {
    out->stream_random = true;
    out->stream_chunk = kMaxRandomChunk;
  } else if (!stream.empty() && (!absl::SimpleAtoi(stream, &out->stream_chunk) ||
                                 out->stream_chunk == 0)) {
    return Fail(kExitUsage, "scan: --stream takes a chunk size in bytes or 'random'");
  }
  if (out->inputs.empty()) out->inputs.push_back("-");
  if ((out->audit_text || out->audit_options) && out->audit_log.empty()) {
    return Fail(kExitUsage, "scan: --audit-text and the --audit-* options need --audit-log FILE");
  }
  return kExitOk;
}

class Scanner {
 public:
  // With `sink` and a durability other than queued, decisions are held and
  // printed in batches, each after one Sync() (or Flush()) of the audit log:
  // no decision is ever printed before its record is there, and one sync
  // serves up to kMaxHeldDecisions of them.
  // `progress` is updated after every input and cleared before any message
  // on stderr.
  Scanner(std::shared_ptr<const Engine> engine, const ScanArgs& args, JsonlAuditSink* sink,
          Progress* progress)
      : engine_(std::move(engine)),
        args_(args),
        sink_(sink),
        progress_(progress),
        hold_(sink != nullptr && args.durability != JsonlAuditSink::Durability::kQueued) {}

  // Scans every line of `in`; `name` is used in messages. `interactive`: the
  // input may pause (a pipe or terminal), so what is held is printed before
  // waiting for more.
  void ScanStream(std::istream& in, const std::string& name, bool interactive) {
    std::string line;
    size_t line_number = 0;
    bool warned_binary = false;
    for (;;) {
      if (interactive && !held_.empty() && in.rdbuf()->in_avail() <= 0) Commit();
      if (!std::getline(in, line)) break;
      ++line_number;
      ++count_;
      bytes_ += line.size() + (in.eof() ? 0 : 1);  // the newline, if the line had one
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (!warned_binary && line.find('\0') != std::string::npos) {
        warned_binary = true;  // scanned all the same: a warning, not an error
        Warn(absl::StrCat((name == "-" ? "stdin" : name), ":", line_number,
                          ": NUL bytes: this looks like a binary file, not text"));
      }
      progress_->Update(count_, bytes_, bytes_);
      google::protobuf::Value id;
      id.set_number_value(static_cast<double>(count_));
      if (!args_.jsonl) {
        ScanText(line, id, name, line_number);
        continue;
      }
      ScanInput input;
      google::protobuf::util::JsonParseOptions parse;
      parse.ignore_unknown_fields = true;
      auto status = google::protobuf::util::JsonStringToMessage(line, &input, parse);
      if (input.has_id()) id = input.id();
      // Ids are request ids (audit records): each one once. An object without
      // an id gets its input number, which an id given before may have taken.
      const std::string key = IdKey(id);
      if (!used_ids_.insert(key).second) {
        Error(id, name, line_number,
              "the id " + key + " was used before" +
                  (input.has_id() ? std::string() : " (this object has none: it got its input "
                                                    "number); ids must be unique"));
        continue;
      }
      if (!status.ok()) {
        Error(id, name, line_number, "not a JSON object with a string \"text\": " +
                                         std::string(status.message()));
      } else if (!input.has_text()) {
        Error(id, name, line_number, "the object has no \"text\"");
      } else {
        ScanText(input.text(), id, name, line_number);
      }
    }
    lines_in_last_input_ = line_number;
  }

  size_t errors() const { return errors_; }
  size_t lines_in_last_input() const { return lines_in_last_input_; }

  // "menshen: warning: <what>" on stderr, counted for the summary.
  void Warn(const std::string& what) {
    ++warnings_;
    progress_->Clear();
    std::cerr << "menshen: warning: " << what << "\n";
  }

  // What was read and decided so far, for --summary; `names`: category code
  // to name, from the packs' taxonomy.
  ScanSummary Summary(const std::map<std::string, std::string>& names, double seconds) const {
    ScanSummary summary;
    summary.set_inputs(count_);
    summary.set_checked(count_ - errors_);
    summary.set_bytes(bytes_);
    ScanActions* actions = summary.mutable_actions();
    actions->set_allow(actions_[static_cast<size_t>(Action::kAllow)]);
    actions->set_flag(actions_[static_cast<size_t>(Action::kFlag)]);
    actions->set_mask(actions_[static_cast<size_t>(Action::kMask)]);
    actions->set_refuse(actions_[static_cast<size_t>(Action::kRefuse)]);
    actions->set_block(actions_[static_cast<size_t>(Action::kBlock)]);
    for (const auto& [code, counts] : categories_) {
      ScanCategory* c = summary.add_categories();
      c->set_code(code);
      if (auto name = names.find(code); name != names.end()) c->set_name(name->second);
      c->set_hits(counts.hits);
      c->set_texts(counts.texts);
    }
    summary.set_errors(errors_);
    summary.set_warnings(warnings_);
    summary.set_seconds(seconds);
    if (seconds > 0) {
      summary.set_inputs_per_second(static_cast<double>(count_) / seconds);
      summary.set_mb_per_second(static_cast<double>(bytes_) / 1e6 / seconds);
    }
    return summary;
  }

  // Prints what is held once its records are where --audit-durability says;
  // if the audit log cannot take them, the decisions become errors (fail
  // closed: nothing is printed as decided without its record).
  void Commit() {
    if (held_.empty()) return;
    absl::Status audited = args_.durability == JsonlAuditSink::Durability::kSynced
                               ? sink_->Sync()
                               : sink_->Flush();
    std::string out;
    for (Held& h : held_) {
      if (audited.ok() || !h.decision) {
        out += h.line;
        continue;
      }
      ++errors_;
      ScanError error;
      error.set_error("audit log: the decision's record was not written: " +
                      std::string(audited.message()));
      json_.clear();
      if (!google::protobuf::util::MessageToJsonString(error, &json_, print_).ok()) json_ = "{}";
      out += "{\"id\":" + h.id_json + "," + json_.substr(1) + "\n";
    }
    if (!audited.ok()) {
      progress_->Clear();
      std::cerr << "menshen: " << audited.message() << "\n";
    }
    std::cout.write(out.data(), static_cast<std::streamsize>(out.size()));
    std::cout.flush();
    held_.clear();
    held_bytes_ = 0;
  }

 private:
  struct Held {
    std::string id_json;
    std::string line;
    bool decision;  // a decision (with an audit record), not an input error
  };

  // An id as a request id: a string as it is, a number in its shortest form.
  static std::string IdKey(const google::protobuf::Value& id) {
    if (id.has_string_value()) return id.string_value();
    if (id.has_number_value()) return absl::StrCat(id.number_value());
    std::string json;
    if (!google::protobuf::util::MessageToJsonString(id, &json).ok()) json = "?";
    return json;
  }

  void ScanText(const std::string& text, const google::protobuf::Value& id,
                const std::string& name, size_t line_number) {
    request_id_ = id.has_string_value() ? id.string_value()
                                        : std::to_string(static_cast<int64_t>(id.number_value()));
    CheckRequest request;
    request.direction = args_.direction;
    request.profile = args_.profile;
    request.locale = args_.locale;
    request.request_id = request_id_;
    absl::Status status = args_.stream_chunk > 0 ? StreamText(text, request)
                                                 : engine_->Check(text, request, &decision_);
    if (!status.ok()) {
      Error(id, name, line_number, std::string(status.message()));
      return;
    }
    ++actions_[static_cast<size_t>(decision_.action)];
    for (const Hit& h : decision_.hits) {
      CategoryCounts& counts = categories_[std::string(h.category)];
      ++counts.hits;
      if (counts.last_text != count_) {
        counts.last_text = count_;
        ++counts.texts;
      }
    }
    ScanResult result;
    *result.mutable_id() = id;
    result.set_action(std::string(ActionName(decision_.action)));
    for (const Hit& h : decision_.hits) {
      ScanHit* out = result.add_hits();
      out->set_id(std::string(h.entry_id));
      out->set_category(std::string(h.category));
      out->set_severity(h.severity);
      out->set_start(static_cast<uint32_t>(h.start));
      out->set_end(static_cast<uint32_t>(h.end));
      out->set_term(std::string(h.term));
      if (args_.explain && h.foldings != 0) {  // a plain hit needed no folding: no "explain"
        out->set_explain(internal::FoldKindNames(h.foldings));
      }
      if (h.rule) {
        out->set_kind("rule");
        for (uint32_t k = 0; args_.explain && k < h.part_count; ++k) {
          const RulePart& part = decision_.rule_parts[h.first_part + k];
          ScanPart* p = out->add_parts();
          p->set_term(std::string(part.term));
          p->set_start(static_cast<uint32_t>(part.start));
          p->set_end(static_cast<uint32_t>(part.end));
        }
      }
    }
    // JSON strings must be UTF-8: invalid bytes print as U+FFFD (offsets
    // still count the original bytes).
    result.set_masked(decision_.invalid_utf8 ? internal::SanitizeUtf8(decision_.masked)
                                             : decision_.masked);
    result.set_refusal(decision_.refusal);
    result.set_rule(decision_.rule);
    if (!decision_.label.empty()) {
      result.set_label(decision_.label);
      result.set_label_position(decision_.label_position == LabelPosition::kStart ? "start"
                                                                                  : "end");
    }
    if (decision_.invalid_utf8) result.set_invalid_utf8(static_cast<uint32_t>(decision_.invalid_utf8));
    if (args_.stream_chunk > 0) {
      // A stream keeps no masked text: it is what the stream released.
      const std::string released =
          decision_.invalid_utf8 ? internal::SanitizeUtf8(released_) : released_;
      result.set_masked(released);
      result.set_released(released);
      if (stream_cut_) result.set_cut_offset(static_cast<uint32_t>(cut_offset_));
    }
    Print(result, result.mutable_id(), /*decision=*/true);
  }

  // Feeds `text` through a stream in chunks; leaves the decision in
  // decision_ and the released text in released_.
  absl::Status StreamText(std::string_view text, const CheckRequest& request) {
    absl::StatusOr<Stream> stream = engine_->OpenStream(request);
    if (!stream.ok()) return stream.status();
    released_.clear();
    std::uniform_int_distribution<size_t> size(1, args_.stream_chunk);
    for (size_t pos = 0; pos < text.size();) {
      const size_t n = std::min(args_.stream_random ? size(rng_) : args_.stream_chunk,
                                text.size() - pos);
      if (absl::Status s = stream->Feed(text.substr(pos, n), &released_); !s.ok()) return s;
      pos += n;
    }
    if (absl::Status s = stream->Finish(&released_); !s.ok()) return s;
    decision_ = stream->decision();
    stream_cut_ = stream->cut();
    cut_offset_ = stream->cut_offset();
    return absl::OkStatus();
  }

  void Error(const google::protobuf::Value& id, const std::string& name, size_t line_number,
             const std::string& what) {
    ++errors_;
    std::string one_line = what;
    std::replace(one_line.begin(), one_line.end(), '\n', ' ');
    const std::string where = (name == "-" ? "stdin" : name) + ":" + std::to_string(line_number);
    progress_->Clear();
    std::cerr << "menshen: " << where << ": " << one_line << "\n";
    ScanError error;
    *error.mutable_id() = id;
    error.set_error(where + ": " + one_line);
    Print(error, error.mutable_id(), /*decision=*/false);
  }

  // Prints `message` with its id first, as the contract shows it (the JSON
  // printer puts well-known types such as Value last). `message` has the id
  // in field 1 and at least one more field, so its JSON is never "{}".
  void Print(google::protobuf::Message& message, google::protobuf::Value* id, bool decision) {
    id_json_.clear();
    json_.clear();
    if (!google::protobuf::util::MessageToJsonString(*id, &id_json_, print_).ok()) id_json_ = "null";
    id->Clear();
    message.GetReflection()->ClearField(&message, message.GetDescriptor()->FindFieldByNumber(1));
    if (!google::protobuf::util::MessageToJsonString(message, &json_, print_).ok()) {
      json_ = "{\"error\":\"internal: could not print the result\"}";
    }
    if (!hold_) {
      std::cout << "{\"id\":" << id_json_ << "," << std::string_view(json_).substr(1) << '\n';
      return;
    }
    Held& h = held_.emplace_back();
    h.id_json = id_json_;
    h.line = "{\"id\":" + id_json_ + "," + json_.substr(1) + "\n";
    h.decision = decision;
    held_bytes_ += h.line.size();
    if (held_.size() >= kMaxHeldDecisions || held_bytes_ >= kMaxHeldBytes) Commit();
  }

  struct CategoryCounts {
    uint64_t hits = 0;
    uint64_t texts = 0;
    size_t last_text = 0;  // the input number that last counted in `texts`
  };

  std::shared_ptr<const Engine> engine_;
  const ScanArgs& args_;
  JsonlAuditSink* sink_;
  Progress* progress_;
  const bool hold_;
  std::vector<Held> held_;
  size_t held_bytes_ = 0;
  const google::protobuf::util::JsonPrintOptions print_ = JsonPrintOptions();
  Decision decision_;
  std::string released_;  // --stream
  bool stream_cut_ = false;
  size_t cut_offset_ = 0;
  std::mt19937 rng_{args_.seed};
  std::string json_;
  std::string id_json_;
  std::string request_id_;
  absl::flat_hash_set<std::string> used_ids_;  // --jsonl: the ids seen, as IdKey
  size_t lines_in_last_input_ = 0;
  size_t count_ = 0;
  size_t errors_ = 0;
  size_t warnings_ = 0;
  uint64_t bytes_ = 0;  // read from the inputs, newlines included
  std::array<uint64_t, 5> actions_{};  // decisions per Action
  std::map<std::string, CategoryCounts> categories_;
};

// Prints --summary's text (or one JSON line) to stderr.
void PrintSummary(const ScanSummary& summary, const std::string& format) {
  std::string out;
  if (format == "json") {
    if (!AppendJsonLine(summary, &out)) out = "{\"error\":\"could not print the summary\"}\n";
  } else {
    const ScanActions& a = summary.actions();
    out = absl::StrFormat(
        "menshen: summary: %d inputs, %d bytes (%.1f MB) in %.2f s: %.0f inputs/s, %.1f MB/s\n"
        "  actions: ALLOW %d, FLAG %d, MASK %d, REFUSE %d, BLOCK %d\n",
        summary.inputs(), summary.bytes(), summary.bytes() / 1e6, summary.seconds(),
        summary.inputs_per_second(), summary.mb_per_second(), a.allow(), a.flag(), a.mask(),
        a.refuse(), a.block());
    if (summary.categories().empty()) {
      out += "  hits: none\n";
    } else {
      out += "  hits per category:\n";
      for (const ScanCategory& c : summary.categories()) {
        absl::StrAppendFormat(&out, "    %-7s %7d hits in %d inputs  %s\n", c.code(), c.hits(),
                              c.texts(), c.name());
      }
    }
    absl::StrAppendFormat(&out, "  errors: %d, warnings: %d\n", summary.errors(),
                          summary.warnings());
  }
  std::cerr << out;
  std::cerr.flush();
}

int Scan(const std::vector<std::string>& args) {
  ScanArgs parsed;
  if (int rc = ParseScanArgs(args, &parsed); rc != kExitOk) return rc;

  absl::StatusOr<std::vector<std::shared_ptr<const Pack>>> packs = LoadPackSpecs(parsed.packs);
  if (!packs.ok()) return Fail(kExitUsage, packs.status());
  std::map<std::string, std::string> category_names;  // for --summary
  for (const std::shared_ptr<const Pack>& pack : *packs) {
    category_names.insert(pack->info().category_names.begin(),
                          pack->info().category_names.end());
  }
  EngineOptions options;
  options.explain = parsed.explain;
  options.max_input_bytes = parsed.max_bytes;
  if (!parsed.policy.empty()) {
    absl::StatusOr<std::shared_ptr<const Policy>> policy = Policy::Load(parsed.policy);
    if (!policy.ok()) return Fail(kExitUsage, policy.status());
    options.policy = *std::move(policy);
  }
  const Policy& policy = options.policy ? *options.policy : *Policy::Default();
  if (!parsed.profile.empty() && !policy.has_profile(parsed.profile)) {
    return Fail(kExitUsage, "scan: the policy has no profile '" + parsed.profile + "'");
  }
  std::unique_ptr<JsonlAuditSink> sink;
  if (!parsed.audit_log.empty()) {
    JsonlAuditSink::Options sink_options;
    sink_options.path = parsed.audit_log;
    sink_options.max_file_bytes = parsed.rotate_bytes;
    sink_options.max_file_age = parsed.rotate_age;
    sink_options.retention = parsed.retention;
    // The scanner waits for the log once per batch (Sync/Flush), not per
    // record: the sink itself only queues.
    sink_options.durability = JsonlAuditSink::Durability::kQueued;
    absl::StatusOr<std::unique_ptr<JsonlAuditSink>> opened = JsonlAuditSink::Open(sink_options);
    if (!opened.ok()) return Fail(kExitUsage, opened.status());
    sink = *std::move(opened);
    options.audit_hook = sink->Hook();
    options.audit_include_text = parsed.audit_text;
  }
  options.streams = parsed.stream_chunk != 0;  // block mode needs no streaming databases
  absl::StatusOr<std::shared_ptr<const Engine>> engine = Engine::Create(*std::move(packs), options);
  if (!engine.ok()) return Fail(kExitUsage, engine.status());

  // Check every input can be opened before printing anything.
  std::vector<std::unique_ptr<std::ifstream>> files;
  std::vector<bool> interactive;  // input that may pause: print what is held before waiting
  uint64_t total_bytes = 0;       // of all inputs, for the progress line; 0: unknown
  bool total_known = true;
  bool reads_terminal = false;
  for (const std::string& path : parsed.inputs) {
    struct stat st;
    const bool regular = ::stat(path == "-" ? "/dev/stdin" : path.c_str(), &st) == 0 &&
                         S_ISREG(st.st_mode);
    interactive.push_back(!regular);
    if (regular) {
      total_bytes += static_cast<uint64_t>(st.st_size);
    } else {
      total_known = false;
    }
    reads_terminal |= path == "-" && ::isatty(STDIN_FILENO) == 1;
    if (path == "-") {
      files.push_back(nullptr);
      continue;
    }
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      return Fail(kExitUsage, "scan: " + path + " is a directory, not a file of texts");
    }
    auto f = std::make_unique<std::ifstream>(path, std::ios::binary);
    if (!*f) return Fail(kExitUsage, "scan: cannot open " + path + ": " + std::strerror(errno));
    files.push_back(std::move(f));
  }
  std::ios::sync_with_stdio(false);
  // A progress line only where someone watches it: stderr is a terminal,
  // while the decisions go elsewhere (on the same screen they are the
  // progress, and the line would break them) and nobody types the input.
  Progress progress(total_known ? total_bytes : 0,
                    Progress::StderrIsTerminal() && ::isatty(STDOUT_FILENO) != 1 &&
                        !reads_terminal,
                    "texts");
  const auto start = std::chrono::steady_clock::now();
  Scanner scanner(*std::move(engine), parsed, sink.get(), &progress);
  // Every way out after the first input: the progress line goes, the
  // summary comes (before any final error message).
  auto done = [&] {
    progress.Finish();
    if (parsed.summary.empty()) return;
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    PrintSummary(scanner.Summary(category_names, seconds), parsed.summary);
  };
  for (size_t i = 0; i < files.size(); ++i) {
    std::istream& in = files[i] ? *files[i] : std::cin;
    scanner.ScanStream(in, parsed.inputs[i], interactive[i]);
    if (scanner.lines_in_last_input() == 0 && !in.bad()) {
      scanner.Warn((parsed.inputs[i] == "-" ? std::string("stdin") : parsed.inputs[i]) +
                   " is empty: no texts to check");
    }
    if (in.bad()) {
      scanner.Commit();
      done();
      return Fail(kExitBadInput, "scan: read error in " +
                                     (parsed.inputs[i] == "-" ? std::string("stdin")
                                                              : parsed.inputs[i]));
    }
  }
  if (sink != nullptr) scanner.Commit();
  std::cout.flush();
  done();
  if (!std::cout) return Fail(kExitBadInput, "scan: could not write the results");
  if (sink != nullptr) {
    // Every decision must reach the log: a failure to write it is an error.
    absl::Status closed = sink->Close();
    const JsonlAuditSink::Counters counters = sink->counters();
    if (!closed.ok()) return Fail(kExitBadInput, closed);
    if (counters.dropped > 0 || counters.write_errors > 0) {
      return Fail(kExitBadInput, "scan: audit log lost " +
                                     std::to_string(counters.dropped + counters.write_errors) +
                                     " records");
    }
  }
  return scanner.errors() > 0 ? kExitBadInput : kExitOk;
}

}  // namespace

const Command kScanCommand = {
    "scan", "check texts against packs and policy: one JSON decision per text",
    "usage: menshen scan [--pack P ...] [--policy FILE] [--profile NAME] [--locale zh-CN|en]\n"
    "                    [--direction input|output] [--jsonl] [--explain] [--max-bytes N]\n"
    "                    [--audit-log FILE [--audit-text] [--audit-durability synced|written|queued]\n"
    "                     [--audit-rotate-mb N] [--audit-rotate-hours H] [--retain-days D]]\n"
    "                    [--stream N|random [--seed S]] [--summary[=text|json]] [FILE ...|-]",
    "Reads one text per line (or with --jsonl objects {\"id\":..., \"text\":...}) from the\n"
    "FILEs or standard input and writes one JSON decision per text, in order: action,\n"
    "hits with byte offsets, masked text, refusal, the policy rule that decided.\n"
    "  --pack P            a pack to use (repeatable; see below)\n"
    "  --policy FILE       a policy instead of the built-in default (docs/policy.md)\n"
    "  --profile NAME      a profile of the policy (default, minors, ...)\n"
    "  --locale zh-CN|en   the refusal's language (default: each text's dominant script)\n"
    "  --direction D       input (a prompt, the default) or output (a model's answer)\n"
    "  --jsonl             read JSON lines with an id and a text\n"
    "  --explain           name the foldings that made each hit match\n"
    "  --max-bytes N       refuse to check a text longer than N bytes (an error line)\n"
    "  --audit-log FILE    append a hash-chained audit record per decision\n"
    "  --audit-text        keep each text in its record (by default only its SHA-256)\n"
    "  --audit-durability  synced (default: on disk before the decision is printed),\n"
    "                      written, or queued\n"
    "  --audit-rotate-mb N, --audit-rotate-hours H  rotate the log by size or age\n"
    "  --retain-days D     delete rotated logs older than D days (recorded in the chain)\n"
    "  --stream N|random   feed each text as a stream in N-byte (or random) chunks\n"
    "  --seed S            the seed of random chunk sizes\n"
    "  --summary[=json]    at the end, print to stderr: inputs, bytes, decisions per action,\n"
    "                      hits per risk code with its name, errors, warnings, time and rate;\n"
    "                      --summary=json: as one JSON object (ScanSummary in scan.proto)\n"
    "When stderr is a terminal and the decisions go to a file or a pipe, a progress line on\n"
    "stderr shows inputs, MB and rates (with a bar and an ETA when every input is a file), and\n"
    "is cleared at the end; otherwise no line is drawn.\n"
    "Exit: 0 all checked, 1 some text could not be checked (an error line in its place),\n"
    "2 bad usage or a bad pack or policy.",
    Scan};

}  // namespace menshen::cli
