// The pack compiler: pack sources → CompiledPack (entries with stable ids,
// folded terms, Hyperscan databases, embedded sources).
#ifndef MENSHEN_LIB_PACK_COMPILER_H_
#define MENSHEN_LIB_PACK_COMPILER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/pack/pack.pb.h"
#include "lib/pack/source.h"
#include "lib/pack/taxonomy.h"

namespace menshen::internal {

struct CompileOptions {
  // Warnings (terms that fold to nothing or to too few characters, duplicate
  // terms) become errors.
  bool strict = false;
};

struct CompileOutput {
  pack::CompiledPack pack;
  std::vector<std::string> warnings;  // "file:line: what"
};

// Compiles `source`. Every error names the file and line it comes from. The
// output depends only on the sources, the fold and the Hyperscan build, so
// compiling the same sources twice gives identical bytes.
absl::StatusOr<CompileOutput> CompilePack(const PackSource& source, const Taxonomy& taxonomy,
                                          const CompileOptions& options);

// CompilePack without the Hyperscan databases (and hyperscan_version): the
// manifest, the entries (folded, deduplicated, with ids, in id order), the
// categories, the versions, the embedded sources and entries_sha256. The
// loader runs it on the sources an artefact embeds to get its entries back.
absl::StatusOr<CompileOutput> CompileEntries(const PackSource& source, const Taxonomy& taxonomy,
                                             const CompileOptions& options);

// SHA-256 of `entries` in their order, each serialised: what
// CompiledPack.entries_sha256 holds.
std::string EntriesDigest(const google::protobuf::RepeatedPtrField<pack::Entry>& entries);

// Whether `version` is a semantic version (MAJOR.MINOR.PATCH[-pre][+build]).
bool IsSemanticVersion(std::string_view version);

}  // namespace menshen::internal

#endif  // MENSHEN_LIB_PACK_COMPILER_H_
