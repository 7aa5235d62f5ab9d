// The cspt subcommands: each parses its flags (and -c config) and runs on a distribution context.
#pragma once

#include <string>
#include <vector>

#include "cspt/parallel/context.hpp"

namespace cspt::app {

/// `cspt reconstruct`: returns the process exit code.
int run_reconstruct(parallel::Context& ctx, std::vector<std::string> args);

/// `cspt simulate`: returns the process exit code.
int run_simulate(parallel::Context& ctx, std::vector<std::string> args);

/// `cspt extract`: returns the process exit code.
int run_extract(parallel::Context& ctx, std::vector<std::string> args);

/// `cspt ctf`: returns the process exit code.
int run_ctf(parallel::Context& ctx, std::vector<std::string> args);

/// `cspt refine`: returns the process exit code.
int run_refine(parallel::Context& ctx, std::vector<std::string> args);

/// `cspt export FORMAT` / `cspt import FORMAT` (direction "export" or "import").
int run_interop(parallel::Context& ctx, const std::string& direction, std::vector<std::string> args);

/// `cspt config reference | check -c FILE | effective -c FILE [--section S] [--set section.key=value]`:
/// the configuration schema as markdown, a file checked, or the configuration in effect as YAML.
int run_config(parallel::Context& ctx, std::vector<std::string> args);

/// Expand `-c FILE` into flags placed before the user's own, so flags given explicitly win.
std::vector<std::string> expand_config(const std::vector<std::string>& args, const std::string& command,
                                       const std::vector<std::string>& value_keys,
                                       const std::vector<std::string>& flag_keys);

}  // namespace cspt::app
