#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"
#include "lib/audit/chain.h"
#include "lib/base/absl_view.h"
#include "menshen/audit.h"

namespace menshen {

using internal::AV;

absl::StatusOr<AuditVerifyResult> VerifyAuditLog(const std::vector<std::string>& files) {
  AuditVerifyResult result;
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
