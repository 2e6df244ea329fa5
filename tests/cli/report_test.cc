// The shared evidence report writers: deterministic workbooks a spreadsheet
// reads back, and Markdown and HTML that escape whatever text they are given.
#include "tools/menshen/report/report.h"

#include <cstdlib>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace menshen::report {
namespace {

using ::menshen::testing::ReadAll;
using ::menshen::testing::TempDir;
using ::menshen::testing::WriteFile;
using ::testing::HasSubstr;
using ::testing::Not;

Table Sample() {
  Table t;
  t.title = "per risk: A1/A2 [draft]";  // characters a sheet name may not hold
  t.columns = {"risk", "questions", "refused"};
  t.rows = {{Cell::Text("A1.1 煽动颠覆"), Cell::Integer(120), Cell::Percent(0.9583)},
            {Cell::Text("a|b\nc <script>"), Cell::Integer(3), Cell::Percent(0)},
            {Cell::Text(std::string("bad \xff utf-8 \x01 ctl")), Cell::Integer(0), Cell::Number(1.5)}};
  return t;
}

TEST(Report, XlsxIsDeterministicAndReadsBack) {
  TempDir dir;
  const std::string a = dir / "a.xlsx", b = dir / "b.xlsx";
  const std::time_t created = 1767225600;  // 2026-01-01
  ASSERT_TRUE(WriteXlsx(a, {Sample(), Sample()}, "self-test", created).ok());
  ASSERT_TRUE(WriteXlsx(b, {Sample(), Sample()}, "self-test", created).ok());
  EXPECT_EQ(ReadAll(a), ReadAll(b));
  // Read it back as a spreadsheet program would.
  const std::string script = dir / "read.py";
  WriteFile(script,
            "import sys, openpyxl\n"
            "wb = openpyxl.load_workbook(sys.argv[1])\n"
            "print(wb.sheetnames)\n"
            "ws = wb.worksheets[0]\n"
            "rows = list(ws.iter_rows(values_only=True))\n"
            "assert rows[0] == ('risk', 'questions', 'refused'), rows[0]\n"
            "assert rows[1] == ('A1.1 煽动颠覆', 120, 0.9583), rows[1]\n"
            "assert ws.cell(2, 3).number_format == '0.0%'\n"
            "assert rows[2][0] == 'a|b\\nc <script>'\n"
            "assert rows[3][0] == 'bad \\ufffd utf-8  ctl', rows[3][0]\n"
            "assert wb.properties.created.year == 2026\n"
            "assert len(wb.sheetnames) == 2 and len(set(wb.sheetnames)) == 2\n");
  const std::string cmd = "/usr/bin/python3 " + script + " " + a + " > " + (dir / "out.txt") + " 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << ReadAll(dir / "out.txt");
}

TEST(Report, XlsxToAMissingFolderIsAnError) {
  TempDir dir;
  absl::Status s = WriteXlsx(dir / "no/such/folder/x.xlsx", {Sample()}, "t", 1);
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("x.xlsx"));
}

TEST(Report, MarkdownEscapesCells) {
  const std::string md = MarkdownTable(Sample());
  EXPECT_THAT(md, HasSubstr("| risk | questions | refused |\n|---|---:|---:|\n"));
  EXPECT_THAT(md, HasSubstr("| A1.1 煽动颠覆 | 120 | 95.8% |"));
  EXPECT_THAT(md, HasSubstr("a\\|b<br>c <script>"));
}

TEST(Report, HtmlEscapesTextAndDrawsCharts) {
  BarChart chart;
  chart.title = "refused <per risk>";
  chart.labels = {"A1.1", "A1.2"};
  chart.values = {0.96, 0.4};
  chart.threshold = 0.95;
  chart.threshold_label = "95% required";
  const std::string html = HtmlPage("self-test & more", {{"results", {"a < b"}, {chart}, {Sample()}}});
  EXPECT_THAT(html, HasSubstr("<title>self-test &amp; more</title>"));
  EXPECT_THAT(html, HasSubstr("<p>a &lt; b</p>"));
  EXPECT_THAT(html, HasSubstr("<svg"));
  EXPECT_THAT(html, HasSubstr("96.0%"));
  EXPECT_THAT(html, HasSubstr("stroke-dasharray"));
  EXPECT_THAT(html, Not(HasSubstr("<script>")));
  EXPECT_THAT(html, HasSubstr("&lt;script&gt;"));
}

}  // namespace
}  // namespace menshen::report
