#include "lib/pack/source.h"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/base/text_proto.h"
#include "lib/pack/embedded.h"
#include "lib/pack/pack.pb.h"

namespace menshen::internal {
namespace {

// The files a manifest names, checked to stay inside the pack folder.
absl::StatusOr<std::vector<std::string>> NamedFiles(const PackSource& source,
                                                   const pack::PackManifest& manifest) {
  std::vector<std::string> paths;
  for (const auto& f : manifest.term_files()) paths.push_back(f.path());
  for (const auto& f : manifest.regex_files()) paths.push_back(f.path());
  for (const auto& f : manifest.rule_files()) paths.push_back(f.path());
  for (const std::string& path : paths) {
    bool escapes = path.empty() || path[0] == '/';
    for (absl::string_view part : absl::StrSplit(path, '/')) escapes |= part == "..";
    if (escapes) {
      return absl::InvalidArgumentError(
          absl::StrCat(source.Describe(kManifestFile), ": file path '", path,
                       "' must be relative and inside the pack folder"));
    }
  }
  return paths;
}

}  // namespace

std::string PackSource::Describe(std::string_view path) const {
  return absl::StrCat(origin, "/", absl::string_view(path.data(), path.size()));
}

absl::StatusOr<PackSource> ReadPackSourceDir(const std::string& dir) {
  PackSource source;
  source.origin = dir;
  while (source.origin.size() > 1 && source.origin.back() == '/') source.origin.pop_back();
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return absl::NotFoundError(absl::StrCat(dir, ": not a pack folder (no such directory)"));
  }
  const std::string manifest_path = source.Describe(kManifestFile);
  absl::StatusOr<std::string> manifest_text = ReadFile(manifest_path);
  if (!manifest_text.ok()) return manifest_text.status();
  pack::PackManifest manifest;
  if (absl::Status s = ParseTextProto(manifest_path, *manifest_text, &manifest); !s.ok()) return s;
  source.files.emplace(std::string(kManifestFile), *std::move(manifest_text));

  absl::StatusOr<std::vector<std::string>> paths = NamedFiles(source, manifest);
  if (!paths.ok()) return paths.status();
  for (const std::string& path : *paths) {
    absl::StatusOr<std::string> content = ReadFile(source.Describe(path));
    if (!content.ok()) return content.status();
    source.files[path] = *std::move(content);
  }
  return source;
}

std::vector<std::string> EmbeddedPackNames() {
  std::vector<std::string> names;
  const std::string suffix = "/" + std::string(kManifestFile);
  for (const EmbeddedFile& f : EmbeddedFiles()) {
    const std::string path(f.path);
    if (path.size() > suffix.size() &&
        path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0 &&
        path.find('/') == path.size() - suffix.size()) {
      names.push_back(path.substr(0, path.size() - suffix.size()));
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

absl::StatusOr<PackSource> EmbeddedPackSource(std::string_view name) {
  PackSource source;
  source.origin = absl::StrCat("embedded:", absl::string_view(name.data(), name.size()));
  const std::string prefix = absl::StrCat(absl::string_view(name.data(), name.size()), "/");
  for (const EmbeddedFile& f : EmbeddedFiles()) {
    if (absl::StartsWith(f.path, prefix)) {
      source.files.emplace(std::string(f.path).substr(prefix.size()),
                           std::string(reinterpret_cast<const char*>(f.data), f.size));
    }
  }
  if (source.files.count(std::string(kManifestFile)) == 0) {
    return absl::NotFoundError(absl::StrCat("no embedded pack named '",
                                            absl::string_view(name.data(), name.size()), "'"));
  }
  return source;
}

}  // namespace menshen::internal
