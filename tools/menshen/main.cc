// menshen: build and inspect packs, scan texts, verify audit logs.
// DESIGN.md, "The command-line tool": JSON out, one-line errors on stderr,
// exit 0 ran / 1 bad input / 2 bad usage.
#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <new>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "hs.h"
#include "lib/normalize/normalizer.h"
#include "menshen/pack.h"
#include "tools/menshen/args.h"
#include "tools/menshen/cli.pb.h"
#include "tools/menshen/commands.h"
#include "tools/menshen/json_out.h"

namespace menshen::cli {
namespace {

// Every command, in the order `menshen --help` lists them.
const Command* const kCommands[] = {
    &kScanCommand,        &kPackBuildCommand,   &kPackInfoCommand,
    &kPackListCommand,    &kPackImportCommand,  &kPackCoverageCommand,
    &kPackDiffCommand,    &kPackExportCommand,
    &kAuditVerifyCommand, &kAuditRepairCommand,
    &kEvalCommand,
    &kCorpusAuditCommand,
    &kCorpusReportCommand,
};

constexpr char kVersionString[] = MENSHEN_VERSION_TEXT;  // CMake's project version

void PrintOverview(std::ostream& out) {
  out << "usage: menshen COMMAND [ARGS]   (menshen COMMAND --help for its options)\n\n"
         "commands:\n";
  for (const Command* c : kCommands) out << absl::StrFormat("  %-14s %s\n", c->name, c->summary);
  out << "\n  --version      versions of menshen, its fold, Hyperscan and the default packs\n"
         "                 (--version --json: one JSON object)\n\n"
         "Output is JSON (one object per line) unless a command says otherwise; errors are\n"
         "one line on stderr. Exit status: 0 ran, 1 some input was bad or a check failed,\n"
         "2 bad usage.\n";
}

void PrintHelp(const Command& c) {
  std::cout << c.usage << "\n\n" << c.summary << ".\n\n" << c.help << "\n";
  if (absl::StrContains(c.usage, "--pack")) std::cout << "\n" << kPackSpecHelp;
}

// The edit distance of two short names, for "did you mean".
size_t Distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1] ? 1 : 0)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

int UnknownCommand(const std::string& name) {
  const Command* nearest = nullptr;
  size_t best = 3;  // suggest only close names
  for (const Command* c : kCommands) {
    const size_t d = std::min(Distance(name, c->name),
                              Distance(name, std::string_view(c->name).substr(
                                                 std::string_view(c->name).rfind(' ') + 1)));
    if (d < best) best = d, nearest = c;
  }
  std::cerr << "menshen: unknown command '" << name << "'"
            << (nearest ? std::string(" (did you mean '") + nearest->name + "'?)" : "")
            << "; menshen --help lists the commands\n";
  return kExitUsage;
}

int Version(bool json) {
  absl::StatusOr<std::vector<std::shared_ptr<const Pack>>> packs = Pack::Defaults();
  if (!packs.ok()) return Fail(kExitBadInput, packs.status());
  VersionOutput out;
  out.set_menshen(kVersionString);
  out.set_fold(std::string(internal::FoldVersion()));
  out.set_hyperscan(hs_version());
  for (const std::shared_ptr<const Pack>& p : *packs) {
    VersionOutput::PackVersion* v = out.add_default_packs();
    v->set_name(p->info().name);
    v->set_version(p->info().version);
    v->set_sha256(p->info().source_sha256);
  }
  if (json) return PrintJsonLine(out);
  std::cout << "menshen " << out.menshen() << "\nfold " << out.fold() << "\nhyperscan "
            << out.hyperscan() << "\ndefault packs:";
  for (const auto& p : out.default_packs()) std::cout << " " << p.name() << " " << p.version();
  std::cout << "\n";
  return kExitOk;
}

bool WantsHelp(const std::vector<std::string>& args) {
  for (const std::string& a : args) {
    if (a == "--") return false;
    if (a == "--help" || a == "-h") return true;
  }
  return false;
}

int Run(const std::vector<std::string>& argv) {
  if (argv.empty()) {
    PrintOverview(std::cerr);
    return kExitUsage;
  }
  if (argv[0] == "--help" || argv[0] == "-h" || (argv[0] == "help" && argv.size() == 1)) {
    PrintOverview(std::cout);
    return kExitOk;
  }
  if (argv[0] == "--version" || argv[0] == "version") {
    const bool json = argv.size() == 2 && argv[1] == "--json";
    if (argv.size() > 2 || (argv.size() == 2 && !json)) {
      return Fail(kExitUsage, "usage: menshen --version [--json]");
    }
    return Version(json);
  }
  // "help pack build" is "pack build --help".
  std::vector<std::string> words = argv;
  const bool help_word = words[0] == "help";
  if (help_word) words.erase(words.begin());
  // Commands are one word ("scan") or two ("pack build").
  for (const Command* c : kCommands) {
    const std::vector<std::string> name = absl::StrSplit(c->name, ' ');
    if (words.size() < name.size() || !std::equal(name.begin(), name.end(), words.begin())) {
      continue;
    }
    const std::vector<std::string> args(words.begin() + static_cast<long>(name.size()),
                                        words.end());
    if (help_word || WantsHelp(args)) {
      PrintHelp(*c);
      return kExitOk;
    }
    return c->run(args);
  }
  // A group without its subcommand ("menshen pack"): list the group.
  std::vector<const Command*> group;
  for (const Command* c : kCommands) {
    if (absl::StartsWith(c->name, words[0] + " ")) group.push_back(c);
  }
  if (!group.empty() && (words.size() == 1 || WantsHelp(words))) {
    std::ostream& out = words.size() == 1 && !help_word ? std::cerr : std::cout;
    out << "usage: menshen " << words[0] << " SUBCOMMAND [ARGS]\n\n";
    for (const Command* c : group) out << absl::StrFormat("  %-14s %s\n", c->name, c->summary);
    return &out == &std::cout ? kExitOk : kExitUsage;
  }
  return UnknownCommand(group.empty() || words.size() == 1 ? words[0]
                                                          : words[0] + " " + words[1]);
}

}  // namespace
}  // namespace menshen::cli

namespace menshen::cli {
namespace {

// The CLI keeps built embedded packs in the user's cache folder unless
// MENSHEN_PACK_CACHE says otherwise (empty: no cache); see Pack::Embedded.
void DefaultPackCache() {
  if (std::getenv("MENSHEN_PACK_CACHE") != nullptr) return;
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  const char* home = std::getenv("HOME");
  std::string dir;
  if (xdg != nullptr && *xdg == '/') {
    dir = std::string(xdg) + "/menshen";
  } else if (home != nullptr && *home == '/') {
    dir = std::string(home) + "/.cache/menshen";
  } else {
    return;
  }
  setenv("MENSHEN_PACK_CACHE", dir.c_str(), 0);
}

}  // namespace
}  // namespace menshen::cli

int main(int argc, char** argv) {
  menshen::cli::DefaultPackCache();
  try {
    return menshen::cli::Run(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const std::bad_alloc&) {
    std::cerr << "menshen: out of memory\n";
  } catch (const std::exception& e) {
    std::cerr << "menshen: " << e.what() << "\n";
  }
  return menshen::cli::kExitUsage;
}
