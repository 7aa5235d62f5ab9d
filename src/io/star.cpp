// STAR reader and writer (RELION dialect): a line-by-line scanner, no regex, one pass over the
// text.
#include "cspt/io/star.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string_view>

#include "cspt/io/atomic_file.hpp"
#include "cspt/util/error.hpp"

namespace cspt::io {

int StarTable::column(const std::string& label) const {
  for (std::size_t i = 0; i < columns.size(); ++i)
    if (columns[i] == label) return static_cast<int>(i);
  return -1;
}

const StarTable* StarFile::find(const std::string& name) const {
  for (const auto& t : tables)
    if (t.name == name) return &t;
  return nullptr;
}

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

/// One token of a line: its text (quotes removed) and whether it was quoted. A quoted token is
/// always a value, even if it reads "loop_" or "_label".
struct Token {
  std::string_view text;
  bool quoted = false;
};

/// What the scanner expects next inside the current block.
enum class State { no_block, block_start, loop_labels, loop_rows, pairs };

class Parser {
 public:
  explicit Parser(const std::string& where) : where_(where) {}

  StarFile parse(std::string_view text) {
    std::size_t pos = 0;
    while (pos < text.size()) {
      std::size_t end = text.find('\n', pos);
      if (end == std::string_view::npos) end = text.size();  // final line without newline
      ++line_;
      scan_line(text.substr(pos, end - pos));
      pos = end + 1;
    }
    return std::move(file_);
  }

 private:
  [[noreturn]] void fail(const std::string& field, const std::string& value,
                         const std::string& expectation) const {
    throw IoError(where_ + ":" + std::to_string(line_), field, value, expectation);
  }

  // STAR/CIF quoting: a quote opens only at the start of a token and closes only at the same quote
  // followed by whitespace or the end of the line, so "it's" inside '...' needs no escaping.
  void tokenize(std::string_view line) {
    tokens_.clear();
    std::size_t i = 0;
    const std::size_t n = line.size();
    while (true) {
      while (i < n && is_space(line[i])) ++i;
      if (i >= n || line[i] == '#') return;
      const char c = line[i];
      if (c == '\'' || c == '"') {
        std::size_t j = i + 1;
        while (j < n && !(line[j] == c && (j + 1 == n || is_space(line[j + 1])))) ++j;
        if (j >= n)
          fail("quoted value", std::string(line.substr(i)), "a closing " + std::string(1, c));
        tokens_.push_back({line.substr(i + 1, j - i - 1), true});
        i = j + 1;
      } else {
        std::size_t j = i;
        while (j < n && !is_space(line[j])) ++j;
        tokens_.push_back({line.substr(i, j - i), false});
        i = j;
      }
    }
  }

  void scan_line(std::string_view line) {
    tokenize(line);
    if (tokens_.empty()) return;
    const Token& first = tokens_[0];
    if (!first.quoted && first.text.starts_with("data_")) return start_block(first.text.substr(5));
    if (!first.quoted && first.text == "loop_") return start_loop();
    if (!first.quoted && first.text.starts_with('_')) return add_label(first.text.substr(1));
    add_row();
  }

  void expect_single_token(const char* what) const {
    if (tokens_.size() != 1) fail(what, std::string(tokens_[1].text), "nothing else on the line");
  }

  void start_block(std::string_view name) {
    expect_single_token("data_ line");
    file_.tables.emplace_back();
    file_.tables.back().name = std::string(name);
    state_ = State::block_start;
  }

  void start_loop() {
    expect_single_token("loop_ line");
    if (state_ == State::no_block) fail("loop_", "before any data_ block", "a data_ line first");
    if (state_ != State::block_start)
      fail("loop_", "a second table in data_" + file_.tables.back().name,
           "one table per data_ block");
    state_ = State::loop_labels;
  }

  void add_label(std::string_view label) {
    if (state_ == State::no_block)
      fail("_" + std::string(label), "before any data_ block", "a data_ line first");
    StarTable& t = file_.tables.back();
    switch (state_) {
      case State::loop_labels:
        expect_single_token("loop_ label");  // "#N" after the label is a comment, already dropped
        t.columns.emplace_back(label);
        return;
      case State::block_start:
      case State::pairs:
        if (tokens_.size() != 2)
          fail("_" + std::string(label), tokens_.size() < 2 ? "no value" : "more than one value",
               "one value per key in a key/value block");
        t.is_loop = false;
        if (t.rows.empty()) {
          t.rows.emplace_back();
          t.row_lines.push_back(line_);
        }
        t.columns.emplace_back(label);
        t.rows[0].emplace_back(tokens_[1].text);
        state_ = State::pairs;
        return;
      case State::loop_rows:
        fail("_" + std::string(label), "a label after the rows of data_" + t.name,
             "one table per data_ block");
      case State::no_block:
        break;
    }
  }

  void add_row() {
    if (state_ != State::loop_labels && state_ != State::loop_rows)
      fail("value", std::string(tokens_[0].text), "values only inside a loop_ or after a _key");
    StarTable& t = file_.tables.back();
    if (t.columns.empty()) fail("loop_", "no labels", "at least one _label before the rows");
    if (tokens_.size() != t.columns.size())
      fail("data_" + t.name, std::to_string(tokens_.size()) + " fields",
           std::to_string(t.columns.size()) + " fields, one per loop_ column");
    std::vector<std::string> row;
    row.reserve(tokens_.size());
    for (const Token& tok : tokens_) row.emplace_back(tok.text);
    t.rows.push_back(std::move(row));
    t.row_lines.push_back(line_);
    state_ = State::loop_rows;
  }

  std::string where_;
  StarFile file_;
  State state_ = State::no_block;
  int line_ = 0;
  std::vector<Token> tokens_;
};

bool needs_quotes(const std::string& v) {
  if (v.empty()) return true;
  const char c = v[0];
  if (c == '#' || c == '\'' || c == '"' || c == '_' || c == ';' || c == '$' || c == '[')
    return true;
  if (v.starts_with("data_") || v.starts_with("save_") || v == "loop_" || v == "stop_" ||
      v == "global_")
    return true;
  for (char ch : v)
    if (is_space(ch)) return true;
  return false;
}

/// A quote character q can wrap v if no q inside v is followed by whitespace or ends v.
bool quote_fits(const std::string& v, char q) {
  for (std::size_t i = 0; i < v.size(); ++i)
    if (v[i] == q && (i + 1 == v.size() || is_space(v[i + 1]))) return false;
  return true;
}

void append_value(std::string& out, const std::string& v, const StarTable& t, std::size_t col) {
  if (v.find_first_of("\n\r") != std::string::npos)
    throw IoError("data_" + t.name, t.columns[col], v, "a value without line breaks");
  if (!needs_quotes(v)) {
    out += v;
    return;
  }
  for (char q : {'"', '\''}) {
    if (!quote_fits(v, q)) continue;
    out += q;
    out += v;
    out += q;
    return;
  }
  throw IoError("data_" + t.name, t.columns[col], v,
                "a value that one kind of quote can enclose (STAR has no escapes)");
}

void check_shape(const StarTable& t) {
  if (!t.is_loop && t.rows.size() > 1)
    throw InternalError("STAR table data_" + t.name + ": a key/value table holds one row");
  for (const auto& row : t.rows)
    if (row.size() != t.columns.size())
      throw InternalError("STAR table data_" + t.name + ": a row has " +
                          std::to_string(row.size()) + " values for " +
                          std::to_string(t.columns.size()) + " columns");
}

void append_table(std::string& out, const StarTable& t) {
  check_shape(t);
  // RELION 3.1 writes this comment before each block; its reader ignores it, older tools look at
  // it.
  out += "\n# version 30001\n\ndata_" + t.name + "\n\n";
  if (!t.is_loop) {
    for (std::size_t c = 0; c < t.columns.size(); ++c) {
      out += '_' + t.columns[c] + ' ';
      if (t.rows.empty())
        out += "\"\"";
      else
        append_value(out, t.rows[0][c], t, c);
      out += '\n';
    }
    out += '\n';
    return;
  }
  out += "loop_\n";
  for (std::size_t c = 0; c < t.columns.size(); ++c)
    out += '_' + t.columns[c] + " #" + std::to_string(c + 1) + '\n';
  for (const auto& row : t.rows) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c) out += ' ';
      append_value(out, row[c], t, c);
    }
    out += '\n';
  }
  out += '\n';
}


}  // namespace

StarFile parse_star(const std::string& text, const std::string& where) {
  return Parser(where).parse(text);
}

StarFile read_star(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw IoError(path, "", "", "a file, not a folder");
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw IoError(path, "", "", std::string("cannot open for reading: ") + std::strerror(errno));
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  in.seekg(0, std::ios::beg);
  std::string text(size > 0 ? static_cast<std::size_t>(size) : 0, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (!in) throw IoError(path, "", "", "read error");
  return parse_star(text, path);
}

std::string format_star(const StarFile& f) {
  std::string out;
  for (const auto& t : f.tables) append_table(out, t);
  return out;
}

void write_star(const std::string& path, const StarFile& f) {
  std::string text;
  try {
    text = format_star(f);
  } catch (const IoError& e) {
    throw IoError(path + ": " + e.where(), e.field(), e.value(), e.expectation());
  }
  write_file_atomically(path, text);
}

}  // namespace cspt::io
