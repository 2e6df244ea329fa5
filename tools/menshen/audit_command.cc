// menshen audit verify, menshen audit repair
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <system_error>

#include "menshen/audit.h"
#include "tools/menshen/args.h"
#include "tools/menshen/commands.h"

namespace menshen::cli {

namespace {

int AuditVerify(const std::vector<std::string>& args) {
  bool rotated = false;
  bool no_checkpoint = false;
  std::string checkpoint;
  std::vector<std::string> files;
  ArgParser parser("audit verify");
  parser.Flag("--rotated", &rotated);
  parser.Flag("--no-checkpoint", &no_checkpoint);
  parser.Value("--checkpoint", &checkpoint);
  parser.Positionals(&files, 1, SIZE_MAX);
  if (absl::Status s = parser.Parse(args); !s.ok()) return UsageError(kAuditVerifyCommand, s);
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
  std::vector<std::string> file;
  ArgParser parser("audit repair");
  parser.Positionals(&file, 1, 1);
  if (absl::Status s = parser.Parse(args); !s.ok()) return UsageError(kAuditRepairCommand, s);
  absl::StatusOr<AuditRepairResult> result = RepairAuditLog(file[0]);
  if (!result.ok()) return Fail(kExitBadInput, result.status());
  std::cout << result->summary << "\n";
  return kExitOk;
}

}  // namespace

const Command kAuditVerifyCommand = {
    "audit verify", "check an audit log's hash chain and checkpoint",
    "usage: menshen audit verify [--rotated] [--checkpoint FILE|--no-checkpoint] FILE...",
    "Checks that every line of the audit logs is intact and chained to the one before,\n"
    "and that nothing the checkpoint names is missing (docs/audit.md).\n"
    "  --rotated          each FILE stands for its rotated files, oldest first, then itself\n"
    "  --checkpoint FILE  the checkpoint to compare with (default: LOG.checkpoint if present)\n"
    "  --no-checkpoint    ignore any checkpoint\n"
    "Exit: 0 intact, 1 a line is broken, missing or out of order (named on stderr), 2 bad usage.",
    AuditVerify};

const Command kAuditRepairCommand = {
    "audit repair", "cut a torn last line of an audit log and record the repair",
    "usage: menshen audit repair FILE",
    "After a crash the last line of a log may be torn. repair cuts it (or accepts that\n"
    "lines the checkpoint names are gone) and appends a chained record saying so, so\n"
    "`audit verify` passes again and the loss stays visible.\n"
    "Exit: 0 repaired or nothing to repair, 1 the log cannot be repaired, 2 bad usage.",
    AuditRepair};

}  // namespace menshen::cli
