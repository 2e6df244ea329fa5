// menshen pack coverage: deny entries per risk of the standard, counted
// after folding across the packs given, against minimums (by default the
// standard's: GB/T 45654-2025 asks for at least 10,000 keywords, 200 per A1
// risk and 100 per A2 risk; menshen asks 30 of every other risk).
#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "lib/pack/loader.h"
#include "lib/pack/taxonomy.h"
#include "menshen/pack.h"
#include "tools/menshen/args.h"
#include "tools/menshen/commands.h"
#include "tools/menshen/json_out.h"
#include "tools/menshen/pack_coverage.pb.h"
#include "tools/menshen/report/report.h"

namespace menshen::cli {
namespace {

constexpr uint32_t kStandardTotal = 10000;

uint32_t StandardMinimum(const std::string& code) {
  if (absl::StartsWith(code, "A1.")) return 200;
  if (absl::StartsWith(code, "A2.")) return 100;
  if (absl::StartsWith(code, "A")) return 30;
  return 0;
}

// "code<TAB or spaces>minimum" a line, "total" for the total; # comments.
absl::Status ReadMinimums(const std::string& path, std::map<std::string, uint32_t>* minimums,
                          uint32_t* total) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError("cannot read --minimums " + path);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    absl::string_view l = absl::StripAsciiWhitespace(line);
    if (l.empty() || l[0] == '#') continue;
    std::vector<absl::string_view> cols = absl::StrSplit(l, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    uint32_t value = 0;
    if (cols.size() != 2 || !absl::SimpleAtoi(cols[1], &value)) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", n, ": expected CODE MINIMUM"));
    }
    if (cols[0] == "total") {
      *total = value;
    } else {
      (*minimums)[std::string(cols[0])] = value;
    }
  }
  return absl::OkStatus();
}

int PackCoverage(const std::vector<std::string>& args) {
  std::vector<std::string> positional, specs;
  std::string minimums_path;
  uint64_t min_total = 0;
  bool json = false, markdown = false;
  ArgParser parser("pack coverage");
  parser.Positionals(&positional, 0, 1000);
  parser.Values("--pack", &specs);
  parser.Value("--minimums", &minimums_path);
  parser.Number("--min-total", &min_total, 0, UINT32_MAX);
  parser.Flag("--json", &json);
  parser.Flag("--markdown", &markdown);
  if (absl::Status s = parser.Parse(args); !s.ok()) return UsageError(kPackCoverageCommand, s);
  if (json && markdown) {
    return UsageError(kPackCoverageCommand,
                      absl::InvalidArgumentError("pack coverage: --json or --markdown, not both"));
  }
  specs.insert(specs.end(), positional.begin(), positional.end());
  absl::StatusOr<std::vector<std::shared_ptr<const Pack>>> packs = LoadPackSpecs(specs);
  if (!packs.ok()) return Fail(kExitBadInput, packs.status());

  const internal::Taxonomy& taxonomy = internal::Taxonomy::Embedded();
  std::map<std::string, uint32_t> minimums;
  uint32_t total_minimum = kStandardTotal;
  for (const pack::Category& c : taxonomy.proto().category()) {
    if (!c.parent().empty()) minimums[c.code()] = StandardMinimum(c.code());
  }
  if (!minimums_path.empty()) {
    if (absl::Status s = ReadMinimums(minimums_path, &minimums, &total_minimum); !s.ok()) {
      return Fail(kExitBadInput, s);
    }
  }
  if (min_total > 0) total_minimum = static_cast<uint32_t>(min_total);

  // Distinct keys per code and overall: a literal by its folded term, a regex
  // by its pattern. Allow entries are not keywords.
  std::map<std::string, std::set<std::string>> keys;
  std::set<std::string> all;
  CoverageReport report;
  for (const std::shared_ptr<const Pack>& p : *packs) {
    report.add_packs(p->info().name + " " + p->info().version);
    for (const pack::Entry& e : p->loaded().compiled.entries()) {
      // Keywords as written: not allow entries, rules or their parts, nor
      // the variants generated from a term (they are the same keyword).
      if ((e.flags() & (pack::ALLOW | pack::PART)) != 0 || e.category().empty() ||
          e.kind() == pack::RULE || !e.variant_of().empty()) {
        continue;
      }
      const std::string key =
          e.kind() == pack::REGEX ? "regex:" + e.term() : "term:" + e.folded();
      keys[e.category()].insert(key);
      all.insert(key);
    }
  }
  std::vector<std::string> codes;
  for (const pack::Category& c : taxonomy.proto().category()) {
    if (!c.parent().empty() && absl::StartsWith(c.code(), "A")) codes.push_back(c.code());
  }
  for (const auto& [code, set] : keys) {
    if (std::find(codes.begin(), codes.end(), code) == codes.end()) codes.push_back(code);
  }
  for (const auto& [code, minimum] : minimums) {
    if (std::find(codes.begin(), codes.end(), code) == codes.end()) codes.push_back(code);
  }
  bool met = true;
  for (const std::string& code : codes) {
    CoverageRow* row = report.add_risks();
    row->set_code(code);
    if (const pack::Category* c = taxonomy.Find(code)) {
      row->set_name_zh(c->name_zh());
      row->set_name_en(c->name_en());
    }
    auto k = keys.find(code);
    row->set_entries(k == keys.end() ? 0 : static_cast<uint32_t>(k->second.size()));
    auto m = minimums.find(code);
    row->set_minimum(m == minimums.end() ? 0 : m->second);
    row->set_met(row->entries() >= row->minimum());
    if (!row->met()) {
      met = false;
      report.add_missed(code);
    }
  }
  report.set_total(static_cast<uint32_t>(all.size()));
  report.set_total_minimum(total_minimum);
  if (report.total() < total_minimum) {
    met = false;
    report.add_missed("total");
  }
  report.set_met(met);

  if (markdown) {
    report::Table table;
    table.columns = {"risk", "name", "entries", "minimum", "met"};
    for (const CoverageRow& r : report.risks()) {
      table.rows.push_back({r.code(), r.name_zh(), report::Cell::Integer(r.entries()),
                            report::Cell::Integer(r.minimum()), r.met() ? "yes" : "**no**"});
    }
    table.rows.push_back({"total", "distinct entries after folding",
                          report::Cell::Integer(report.total()),
                          report::Cell::Integer(report.total_minimum()),
                          report.total() >= report.total_minimum() ? "yes" : "**no**"});
    std::cout << report::MarkdownTable(table);
  } else {
    if (int rc = PrintJsonLine(report); rc != kExitOk) return rc;
  }
  return met ? kExitOk : kExitBadInput;
}

}  // namespace

const Command kPackCoverageCommand = {
    "pack coverage", "keyword entries per risk against the standard's minimums",
    "usage: menshen pack coverage [PACK...] [--pack PACK]... [--minimums FILE]\n"
    "         [--min-total N] [--json | --markdown]",
    "Counts the deny entries of the packs (default: the default packs) per risk code,\n"
    "distinct after folding across all of them (a term in two packs counts once; allow\n"
    "entries do not count), and compares them with minimums: by default the standard's\n"
    "(GB/T 45654-2025: 200 per A1 risk, 100 per A2 risk, 10,000 in total) and menshen's\n"
    "30 for every A3, A4 and A5 risk. PACK is a pack spec as for --pack.\n"
    "  --minimums FILE  'CODE MINIMUM' a line (total for the total) overrides those\n"
    "  --min-total N    the total's minimum\n"
    "  --json           one JSON object (the default)\n"
    "  --markdown       a Markdown table instead\n"
    "Exit: 0 every minimum met, 1 a minimum missed or a pack unreadable, 2 bad usage.",
    PackCoverage};

}  // namespace menshen::cli
