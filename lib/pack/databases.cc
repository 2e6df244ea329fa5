#include "lib/pack/databases.h"

#include <climits>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "lib/base/absl_view.h"

namespace menshen::internal {

std::vector<int> DatabaseOfEntries(
    const google::protobuf::RepeatedPtrField<pack::Entry>& entries) {
  std::vector<uint8_t> anchored(static_cast<size_t>(entries.size()), 0);
  for (const pack::Entry& e : entries) {
    for (const pack::RuleStep& step : e.steps()) {
      if (!step.anchor()) continue;
      for (uint32_t a : step.alternatives()) {
        if (a < anchored.size()) anchored[a] = 1;
      }
    }
  }
  std::vector<int> out(static_cast<size_t>(entries.size()), -1);
  for (int i = 0; i < entries.size(); ++i) {
    const pack::Entry& e = entries[i];
    if (e.kind() == pack::REGEX) {
      out[static_cast<size_t>(i)] = static_cast<int>(DatabaseKind::kRegexes);
    } else if (e.kind() == pack::LITERAL) {
      const bool parts_db = (e.flags() & pack::PART) != 0 && !anchored[static_cast<size_t>(i)];
      out[static_cast<size_t>(i)] =
          static_cast<int>(parts_db ? DatabaseKind::kParts : DatabaseKind::kLiterals);
    }
  }
  return out;
}

absl::StatusOr<HsDatabasePtr> BuildDatabase(
    const google::protobuf::RepeatedPtrField<pack::Entry>& entries, DatabaseKind db_kind,
    std::string_view origin) {
  const pack::EntryKind kind = db_kind == DatabaseKind::kRegexes ? pack::REGEX : pack::LITERAL;
  const std::vector<int> database_of = DatabaseOfEntries(entries);
  std::vector<const char*> patterns;
  std::vector<size_t> lengths;
  std::vector<unsigned> flags;
  std::vector<unsigned> ids;
  for (int i = 0; i < entries.size(); ++i) {
    const pack::Entry& e = entries[i];
    if (database_of[static_cast<size_t>(i)] != static_cast<int>(db_kind)) continue;
    const std::string& text = kind == pack::LITERAL ? e.folded() : e.term();
    patterns.push_back(text.c_str());
    lengths.push_back(text.size());
    // Literal hits start at end - length, so they need no start-of-match
    // tracking, which keeps the literal database on Hyperscan's fastest path.
    flags.push_back(kind == pack::LITERAL ? 0 : kRegexFlags);
    ids.push_back(static_cast<unsigned>(i));
  }
  if (patterns.empty()) return HsDatabasePtr();

  hs_database_t* db = nullptr;
  hs_compile_error_t* raw_error = nullptr;
  const unsigned count = static_cast<unsigned>(patterns.size());
  hs_error_t rc =
      kind == pack::LITERAL
          ? hs_compile_lit_multi(patterns.data(), flags.data(), ids.data(), lengths.data(), count,
                                 HS_MODE_BLOCK, nullptr, &db, &raw_error)
          : hs_compile_multi(patterns.data(), flags.data(), ids.data(), count, HS_MODE_BLOCK,
                             nullptr, &db, &raw_error);
  CompileErrorPtr error(raw_error);
  if (rc == HS_SUCCESS) return HsDatabasePtr(db);

  std::string message = error != nullptr && error->message != nullptr ? error->message
                                                                        : "unknown error";
  if (error != nullptr && error->expression >= 0 &&
      static_cast<size_t>(error->expression) < ids.size()) {
    const pack::Entry& e = entries[static_cast<int>(ids[error->expression])];
    return absl::InvalidArgumentError(absl::StrCat(
        AV(origin), "/", e.file(), ":", e.line(), ": ",
        kind == pack::LITERAL ? "term '" : "regex '", e.term(), "' does not compile: ", message));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      AV(origin), ": Hyperscan could not build the ",
      kind == pack::LITERAL ? "literal" : "regex", " database: ", message));
}

absl::StatusOr<size_t> RegexMaxWidth(const std::string& regex) {
  hs_expr_info_t* info = nullptr;
  hs_compile_error_t* raw_error = nullptr;
  const hs_error_t rc = hs_expression_info(regex.c_str(), kRegexFlags, &info, &raw_error);
  CompileErrorPtr error(raw_error);
  if (rc != HS_SUCCESS || info == nullptr) {
    return absl::InvalidArgumentError(
        error != nullptr && error->message != nullptr ? error->message : "unknown error");
  }
  const unsigned width = info->max_width;
  std::free(info);  // allocated by Hyperscan's default (malloc) allocator
  return width == UINT_MAX ? kUnboundedWidth : static_cast<size_t>(width);
}

absl::StatusOr<pack::Database> SerializeDatabase(const hs_database_t* db) {
  pack::Database out;
  if (db == nullptr) return out;
  char* bytes = nullptr;
  size_t length = 0;
  if (hs_serialize_database(db, &bytes, &length) != HS_SUCCESS) {
    return absl::ResourceExhaustedError("Hyperscan could not serialise a database");
  }
  out.set_serialized(bytes, length);
  std::free(bytes);  // Hyperscan's default misc allocator is malloc.
  char* info = nullptr;
  if (hs_serialized_database_info(out.serialized().data(), out.serialized().size(), &info) ==
      HS_SUCCESS) {
    out.set_info(info);
    std::free(info);
  }
  return out;
}

absl::StatusOr<RestoreResult> RestoreDatabase(const pack::Database& serialized,
                                              HsDatabasePtr* db) {
  db->reset();
  if (serialized.serialized().empty()) return RestoreResult::kOk;
  hs_database_t* raw = nullptr;
  hs_error_t rc = hs_deserialize_database(serialized.serialized().data(),
                                          serialized.serialized().size(), &raw);
  switch (rc) {
    case HS_SUCCESS:
      db->reset(raw);
      return RestoreResult::kOk;
    case HS_DB_PLATFORM_ERROR:
    case HS_DB_VERSION_ERROR:
      return RestoreResult::kIncompatible;
    case HS_NOMEM:
      return absl::ResourceExhaustedError("out of memory restoring a Hyperscan database");
    default:
      return absl::DataLossError(
          absl::StrCat("a Hyperscan database in the pack is corrupt (hs error ", rc, ")"));
  }
}

}  // namespace menshen::internal
