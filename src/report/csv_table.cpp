// CSV tables of the report: writing ours, reading the numeric tables of the other stages.
#include "cspt/report/csv_table.hpp"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "cspt/util/error.hpp"

namespace cspt::report {
namespace {

std::string quoted(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + "\"";
}

std::string cell_text(const Cell& c) {
  if (const double* v = std::get_if<double>(&c)) return format_number(*v);
  return std::get<std::string>(c);
}

std::vector<std::string> split_commas(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  std::stringstream ss(line);
  while (std::getline(ss, cell, ',')) cells.push_back(cell);
  if (!line.empty() && line.back() == ',') cells.emplace_back();
  return cells;
}

/// A cell of a numeric table: a full-length number, or NaN for "" and "nan".
bool parse_cell(std::string cell, double& out) {
  while (!cell.empty() && (cell.back() == ' ' || cell.back() == '\r')) cell.pop_back();
  while (!cell.empty() && cell.front() == ' ') cell.erase(cell.begin());
  if (cell.empty() || cell == "nan" || cell == "NaN" || cell == "-nan") {
    out = std::nan("");
    return true;
  }
  char* end = nullptr;
  errno = 0;
  out = std::strtod(cell.c_str(), &end);
  return end != cell.c_str() && *end == '\0';
}

}  // namespace

std::string format_number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.7g", v);
  return buf;
}

void Table::add_row(std::vector<Cell> cells) {
  if (cells.size() != columns_.size())
    throw InternalError("report table: row of " + std::to_string(cells.size()) + " cells for " +
                        std::to_string(columns_.size()) + " columns");
  rows_.push_back(std::move(cells));
}

std::size_t Table::column_index(const std::string& column) const {
  for (std::size_t i = 0; i < columns_.size(); ++i)
    if (columns_[i] == column) return i;
  throw InternalError("report table: no column " + column);
}

const Cell& Table::cell(std::size_t row, const std::string& column) const {
  if (row >= rows_.size()) throw InternalError("report table: row " + std::to_string(row) + " out of range");
  return rows_[row][column_index(column)];
}

double Table::number(std::size_t row, const std::string& column) const {
  const Cell& c = cell(row, column);
  const double* v = std::get_if<double>(&c);
  return v ? *v : std::nan("");
}

std::string Table::text(std::size_t row, const std::string& column) const { return cell_text(cell(row, column)); }

std::string Table::to_csv() const {
  std::string out;
  for (std::size_t i = 0; i < columns_.size(); ++i) out.append(i ? "," : "").append(quoted(columns_[i]));
  out += "\n";
  for (const auto& row : rows_) {
    for (std::size_t i = 0; i < row.size(); ++i) out.append(i ? "," : "").append(quoted(cell_text(row[i])));
    out += "\n";
  }
  return out;
}

int NumericCsv::index(const std::string& column) const {
  for (std::size_t i = 0; i < columns.size(); ++i)
    if (columns[i] == column) return int(i);
  return -1;
}

std::vector<double> NumericCsv::column(const std::string& column) const {
  const int k = index(column);
  if (k < 0) throw IoError(source, "column", column, "present in the header line");
  std::vector<double> values;
  values.reserve(rows.size());
  for (const auto& r : rows) values.push_back(r[std::size_t(k)]);
  return values;
}

NumericCsv parse_numeric_csv(const std::string& source, const std::string& text) {
  NumericCsv t;
  t.source = source;
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line) || line.empty()) throw IoError(source, "header line", "", "a CSV header naming the columns");
  if (line.back() == '\r') line.pop_back();
  t.columns = split_commas(line);
  for (int n = 2; std::getline(in, line); ++n) {
    if (line.empty() || line == "\r") continue;
    const auto cells = split_commas(line);
    std::vector<double> row(cells.size());
    bool ok = cells.size() == t.columns.size();
    for (std::size_t i = 0; ok && i < cells.size(); ++i) ok = parse_cell(cells[i], row[i]);
    if (!ok)
      throw IoError(source, "line " + std::to_string(n), line,
                    std::to_string(t.columns.size()) + " numbers, one per column of the header");
    t.rows.push_back(std::move(row));
  }
  return t;
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path, "file", "", "a readable file");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

NumericCsv read_numeric_csv(const std::string& path) { return parse_numeric_csv(path, read_text_file(path)); }

}  // namespace cspt::report
