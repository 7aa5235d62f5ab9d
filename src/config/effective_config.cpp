// Defaults, then a file, then overrides: the configuration in effect, and its YAML text.
#include "cspt/config/effective_config.hpp"

#include <sstream>

#include "cspt/util/error.hpp"

namespace cspt::config {
namespace {

std::string path_of(const KeySpec& k) { return k.section + "." + k.key; }

/// Numbers and booleans as they are; any other text double-quoted, so YAML reads it back unchanged.
std::string yaml_scalar(const KeySpec& k, const std::string& text) {
  if (k.type == KeyType::boolean) return *bool_from_text(text) ? "true" : "false";
  if (k.type == KeyType::integer || k.type == KeyType::real) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

EffectiveConfig::EffectiveConfig() {
  for (const auto& k : all_keys()) values_[path_of(k)] = k.default_text;
}

void EffectiveConfig::apply(const ConfigFile& file) {
  for (const auto& e : file.entries)
    if (!e.unset) values_[path_of(*e.spec)] = e.value;
}

void EffectiveConfig::apply_override(const std::string& assignment, const std::string& default_section) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) throw ConfigError("--set", assignment, "", "section.key=value");
  const std::string path = assignment.substr(0, eq), text = assignment.substr(eq + 1);
  const auto dot = path.find('.');
  const std::string section = dot == std::string::npos ? default_section : path.substr(0, dot);
  const std::string key = dot == std::string::npos ? path : path.substr(dot + 1);
  if (section.empty()) throw ConfigError("--set", path, "", "section.key=value (or give --section)");
  if (!is_section(section)) throw unknown_section_error(section, "--set");
  const KeySpec* spec = find_key(section, key);
  if (!spec) throw unknown_key_error(section, key, "--set");
  check_value(*spec, text, "--set", section + "." + key, FileCheck::no);
  values_[path_of(*spec)] = text;
}

const std::string& EffectiveConfig::value(const std::string& section, const std::string& key) const {
  const KeySpec* spec = find_key(section, key);
  if (!spec) throw InternalError("EffectiveConfig::value: no key " + section + "." + key + " in the schema");
  return values_.at(path_of(*spec));
}

bool EffectiveConfig::missing(const std::string& section, const std::string& key) const {
  const KeySpec* spec = find_key(section, key);
  return spec && spec->required && value(section, key).empty();
}

std::string EffectiveConfig::to_yaml(const std::vector<std::string>& sections) const {
  std::ostringstream y;
  for (const auto& section : sections.empty() ? section_names() : sections) {
    y << section << ":\n";
    for (const KeySpec* k : section_keys(section)) {
      const std::string& v = values_.at(path_of(*k));
      const bool none = v.empty() && k->type != KeyType::text && k->type != KeyType::path_in &&
                        k->type != KeyType::path_out && k->type != KeyType::choice;
      std::string line = "  " + k->key + ": " + (none ? std::string("~") : yaml_scalar(*k, v));
      if (line.size() < 40) line.resize(40, ' ');
      y << line << " # " << describe(*k) << (k->required ? " (required)" : "") << "\n";
    }
  }
  return y.str();
}

}  // namespace cspt::config
