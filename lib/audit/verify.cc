#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "lib/audit/chain.h"
#include "lib/base/absl_view.h"
#include "menshen/audit.h"

namespace menshen {

using internal::AV;

namespace {

constexpr std::string_view kEventKey = "\"log_event\":{";

// The LogEvent of a line the sink wrote about the log, if this is one. The
// key cannot occur inside a JSON string (its quotes would be escaped), so
// a plain search finds exactly the records that have one.
bool ReadEvent(std::string_view record, audit::LogEvent* event) {
  const size_t at = record.find(kEventKey);
  if (at == std::string_view::npos || at == 0 || (record[at - 1] != ',' && record[at - 1] != '{')) {
    return false;
  }
  audit::AuditRecord parsed;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  if (!google::protobuf::util::JsonStringToMessage(std::string(record), &parsed, options).ok()) {
    return false;
  }
  *event = parsed.log_event();
  return true;
}

}  // namespace

absl::StatusOr<AuditVerifyResult> VerifyAuditLog(const std::vector<std::string>& files) {
  return VerifyAuditLog(files, AuditVerifyOptions());
}

absl::StatusOr<AuditVerifyResult> VerifyAuditLog(const std::vector<std::string>& files,
                                                 const AuditVerifyOptions& options) {
  AuditVerifyResult result;
  std::optional<internal::Checkpoint> checkpoint;
  if (!options.checkpoint.empty()) {
    absl::StatusOr<std::optional<internal::Checkpoint>> read =
        internal::ReadCheckpoint(options.checkpoint);
    if (!read.ok()) return read.status();
    if (!read->has_value()) {
      return absl::NotFoundError(absl::StrCat(options.checkpoint, ": no such checkpoint"));
    }
    checkpoint = **read;
    result.checkpoint_seq = checkpoint->seq;
  }
  std::string first_prev;
  std::string first_place;  // "<file>:<line>" of the first line
  std::optional<audit::LogEvent> retention;  // the latest retention record
  // The first line checked may start anywhere: retention may have deleted the
  // oldest rotated files, so its seq and prev are taken as they are.
  bool have_prev = false;
  uint64_t prev_seq = 0;
  std::string prev_hash;
  std::string line;
  for (const std::string& file : files) {
    std::error_code ec;
    if (std::filesystem::is_directory(file, ec)) {
      return absl::InvalidArgumentError(absl::StrCat(file, ": is a directory, not a file"));
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      return absl::NotFoundError(absl::StrCat(file, ": cannot open: ", std::strerror(errno)));
    }
    uint64_t line_number = 0;
    auto broken = [&](std::string_view what) {
      result.first_error = absl::StrCat(file, ":", line_number, ": ", AV(what));
      return result;
    };
    while (std::getline(in, line)) {
      ++line_number;
      if (in.eof()) {
        return broken("truncated line: no newline at the end (the writer may have stopped "
                      "mid-line)");
      }
      if (line.empty()) return broken("empty line");
      absl::StatusOr<internal::ChainLine> parsed = internal::ParseChainLine(line);
      if (!parsed.ok()) return broken(internal::SV(parsed.status().message()));
      if (internal::ChainHash(parsed->prev, parsed->seq_text, parsed->record) != parsed->hash) {
        return broken("edited: the hash does not match the line's content");
      }
      if (!have_prev) {
        result.first_seq = parsed->seq;
        first_prev = std::string(parsed->prev);
        first_place = absl::StrCat(file, ":", line_number);
      }
      if (checkpoint && parsed->seq == checkpoint->seq) {
        if (parsed->hash != checkpoint->hash) {
          return broken(absl::StrCat("this line (seq ", parsed->seq,
                                     ") is not the one the checkpoint ", options.checkpoint,
                                     " names: the log was replaced from here"));
        }
        result.checkpoint_matched = true;
      }
      audit::LogEvent event;
      if (ReadEvent(parsed->record, &event)) {
        if (event.kind() == "repair") ++result.repairs;
        if (event.kind() == "retention") {
          ++result.retention_events;
          retention = event;
        }
      }
      if (have_prev) {
        const bool linked = parsed->prev == prev_hash;
        const bool next = parsed->seq == prev_seq + 1;
        const std::string seq_note =
            next ? std::string()
                 : absl::StrCat("seq ", parsed->seq, " does not follow ", prev_seq);
        if (!linked) {
          return broken(absl::StrCat(
              "broken chain: prev is not the hash of the line before (a line before it was "
              "deleted or moved)",
              next ? "" : "; ", seq_note));
        }
        if (!next) {
          return broken(absl::StrCat(seq_note, " (a line was deleted, moved or inserted)"));
        }
      }
      have_prev = true;
      prev_seq = parsed->seq;
      prev_hash = std::string(parsed->hash);
      ++result.lines;
    }
    if (in.bad()) {
      return absl::DataLossError(absl::StrCat(file, ": read error: ", std::strerror(errno)));
    }
  }
  result.last_seq = prev_seq;
  if (options.whole_log && have_prev) {
    // The log starts at its first line ever, or where its latest retention
    // record says the removal left it.
    const bool genesis = result.first_seq == 1 && first_prev == internal::kChainGenesis;
    const bool recorded =
        retention && retention->first_seq() >= result.first_seq &&
        (retention->first_seq() != result.first_seq || retention->first_prev() == first_prev);
    if (!genesis && !recorded) {
      result.first_error = absl::StrCat(
          first_place, ": the log starts at seq ", result.first_seq,
          retention ? absl::StrCat(" but its latest retention record says it starts at seq ",
                                   retention->first_seq())
                    : std::string(" and no retention record says why"),
          ": lines before it were removed without a record (verify the files without "
          "--rotated to check the rest of the chain alone)");
      return result;
    }
  }
  if (checkpoint && checkpoint->seq > result.last_seq) {
    result.first_error = absl::StrCat(
        options.checkpoint, ": cut tail: the checkpoint names seq ", checkpoint->seq,
        " but the log ends at seq ", result.last_seq, ": ", checkpoint->seq - result.last_seq,
        " line(s) are missing at its end (`menshen audit repair` records the loss if it is "
        "known and accepted)");
    return result;
  }
  result.ok = true;
  return result;
}

absl::StatusOr<std::vector<std::string>> AuditLogFiles(const std::string& path) {
  std::vector<std::string> files;
  for (uint64_t n : internal::RotatedFileNumbers(path)) files.push_back(absl::StrCat(path, ".", n));
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) files.push_back(path);
  if (files.empty()) {
    return absl::NotFoundError(absl::StrCat(path, ": no such audit log (nor rotated files)"));
  }
  return files;
}

}  // namespace menshen
