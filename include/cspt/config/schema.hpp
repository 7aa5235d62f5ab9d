// The configuration schema: every YAML key and command-line flag of cspt, with its type, unit,
// range, default and one line of documentation. docs/config-reference.md is generated from it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cspt/util/error.hpp"

namespace cspt::config {

/// What text a key accepts. path_in must name an existing file or folder (relative paths are taken
/// from the current folder); path_out is any name (it is created); choice is one of `choices`.
enum class KeyType { integer, real, boolean, text, path_in, path_out, choice };

/// One end of a numeric range.
struct Bound {
  double value = 0.0;
  bool inclusive = true;  ///< true: the value itself is allowed (>=, <=); false: strictly beyond it
};

/// One key of one section. A section is named after the subcommand that applies it.
struct KeySpec {
  std::string section;               ///< "refine"
  std::string key;                   ///< dash form: "mask-radius-A" (files may write "mask_radius_A")
  KeyType type = KeyType::text;
  std::string unit;                  ///< "A", "deg", "px", "e/A^2", ... ("" when unitless)
  std::optional<Bound> min, max;     ///< numeric types only
  bool even = false;                 ///< integers only: must be even
  std::vector<std::string> choices;  ///< KeyType::choice only ("" may be one of them)
  std::string default_text;          ///< today's default, as text ("" for none)
  std::string doc;                   ///< one line
  bool required = false;             ///< must be given (file or flag) before the subcommand runs
};

/// Every key of every section, grouped by section in section_names() order.
const std::vector<KeySpec>& all_keys();

/// The sections in documentation order: run, track, simulate, ctf, extract, reconstruct, refine, report.
const std::vector<std::string>& section_names();

/// One line saying which subcommand applies `section` ("" for an unknown section).
std::string section_summary(const std::string& section);

bool is_section(const std::string& section);

/// The keys of one section, in table order (empty for an unknown section).
std::vector<const KeySpec*> section_keys(const std::string& section);

/// The spec of `key` (written with '-' or '_') in `section`, or nullptr.
const KeySpec* find_key(const std::string& section, const std::string& key);

/// '_' -> '-': the schema's spelling of a key written either way.
std::string dash_form(std::string key);
/// '-' -> '_': the other accepted spelling.
std::string underscore_form(std::string key);

/// The type as the reference names it: int, real, bool, text, path-in, path-out, choice.
std::string type_name(KeyType type);

/// Whether path_in files must exist when a value is checked.
enum class FileCheck { yes, no };

/// Throw ConfigError "<where>: <field> = <text>: <expectation>" unless `text` suits `spec`. `field`
/// defaults to "section.key"; pass the key as the user spelled it when that differs.
void check_value(const KeySpec& spec, const std::string& text, const std::string& where,
                 const std::string& field = "", FileCheck files = FileCheck::yes);

/// What `spec` accepts, e.g. "an even integer in 16..1024 (px)".
std::string expectation(const KeySpec& spec);

/// The range or choices alone, e.g. "16..1024, even", "(0, 30]", "data, dose" ("" when free).
std::string range_text(const KeySpec& spec);

/// Help text for a flag: the doc with unit, range or choices, and default.
std::string describe(const KeySpec& spec);

/// True when `text` means the same value as the spec's default (numbers compared as numbers).
bool equals_default(const KeySpec& spec, const std::string& text);

/// true/false from "true", "false", "yes", "no", "on", "off", "1", "0" (any case); nullopt otherwise.
std::optional<bool> bool_from_text(const std::string& text);

/// The shortest text that reads back as `v` ("0.75", "20140101", "1e-05").
std::string number_text(double v);

/// The candidate closest to `word` by edit distance, ignoring case and '_' versus '-'; "" when none
/// is close enough to be a likely typo.
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

/// The error for an unknown key: "<where>: <section>.<key>: unknown key; did you mean 'x'?".
ConfigError unknown_key_error(const std::string& section, const std::string& written_key, const std::string& where);

/// The error for an unknown section name, with a suggestion among the section names.
ConfigError unknown_section_error(const std::string& written, const std::string& where);

/// The configuration reference (docs/config-reference.md): an introduction, then one table per section.
std::string render_markdown();

}  // namespace cspt::config
