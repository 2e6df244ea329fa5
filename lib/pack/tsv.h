// Reading the TSV entry files of a pack: term, category, severity, flags, and
// for regex files two optional columns more, the validator and a name (what
// hits print as their term instead of the pattern).
#ifndef MENSHEN_LIB_PACK_TSV_H_
#define MENSHEN_LIB_PACK_TSV_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/pack/pack.pb.h"
#include "lib/pack/taxonomy.h"

namespace menshen::internal {

// The defaults a TermFile or RegexFile gives its rows.
struct TsvDefaults {
  std::string category;
  int severity = 0;
  std::string flags;
};

// Parses one entry file into entries (kind, term, category, severity, flags,
// file, line; no id or fold yet). `display_name` prefixes error messages,
// which read "<display_name>:<line>: <what is wrong>". Rows that parse but
// look like a mistake (columns separated by spaces instead of tabs) add a
// message of the same form to `warnings`, if given. In a rule file, lines
// that define a group ("@name = ...") are not entries: they go to
// `group_lines` (line number, trimmed text) when it is given.
absl::StatusOr<std::vector<pack::Entry>> ParseEntryFile(
    std::string_view display_name, std::string_view path, std::string_view content,
    pack::EntryKind kind, const TsvDefaults& defaults, const Taxonomy& taxonomy,
    std::vector<std::string>* warnings = nullptr,
    std::vector<std::pair<uint32_t, std::string>>* group_lines = nullptr);

// Parses a validator name of a regex file's fifth column ("cn_resident_id",
// "luhn", "public_ipv4", "digit_run", "token"; empty or "-" for none).
absl::StatusOr<pack::Validator> ParseValidator(std::string_view name);

// Parses a comma-separated flags list ("word,exact"; "-" for none) into
// EntryFlag bits; returns an error naming the first unknown flag.
absl::StatusOr<uint32_t> ParseFlags(std::string_view flags);

}  // namespace menshen::internal

#endif  // MENSHEN_LIB_PACK_TSV_H_
