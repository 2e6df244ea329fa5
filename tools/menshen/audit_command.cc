// menshen audit verify
#include <iostream>

#include "menshen/audit.h"
#include "tools/menshen/commands.h"

namespace menshen::cli {

int AuditVerify(const std::vector<std::string>& args) {
  const std::string usage = "usage: menshen audit verify [--rotated] FILE...";
  bool rotated = false;
  std::vector<std::string> files;
  for (const std::string& a : args) {
    if (a == "--rotated") {
      rotated = true;
    } else if (!a.empty() && a[0] != '-') {
      files.push_back(a);
    } else {
      return Fail(kExitUsage, "audit verify: unexpected argument '" + a + "' (" + usage + ")");
    }
  }
  if (files.empty()) return Fail(kExitUsage, "audit verify: " + usage);
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
  absl::StatusOr<AuditVerifyResult> result = VerifyAuditLog(files);
  if (!result.ok()) return Fail(kExitBadInput, result.status());
  if (!result->ok) return Fail(kExitBadInput, result->first_error);
  std::cout << "ok: " << result->lines << " lines in " << files.size()
            << (files.size() == 1 ? " file" : " files") << ", chain intact\n";
  return kExitOk;
}

}  // namespace menshen::cli
