// Command-line parsing shared by the subcommands (CLI11), with one way of reporting errors.
#pragma once

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "cspt/util/error.hpp"

namespace cspt::app {

/// Parse `args` (in order). Returns false when help was asked for (printed if `print_help`); a bad
/// flag becomes a ConfigError naming it.
inline bool parse_command_line(CLI::App& cli, std::vector<std::string> args, bool print_help) {
  std::reverse(args.begin(), args.end());  // CLI11 takes the vector back to front
  try {
    cli.parse(args);
  } catch (const CLI::CallForHelp&) {
    if (print_help) std::fputs(cli.help().c_str(), stdout);
    return false;
  } catch (const CLI::ParseError& e) {
    throw ConfigError("command line", e.get_name(), "", e.what());
  }
  return true;
}

/// Threads per rank when none are asked for: OMP_NUM_THREADS, else 1.
inline int default_threads() {
  const char* env = std::getenv("OMP_NUM_THREADS");
  return env && std::atoi(env) > 0 ? std::atoi(env) : 1;
}

}  // namespace cspt::app
