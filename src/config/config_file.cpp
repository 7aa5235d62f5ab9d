// Reading a YAML config against the schema (yaml-cpp stays in this file).
#include "cspt/config/config_file.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "cspt/util/error.hpp"
#include "util/yaml_file.hpp"

namespace cspt::config {
namespace {

std::string at_line(const std::string& path, const YAML::Node& node) {
  return path + ":" + std::to_string(node.Mark().line + 1);
}

std::string node_text(const YAML::Node& n) {
  if (n.IsScalar()) return n.Scalar();
  return n.IsSequence() ? "(a list)" : n.IsMap() ? "(a mapping)" : "";
}

void add_entry(ConfigFile& f, const std::string& section, const YAML::Node& key, const YAML::Node& value,
               const ReadOptions& options) {
  const std::string written = node_text(key), where = at_line(f.path, key);
  const std::string field = section + "." + written;
  const KeySpec* spec = find_key(section, written);
  if (!spec) throw unknown_key_error(section, written, where);
  for (const auto& e : f.entries)
    if (e.spec == spec) throw ConfigError(where, field, "", "given once (it is also at " + e.where + ")");
  ConfigEntry e{spec, written, "", value.IsNull(), where};
  if (!e.unset) {
    if (!value.IsScalar()) throw ConfigError(where, field, node_text(value), "a single value: " + expectation(*spec));
    e.value = value.Scalar();
    const bool files = options.files == FileScope::every_section ||
                       (options.files == FileScope::own_section && section == options.top_level_section);
    check_value(*spec, e.value, where, field, files ? FileCheck::yes : FileCheck::no);
  }
  f.entries.push_back(e);
}

/// A top-level name holding a mapping (or nothing) is a section; it must be a known one.
void add_section(ConfigFile& f, const std::string& name, const YAML::Node& key, const YAML::Node& body,
                 const ReadOptions& options) {
  const std::string where = at_line(f.path, key);
  if (!is_section(name)) throw unknown_section_error(name, where);
  if (std::find(f.sections.begin(), f.sections.end(), name) != f.sections.end())
    throw ConfigError(where, name, "", "one section '" + name + "' (it is given twice)");
  f.sections.push_back(name);
  if (body.IsMap())
    for (const auto& kv : body) add_entry(f, name, kv.first, kv.second, options);
}

}  // namespace

std::vector<const ConfigEntry*> ConfigFile::values_of(const std::string& section) const {
  std::vector<const ConfigEntry*> out;
  for (const auto& e : entries)
    if (e.spec->section == section && !e.unset) out.push_back(&e);
  return out;
}

ConfigFile read_config_file(const std::string& path, const ReadOptions& options) {
  const YAML::Node root = util::load_yaml_file(path);
  ConfigFile f;
  f.path = path;
  if (!root || root.IsNull()) return f;  // an empty file sets nothing
  if (!root.IsMap()) throw ConfigError(path, "config", "", "a YAML mapping of sections to keys");
  for (const auto& kv : root) {
    const std::string name = node_text(kv.first);
    const bool section_like = kv.second.IsMap() || (kv.second.IsNull() && is_section(name));
    if (section_like) {
      add_section(f, name, kv.first, kv.second, options);
    } else if (!options.top_level_section.empty()) {
      add_entry(f, options.top_level_section, kv.first, kv.second, options);
    } else if (is_section(name)) {
      throw ConfigError(at_line(path, kv.first), name, node_text(kv.second), "a mapping of the keys of '" + name + "'");
    } else {
      throw ConfigError(at_line(path, kv.first), name, node_text(kv.second),
                        "a section (top-level keys need a subcommand, or --section)");
    }
  }
  return f;
}

}  // namespace cspt::config
