// YAML config reading for the command line: the file is checked against the configuration schema
// (every known section, file:line in errors) and the command's own section is returned.
#include "apps/cspt/config.hpp"

#include "cspt/config/config_file.hpp"
#include "cspt/util/error.hpp"

namespace cspt::app {

std::map<std::string, std::string> read_command_config(const std::string& path, const std::string& command,
                                                       const std::set<std::string>& known) {
  const config::ConfigFile file = config::read_config_file(path, {command, config::FileScope::own_section});
  std::map<std::string, std::string> out;
  for (const config::ConfigEntry* e : file.values_of(command)) {
    if (!known.count(e->spec->key))
      throw ConfigError(e->where, command + "." + e->written, "", "not an option of 'cspt " + command + "'");
    out[e->spec->key] = e->value;
  }
  return out;
}

}  // namespace cspt::app
