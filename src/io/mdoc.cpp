// SerialEM .mdoc writer and reader: a line scanner for the subset of the format SerialEM writes.
#include "cspt/io/mdoc.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>

#include "cspt/io/atomic_file.hpp"
#include "cspt/util/error.hpp"

namespace cspt::io {
namespace {

using KeyList = std::vector<std::pair<std::string, std::string>>;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// ---- writing ----

void check_key(const std::string& block, const std::string& key, const std::string& value) {
  const bool bad_key = key.empty() || key.front() == '[' || key.front() == '#' ||
                       key.find_first_of(" \t\r\n\f\v=") != std::string::npos;
  if (bad_key) throw IoError(block, "key", "\"" + key + "\"", "non-empty, without whitespace or '='");
  const bool bad_value = value.empty() || value.find_first_of("\r\n") != std::string::npos ||
                         is_space(value.front()) || is_space(value.back());
  if (bad_value)
    throw IoError(block, key, "\"" + value + "\"",
                  "a non-empty value on one line without leading or trailing spaces");
}

void append_keys(std::string& out, const KeyList& keys, const std::string& block) {
  for (const auto& [key, value] : keys) {
    check_key(block, key, value);
    out += key + " = " + value + '\n';
  }
}


// ---- reading ----

class Parser {
 public:
  explicit Parser(std::string where) : where_(std::move(where)) {}

  Mdoc parse(std::string_view text) {
    for (std::size_t pos = 0; pos < text.size();) {
      std::size_t end = text.find('\n', pos);
      if (end == std::string_view::npos) end = text.size();
      ++line_no_;
      line(text.substr(pos, end - pos));
      pos = end + 1;
    }
    return std::move(m_);
  }

 private:
  [[noreturn]] void fail(std::string_view line, const std::string& expectation) const {
    std::string shown(line.substr(0, 80));
    throw IoError(where_ + ":" + std::to_string(line_no_), "line", "\"" + shown + "\"", expectation);
  }

  void line(std::string_view raw) {
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    const std::string_view s = trim(raw);
    if (s.empty() || s.front() == '#') return;
    if (s.front() == '[') return header(raw, s);
    const std::size_t eq = s.find('=');
    if (eq == std::string_view::npos) fail(s, "\"Key = value\" or a [ZValue = k] / [T = ...] header");
    const std::string_view key = trim(s.substr(0, eq));
    if (key.empty() || key.find_first_of(" \t") != std::string_view::npos)
      fail(s, "a single-word key before '='");
    const std::pair<std::string, std::string> kv{std::string(key), std::string(trim(s.substr(eq + 1)))};
    if (!m_.sections.empty()) {
      m_.sections.back().keys.push_back(kv);
    } else if (m_.titles.empty()) {
      m_.globals.push_back(kv);
    } else {
      fail(s, "keys after a [T = ...] title only inside a [ZValue = k] section");
    }
  }

  void header(std::string_view raw, std::string_view s) {
    if (s.back() != ']') fail(s, "a section header ending in ']'");
    const std::size_t eq = s.find('=');
    if (eq == std::string_view::npos) fail(s, "a section header \"[type = name]\"");
    const std::string_view type = trim(s.substr(1, eq - 1));
    if (type == "T") {
      // Titles keep their padding: take everything between "= " and the last ']' of the raw line.
      const std::size_t open = raw.find('='), close = raw.rfind(']');
      std::string_view title = raw.substr(open + 1, close - open - 1);
      if (!title.empty() && title.front() == ' ') title.remove_prefix(1);
      m_.titles.emplace_back(title);
      return;
    }
    if (type != "ZValue") fail(s, "a [T = ...] or [ZValue = k] section (other types unsupported)");
    const std::string_view name = trim(s.substr(eq + 1, s.size() - eq - 2));
    int z = -1;
    const auto [ptr, ec] = std::from_chars(name.data(), name.data() + name.size(), z);
    if (ec != std::errc() || ptr != name.data() + name.size() || z < 0)
      fail(s, "ZValue = a non-negative integer");
    m_.sections.push_back(MdocSection{z, {}});
  }

  std::string where_;
  int line_no_ = 0;
  Mdoc m_;
};

/// Days since 1970-01-01 to a civil date (proleptic Gregorian; H. Hinnant's days_from_civil inverse).
void civil_from_days(std::int64_t z, std::int64_t& y, int& m, int& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = yoe + era * 400 + (m <= 2 ? 1 : 0);
}

}  // namespace

std::string format_mdoc(const Mdoc& m) {
  std::string out;
  const auto separate = [&out] {
    if (!out.empty()) out += '\n';
  };
  append_keys(out, m.globals, "mdoc globals");
  for (const auto& t : m.titles) {
    if (t.find_first_of("]\r\n") != std::string::npos)
      throw IoError("mdoc title", "T", "\"" + t + "\"", "one line without ']'");
    separate();
    out += "[T = " + t + "]\n";
  }
  for (const auto& sec : m.sections) {
    const std::string block = "[ZValue = " + std::to_string(sec.z_value) + "]";
    if (sec.z_value < 0) throw IoError("mdoc section", "ZValue", std::to_string(sec.z_value), ">= 0");
    separate();
    out += block + '\n';
    append_keys(out, sec.keys, block);
  }
  return out;
}

void write_mdoc(const std::string& path, const Mdoc& m) {
  std::string text;
  try {
    text = format_mdoc(m);
  } catch (const IoError& e) {
    throw IoError(path + ": " + e.where(), e.field(), e.value(), e.expectation());
  }
  write_file_atomically(path, text);
}

Mdoc parse_mdoc(const std::string& text, const std::string& where) { return Parser(where).parse(text); }

Mdoc read_mdoc(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw IoError(path, "", "", "a file, not a folder");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path, "", "", std::string("cannot open for reading: ") + std::strerror(errno));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw IoError(path, "", "", "read error");
  return parse_mdoc(text, path);
}

std::string serialem_datetime(double timestamp_s_since_2020) {
  const auto reject = [timestamp_s_since_2020] {
    return ConfigError("serialem_datetime", "timestamp_s_since_2020", std::to_string(timestamp_s_since_2020),
                       "finite, giving a year in 1..9999");
  };
  // 1e12 s (~31,700 years) keeps the integer arithmetic far from overflow; the year check is exact.
  if (!std::isfinite(timestamp_s_since_2020) || std::abs(timestamp_s_since_2020) > 1e12) throw reject();
  constexpr std::int64_t kEpoch2020 = 18262;  // days from 1970-01-01 to 2020-01-01
  const auto t = static_cast<std::int64_t>(std::floor(timestamp_s_since_2020));
  const std::int64_t day = (t >= 0 ? t / 86400 : (t - 86399) / 86400);  // floor division
  const std::int64_t sec = t - day * 86400;
  std::int64_t y = 0;
  int mo = 0, d = 0;
  civil_from_days(kEpoch2020 + day, y, mo, d);
  if (y < 1 || y > 9999) throw reject();
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%02d-%s-%04lld  %02d:%02d:%02d", d, kMonths[mo - 1],
                static_cast<long long>(y), static_cast<int>(sec / 3600), static_cast<int>(sec / 60 % 60),
                static_cast<int>(sec % 60));
  return buf;
}

}  // namespace cspt::io

namespace cspt::io {
namespace {
// Days from 1970-01-01 to a proleptic Gregorian date (the standard era-based count).
long long days_since_epoch(long long y, int m, int d) {
  y -= m <= 2;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const long long yoe = y - era * 400;
  const long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}
}  // namespace

double parse_serialem_datetime(const std::string& text) {
  static constexpr const char* kMonthNames[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  int d = 0, y = 0, hh = 0, mm = 0, ss = 0;
  char mon[4] = {0};
  if (std::sscanf(text.c_str(), " %d-%3s-%d %d:%d:%d", &d, mon, &y, &hh, &mm, &ss) != 6) return std::nan("");
  int m = 0;
  for (int i = 0; i < 12; ++i)
    if (std::string(mon) == kMonthNames[i]) m = i + 1;
  if (m == 0 || d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60) return std::nan("");
  if (y < 100) y += 2000;
  const long long days = days_since_epoch(y, m, d) - days_since_epoch(2020, 1, 1);
  return double(days) * 86400.0 + hh * 3600.0 + mm * 60.0 + ss;
}

}  // namespace cspt::io
