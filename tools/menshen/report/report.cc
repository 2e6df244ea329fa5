#include "tools/menshen/report/report.h"

#include <xlsxwriter.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "lib/base/utf8.h"

namespace menshen::report {
namespace {

// Excel's limit on one cell's text.
constexpr size_t kMaxCellChars = 32767;

// Text a workbook can hold: valid UTF-8, no control characters XML 1.0
// forbids, within the cell limit (cut on a code point boundary).
std::string CellText(const std::string& text) {
  std::string s = internal::SanitizeUtf8(text);
  s.erase(std::remove_if(s.begin(), s.end(),
                         [](char c) {
                           const auto u = static_cast<unsigned char>(c);
                           return u < 0x20 && c != '\t' && c != '\n';
                         }),
          s.end());
  if (s.size() > kMaxCellChars) {
    size_t cut = kMaxCellChars;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    s.resize(cut);
  }
  return s;
}

// A sheet name Excel accepts, unique within the workbook.
std::string SheetName(const std::string& title, std::set<std::string>* used) {
  std::string name;
  for (char c : internal::SanitizeUtf8(title)) {
    name.push_back(std::string_view("[]:*?/\\").find(c) == std::string_view::npos ? c : '_');
  }
  if (name.empty()) name = "Sheet";
  auto cut = [](std::string s, size_t chars) {
    size_t count = 0, i = 0;
    while (i < s.size() && count < chars) {
      ++i;
      while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) ++i;
      ++count;
    }
    s.resize(i);
    return s;
  };
  std::string candidate = cut(name, 31);
  for (int n = 2; used->count(candidate) > 0; ++n) {
    const std::string suffix = absl::StrCat(" (", n, ")");
    candidate = cut(name, 31 - suffix.size()) + suffix;
  }
  used->insert(candidate);
  return candidate;
}

std::string Xml(const std::string& text) { return HtmlEscape(internal::SanitizeUtf8(text)); }

}  // namespace

std::string Cell::Format() const {
  switch (kind) {
    case Kind::kText:
      return text;
    case Kind::kPercent:
      return absl::StrFormat("%.1f%%", number * 100);
    case Kind::kInteger:
      return absl::StrFormat("%.0f", number);
    case Kind::kNumber:
      return absl::StrFormat("%.6g", number);
  }
  return text;
}

absl::Status WriteXlsx(const std::string& path, const std::vector<Table>& sheets,
                       const std::string& title, std::time_t created) {
  const std::string tmp = path + ".tmp";
  // The library reports a file it cannot create on stderr, after all the
  // work: find out first, and say it our way.
  if (std::FILE* probe = std::fopen(tmp.c_str(), "wb"); probe != nullptr) {
    std::fclose(probe);
  } else {
    return absl::NotFoundError(absl::StrCat("cannot write ", path, ": ", std::strerror(errno)));
  }
  lxw_workbook* book = workbook_new(tmp.c_str());
  if (book == nullptr) return absl::InternalError(absl::StrCat("cannot create ", path));
  lxw_doc_properties properties = {};
  const std::string clean_title = CellText(title);
  properties.title = const_cast<char*>(clean_title.c_str());
  properties.author = const_cast<char*>("menshen");
  properties.created = created;
  workbook_set_properties(book, &properties);
  lxw_format* header = workbook_add_format(book);
  format_set_bold(header);
  lxw_format* percent = workbook_add_format(book);
  format_set_num_format(percent, "0.0%");
  lxw_format* integer = workbook_add_format(book);
  format_set_num_format(integer, "0");
  std::set<std::string> used;
  lxw_error error = LXW_NO_ERROR;
  for (const Table& table : sheets) {
    lxw_worksheet* sheet = workbook_add_worksheet(book, SheetName(table.title, &used).c_str());
    if (sheet == nullptr) {
      error = LXW_ERROR_MEMORY_MALLOC_FAILED;
      break;
    }
    for (size_t c = 0; c < table.columns.size() && error == LXW_NO_ERROR; ++c) {
      error = worksheet_write_string(sheet, 0, static_cast<lxw_col_t>(c),
                                     CellText(table.columns[c]).c_str(), header);
      const double width = c < table.widths.size() ? table.widths[c] : 14;
      worksheet_set_column(sheet, static_cast<lxw_col_t>(c), static_cast<lxw_col_t>(c), width,
                           nullptr);
    }
    for (size_t r = 0; r < table.rows.size() && error == LXW_NO_ERROR; ++r) {
      const auto row = static_cast<lxw_row_t>(r + 1);
      for (size_t c = 0; c < table.rows[r].size() && error == LXW_NO_ERROR; ++c) {
        const Cell& cell = table.rows[r][c];
        const auto col = static_cast<lxw_col_t>(c);
        switch (cell.kind) {
          case Cell::Kind::kText:
            error = worksheet_write_string(sheet, row, col, CellText(cell.text).c_str(), nullptr);
            break;
          case Cell::Kind::kPercent:
            error = worksheet_write_number(sheet, row, col, cell.number, percent);
            break;
          case Cell::Kind::kInteger:
            error = worksheet_write_number(sheet, row, col, cell.number, integer);
            break;
          case Cell::Kind::kNumber:
            error = worksheet_write_number(sheet, row, col, cell.number, nullptr);
            break;
        }
      }
    }
    if (error != LXW_NO_ERROR) break;
    worksheet_freeze_panes(sheet, 1, 0);
    if (!table.columns.empty()) {
      worksheet_autofilter(sheet, 0, 0, static_cast<lxw_row_t>(table.rows.size()),
                           static_cast<lxw_col_t>(table.columns.size() - 1));
    }
  }
  const lxw_error closed = workbook_close(book);  // frees the workbook in every case
  if (error == LXW_NO_ERROR) error = closed;
  if (error != LXW_NO_ERROR) {
    std::remove(tmp.c_str());
    return absl::InternalError(absl::StrCat("cannot write ", path, ": ", lxw_strerror(error)));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    return absl::InternalError(absl::StrCat("cannot write ", path, ": ", ec.message()));
  }
  return absl::OkStatus();
}

std::string MarkdownTable(const Table& table) {
  auto cell = [](const std::string& text) {
    return absl::StrReplaceAll(internal::SanitizeUtf8(text),
                               {{"\\", "\\\\"}, {"|", "\\|"}, {"\r", ""}, {"\n", "<br>"}});
  };
  std::string out = "|";
  for (const std::string& c : table.columns) absl::StrAppend(&out, " ", cell(c), " |");
  out += "\n|";
  for (const Cell& c : table.rows.empty() ? std::vector<Cell>() : table.rows[0]) {
    absl::StrAppend(&out, c.kind == Cell::Kind::kText ? "---|" : "---:|");
  }
  for (size_t i = table.rows.empty() ? 0 : table.rows[0].size(); i < table.columns.size(); ++i) {
    out += "---|";
  }
  out += "\n";
  for (const std::vector<Cell>& row : table.rows) {
    out += "|";
    for (const Cell& c : row) absl::StrAppend(&out, " ", cell(c.Format()), " |");
    out += "\n";
  }
  return out;
}

std::string HtmlEscape(const std::string& text) {
  return absl::StrReplaceAll(text, {{"&", "&amp;"},
                                    {"<", "&lt;"},
                                    {">", "&gt;"},
                                    {"\"", "&quot;"},
                                    {"'", "&#39;"}});
}

std::string BarChartSvg(const BarChart& chart) {
  constexpr int kLabelWidth = 220, kBarWidth = 360, kValueWidth = 70, kRow = 22, kTop = 28;
  const int width = kLabelWidth + kBarWidth + kValueWidth;
  const int height = kTop + static_cast<int>(chart.labels.size()) * kRow + 24;
  const double max = chart.max > 0 ? chart.max : 1.0;
  auto x_of = [&](double v) {
    return kLabelWidth + std::clamp(v / max, 0.0, 1.0) * kBarWidth;
  };
  std::string svg = absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
      "viewBox=\"0 0 %d %d\" role=\"img\" font-family=\"sans-serif\" font-size=\"12\">\n"
      "<title>%s</title>\n<text x=\"0\" y=\"16\" font-weight=\"bold\">%s</text>\n",
      width, height, width, height, Xml(chart.title), Xml(chart.title));
  for (size_t i = 0; i < chart.labels.size(); ++i) {
    const double v = i < chart.values.size() ? chart.values[i] : 0;
    const int y = kTop + static_cast<int>(i) * kRow;
    const std::string value = chart.percent ? absl::StrFormat("%.1f%%", v * 100)
                                            : absl::StrFormat("%.6g", v);
    absl::StrAppendFormat(
        &svg,
        "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>"
        "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"#4a78b0\"/>"
        "<text x=\"%.1f\" y=\"%d\">%s</text>\n",
        kLabelWidth - 6, y + 14, Xml(chart.labels[i]), kLabelWidth, y + 3,
        x_of(v) - kLabelWidth, kRow - 6, x_of(v) + 4, y + 14, value);
  }
  if (chart.threshold) {
    const double x = x_of(*chart.threshold);
    absl::StrAppendFormat(&svg,
                          "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#c0392b\" "
                          "stroke-dasharray=\"4 3\"/><text x=\"%.1f\" y=\"%d\" fill=\"#c0392b\">"
                          "%s</text>\n",
                          x, kTop - 4, x, height - 18, x + 3, height - 6,
                          Xml(chart.threshold_label));
  }
  svg += "</svg>\n";
  return svg;
}

std::string HtmlPage(const std::string& title, const std::vector<Section>& sections) {
  std::string html = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n<title>",
      Xml(title),
      "</title>\n<style>body{font-family:sans-serif;max-width:72em;margin:2em auto;padding:0 1em}"
      "table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:.25em "
      ".6em;text-align:left;vertical-align:top}td.n{text-align:right}th{background:#eee}"
      "</style>\n</head>\n<body>\n<h1>",
      Xml(title), "</h1>\n");
  for (const Section& s : sections) {
    if (!s.heading.empty()) absl::StrAppend(&html, "<h2>", Xml(s.heading), "</h2>\n");
    for (const std::string& p : s.paragraphs) absl::StrAppend(&html, "<p>", Xml(p), "</p>\n");
    for (const BarChart& c : s.charts) absl::StrAppend(&html, "<figure>\n", BarChartSvg(c), "</figure>\n");
    for (const Table& t : s.tables) {
      if (!t.title.empty()) absl::StrAppend(&html, "<h3>", Xml(t.title), "</h3>\n");
      html += "<table>\n<tr>";
      for (const std::string& c : t.columns) absl::StrAppend(&html, "<th>", Xml(c), "</th>");
      html += "</tr>\n";
      for (const std::vector<Cell>& row : t.rows) {
        html += "<tr>";
        for (const Cell& c : row) {
          absl::StrAppend(&html, c.kind == Cell::Kind::kText ? "<td>" : "<td class=\"n\">",
                          Xml(c.Format()), "</td>");
        }
        html += "</tr>\n";
      }
      html += "</table>\n";
    }
  }
  html += "</body>\n</html>\n";
  return html;
}

}  // namespace menshen::report
