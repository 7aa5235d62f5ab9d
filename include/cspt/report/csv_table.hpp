// Tables behind the report's figures: built in memory, written as CSV beside the page, and numeric
// CSV files of other stages read back.
#pragma once

#include <cstddef>
#include <string>
#include <variant>
#include <vector>

namespace cspt::report {

/// One cell: a number (written with 7 significant digits, NaN as "nan") or text (quoted when needed).
using Cell = std::variant<double, std::string>;

/// A table with named columns; every row has one cell per column.
class Table {
 public:
  Table() = default;
  explicit Table(std::vector<std::string> columns) : columns_(std::move(columns)) {}

  const std::vector<std::string>& columns() const { return columns_; }
  std::size_t rows() const { return rows_.size(); }
  /// Appends a row; InternalError when it has the wrong number of cells.
  void add_row(std::vector<Cell> cells);
  /// The cell at (row, column name); InternalError for an unknown column or a row out of range.
  const Cell& cell(std::size_t row, const std::string& column) const;
  /// The number at (row, column); NaN when the cell holds text.
  double number(std::size_t row, const std::string& column) const;
  /// The text at (row, column); a number is formatted as in the CSV.
  std::string text(std::size_t row, const std::string& column) const;

  /// Header line, then one line per row, "\n" line ends (RFC 4180 quoting for text with , " or newline).
  std::string to_csv() const;

 private:
  std::size_t column_index(const std::string& column) const;
  std::vector<std::string> columns_;
  std::vector<std::vector<Cell>> rows_;
};

/// How a number is written in the report's CSV files: "%.7g", "nan" for NaN, "inf"/"-inf".
std::string format_number(double v);

/// A numeric CSV file with a header line, as the other stages write them (fsc.csv, weights.csv, ...).
struct NumericCsv {
  std::vector<std::string> columns;
  std::vector<std::vector<double>> rows;
  /// Index of a column, or -1 when absent.
  int index(const std::string& column) const;
  /// A whole column; IoError naming `source` when it is absent.
  std::vector<double> column(const std::string& column) const;
  std::string source;  ///< the file it came from (for messages)
};

/// Parses `text` (from file `source`): the first line names the columns, every further non-empty
/// line holds as many numbers. IoError naming the source, the line and its text otherwise; empty
/// cells and "nan" read as NaN.
NumericCsv parse_numeric_csv(const std::string& source, const std::string& text);

/// Reads and parses a file; IoError naming the path when it cannot be read.
NumericCsv read_numeric_csv(const std::string& path);

/// The whole file as text; IoError naming the path when it cannot be read.
std::string read_text_file(const std::string& path);

}  // namespace cspt::report
