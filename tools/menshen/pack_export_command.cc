// menshen pack export: the keyword list as the filing's spreadsheet, one
// sheet per class of the standard and a summary sheet, through report.h.
#include <algorithm>
#include <ctime>
#include <iostream>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/pack/loader.h"
#include "lib/pack/taxonomy.h"
#include "menshen/pack.h"
#include "tools/menshen/args.h"
#include "tools/menshen/commands.h"
#include "tools/menshen/report/report.h"

namespace menshen::cli {
namespace {

// "2026-12-05" → that day 00:00 UTC; 2026-01-01 when it is not a date, so
// the workbook's bytes depend only on the packs.
std::time_t DayOf(const std::string& date) {
  std::tm tm = {};
  if (date.size() == 10 && std::sscanf(date.c_str(), "%d-%d-%d", &tm.tm_year, &tm.tm_mon,
                                       &tm.tm_mday) == 3) {
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return timegm(&tm);
  }
  return 1767225600;
}

std::string Flags(const pack::Entry& e) {
  std::vector<std::string> f;
  if (e.kind() == pack::REGEX) f.push_back("regex");
  if (e.flags() & pack::WORD) f.push_back("word");
  if (e.flags() & pack::EXACT) f.push_back("exact");
  return absl::StrJoin(f, ",");
}

int PackExport(const std::vector<std::string>& args) {
  std::vector<std::string> positional, specs;
  std::string output;
  ArgParser parser("pack export");
  parser.Positionals(&positional, 0, 1000);
  parser.Values("--pack", &specs);
  parser.Value("-o", &output);
  parser.Value("--output", &output);
  if (absl::Status s = parser.Parse(args); !s.ok()) return UsageError(kPackExportCommand, s);
  if (output.empty() || !absl::EndsWith(output, ".xlsx")) {
    return UsageError(kPackExportCommand,
                      absl::InvalidArgumentError("pack export: -o FILE.xlsx is required"));
  }
  specs.insert(specs.end(), positional.begin(), positional.end());
  absl::StatusOr<std::vector<std::shared_ptr<const Pack>>> packs = LoadPackSpecs(specs);
  if (!packs.ok()) return Fail(kExitBadInput, packs.status());

  const internal::Taxonomy& taxonomy = internal::Taxonomy::Embedded();
  auto name_of = [&](const std::string& code) -> std::string {
    const pack::Category* c = taxonomy.Find(code);
    return c ? c->name_zh() : "";
  };
  const std::vector<std::string> columns = {"序号", "关键词", "风险类别代码", "风险类别",
                                            "一级类别", "严重程度", "标记", "来源",
                                            "pack", "version", "date"};
  std::map<std::string, report::Table> sheets;  // class code → sheet
  std::map<std::string, std::map<std::string, size_t>> per_risk;  // risk → pack → entries
  std::string latest;
  for (const std::shared_ptr<const Pack>& p : *packs) {
    const pack::CompiledPack& compiled = p->loaded().compiled;
    const pack::PackManifest& manifest = compiled.manifest();
    std::string source = manifest.source().empty() ? "" : manifest.source(0).url();
    std::string date = manifest.source().empty() ? "" : manifest.source(0).retrieved();
    latest = std::max(latest, date);
    if (!p->info().license.empty()) absl::StrAppend(&source, " (", p->info().license, ")");
    std::vector<const pack::Entry*> entries;
    for (const pack::Entry& e : compiled.entries()) {
      // As written: generated variants and rule parts are not entries of the list.
      if ((e.flags() & (pack::ALLOW | pack::PART)) == 0 && !e.category().empty() &&
          e.variant_of().empty()) {
        entries.push_back(&e);
      }
    }
    std::stable_sort(entries.begin(), entries.end(), [](const pack::Entry* a, const pack::Entry* b) {
      if (a->category() != b->category()) return a->category() < b->category();
      if (a->file() != b->file()) return a->file() < b->file();
      return a->line() < b->line();
    });
    for (const pack::Entry* e : entries) {
      const pack::Category* c = taxonomy.Find(e->category());
      const std::string klass = c && !c->parent().empty() ? c->parent() : e->category();
      report::Table& sheet = sheets[klass];
      if (sheet.columns.empty()) {
        const pack::Category* k = taxonomy.Find(klass);
        sheet.title = klass + (k ? " " + k->name_zh() : "");
        sheet.columns = columns;
        sheet.widths = {7, 24, 10, 30, 24, 8, 8, 40, 16, 9, 11};
      }
      sheet.rows.push_back({report::Cell::Integer(static_cast<double>(sheet.rows.size() + 1)),
                            e->term(), e->category(), name_of(e->category()),
                            klass + " " + name_of(klass), report::Cell::Integer(e->severity()),
                            Flags(*e), source, p->info().name, p->info().version, date});
      per_risk[e->category()][p->info().name]++;
    }
  }
  report::Table summary;
  summary.title = "summary";
  summary.columns = {"风险类别代码", "风险类别", "一级类别", "entries", "packs"};
  summary.widths = {12, 36, 30, 10, 60};
  for (const auto& [code, by_pack] : per_risk) {
    const pack::Category* c = taxonomy.Find(code);
    const std::string klass = c && !c->parent().empty() ? c->parent() : code;
    size_t n = 0;
    std::vector<std::string> names;
    for (const auto& [pack_name, count] : by_pack) {
      n += count;
      names.push_back(absl::StrCat(pack_name, " ", count));
    }
    summary.rows.push_back({code, name_of(code), klass + " " + name_of(klass),
                            report::Cell::Integer(static_cast<double>(n)), absl::StrJoin(names, ", ")});
  }
  std::vector<report::Table> tables = {summary};
  for (auto& [klass, sheet] : sheets) tables.push_back(std::move(sheet));
  if (absl::Status s = report::WriteXlsx(output, tables, "menshen keyword library", DayOf(latest));
      !s.ok()) {
    return Fail(kExitBadInput, s);
  }
  size_t total = 0;
  for (const report::Table& t : tables) {
    if (t.title != "summary") total += t.rows.size();
  }
  std::cout << "wrote " << output << ": " << total << " entries, " << tables.size() - 1
            << " class sheets and a summary\n";
  return kExitOk;
}

}  // namespace

const Command kPackExportCommand = {
    "pack export", "write the keyword list as the filing's spreadsheet (.xlsx)",
    "usage: menshen pack export [PACK...] [--pack PACK]... -o FILE.xlsx",
    "Writes every deny entry of the packs (default: the default packs) to FILE.xlsx:\n"
    "a summary sheet (entries per risk and pack), then one sheet per class (A1 ... A5,\n"
    "X) with the columns 序号, 关键词, 风险类别代码, 风险类别, 一级类别, 严重程度,\n"
    "标记 (regex, word, exact), 来源 (the pack's source and licence), pack, version,\n"
    "date (the pack's source date). Allow entries are not keywords and are left out.\n"
    "The same packs give the same bytes. PACK is a pack spec as for --pack.\n"
    "  -o, --output FILE.xlsx  where to write (atomically)\n"
    "Exit: 0 written, 1 a pack cannot be read or the file cannot be written, 2 bad usage.",
    PackExport};

}  // namespace menshen::cli
