// Evidence reports the commands share (eval, audit-corpus, pack coverage and
// export): tables written as an .xlsx workbook, a Markdown table or an HTML
// page with SVG bar charts. One model, several renderings, so every report
// names its numbers the same way in every format. Output is deterministic:
// the same tables and `created` give the same bytes.
#ifndef MENSHEN_TOOLS_MENSHEN_REPORT_REPORT_H_
#define MENSHEN_TOOLS_MENSHEN_REPORT_REPORT_H_

#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace menshen::report {

// A cell: text, or a number shown as is, as a percentage (0.953 → 95.3%) or
// as a whole number.
struct Cell {
  enum class Kind { kText, kNumber, kPercent, kInteger };
  Kind kind = Kind::kText;
  std::string text;
  double number = 0;

  static Cell Text(std::string s) { return {Kind::kText, std::move(s), 0}; }
  static Cell Number(double x) { return {Kind::kNumber, "", x}; }
  static Cell Percent(double fraction) { return {Kind::kPercent, "", fraction}; }
  static Cell Integer(double n) { return {Kind::kInteger, "", n}; }
  Cell() = default;
  Cell(Kind k, std::string t, double n) : kind(k), text(std::move(t)), number(n) {}
  Cell(const char* s) : text(s) {}         // NOLINT: a literal is a text cell
  Cell(std::string s) : text(std::move(s)) {}  // NOLINT

  // The cell as text: percentages with one decimal, integers without.
  std::string Format() const;
};

struct Table {
  std::string title;                 // sheet name in a workbook (cut to 31 characters)
  std::vector<std::string> columns;  // header
  std::vector<std::vector<Cell>> rows;
  std::vector<double> widths;        // optional column widths in characters (xlsx)
};

// Writes `sheets` as one workbook, atomically (a temporary file, then a
// rename). Sheets get a bold frozen header and a filter. `created` is the
// document's creation time; pass a fixed one for byte-identical output.
absl::Status WriteXlsx(const std::string& path, const std::vector<Table>& sheets,
                       const std::string& title, std::time_t created);

// A GitHub-flavoured Markdown table (pipes and newlines in cells escaped).
std::string MarkdownTable(const Table& table);

// A horizontal bar chart as inline SVG: one bar per label, values in
// [0, max]; an optional threshold is drawn as a dashed line with its label.
struct BarChart {
  std::string title;
  std::vector<std::string> labels;
  std::vector<double> values;
  double max = 1.0;
  bool percent = true;  // label values as percentages
  std::optional<double> threshold;
  std::string threshold_label;
};
std::string BarChartSvg(const BarChart& chart);

// A self-contained HTML page (no scripts, no external resources): sections
// in order, each with a heading, paragraphs, charts and tables.
struct Section {
  std::string heading;
  std::vector<std::string> paragraphs;  // plain text, escaped
  std::vector<BarChart> charts;
  std::vector<Table> tables;
};
std::string HtmlPage(const std::string& title, const std::vector<Section>& sections);

// Escapes & < > " ' for HTML text and attributes.
std::string HtmlEscape(const std::string& text);

}  // namespace menshen::report

#endif  // MENSHEN_TOOLS_MENSHEN_REPORT_REPORT_H_
