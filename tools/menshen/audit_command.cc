// menshen audit verify, menshen audit repair
#include <filesystem>
#include <iostream>
#include <system_error>

#include "menshen/audit.h"
#include "tools/menshen/commands.h"

namespace menshen::cli {

int AuditVerify(const std::vector<std::string>& args) {
  const std::string usage =
      "usage: menshen audit verify [--rotated] [--checkpoint FILE|--no-checkpoint] FILE...";
  bool rotated = false;
  bool no_checkpoint = false;
  std::string checkpoint;
  std::vector<std::string> files;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--rotated") {
      rotated = true;
    } else if (a == "--no-checkpoint") {
      no_checkpoint = true;
    } else if (a == "--checkpoint" && i + 1 < args.size()) {
      checkpoint = args[++i];
    } else if (!a.empty() && a[0] != '-') {
      files.push_back(a);
    } else {
      return Fail(kExitUsage, "audit verify: unexpected argument '" + a + "' (" + usage + ")");
    }
  }
  if (files.empty()) return Fail(kExitUsage, "audit verify: " + usage);
  if (no_checkpoint && !checkpoint.empty()) {
    return Fail(kExitUsage, "audit verify: --checkpoint and --no-checkpoint exclude each other");
  }
  AuditVerifyOptions options;
  options.whole_log = rotated;
  // The sink keeps "<log>.checkpoint" beside the current file: the log given
  // last (or the one --rotated names).
  if (checkpoint.empty() && !no_checkpoint) {
    const std::string beside = files.back() + ".checkpoint";
    std::error_code ec;
    if (std::filesystem::exists(beside, ec)) checkpoint = beside;
  }
  options.checkpoint = checkpoint;
  if (rotated) {
    // Each FILE stands for its rotated files, oldest first, then itself.
    std::vector<std::string> expanded;
    for (const std::string& f : files) {
      absl::StatusOr<std::vector<std::string>> all = AuditLogFiles(f);
      if (!all.ok()) return Fail(kExitBadInput, all.status());
      expanded.insert(expanded.end(), all->begin(), all->end());
    }
    files = std::move(expanded);
  }
  absl::StatusOr<AuditVerifyResult> result = VerifyAuditLog(files, options);
  if (!result.ok()) return Fail(kExitBadInput, result.status());
  if (!result->ok) return Fail(kExitBadInput, result->first_error);
  std::cout << "ok: " << result->lines << " lines in " << files.size()
            << (files.size() == 1 ? " file" : " files") << ", chain intact";
  if (!options.checkpoint.empty()) {
    std::cout << ", checkpoint (seq " << result->checkpoint_seq
              << (result->checkpoint_matched ? ") matches" : ") is before the lines checked");
  }
  if (result->first_seq > 1) {
    std::cout << "; starts at seq " << result->first_seq
              << (options.whole_log ? " (older lines removed by retention, as recorded)" : "");
  }
  if (result->repairs > 0) std::cout << "; " << result->repairs << " repair(s) recorded";
  std::cout << "\n";
  return kExitOk;
}

int AuditRepair(const std::vector<std::string>& args) {
  const std::string usage = "usage: menshen audit repair FILE";
  if (args.size() != 1 || args[0].empty() || args[0][0] == '-') {
    return Fail(kExitUsage, "audit repair: " + usage);
  }
  absl::StatusOr<AuditRepairResult> result = RepairAuditLog(args[0]);
  if (!result.ok()) return Fail(kExitBadInput, result.status());
  std::cout << result->summary << "\n";
  return kExitOk;
}

}  // namespace menshen::cli
