// The commands of the menshen tool. Each takes the arguments after its name,
// writes results to stdout and one-line errors to stderr, and returns the
// process exit status: 0 when it ran, 1 when some input was bad (or, for
// commands that check evidence, a threshold was missed), 2 on bad usage or
// when it could not run at all.
//
// A command is one entry of the table in main.cc: its name, a one-line
// summary for `menshen --help`, and the usage and help `menshen NAME --help`
// prints. main.cc answers --help before a command runs, so commands never
// parse it.
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

struct Command {
  const char* name;     // "scan", "pack build"
  const char* summary;  // one line
  const char* usage;    // "usage: menshen scan [...]" lines
  const char* help;     // what it does, each option, exit status
  int (*run)(const std::vector<std::string>& args);
};

extern const Command kPackBuildCommand;
extern const Command kPackInfoCommand;
extern const Command kPackListCommand;
extern const Command kPackImportCommand;
extern const Command kPackCoverageCommand;
extern const Command kPackDiffCommand;
extern const Command kPackExportCommand;
extern const Command kScanCommand;
extern const Command kAuditVerifyCommand;
extern const Command kAuditRepairCommand;
extern const Command kEvalCommand;
extern const Command kCorpusAuditCommand;
extern const Command kCorpusReportCommand;

// Prints "menshen: <message>" to stderr and returns `status`.
int Fail(int status, std::string_view message);
int Fail(int status, const absl::Status& error);
// A usage error: the message, then the command's usage line; exit 2.
int UsageError(const Command& command, const absl::Status& error);

// Writes next to `path` and renames, so a failed write never leaves a
// truncated artefact under the final name. Returns kExitOk or, after a
// message, kExitBadInput.
int WriteFileAtomically(const std::string& path, std::string_view bytes);

}  // namespace menshen::cli

#endif  // MENSHEN_TOOLS_MENSHEN_COMMANDS_H_
