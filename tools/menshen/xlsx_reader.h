// Reads the cell text of one worksheet of an .xlsx workbook, for
// `menshen pack import`. Debian 12 has no C or C++ .xlsx reader (FreeXL 1.0
// reads only .xls), so this is a small one on minizip (the zip container)
// and expat (its XML parts): shared strings, inline strings, numbers and
// formula results as text. Styles, dates and merged cells are not
// interpreted. Malformed input is an error, never a crash.
#ifndef MENSHEN_TOOLS_MENSHEN_XLSX_READER_H_
#define MENSHEN_TOOLS_MENSHEN_XLSX_READER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace menshen::cli {

struct XlsxRow {
  int number = 0;                  // the row number the workbook gives (1-based)
  std::vector<std::string> cells;  // by column, A = 0; missing cells are ""
};

struct XlsxSheet {
  std::string name;
  std::vector<XlsxRow> rows;  // rows that have at least one cell, in order
};

// The sheet named `sheet`, or the first sheet when `sheet` is empty.
absl::StatusOr<XlsxSheet> ReadXlsxSheet(const std::string& path, const std::string& sheet);

}  // namespace menshen::cli

#endif  // MENSHEN_TOOLS_MENSHEN_XLSX_READER_H_
