// YAML configs for subcommands: keys are the long flag names; flags given on the command line win.
#pragma once

#include <map>
#include <set>
#include <string>

namespace cspt::app {

/// Key (dash form) -> value text of the section named after the subcommand (or the file's top-level
/// keys). Every known section of the file is checked against the configuration schema; unknown
/// sections and keys, bad values, and keys of ours outside `known` throw ConfigError naming the
/// file, line and key. Keys may use '-' or '_'.
std::map<std::string, std::string> read_command_config(const std::string& path, const std::string& command,
                                                       const std::set<std::string>& known);

}  // namespace cspt::app
