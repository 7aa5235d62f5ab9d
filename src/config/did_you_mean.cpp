// Suggestions for misspelt keys and sections: the closest known name by edit distance.
#include <algorithm>
#include <cctype>
#include <limits>

#include "cspt/config/schema.hpp"
#include "cspt/util/error.hpp"

namespace cspt::config {
namespace {

/// Lower case with '_' as '-': "Tilt_Scheme" and "tilt-scheme" are the same word to a reader.
std::string folded(const std::string& s) {
  std::string out = dash_form(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return out;
}

/// Edits (insert, delete, substitute, swap two neighbours) that turn `a` into `b`.
std::size_t edit_distance(const std::string& a, const std::string& b) {
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i)
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[n][m];
}

/// How many edits still look like a typo rather than another word: more for longer words.
std::size_t allowed_edits(const std::string& word) { return word.size() <= 4 ? 1 : word.size() <= 8 ? 2 : 3; }

/// The suggestion in the user's own spelling: underscores if they wrote underscores.
std::string in_users_style(const std::string& candidate, const std::string& written) {
  const bool underscores = written.find('_') != std::string::npos && written.find('-') == std::string::npos;
  return underscores ? underscore_form(candidate) : candidate;
}

/// "unknown key; did you mean 'x'?", or where to look when nothing is close.
std::string unknown_text(const std::string& what, const std::string& suggestion, const std::string& written,
                         const std::string& otherwise) {
  if (suggestion.empty()) return what + "; " + otherwise;
  return what + "; did you mean '" + in_users_style(suggestion, written) + "'?";
}

}  // namespace

std::string closest_match(const std::string& word, const std::vector<std::string>& candidates) {
  const std::string w = folded(word);
  std::string best;
  std::size_t best_distance = std::numeric_limits<std::size_t>::max();
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(w, folded(c));
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best_distance <= allowed_edits(w) ? best : "";
}

ConfigError unknown_key_error(const std::string& section, const std::string& written_key, const std::string& where) {
  std::vector<std::string> keys;
  for (const KeySpec* k : section_keys(section)) keys.push_back(k->key);
  const std::string otherwise = "`cspt config reference` lists the keys of '" + section + "'";
  return ConfigError(where, section + "." + written_key, "",
                     unknown_text("unknown key", closest_match(written_key, keys), written_key, otherwise));
}

ConfigError unknown_section_error(const std::string& written, const std::string& where) {
  std::string names;
  for (const auto& n : section_names()) names += (names.empty() ? "" : ", ") + n;
  return ConfigError(where, written, "",
                     unknown_text("unknown section", closest_match(written, section_names()), written, "known: " + names));
}

}  // namespace cspt::config
