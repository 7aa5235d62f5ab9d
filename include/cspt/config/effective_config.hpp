// The configuration in effect: every key of every section with its value, from the schema defaults,
// then a config file, then single overrides; printable as YAML (what a run folder keeps).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "cspt/config/config_file.hpp"

namespace cspt::config {

class EffectiveConfig {
 public:
  /// Every key at its schema default.
  EffectiveConfig();

  /// The values a file sets (already checked when it was read).
  void apply(const ConfigFile& file);

  /// One "section.key=value" (or "key=value" with `default_section`), checked like a file value with
  /// where = "--set". Path-in files are not required to exist yet.
  void apply_override(const std::string& assignment, const std::string& default_section = "");

  /// The value of `section.key` ("" when unset); InternalError for a key outside the schema.
  const std::string& value(const std::string& section, const std::string& key) const;

  /// True when a required key still has no value.
  bool missing(const std::string& section, const std::string& key) const;

  /// YAML of `sections` (all when empty), keys in schema order, each with its doc as a comment; a
  /// required key without a value is written as `~`. Reading it back gives the same values.
  std::string to_yaml(const std::vector<std::string>& sections = {}) const;

 private:
  std::map<std::string, std::string> values_;  ///< "section.key" -> text
};

}  // namespace cspt::config
