// -c CONFIG.yaml as flags, for callers that list their keys themselves (parse_with_schema does it
// from the schema).
#include <algorithm>
#include <set>

#include "apps/cspt/commands.hpp"
#include "apps/cspt/config.hpp"
#include "cspt/config/schema.hpp"
#include "cspt/util/error.hpp"

namespace cspt::app {

std::vector<std::string> expand_config(const std::vector<std::string>& args, const std::string& command,
                                       const std::vector<std::string>& value_keys,
                                       const std::vector<std::string>& flag_keys) {
  std::string config_path;
  std::vector<std::string> rest;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "-c" || args[i] == "--config") {
      if (i + 1 >= args.size()) throw ConfigError("command line", args[i], "", "a YAML file name after it");
      config_path = args[++i];
    } else if (args[i].rfind("--config=", 0) == 0) {
      config_path = args[i].substr(9);
    } else {
      rest.push_back(args[i]);
    }
  }
  if (config_path.empty()) return rest;
  std::set<std::string> known(value_keys.begin(), value_keys.end());
  known.insert(flag_keys.begin(), flag_keys.end());
  const auto values = read_command_config(config_path, command, known);
  std::vector<std::string> out;
  for (const auto& [key, value] : values) {
    const bool is_flag = std::find(flag_keys.begin(), flag_keys.end(), key) != flag_keys.end();
    if (is_flag) {
      if (config::bool_from_text(value).value_or(false)) out.push_back("--" + key);  // checked when read
    } else {
      out.push_back("--" + key);
      out.push_back(value);
    }
  }
  out.insert(out.end(), rest.begin(), rest.end());
  return out;
}

}  // namespace cspt::app
