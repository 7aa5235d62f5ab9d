// Tests for the report's CSV tables: writing (number format, quoting) and reading numeric tables.
#include "cspt/report/csv_table.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "cspt/util/error.hpp"

namespace cspt::report {
namespace {

TEST(CsvTableTest, writes_header_rows_and_quotes_text) {
  Table t({"name", "value"});
  t.add_row({std::string("a,b"), 1.5});
  t.add_row({std::string("say \"hi\""), std::nan("")});
  t.add_row({std::string("plain"), -2.0});
  EXPECT_EQ(t.to_csv(), "name,value\n\"a,b\",1.5\n\"say \"\"hi\"\"\",nan\nplain,-2\n");
  EXPECT_EQ(t.rows(), 3u);
}

TEST(CsvTableTest, numbers_have_seven_significant_digits) {
  EXPECT_EQ(format_number(1.0 / 3.0), "0.3333333");
  EXPECT_EQ(format_number(12345678.0), "1.234568e+07");
  EXPECT_EQ(format_number(1e-9), "1e-09");
  EXPECT_EQ(format_number(0.0), "0");
  EXPECT_EQ(format_number(INFINITY), "inf");
  EXPECT_EQ(format_number(-INFINITY), "-inf");
  EXPECT_EQ(format_number(std::nan("")), "nan");
}

TEST(CsvTableTest, cells_by_row_and_column_name) {
  Table t({"series", "x"});
  t.add_row({std::string("ts_001"), 2.5});
  EXPECT_EQ(t.number(0, "x"), 2.5);
  EXPECT_TRUE(std::isnan(t.number(0, "series")));  // text is not a number
  EXPECT_EQ(t.text(0, "series"), "ts_001");
  EXPECT_EQ(t.text(0, "x"), "2.5");
  EXPECT_THROW(t.number(0, "nope"), InternalError);
  EXPECT_THROW(t.number(1, "x"), InternalError);
}

TEST(CsvTableTest, a_row_of_the_wrong_width_is_a_bug) {
  Table t({"a", "b"});
  EXPECT_THROW(t.add_row({1.0}), InternalError);
}

TEST(NumericCsvTest, parses_numbers_and_reads_empty_and_nan_as_nan) {
  const NumericCsv c = parse_numeric_csv("t.csv", "a,b\n1,2\n\n3,nan\n4,\n-1.5e2, 7 \n");
  ASSERT_EQ(c.columns, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(c.rows.size(), 4u);
  EXPECT_EQ(c.rows[0][1], 2.0);
  EXPECT_TRUE(std::isnan(c.rows[1][1]));
  EXPECT_TRUE(std::isnan(c.rows[2][1]));
  EXPECT_EQ(c.rows[3][0], -150.0);
  EXPECT_EQ(c.rows[3][1], 7.0);
  EXPECT_EQ(c.column("a"), (std::vector<double>{1, 3, 4, -150}));
  EXPECT_EQ(c.index("b"), 1);
  EXPECT_EQ(c.index("z"), -1);
}

TEST(NumericCsvTest, windows_line_ends_are_accepted) {
  const NumericCsv c = parse_numeric_csv("t.csv", "a,b\r\n1,2\r\n");
  ASSERT_EQ(c.columns.back(), "b");
  ASSERT_EQ(c.rows.size(), 1u);
  EXPECT_EQ(c.rows[0][1], 2.0);
}

TEST(NumericCsvTest, a_bad_line_names_the_file_the_line_and_its_text) {
  try {
    parse_numeric_csv("dir/fsc.csv", "a,b\n1,2\n1,x\n");
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_EQ(e.where(), "dir/fsc.csv");
    EXPECT_EQ(e.field(), "line 3");
    EXPECT_EQ(e.value(), "1,x");
  }
  EXPECT_THROW(parse_numeric_csv("f.csv", "a,b\n1,2,3\n"), IoError);
  EXPECT_THROW(parse_numeric_csv("f.csv", ""), IoError);
}

TEST(NumericCsvTest, a_missing_column_names_it) {
  const NumericCsv c = parse_numeric_csv("f.csv", "a\n1\n");
  try {
    c.column("fsc_corrected");
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_EQ(e.where(), "f.csv");
    EXPECT_EQ(e.value(), "fsc_corrected");
  }
}

TEST(NumericCsvTest, a_missing_file_is_an_io_error) {
  EXPECT_THROW(read_numeric_csv("/nonexistent/cspt/report.csv"), IoError);
}

}  // namespace
}  // namespace cspt::report
