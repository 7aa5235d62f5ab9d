// YAML configs for subcommands: keys are the long flag names; flags given on the command line win.
#pragma once

#include <map>
#include <set>
#include <string>

namespace cspt::app {

/// Flat key -> value text read from a YAML file, from the top level or from the section named after
/// the subcommand. Keys may use '-' or '_'. Keys outside `known` throw ConfigError naming the file,
/// key and line.
std::map<std::string, std::string> read_command_config(const std::string& path, const std::string& command,
                                                       const std::set<std::string>& known);

}  // namespace cspt::app
