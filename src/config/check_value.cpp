// Checking one value's text against its key's spec, and the words that say what a key accepts.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "cspt/config/schema.hpp"
#include "cspt/util/error.hpp"

namespace cspt::config {
namespace {

/// An integer written as digits with an optional sign ("1e3" and "4.0" are not integers).
std::optional<double> parse_integer(const std::string& t) {
  std::size_t i = (!t.empty() && (t[0] == '+' || t[0] == '-')) ? 1 : 0;
  if (i == t.size()) return std::nullopt;
  for (std::size_t j = i; j < t.size(); ++j)
    if (!std::isdigit(static_cast<unsigned char>(t[j]))) return std::nullopt;
  return std::strtod(t.c_str(), nullptr);
}

/// A finite number; the whole text must be used.
std::optional<double> parse_real(const std::string& t) {
  if (t.empty() || std::isspace(static_cast<unsigned char>(t[0]))) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

bool in_range(const KeySpec& s, double v) {
  if (s.min && (s.min->inclusive ? v < s.min->value : v <= s.min->value)) return false;
  if (s.max && (s.max->inclusive ? v > s.max->value : v >= s.max->value)) return false;
  return true;
}

std::string quoted(const std::string& t) { return t.empty() ? "\"\"" : t; }

std::string joined_choices(const KeySpec& s) {
  std::string out;
  for (const auto& c : s.choices) out += (out.empty() ? "" : ", ") + quoted(c);
  return out;
}

bool accepts(const KeySpec& s, const std::string& t, FileCheck files) {
  if (t.empty() && s.default_text.empty()) return true;  // "" = none, where none is the default
  switch (s.type) {
    case KeyType::integer: {
      const auto v = parse_integer(t);
      return v && in_range(s, *v) && (!s.even || std::fmod(*v, 2.0) == 0.0);
    }
    case KeyType::real: {
      const auto v = parse_real(t);
      return v && in_range(s, *v);
    }
    case KeyType::boolean: return bool_from_text(t).has_value();
    case KeyType::choice: return std::find(s.choices.begin(), s.choices.end(), t) != s.choices.end();
    case KeyType::path_in: {
      std::error_code ec;
      return t.empty() || files == FileCheck::no || std::filesystem::exists(t, ec);
    }
    case KeyType::path_out:
    case KeyType::text: return true;
  }
  return false;
}

}  // namespace

std::optional<bool> bool_from_text(const std::string& text) {
  std::string t = text;
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  if (t == "true" || t == "yes" || t == "on" || t == "1") return true;
  if (t == "false" || t == "no" || t == "off" || t == "0") return false;
  return std::nullopt;
}

std::string number_text(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string range_text(const KeySpec& s) {
  if (s.type == KeyType::choice) return joined_choices(s);
  std::string r;
  if (s.min && s.max) {
    if (s.type == KeyType::integer && s.min->inclusive && s.max->inclusive)
      r = number_text(s.min->value) + ".." + number_text(s.max->value);
    else
      r = std::string(s.min->inclusive ? "[" : "(") + number_text(s.min->value) + ", " + number_text(s.max->value) +
          (s.max->inclusive ? "]" : ")");
  } else if (s.min) {
    r = std::string(s.min->inclusive ? ">= " : "> ") + number_text(s.min->value);
  } else if (s.max) {
    r = std::string(s.max->inclusive ? "<= " : "< ") + number_text(s.max->value);
  }
  if (s.even) r += r.empty() ? "even" : ", even";
  return r;
}

std::string expectation(const KeySpec& s) {
  const std::string unit = s.unit.empty() ? "" : " (" + s.unit + ")";
  KeySpec plain = s;  // "even" is said before the noun, not in the range
  plain.even = false;
  const std::string range = range_text(plain);
  const bool interval = !range.empty() && (range[0] == '[' || range[0] == '(' || range.find("..") != std::string::npos);
  const std::string bounds = range.empty() ? "" : (interval ? " in " : " ") + range;
  switch (s.type) {
    case KeyType::integer: return std::string(s.even ? "an even integer" : "an integer") + bounds + unit;
    case KeyType::real: return "a number" + bounds + unit;
    case KeyType::boolean: return "true or false";
    case KeyType::choice: return "one of " + joined_choices(s);
    case KeyType::path_in: return "an existing file or folder (relative to the current folder)";
    case KeyType::path_out: return "a file or folder name";
    case KeyType::text: return "text";
  }
  return "";
}

std::string describe(const KeySpec& s) {
  std::string extra = s.unit;
  const std::string range = range_text(s);
  if (!range.empty()) extra += (extra.empty() ? "" : "; ") + range;
  if (!s.default_text.empty()) extra += (extra.empty() ? "" : "; ") + std::string("default ") + s.default_text;
  return extra.empty() ? s.doc : s.doc + " [" + extra + "]";
}

bool equals_default(const KeySpec& s, const std::string& text) {
  if (s.type == KeyType::integer || s.type == KeyType::real) {
    const auto a = parse_real(text), b = parse_real(s.default_text);
    if (!a || !b) return text == s.default_text;
    return std::abs(*a - *b) <= 1e-12 * std::max(1.0, std::abs(*b));
  }
  if (s.type == KeyType::boolean) return bool_from_text(text) == bool_from_text(s.default_text);
  return text == s.default_text;
}

namespace {

// A value is one line of UTF-8 text: no control characters (they cannot be written back into a
// YAML file, nor be part of a path or a name), no malformed byte sequences.
bool is_clean_text(const std::string& t) {
  for (std::size_t i = 0; i < t.size();) {
    const auto c = static_cast<unsigned char>(t[i]);
    if (c < 0x20 || c == 0x7f) return false;
    const std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (n == 0 || i + n > t.size()) return false;
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(t[i + k]) >> 6) != 0x2) return false;
    i += n;
  }
  return true;
}

// The value as it can be shown in a one-line message: control and non-ASCII bytes as \xNN.
std::string printable(const std::string& t) {
  std::string out;
  for (const char ch : t) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c < 0x7f) {
      out += ch;
    } else {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xf];
    }
    if (out.size() > 80) return out + "...";
  }
  return out;
}

}  // namespace

void check_value(const KeySpec& spec, const std::string& text, const std::string& where, const std::string& field,
                 FileCheck files) {
  if (!is_clean_text(text))
    throw ConfigError(where, field.empty() ? spec.section + "." + spec.key : field, printable(text),
                      "one line of UTF-8 text without control characters");
  if (accepts(spec, text, files)) return;
  throw ConfigError(where, field.empty() ? spec.section + "." + spec.key : field, quoted(text), expectation(spec));
}

}  // namespace cspt::config
