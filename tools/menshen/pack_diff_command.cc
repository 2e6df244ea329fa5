// menshen pack diff OLD NEW: entries added, removed and changed (category,
// severity, flags), matched by their stable ids, in total and per risk.
#include <iostream>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "lib/pack/loader.h"
#include "menshen/pack.h"
#include "tools/menshen/args.h"
#include "tools/menshen/commands.h"
#include "tools/menshen/json_out.h"
#include "tools/menshen/pack_diff.pb.h"

namespace menshen::cli {
namespace {

// "menshen-pack:1a2b…" → "1a2b…": packs of different names keep comparable ids.
std::string LocalId(const std::string& id) {
  const size_t colon = id.rfind(':');
  return colon == std::string::npos ? id : id.substr(colon + 1);
}

std::string FlagNames(uint32_t flags) {
  std::vector<std::string> names;
  for (int bit = 0; bit < 32; ++bit) {
    if ((flags & (1u << bit)) == 0) continue;
    const std::string& name = pack::EntryFlag_Name(static_cast<pack::EntryFlag>(1u << bit));
    names.push_back(name.empty() ? absl::StrCat("bit", bit) : absl::AsciiStrToLower(name));
  }
  return absl::StrJoin(names, ",");
}

int PackDiff(const std::vector<std::string>& args) {
  std::vector<std::string> specs;
  bool json = false;
  ArgParser parser("pack diff");
  parser.Positionals(&specs, 2, 2);
  parser.Flag("--json", &json);
  if (absl::Status s = parser.Parse(args); !s.ok()) return UsageError(kPackDiffCommand, s);
  std::shared_ptr<const Pack> packs[2];
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<std::vector<std::shared_ptr<const Pack>>> p = LoadPackSpecs({specs[i]});
    if (!p.ok()) return Fail(kExitBadInput, p.status());
    if (p->size() != 1) {
      return UsageError(kPackDiffCommand,
                        absl::InvalidArgumentError("pack diff: compares two packs, not +defaults"));
    }
    packs[i] = p->front();
  }
  std::map<std::string, const pack::Entry*> old_entries, new_entries;
  // Entries as written: generated variants and rule parts follow from them.
  auto written = [](const pack::Entry& e) {
    return e.variant_of().empty() && (e.flags() & pack::PART) == 0;
  };
  for (const pack::Entry& e : packs[0]->loaded().compiled.entries()) {
    if (written(e)) old_entries[LocalId(e.id())] = &e;
  }
  for (const pack::Entry& e : packs[1]->loaded().compiled.entries()) {
    if (written(e)) new_entries[LocalId(e.id())] = &e;
  }

  DiffSummary summary;
  summary.set_old(packs[0]->info().name + " " + packs[0]->info().version);
  summary.set_new_(packs[1]->info().name + " " + packs[1]->info().version);
  std::vector<DiffEntry> changes;
  auto counts = [&](const std::string& category) -> DiffCounts& {
    return (*summary.mutable_by_category())[category.empty() ? "allow" : category];
  };
  for (const auto& [id, e] : old_entries) {
    counts(e->category()).set_old_entries(counts(e->category()).old_entries() + 1);
    auto n = new_entries.find(id);
    if (n == new_entries.end()) {
      DiffEntry d;
      d.set_change("removed");
      d.set_id(id);
      d.set_term(e->term());
      d.set_category(e->category());
      d.set_severity(e->severity());
      d.set_flags(FlagNames(e->flags()));
      changes.push_back(d);
      counts(e->category()).set_removed(counts(e->category()).removed() + 1);
      continue;
    }
    const pack::Entry* m = n->second;
    if (m->category() != e->category() || m->severity() != e->severity() || m->flags() != e->flags()) {
      DiffEntry d;
      d.set_change("changed");
      d.set_id(id);
      d.set_term(m->term());
      d.set_category(m->category());
      d.set_severity(m->severity());
      d.set_flags(FlagNames(m->flags()));
      d.set_old_category(e->category());
      d.set_old_severity(e->severity());
      d.set_old_flags(FlagNames(e->flags()));
      changes.push_back(d);
      counts(m->category()).set_changed(counts(m->category()).changed() + 1);
    }
  }
  for (const auto& [id, e] : new_entries) {
    counts(e->category()).set_new_entries(counts(e->category()).new_entries() + 1);
    if (old_entries.count(id)) continue;
    DiffEntry d;
    d.set_change("added");
    d.set_id(id);
    d.set_term(e->term());
    d.set_category(e->category());
    d.set_severity(e->severity());
    d.set_flags(FlagNames(e->flags()));
    changes.push_back(d);
    counts(e->category()).set_added(counts(e->category()).added() + 1);
  }
  DiffCounts* total = summary.mutable_total();
  total->set_old_entries(static_cast<uint32_t>(old_entries.size()));
  total->set_new_entries(static_cast<uint32_t>(new_entries.size()));
  for (const DiffEntry& d : changes) {
    if (d.change() == "added") total->set_added(total->added() + 1);
    if (d.change() == "removed") total->set_removed(total->removed() + 1);
    if (d.change() == "changed") total->set_changed(total->changed() + 1);
  }
  if (json) {
    std::string out;
    for (const DiffEntry& d : changes) AppendJsonLine(d, &out);
    std::cout << out;
    return PrintJsonLine(summary);
  }
  std::cout << summary.old() << " -> " << summary.new_() << ": " << total->added() << " added, "
            << total->removed() << " removed, " << total->changed() << " changed ("
            << total->old_entries() << " -> " << total->new_entries() << " entries)\n";
  std::cout << absl::StrFormat("  %-8s %8s %8s %8s %8s %8s\n", "risk", "old", "new", "added",
                               "removed", "changed");
  const std::map<std::string, DiffCounts> sorted(summary.by_category().begin(),
                                                 summary.by_category().end());
  for (const auto& [code, c] : sorted) {
    std::cout << absl::StrFormat("  %-8s %8u %8u %8u %8u %8u\n", code, c.old_entries(),
                                 c.new_entries(), c.added(), c.removed(), c.changed());
  }
  for (const DiffEntry& d : changes) {
    std::cout << (d.change() == "added" ? "+ " : d.change() == "removed" ? "- " : "~ ") << d.term()
              << "\t" << d.category() << "/" << d.severity()
              << (d.flags().empty() ? "" : " " + d.flags());
    if (d.change() == "changed") {
      std::cout << "\t(was " << d.old_category() << "/" << d.old_severity()
                << (d.old_flags().empty() ? "" : " " + d.old_flags()) << ")";
    }
    std::cout << "\n";
  }
  return kExitOk;
}

}  // namespace

const Command kPackDiffCommand = {
    "pack diff", "entries added, removed and changed between two versions of a pack",
    "usage: menshen pack diff OLD NEW [--json]",
    "OLD and NEW are .mspack files, pack source folders or names of compiled-in packs.\n"
    "Entries are matched by their stable ids (the term as written), so a term whose\n"
    "category, severity or flags changed is 'changed', and a respelt term is removed\n"
    "and added. Prints a summary with counts per risk, then one line per change.\n"
    "  --json  one JSON object per change, then a summary object\n"
    "Exit: 0, 1 a pack cannot be read, 2 bad usage.",
    PackDiff};

}  // namespace menshen::cli
