#include "tools/menshen/xlsx_reader.h"

#include <expat.h>
#include <minizip/unzip.h>

#include <cstring>
#include <map>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace menshen::cli {
namespace {

// Parts larger than this are refused rather than read into memory.
constexpr uLong kMaxPartBytes = 512u << 20;

struct ZipCloser {
  void operator()(void* zip) const { unzClose(zip); }
};
using Zip = std::unique_ptr<void, ZipCloser>;

absl::StatusOr<std::string> ReadPart(unzFile zip, const std::string& path,
                                     const std::string& name) {
  if (unzLocateFile(zip, name.c_str(), /*case sensitive*/ 1) != UNZ_OK) {
    return absl::NotFoundError(absl::StrCat(path, ": no part ", name, " (not an .xlsx workbook?)"));
  }
  unz_file_info info;
  if (unzGetCurrentFileInfo(zip, &info, nullptr, 0, nullptr, 0, nullptr, 0) != UNZ_OK ||
      info.uncompressed_size > kMaxPartBytes) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": cannot read ", name));
  }
  if (unzOpenCurrentFile(zip) != UNZ_OK) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": cannot open ", name));
  }
  std::string out;
  char buffer[1 << 16];
  int n;
  while ((n = unzReadCurrentFile(zip, buffer, sizeof buffer)) > 0) {
    out.append(buffer, static_cast<size_t>(n));
    if (out.size() > kMaxPartBytes) break;
  }
  unzCloseCurrentFile(zip);
  if (n < 0 || out.size() > kMaxPartBytes) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": damaged part ", name));
  }
  return out;
}

const char* Attribute(const XML_Char** attributes, const char* name) {
  for (int i = 0; attributes[i] != nullptr; i += 2) {
    // Namespaced attributes ("r:id") are matched by their local name too.
    const char* a = attributes[i];
    const char* colon = std::strrchr(a, ':');
    if (std::strcmp(a, name) == 0 || (colon != nullptr && std::strcmp(colon + 1, name) == 0)) {
      return attributes[i + 1];
    }
  }
  return nullptr;
}

// The local name of an element ("x:si" → "si").
const char* Local(const XML_Char* name) {
  const char* colon = std::strrchr(name, ':');
  return colon ? colon + 1 : name;
}

// One expat pass over `xml` with start/end/text handlers on `State`.
template <typename State>
absl::Status ParseXml(const std::string& xml, State* state, const std::string& where) {
  std::unique_ptr<XML_ParserStruct, void (*)(XML_Parser)> parser(XML_ParserCreate("UTF-8"),
                                                                   XML_ParserFree);
  if (!parser) return absl::ResourceExhaustedError("out of memory");
  XML_SetUserData(parser.get(), state);
  XML_SetElementHandler(
      parser.get(),
      [](void* s, const XML_Char* name, const XML_Char** attrs) {
        static_cast<State*>(s)->Start(Local(name), attrs);
      },
      [](void* s, const XML_Char* name) { static_cast<State*>(s)->End(Local(name)); });
  XML_SetCharacterDataHandler(parser.get(), [](void* s, const XML_Char* text, int len) {
    static_cast<State*>(s)->Text(text, len);
  });
  if (XML_Parse(parser.get(), xml.data(), static_cast<int>(xml.size()), 1) == XML_STATUS_ERROR) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": XML error at line ", XML_GetCurrentLineNumber(parser.get()), ": ",
                     XML_ErrorString(XML_GetErrorCode(parser.get()))));
  }
  return state->error;
}

struct WorkbookState {
  std::vector<std::pair<std::string, std::string>> sheets;  // name, relationship id
  absl::Status error;
  void Start(const char* name, const XML_Char** attrs) {
    if (std::strcmp(name, "sheet") != 0) return;
    const char* n = Attribute(attrs, "name");
    const char* id = Attribute(attrs, "id");
    if (n && id) sheets.emplace_back(n, id);
  }
  void End(const char*) {}
  void Text(const char*, int) {}
};

struct RelsState {
  std::map<std::string, std::string> targets;
  absl::Status error;
  void Start(const char* name, const XML_Char** attrs) {
    if (std::strcmp(name, "Relationship") != 0) return;
    const char* id = Attribute(attrs, "Id");
    const char* target = Attribute(attrs, "Target");
    if (id && target) targets[id] = target;
  }
  void End(const char*) {}
  void Text(const char*, int) {}
};

// <si> items: the text of their <t> elements, phonetic runs (<rPh>) left out.
struct SharedStringsState {
  std::vector<std::string> strings;
  absl::Status error;
  bool in_t = false;
  int in_phonetic = 0;
  void Start(const char* name, const XML_Char**) {
    if (std::strcmp(name, "si") == 0) strings.emplace_back();
    if (std::strcmp(name, "rPh") == 0) ++in_phonetic;
    if (std::strcmp(name, "t") == 0) in_t = true;
  }
  void End(const char* name) {
    if (std::strcmp(name, "rPh") == 0) --in_phonetic;
    if (std::strcmp(name, "t") == 0) in_t = false;
  }
  void Text(const char* text, int len) {
    if (in_t && in_phonetic == 0 && !strings.empty()) strings.back().append(text, len);
  }
};

// "BC12" → column 54 (0-based); -1 when it has no letters.
int ColumnOf(const char* ref) {
  int column = 0;
  bool any = false;
  for (; *ref >= 'A' && *ref <= 'Z'; ++ref) {
    column = column * 26 + (*ref - 'A' + 1);
    any = true;
    if (column > 16384) return -1;  // beyond XFD, the last column
  }
  return any ? column - 1 : -1;
}

struct SheetState {
  const std::vector<std::string>* shared = nullptr;
  std::vector<XlsxRow> rows;
  absl::Status error;
  std::string type;
  int column = 0;
  int next_column = 0;
  bool in_value = false;
  std::string value;
  void Start(const char* name, const XML_Char** attrs) {
    if (std::strcmp(name, "row") == 0) {
      XlsxRow row;
      const char* r = Attribute(attrs, "r");
      int number = 0;
      row.number = (r && absl::SimpleAtoi(r, &number)) ? number
                                                       : (rows.empty() ? 1 : rows.back().number + 1);
      rows.push_back(std::move(row));
      next_column = 0;
    } else if (std::strcmp(name, "c") == 0) {
      const char* t = Attribute(attrs, "t");
      type = t ? t : "n";
      const char* r = Attribute(attrs, "r");
      column = r ? ColumnOf(r) : next_column;
      if (column < 0) column = next_column;
      next_column = column + 1;
      value.clear();
    } else if (std::strcmp(name, "v") == 0 || std::strcmp(name, "t") == 0) {
      in_value = true;
    }
  }
  void End(const char* name) {
    if (std::strcmp(name, "v") == 0 || std::strcmp(name, "t") == 0) {
      in_value = false;
    } else if (std::strcmp(name, "c") == 0 && !rows.empty()) {
      std::string text = value;
      if (type == "s") {
        size_t index = 0;
        if (!absl::SimpleAtoi(value, &index) || index >= shared->size()) {
          if (error.ok()) {
            error = absl::InvalidArgumentError(
                absl::StrCat("row ", rows.back().number, ": bad shared-string index '", value, "'"));
          }
          return;
        }
        text = (*shared)[index];
      }
      if (text.empty()) return;
      std::vector<std::string>& cells = rows.back().cells;
      if (cells.size() <= static_cast<size_t>(column)) cells.resize(column + 1);
      cells[column] = std::move(text);
    }
  }
  void Text(const char* text, int len) {
    if (in_value) value.append(text, len);
  }
};

}  // namespace

absl::StatusOr<XlsxSheet> ReadXlsxSheet(const std::string& path, const std::string& sheet) {
  Zip zip(unzOpen64(path.c_str()));
  if (!zip) return absl::InvalidArgumentError(absl::StrCat(path, ": not a zip file (.xlsx)"));

  absl::StatusOr<std::string> workbook_xml = ReadPart(zip.get(), path, "xl/workbook.xml");
  if (!workbook_xml.ok()) return workbook_xml.status();
  WorkbookState workbook;
  if (absl::Status s = ParseXml(*workbook_xml, &workbook, path + ":xl/workbook.xml"); !s.ok()) {
    return s;
  }
  if (workbook.sheets.empty()) return absl::InvalidArgumentError(path + ": the workbook has no sheets");
  const std::pair<std::string, std::string>* chosen = nullptr;
  std::string names;
  for (const auto& s : workbook.sheets) {
    absl::StrAppend(&names, names.empty() ? "" : ", ", s.first);
    if (chosen == nullptr && (sheet.empty() || s.first == sheet)) chosen = &s;
  }
  if (chosen == nullptr) {
    return absl::NotFoundError(absl::StrCat(path, ": no sheet '", sheet, "' (sheets: ", names, ")"));
  }

  absl::StatusOr<std::string> rels_xml = ReadPart(zip.get(), path, "xl/_rels/workbook.xml.rels");
  if (!rels_xml.ok()) return rels_xml.status();
  RelsState rels;
  if (absl::Status s = ParseXml(*rels_xml, &rels, path + ":xl/_rels/workbook.xml.rels"); !s.ok()) {
    return s;
  }
  auto target = rels.targets.find(chosen->second);
  if (target == rels.targets.end()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": sheet '", chosen->first, "' has no part"));
  }
  std::string part = target->second;
  if (absl::StartsWith(part, "/")) {
    part = part.substr(1);
  } else {
    part = "xl/" + part;
  }

  std::vector<std::string> shared;
  if (unzLocateFile(zip.get(), "xl/sharedStrings.xml", 1) == UNZ_OK) {
    absl::StatusOr<std::string> xml = ReadPart(zip.get(), path, "xl/sharedStrings.xml");
    if (!xml.ok()) return xml.status();
    SharedStringsState strings;
    if (absl::Status s = ParseXml(*xml, &strings, path + ":xl/sharedStrings.xml"); !s.ok()) {
      return s;
    }
    shared = std::move(strings.strings);
  }

  absl::StatusOr<std::string> sheet_xml = ReadPart(zip.get(), path, part);
  if (!sheet_xml.ok()) return sheet_xml.status();
  SheetState state;
  state.shared = &shared;
  if (absl::Status s = ParseXml(*sheet_xml, &state, path + ":" + part); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ":", chosen->first, ": ", s.message()));
  }
  XlsxSheet out;
  out.name = chosen->first;
  for (XlsxRow& row : state.rows) {
    if (!row.cells.empty()) out.rows.push_back(std::move(row));
  }
  return out;
}

}  // namespace menshen::cli
