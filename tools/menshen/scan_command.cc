// menshen scan: one JSON object per input text, in input order.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "google/protobuf/util/json_util.h"
#include "lib/base/utf8.h"
#include "lib/normalize/normalizer.h"
#include "menshen/engine.h"
#include "tools/menshen/cli.pb.h"
#include "tools/menshen/commands.h"

namespace menshen::cli {
namespace {

struct ScanArgs {
  std::vector<std::string> packs;
  std::string policy;     // file; empty: the embedded default policy
  std::string profile;    // empty: the policy's default profile
  std::string locale;     // empty: each text's dominant script
  std::string audit_log;  // empty: no audit log
  bool audit_text = false;
  std::vector<std::string> inputs;
  Direction direction = Direction::kInput;
  bool jsonl = false;
  bool explain = false;
  size_t max_bytes = EngineOptions{}.max_input_bytes;
  // --stream: chunk size (0: block mode), or random sizes from `seed`.
  size_t stream_chunk = 0;
  bool stream_random = false;
  uint32_t seed = 1;
};

// Random chunk sizes are drawn from 1..kMaxRandomChunk bytes.
constexpr size_t kMaxRandomChunk = 64;

constexpr char kScanUsage[] =
    "usage: menshen scan [--pack P ...] [--policy FILE] [--profile NAME] [--locale zh-CN|en]\n"
    "                    [--direction input|output] [--jsonl] [--explain] [--max-bytes N]\n"
    "                    [--audit-log FILE [--audit-text]] [--stream N|random [--seed S]]\n"
    "                    [FILE ...|-]";

// Returns an exit status on bad usage, kExitOk otherwise.
int ParseScanArgs(const std::vector<std::string>& args, ScanArgs* out) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const bool has_value = i + 1 < args.size();
    if (a == "--pack" && has_value) {
      out->packs.push_back(args[++i]);
    } else if (a == "--policy" && has_value) {
      out->policy = args[++i];
    } else if (a == "--profile" && has_value) {
      out->profile = args[++i];
    } else if (a == "--locale" && has_value) {
      out->locale = args[++i];
      if (out->locale != "zh-CN" && out->locale != "en") {
        return Fail(kExitUsage, "scan: --locale is zh-CN or en, not '" + out->locale + "'");
      }
    } else if (a == "--audit-log" && has_value) {
      out->audit_log = args[++i];
    } else if (a == "--audit-text") {
      out->audit_text = true;
    } else if (a == "--direction" && has_value) {
      const std::string& d = args[++i];
      if (d != "input" && d != "output") {
        return Fail(kExitUsage, "scan: --direction is input or output, not '" + d + "'");
      }
      out->direction = d == "input" ? Direction::kInput : Direction::kOutput;
    } else if (a == "--jsonl") {
      out->jsonl = true;
    } else if (a == "--explain") {
      out->explain = true;
    } else if (a == "--max-bytes" && has_value) {
      if (!absl::SimpleAtoi(args[++i], &out->max_bytes) || out->max_bytes == 0) {
        return Fail(kExitUsage, "scan: --max-bytes takes a positive number");
      }
    } else if (a == "--stream" && has_value) {
      const std::string& v = args[++i];
      if (v == "random") {
        out->stream_random = true;
        out->stream_chunk = kMaxRandomChunk;
      } else if (!absl::SimpleAtoi(v, &out->stream_chunk) || out->stream_chunk == 0) {
        return Fail(kExitUsage, "scan: --stream takes a chunk size in bytes or 'random'");
      }
    } else if (a == "--seed" && has_value) {
      if (!absl::SimpleAtoi(args[++i], &out->seed)) {
        return Fail(kExitUsage, "scan: --seed takes a non-negative number");
      }
    } else if (a == "-" || (!a.empty() && a[0] != '-')) {
      out->inputs.push_back(a);
    } else {
      return Fail(kExitUsage, "scan: unexpected argument '" + a + "'\n" + kScanUsage);
    }
  }
  if (out->inputs.empty()) out->inputs.push_back("-");
  if (out->audit_text && out->audit_log.empty()) {
    return Fail(kExitUsage, "scan: --audit-text needs --audit-log FILE");
  }
  return kExitOk;
}

google::protobuf::util::JsonPrintOptions PrintOptions() {
  google::protobuf::util::JsonPrintOptions print;
  print.preserve_proto_field_names = true;
  print.always_print_primitive_fields = true;
  return print;
}

class Scanner {
 public:
  Scanner(std::shared_ptr<const Engine> engine, const ScanArgs& args)
      : engine_(std::move(engine)), args_(args) {}

  // Scans every line of `in`; `name` is used in messages.
  void ScanStream(std::istream& in, const std::string& name) {
    std::string line;
    size_t line_number = 0;
    while (std::getline(in, line)) {
      ++line_number;
      ++count_;
      if (!line.empty() && line.back() == '\r') line.pop_back();
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
      if (!status.ok()) {
        Error(id, name, line_number, "not a JSON object with a string \"text\": " +
                                         std::string(status.message()));
      } else if (!input.has_text()) {
        Error(id, name, line_number, "the object has no \"text\"");
      } else {
        ScanText(input.text(), id, name, line_number);
      }
    }
  }

  size_t errors() const { return errors_; }

 private:
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
      if (args_.explain) out->set_explain(internal::FoldKindNames(h.foldings));
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
    Print(result, result.mutable_id());
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
    std::cerr << "menshen: " << where << ": " << one_line << "\n";
    ScanError error;
    *error.mutable_id() = id;
    error.set_error(where + ": " + one_line);
    Print(error, error.mutable_id());
  }

  // Prints `message` with its id first, as the contract shows it (the JSON
  // printer puts well-known types such as Value last). `message` has the id
  // in field 1 and at least one more field, so its JSON is never "{}".
  void Print(google::protobuf::Message& message, google::protobuf::Value* id) {
    id_json_.clear();
    json_.clear();
    if (!google::protobuf::util::MessageToJsonString(*id, &id_json_, print_).ok()) id_json_ = "null";
    id->Clear();
    message.GetReflection()->ClearField(&message, message.GetDescriptor()->FindFieldByNumber(1));
    if (!google::protobuf::util::MessageToJsonString(message, &json_, print_).ok()) {
      json_ = "{\"error\":\"internal: could not print the result\"}";
    }
    std::cout << "{\"id\":" << id_json_ << "," << std::string_view(json_).substr(1) << '\n';
  }

  std::shared_ptr<const Engine> engine_;
  const ScanArgs& args_;
  const google::protobuf::util::JsonPrintOptions print_ = PrintOptions();
  Decision decision_;
  std::string released_;  // --stream
  bool stream_cut_ = false;
  size_t cut_offset_ = 0;
  std::mt19937 rng_{args_.seed};
  std::string json_;
  std::string id_json_;
  std::string request_id_;
  size_t count_ = 0;
  size_t errors_ = 0;
};

}  // namespace

int Scan(const std::vector<std::string>& args) {
  ScanArgs parsed;
  if (int rc = ParseScanArgs(args, &parsed); rc != kExitOk) return rc;

  std::vector<std::shared_ptr<const Pack>> packs;
  if (parsed.packs.empty()) {
    absl::StatusOr<std::vector<std::shared_ptr<const Pack>>> defaults = Pack::Defaults();
    if (!defaults.ok()) return Fail(kExitUsage, defaults.status());
    packs = *std::move(defaults);
  }
  for (const std::string& path : parsed.packs) {
    absl::StatusOr<std::shared_ptr<const Pack>> pack = Pack::Load(path);
    if (!pack.ok()) return Fail(kExitUsage, pack.status());
    for (const std::string& n : (*pack)->notes()) std::cerr << "menshen: note: " << n << "\n";
    packs.push_back(*std::move(pack));
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
    absl::StatusOr<std::unique_ptr<JsonlAuditSink>> opened = JsonlAuditSink::Open(sink_options);
    if (!opened.ok()) return Fail(kExitUsage, opened.status());
    sink = *std::move(opened);
    options.audit_hook = sink->Hook();
    options.audit_include_text = parsed.audit_text;
  }
  absl::StatusOr<std::shared_ptr<const Engine>> engine = Engine::Create(std::move(packs), options);
  if (!engine.ok()) return Fail(kExitUsage, engine.status());

  // Check every input can be opened before printing anything.
  std::vector<std::unique_ptr<std::ifstream>> files;
  for (const std::string& path : parsed.inputs) {
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
  Scanner scanner(*std::move(engine), parsed);
  for (size_t i = 0; i < files.size(); ++i) {
    std::istream& in = files[i] ? *files[i] : std::cin;
    scanner.ScanStream(in, parsed.inputs[i]);
    if (in.bad()) {
      return Fail(kExitBadInput, "scan: read error in " +
                                     (parsed.inputs[i] == "-" ? std::string("stdin")
                                                              : parsed.inputs[i]));
    }
  }
  std::cout.flush();
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

}  // namespace menshen::cli
