// menshen pack build | info | list
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "menshen/pack.h"
#include "tools/menshen/args.h"
#include "tools/menshen/cli.pb.h"
#include "tools/menshen/commands.h"
#include "tools/menshen/json_out.h"

namespace menshen::cli {

int Fail(int status, std::string_view message) {
  std::cerr << "menshen: " << message << "\n";
  return status;
}

int Fail(int status, const absl::Status& error) {
  std::cerr << "menshen: " << error.message() << "\n";
  return status;
}

int UsageError(const Command& command, const absl::Status& error) {
  std::cerr << "menshen: " << error.message() << "\n" << command.usage << "\n";
  return kExitUsage;
}

int WriteFileAtomically(const std::string& path, std::string_view bytes) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) {
      std::remove(tmp.c_str());
      return Fail(kExitBadInput, "cannot write " + path);
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    return Fail(kExitBadInput, "cannot write " + path + ": " + ec.message());
  }
  return kExitOk;
}

namespace {

int PackBuild(const std::vector<std::string>& args) {
  std::vector<std::string> dir;
  std::string output;
  PackBuildOptions options;
  ArgParser parser("pack build");
  parser.Value("-o", &output);
  parser.Value("--output", &output);
  parser.Flag("--strict", &options.strict);
  parser.Value("--taxonomy", &options.taxonomy_path);
  parser.Positionals(&dir, 1, 1);
  if (absl::Status s = parser.Parse(args); !s.ok()) return UsageError(kPackBuildCommand, s);
  if (output.empty()) {
    return UsageError(kPackBuildCommand,
                      absl::InvalidArgumentError("pack build: -o FILE.mspack is required"));
  }
  absl::StatusOr<PackBuildResult> built = BuildPack(dir[0], options);
  if (!built.ok()) return Fail(kExitBadInput, built.status());
  for (const std::string& w : built->warnings) std::cerr << "menshen: warning: " << w << "\n";
  if (int rc = WriteFileAtomically(output, built->mspack); rc != kExitOk) return rc;
  // Describe what was written by loading it back, which also proves it loads.
  absl::StatusOr<std::shared_ptr<const Pack>> pack = Pack::FromBytes(built->mspack, output);
  if (!pack.ok()) return Fail(kExitBadInput, pack.status());
  const menshen::PackInfo& info = (*pack)->info();
  std::cout << "built " << output << ": " << info.name << " " << info.version << ", "
            << info.literal_count << " terms, " << info.regex_count << " regexes, "
            << info.rule_count << " rules (" << info.part_count << " parts), "
            << info.allow_count << " allow entries, sha256 " << info.artefact_sha256 << "\n";
  return kExitOk;
}

int PackInfo(const std::vector<std::string>& args) {
  std::vector<std::string> spec;
  bool json = false;
  ArgParser parser("pack info");
  parser.Flag("--json", &json);
  parser.Positionals(&spec, 1, 1);
  if (absl::Status s = parser.Parse(args); !s.ok()) return UsageError(kPackInfoCommand, s);
  absl::StatusOr<std::vector<std::shared_ptr<const Pack>>> packs = LoadPackSpecs(spec);
  if (!packs.ok()) return Fail(kExitBadInput, packs.status());
  if (packs->size() != 1) {
    return UsageError(kPackInfoCommand,
                      absl::InvalidArgumentError("pack info: takes one pack, not +defaults"));
  }
  const menshen::PackInfo& info = packs->front()->info();
  if (json) {
    PackInfoOutput out;
    out.set_name(info.name);
    out.set_version(info.version);
    out.set_description(info.description);
    out.set_license(info.license);
    out.set_fold_version(info.fold_version);
    out.set_source_sha256(info.source_sha256);
    out.set_artefact_sha256(info.artefact_sha256);
    out.set_taxonomy_version(info.taxonomy_version);
    out.set_hyperscan_version(info.hyperscan_version);
    out.set_literal_count(static_cast<uint32_t>(info.literal_count));
    out.set_regex_count(static_cast<uint32_t>(info.regex_count));
    out.set_allow_count(static_cast<uint32_t>(info.allow_count));
    out.set_rule_count(static_cast<uint32_t>(info.rule_count));
    out.set_part_count(static_cast<uint32_t>(info.part_count));
    for (const auto& [code, n] : info.counts_by_category) {
      (*out.mutable_counts_by_category())[code] = static_cast<uint32_t>(n);
    }
    out.set_variant_count(static_cast<uint32_t>(info.variant_count));
    for (const auto& [kind, n] : info.variants_by_kind) {
      (*out.mutable_variants_by_kind())[kind] = static_cast<uint32_t>(n);
    }
    return PrintJsonLine(out);
  }
  std::cout << "name:            " << info.name << "\n"
            << "version:         " << info.version << "\n"
            << "description:     " << info.description << "\n"
            << "license:         " << info.license << "\n"
            << "fold version:    " << info.fold_version << "\n"
            << "source sha256:   " << info.source_sha256 << "\n"
            << "artefact sha256: " << info.artefact_sha256 << "\n"
            << "taxonomy:        " << info.taxonomy_version << "\n"
            << "hyperscan:       " << info.hyperscan_version << "\n"
            << "entries:         " << info.literal_count << " terms, " << info.regex_count
            << " regexes, " << info.rule_count << " rules (" << info.part_count << " parts), "
            << info.allow_count << " allow\n"
            << "variants:        " << info.variant_count;
  const char* separator = " (";
  for (const auto& [kind, n] : info.variants_by_kind) {
    std::cout << separator << kind << " " << n;
    separator = ", ";
  }
  std::cout << (info.variants_by_kind.empty() ? "" : ")") << "\n"
            << "per category:\n";
  for (const auto& [code, n] : info.counts_by_category) {
    auto name = info.category_names.find(code);
    std::cout << "  " << code << "\t" << n << "\t"
              << (name == info.category_names.end() ? "" : name->second) << "\n";
  }
  return kExitOk;
}

int PackList(const std::vector<std::string>& args) {
  bool json = false;
  ArgParser parser("pack list");
  parser.Flag("--json", &json);
  if (absl::Status s = parser.Parse(args); !s.ok()) return UsageError(kPackListCommand, s);
  const std::vector<std::string>& defaults = Pack::DefaultPackNames();
  for (const std::string& name : Pack::EmbeddedPackNames()) {
    absl::StatusOr<std::shared_ptr<const Pack>> pack = Pack::Embedded(name);
    if (!pack.ok()) return Fail(kExitBadInput, pack.status());
    const menshen::PackInfo& info = (*pack)->info();
    PackListEntry entry;
    entry.set_name(info.name);
    entry.set_version(info.version);
    entry.set_default_(std::find(defaults.begin(), defaults.end(), name) != defaults.end());
    entry.set_description(info.description);
    entry.set_license(info.license);
    entry.set_literal_count(static_cast<uint32_t>(info.literal_count));
    entry.set_regex_count(static_cast<uint32_t>(info.regex_count));
    entry.set_allow_count(static_cast<uint32_t>(info.allow_count));
    entry.set_rule_count(static_cast<uint32_t>(info.rule_count));
    for (const auto& [code, n] : info.counts_by_category) entry.add_categories(code);
    if (json) {
      if (int rc = PrintJsonLine(entry); rc != kExitOk) return rc;
      continue;
    }
    std::cout << absl::StrFormat("%-18s %-8s %-8s %6u terms %4u regexes %4u rules  %s\n",
                                 entry.name(), entry.version(), entry.default_() ? "default" : "",
                                 entry.literal_count(), entry.regex_count(), entry.rule_count(),
                                 absl::StrJoin(entry.categories(), " "));
  }
  return kExitOk;
}

}  // namespace

const Command kPackBuildCommand = {
    "pack build", "compile a pack source folder into a .mspack file",
    "usage: menshen pack build DIR -o FILE.mspack [--strict] [--taxonomy FILE]",
    "Compiles the pack source folder DIR (pack.textproto and the term and regex files it\n"
    "names; docs/packs.md) into one verified artefact, written atomically.\n"
    "  -o, --output FILE  where to write the .mspack\n"
    "  --strict           warnings (duplicates, terms that fold to one key) are errors\n"
    "  --taxonomy FILE    check categories against this taxonomy instead of the built-in one\n"
    "Exit: 0 built, 1 the sources have errors (file:line on stderr), 2 bad usage.",
    PackBuild};

const Command kPackInfoCommand = {
    "pack info", "describe a pack: version, checksums, entries per risk",
    "usage: menshen pack info PACK [--json]",
    "PACK is a .mspack file, a pack source folder or the name of a compiled-in pack.\n"
    "  --json  one JSON object instead of text\n"
    "Exit: 0, 1 the pack cannot be read, 2 bad usage.",
    PackInfo};

const Command kPackListCommand = {
    "pack list", "list the packs compiled into menshen",
    "usage: menshen pack list [--json]",
    "One line per compiled-in pack: name, version, whether it is a default pack, its\n"
    "entries and the risk codes they cover. Any of them can be named with --pack NAME.\n"
    "  --json  one JSON object per pack\n"
    "Exit: 0, 2 bad usage.",
    PackList};

}  // namespace menshen::cli
