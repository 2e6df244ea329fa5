// Hyperscan databases of a pack: built from entries, serialised into the
// artefact, and restored from it.
#ifndef MENSHEN_LIB_PACK_DATABASES_H_
#define MENSHEN_LIB_PACK_DATABASES_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <hs/hs.h>

#include "absl/status/statusor.h"
#include "lib/pack/pack.pb.h"

namespace menshen::internal {

struct HsDatabaseDeleter {
  void operator()(hs_database_t* db) const { hs_free_database(db); }
};
using HsDatabasePtr = std::unique_ptr<hs_database_t, HsDatabaseDeleter>;

struct HsCompileErrorDeleter {
  void operator()(hs_compile_error_t* e) const { hs_free_compile_error(e); }
};
using CompileErrorPtr = std::unique_ptr<hs_compile_error_t, HsCompileErrorDeleter>;

// Hyperscan flags of regex entries: patterns are UTF-8 and report where a
// match starts (leftmost).
inline constexpr unsigned kRegexFlags = HS_FLAG_UTF8 | HS_FLAG_SOM_LEFTMOST;

// The block-mode databases of a pack.
enum class DatabaseKind {
  kLiterals,  // literal entries, rule parts of anchor steps included
  kRegexes,   // regex entries
  kParts,     // rule parts in no anchor step (pack.proto, RuleStep.anchor)
};

// Which database each entry of `entries` belongs to; entries of no database
// (rules) map to std::nullopt-like -1.
std::vector<int> DatabaseOfEntries(const google::protobuf::RepeatedPtrField<pack::Entry>& entries);

// Compiles the entries of `entries` that belong to database `kind` into one
// block-mode database whose pattern ids are indexes into `entries`. Returns
// null when there is no such entry. A regex that does not compile is an error
// naming its file and line and carrying Hyperscan's message; `origin`
// prefixes file names.
absl::StatusOr<HsDatabasePtr> BuildDatabase(
    const google::protobuf::RepeatedPtrField<pack::Entry>& entries, DatabaseKind kind,
    std::string_view origin);

// The most bytes a match of `regex` (compiled with kRegexFlags) can span, or
// kUnboundedWidth. An error carries Hyperscan's message when it does not
// compile.
inline constexpr size_t kUnboundedWidth = SIZE_MAX;
absl::StatusOr<size_t> RegexMaxWidth(const std::string& regex);

// Serialises `db` (null → an empty message).
absl::StatusOr<pack::Database> SerializeDatabase(const hs_database_t* db);

// Outcome of restoring a serialised database.
enum class RestoreResult { kOk, kIncompatible };

// Restores a database. kIncompatible means it was built for another CPU or
// Hyperscan version and must be rebuilt from sources; other failures are
// errors (a corrupt artefact).
absl::StatusOr<RestoreResult> RestoreDatabase(const pack::Database& serialized,
                                              HsDatabasePtr* db);

}  // namespace menshen::internal

#endif  // MENSHEN_LIB_PACK_DATABASES_H_
