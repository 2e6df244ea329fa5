// menshen pack build | info
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "google/protobuf/util/json_util.h"
#include "menshen/pack.h"
#include "tools/menshen/cli.pb.h"
#include "tools/menshen/commands.h"

namespace menshen::cli {

int Fail(int status, std::string_view message) {
  std::cerr << "menshen: " << message << "\n";
  return status;
}

int Fail(int status, const absl::Status& error) {
  std::cerr << "menshen: " << error.message() << "\n";
  return status;
}

namespace {

// Writes next to `path` and renames, so a failed write never leaves a
// truncated artefact under the final name.
int WriteAtomically(const std::string& path, const std::string& bytes) {
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

}  // namespace

int PackBuild(const std::vector<std::string>& args) {
  std::string dir;
  std::string output;
  PackBuildOptions options;
  for (size_t i = 0; i < args.size(); ++i) {
    if ((args[i] == "-o" || args[i] == "--output") && i + 1 < args.size()) {
      output = args[++i];
    } else if (args[i] == "--strict") {
      options.strict = true;
    } else if (args[i] == "--taxonomy" && i + 1 < args.size()) {
      options.taxonomy_path = args[++i];
    } else if (!args[i].empty() && args[i][0] != '-' && dir.empty()) {
      dir = args[i];
    } else {
      return Fail(kExitUsage, "pack build: unexpected argument '" + args[i] +
                                  "' (usage: menshen pack build DIR -o FILE.mspack)");
    }
  }
  if (dir.empty() || output.empty()) {
    return Fail(kExitUsage, "pack build: usage: menshen pack build DIR -o FILE.mspack");
  }
  absl::StatusOr<PackBuildResult> built = BuildPack(dir, options);
  if (!built.ok()) return Fail(kExitBadInput, built.status());
  for (const std::string& w : built->warnings) std::cerr << "menshen: warning: " << w << "\n";
  if (int rc = WriteAtomically(output, built->mspack); rc != kExitOk) return rc;
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
  std::string path;
  bool json = false;
  for (const std::string& a : args) {
    if (a == "--json") {
      json = true;
    } else if (!a.empty() && a[0] != '-' && path.empty()) {
      path = a;
    } else {
      return Fail(kExitUsage, "pack info: unexpected argument '" + a +
                                  "' (usage: menshen pack info FILE.mspack [--json])");
    }
  }
  if (path.empty()) return Fail(kExitUsage, "pack info: usage: menshen pack info FILE.mspack");
  absl::StatusOr<std::shared_ptr<const Pack>> pack = Pack::Load(path);
  if (!pack.ok()) return Fail(kExitBadInput, pack.status());
  for (const std::string& n : (*pack)->notes()) std::cerr << "menshen: note: " << n << "\n";
  const menshen::PackInfo& info = (*pack)->info();
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
    google::protobuf::util::JsonPrintOptions print;
    print.preserve_proto_field_names = true;
    print.always_print_primitive_fields = true;
    std::string text;
    if (!google::protobuf::util::MessageToJsonString(out, &text, print).ok()) {
      return Fail(kExitBadInput, "cannot print the pack info as JSON");
    }
    std::cout << text << "\n";
    return kExitOk;
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
            << "per category:\n";
  for (const auto& [code, n] : info.counts_by_category) {
    auto name = info.category_names.find(code);
    std::cout << "  " << code << "\t" << n << "\t"
              << (name == info.category_names.end() ? "" : name->second) << "\n";
  }
  return kExitOk;
}

}  // namespace menshen::cli
