// YAML config reading for the command line (yaml-cpp; errors carry file, key and line).
#include "apps/cspt/config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "cspt/util/error.hpp"
#include "util/yaml_file.hpp"

namespace cspt::app {
namespace {
std::string normalise(std::string key) {
  std::replace(key.begin(), key.end(), '_', '-');
  return key;
}
}  // namespace

std::map<std::string, std::string> read_command_config(const std::string& path, const std::string& command,
                                                       const std::set<std::string>& known) {
  const YAML::Node root = util::load_yaml_file(path);
  if (!root.IsMap()) throw ConfigError(path, "config", "", "a YAML mapping of keys to values");
  std::map<std::string, std::string> out;
  const auto take = [&](const YAML::Node& k, const YAML::Node& v, const std::string& prefix) {
    const std::string raw = k.as<std::string>();
    const std::string key = normalise(raw);
    const std::string where = path + ":" + std::to_string(k.Mark().line + 1);
    if (!known.count(key)) throw ConfigError(where, prefix + raw, "", "a known key of '" + command + "'");
    if (!v.IsScalar()) throw ConfigError(where, prefix + raw, "", "a single value");
    out[key] = v.as<std::string>();
  };
  for (const auto& kv : root) {
    if (kv.second.IsMap()) {
      // A section: ours is read; other subcommands' sections belong to them.
      if (kv.first.as<std::string>() == command)
        for (const auto& inner : kv.second) take(inner.first, inner.second, command + ".");
    } else {
      take(kv.first, kv.second, "");
    }
  }
  return out;
}

}  // namespace cspt::app
