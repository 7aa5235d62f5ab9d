// STAR files in RELION's dialect: data_ blocks holding one loop_ table or one key/value table.
#pragma once

#include <string>
#include <vector>

namespace cspt::io {

/// One data_ block. A loop_ block has one row per data line; a key/value block ("_key value" lines)
/// is stored as a single row with is_loop = false. Values are kept as text, quotes removed.
struct StarTable {
  std::string name;  ///< block name without "data_" ("" for a bare "data_")
  bool is_loop = true;
  std::vector<std::string> columns;  ///< labels without the leading '_', e.g. "rlnAngleRot"
  std::vector<std::vector<std::string>> rows;  ///< rows[i].size() == columns.size()
  /// 1-based line of each row in the file it was read from, for messages; empty for tables built in
  /// memory (row_line() then returns 0).
  std::vector<int> row_lines;

  /// Index of a column, or -1 if absent.
  int column(const std::string& label) const;
  /// Source line of row i, or 0 when unknown.
  int row_line(std::size_t i) const { return i < row_lines.size() ? row_lines[i] : 0; }
};

/// A whole STAR file: its blocks in file order.
struct StarFile {
  std::vector<StarTable> tables;
  /// The first block with this name (without "data_"), or nullptr.
  const StarTable* find(const std::string& name) const;
};

/// Parses a STAR file. Throws IoError naming the path and line on unreadable or malformed content
/// (a row with the wrong number of fields, an unterminated quote, a key without a value...).
StarFile read_star(const std::string& path);

/// Parses STAR text already in memory; `where` names it in error messages.
StarFile parse_star(const std::string& text, const std::string& where);

/// Writes a STAR file atomically: the text goes to "<path>.tmp-<pid>", which is then renamed over
/// path, so readers never see a half-written file. Values that need it are quoted.
void write_star(const std::string& path, const StarFile& f);

/// The text write_star writes.
std::string format_star(const StarFile& f);

}  // namespace cspt::io
