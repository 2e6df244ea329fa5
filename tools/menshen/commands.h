// Subcommands of the menshen tool. Each takes the arguments after its name,
// writes results to stdout and one-line errors to stderr, and returns the
// process exit status: 0 when it ran, 1 when some input was bad, 2 on bad
// usage or when it could not run at all.
#ifndef MENSHEN_TOOLS_MENSHEN_COMMANDS_H_
#define MENSHEN_TOOLS_MENSHEN_COMMANDS_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace menshen::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitBadInput = 1;
inline constexpr int kExitUsage = 2;

int PackBuild(const std::vector<std::string>& args);
int PackInfo(const std::vector<std::string>& args);
int Scan(const std::vector<std::string>& args);
int AuditVerify(const std::vector<std::string>& args);
// menshen audit repair FILE: cuts a torn last line (or accepts lines the
// checkpoint names that are gone) and records it in the chain.
int AuditRepair(const std::vector<std::string>& args);

// Prints "menshen: <message>" to stderr and returns `status`.
int Fail(int status, std::string_view message);
int Fail(int status, const absl::Status& error);

}  // namespace menshen::cli

#endif  // MENSHEN_TOOLS_MENSHEN_COMMANDS_H_
