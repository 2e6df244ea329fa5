#include "lib/pack/tsv.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/base/utf8.h"
#include "lib/pack/rule_syntax.h"

namespace menshen::internal {
namespace {

constexpr int kMaxColumns = 6;  // term, category, severity, flags, validator, name
constexpr int kLiteralColumns = 4;

absl::string_view Trim(absl::string_view s) { return absl::StripAsciiWhitespace(s); }

// A row without a tab whose words after the first include a category code
// ("term A1.8 3"): most likely columns separated by spaces, which makes the
// whole row one term that never matches.
bool LooksSpaceSeparated(absl::string_view line, const Taxonomy& taxonomy) {
  if (line.find('\t') != absl::string_view::npos) return false;
  std::vector<absl::string_view> words = absl::StrSplit(line, ' ', absl::SkipWhitespace());
  for (size_t i = 1; i < words.size(); ++i) {
    if (taxonomy.Find(std::string_view(words[i].data(), words[i].size())) != nullptr) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<uint32_t> ParseFlags(std::string_view flags) {
  uint32_t bits = 0;
  absl::string_view list(flags.data(), flags.size());
  if (Trim(list) == "-") return 0u;
  for (absl::string_view name : absl::StrSplit(list, ',', absl::SkipWhitespace())) {
    name = Trim(name);
    if (name == "word") {
      bits |= pack::WORD;
    } else if (name == "allow") {
      bits |= pack::ALLOW;
    } else if (name == "exact") {
      bits |= pack::EXACT;
    } else if (name == "pinyin") {
      bits |= pack::PINYIN;
    } else if (name == "homophone") {
      bits |= pack::HOMOPHONE;
    } else if (name == "leet") {
      bits |= pack::LEET;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag '", name, "' (known: word, allow, exact, pinyin, homophone, leet; - for none)"));
    }
  }
  return bits;
}

absl::StatusOr<pack::Validator> ParseValidator(std::string_view name) {
  absl::string_view n = Trim(absl::string_view(name.data(), name.size()));
  if (n.empty() || n == "-") return pack::VALIDATOR_NONE;
  if (n == "cn_resident_id") return pack::CN_RESIDENT_ID;
  if (n == "luhn") return pack::LUHN;
  if (n == "public_ipv4") return pack::PUBLIC_IPV4;
  if (n == "digit_run") return pack::DIGIT_RUN;
  if (n == "token") return pack::TOKEN;
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown validator '", n, "' (known: cn_resident_id, luhn, public_ipv4, digit_run, token)"));
}

absl::StatusOr<std::vector<pack::Entry>> ParseEntryFile(
    std::string_view display_name, std::string_view path, std::string_view content,
    pack::EntryKind kind, const TsvDefaults& defaults, const Taxonomy& taxonomy,
    std::vector<std::string>* warnings,
    std::vector<std::pair<uint32_t, std::string>>* group_lines) {
  absl::string_view name(display_name.data(), display_name.size());
  std::vector<pack::Entry> entries;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(absl::string_view(content.data(), content.size()), '\n')) {
    ++line_number;
    auto error = [&](absl::string_view what) {
      return absl::InvalidArgumentError(absl::StrCat(name, ":", line_number, ": ", what));
    };
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    absl::string_view trimmed = Trim(line);
    if (trimmed.empty() || trimmed[0] == '#') continue;
    if (!IsValidUtf8(std::string_view(line.data(), line.size()))) {
      return error("the line is not valid UTF-8");
    }
    if (kind == pack::RULE && group_lines != nullptr &&
        IsRuleGroupLine(std::string_view(trimmed.data(), trimmed.size()))) {
      group_lines->emplace_back(static_cast<uint32_t>(line_number), std::string(trimmed));
      continue;
    }
    std::vector<absl::string_view> columns = absl::StrSplit(line, '\t');
    if (columns.size() > (kind == pack::REGEX ? kMaxColumns : kLiteralColumns)) {
      return error(absl::StrCat("too many columns (", columns.size(), "); expected ",
                                kind == pack::RULE ? "rule" : "term", ", category, severity, flags",
                                kind == pack::REGEX ? ", validator, name" : "",
                                " separated by tabs"));
    }
    if (warnings != nullptr && LooksSpaceSeparated(trimmed, taxonomy)) {
      warnings->push_back(absl::StrCat(
          name, ":", line_number,
          ": the row has no tab but names a category after a space: columns are separated "
          "by tabs, so the whole row is read as one term"));
    }
    columns.resize(kMaxColumns);
    for (absl::string_view& c : columns) c = Trim(c);

    pack::Entry entry;
    entry.set_kind(kind);
    entry.set_file(std::string(path));
    entry.set_line(static_cast<uint32_t>(line_number));
    if (columns[0].empty()) return error(kind == pack::RULE ? "empty rule" : "empty term");
    entry.set_term(std::string(columns[0]));

    absl::StatusOr<uint32_t> flags =
        ParseFlags(columns[3].empty() ? std::string_view(defaults.flags)
                                      : std::string_view(columns[3].data(), columns[3].size()));
    if (!flags.ok()) return error(flags.status().message());
    entry.set_flags(*flags);
    const bool allow = (*flags & pack::ALLOW) != 0;
    if (allow && kind == pack::RULE) {
      return error("a rule cannot be an allow entry (allow entries are terms)");
    }

    std::string category = columns[1].empty() ? defaults.category : std::string(columns[1]);
    if (category.empty() && !allow) {
      return error("no category, and the file has no default_category");
    }
    if (!category.empty() && taxonomy.Find(category) == nullptr) {
      return error(absl::StrCat("unknown category '", category,
                                "' (categories come from keyword_packs/taxonomy.textproto)"));
    }
    entry.set_category(category);

    int severity = defaults.severity;
    if (!columns[2].empty() && !absl::SimpleAtoi(columns[2], &severity)) severity = -1;
    if (allow) {
      severity = 0;  // allow entries suppress hits; they carry no severity
    } else if (severity < 1 || severity > 4) {
      return error(columns[2].empty()
                       ? std::string("no severity, and the file has no default_severity")
                       : absl::StrCat("bad severity '", columns[2], "' (1 to 4)"));
    }
    entry.set_severity(severity);

    absl::StatusOr<pack::Validator> validator =
        ParseValidator(std::string_view(columns[4].data(), columns[4].size()));
    if (!validator.ok()) return error(validator.status().message());
    if (*validator != pack::VALIDATOR_NONE && kind != pack::REGEX) {
      return error("a validator applies to regex entries only");
    }
    if (*validator != pack::VALIDATOR_NONE && allow) {
      return error("an allow entry cannot have a validator");
    }
    entry.set_validator(*validator);
    if (!columns[5].empty()) entry.set_name(std::string(columns[5]));
    entries.push_back(std::move(entry));
  }
  return entries;
}

}  // namespace menshen::internal
