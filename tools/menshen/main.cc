// menshen: build and inspect keyword packs, scan texts.
#include <exception>
#include <iostream>
#include <new>
#include <string>
#include <vector>

#include "tools/menshen/commands.h"

namespace {

constexpr char kUsage[] =
    "usage:\n"
    "  menshen pack build DIR -o FILE.mspack [--strict] [--taxonomy FILE]\n"
    "  menshen pack info FILE.mspack|DIR [--json]\n"
    "  menshen scan [--pack P ...] [--policy FILE] [--profile NAME] [--locale zh-CN|en]\n"
    "               [--direction input|output] [--jsonl] [--explain] [--max-bytes N]\n"
    "               [--audit-log FILE [--audit-text] [--audit-durability synced|written|queued]\n"
    "                [--audit-rotate-mb N] [--audit-rotate-hours H] [--retain-days D]]\n"
    "               [--stream N|random [--seed S]] [FILE ...|-]\n"
    "  menshen audit verify [--rotated] [--checkpoint FILE|--no-checkpoint] FILE...\n"
    "  menshen audit repair FILE\n"
    "With no --pack, scan uses the default packs compiled into menshen (risk-a1..a5,\n"
    "pii-zh, secrets, prompt-injection, abuse-zh, abuse-en).\n";

int Run(const std::vector<std::string>& argv) {
  using namespace menshen::cli;
  if (argv.empty() || argv[0] == "-h" || argv[0] == "--help" || argv[0] == "help") {
    (argv.empty() ? std::cerr : std::cout) << kUsage;
    return argv.empty() ? kExitUsage : kExitOk;
  }
  const std::vector<std::string> rest(argv.begin() + 1, argv.end());
  if (argv[0] == "scan") return Scan(rest);
  if (argv[0] == "audit" && !rest.empty() && rest[0] == "verify") {
    return AuditVerify(std::vector<std::string>(rest.begin() + 1, rest.end()));
  }
  if (argv[0] == "audit" && !rest.empty() && rest[0] == "repair") {
    return AuditRepair(std::vector<std::string>(rest.begin() + 1, rest.end()));
  }
  if (argv[0] == "pack" && !rest.empty()) {
    const std::vector<std::string> sub(rest.begin() + 1, rest.end());
    if (rest[0] == "build") return PackBuild(sub);
    if (rest[0] == "info") return PackInfo(sub);
  }
  std::cerr << "menshen: unknown command '" << argv[0]
            << ((argv[0] == "pack" || argv[0] == "audit") && !rest.empty() ? " " + rest[0]
                                                                           : std::string())
            << "'\n"
            << kUsage;
  return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const std::bad_alloc&) {
    std::cerr << "menshen: out of memory\n";
  } catch (const std::exception& e) {
    std::cerr << "menshen: " << e.what() << "\n";
  }
  return menshen::cli::kExitUsage;
}
