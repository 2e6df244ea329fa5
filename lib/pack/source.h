// A pack's source files in memory, read from a folder or from the embedded
// copies. The compiler works on this, so folders, embedded packs and the
// sources inside a .mspack are compiled the same way.
#ifndef MENSHEN_LIB_PACK_SOURCE_H_
#define MENSHEN_LIB_PACK_SOURCE_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace menshen::internal {

inline constexpr std::string_view kManifestFile = "pack.textproto";

struct PackSource {
  // Where the files came from, prefixed to file names in messages:
  // a folder path, "embedded:starter", or "x.mspack (embedded sources)".
  std::string origin;
  // Relative path → content. Holds pack.textproto and every file it names.
  std::map<std::string, std::string> files;

  // "origin/path", for messages.
  std::string Describe(std::string_view path) const;
};

// Reads pack.textproto from `dir` and every term and regex file it names.
// Named paths must be relative and stay inside the folder.
absl::StatusOr<PackSource> ReadPackSourceDir(const std::string& dir);

// The sources of a pack compiled into the library ("starter").
absl::StatusOr<PackSource> EmbeddedPackSource(std::string_view name);
// The names of the packs compiled into the library (folders with a manifest), sorted.
std::vector<std::string> EmbeddedPackNames();

}  // namespace menshen::internal

#endif  // MENSHEN_LIB_PACK_SOURCE_H_
