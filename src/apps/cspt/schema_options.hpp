// Command-line options registered from the configuration schema: each flag takes its description
// from its key's spec, must start at the spec's default, and every value given (flag or -c file) is
// checked against the spec before CLI11 converts it.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <type_traits>
#include <vector>

#include "cspt/config/schema.hpp"
#include "cspt/util/error.hpp"

namespace cspt::app {

/// The spec of `section.key`; InternalError when the schema has no such key (a bug in the caller).
const config::KeySpec& spec_for(const std::string& section, const std::string& key);

/// The text of a variable's value, to compare with the spec's default.
template <class T>
std::string value_text(const T& v) {
  if constexpr (std::is_same_v<T, bool>) return v ? "true" : "false";
  else if constexpr (std::is_floating_point_v<T>) return config::number_text(double(v));
  else if constexpr (std::is_integral_v<T>) return std::to_string(v);
  else return std::string(v);
}

/// InternalError unless `current` is the spec's default: a default changed in code but not in the
/// schema (or the other way round) would silently disagree with docs/config-reference.md. A
/// required key without a default may start at anything.
void require_default(const config::KeySpec& spec, const std::string& current);

/// Register "--KEY" (plus `extra_names`, e.g. "-p") for `section.key`, writing into `var`, which must
/// hold the spec's default. A required spec makes the option required.
template <class T>
CLI::Option* bind_key(CLI::App& cli, const std::string& section, const std::string& key, T& var,
                  const std::string& extra_names = "") {
  const config::KeySpec& spec = spec_for(section, key);
  require_default(spec, value_text(var));
  const std::string names = extra_names.empty() ? "--" + spec.key : extra_names + ",--" + spec.key;
  CLI::Option* opt = cli.add_option(names, var, config::describe(spec));
  opt->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  if (spec.required) opt->required();
  return opt;
}

/// Register an on/off switch given without a value ("--no-ctf"; "--no-ctf=false" also works); in a
/// config file the key takes true or false.
CLI::Option* bind_switch(CLI::App& cli, const std::string& section, const std::string& key, bool& var);

/// Register "--KEY" whose text goes to `set` (after the schema check); `current` is the text of the
/// value in effect now, which must be the default. For settings kept in a table, like simulate's.
CLI::Option* bind_setter(CLI::App& cli, const std::string& section, const std::string& key,
                         std::function<void(const std::string&)> set, const std::string& current);

/// InternalError unless every key of `section` is bound in `cli` and every option of `cli` (but
/// --help) is a key of `section`.
void check_bindings(const CLI::App& cli, const std::string& section);

/// Parse a subcommand's arguments: check_bindings; -c/--config FILE read with every known section
/// checked and `section` (or top-level keys) applied; flags written with '_' accepted; an unknown
/// flag refused with a suggestion; every value checked against its spec; then CLI11, with flags
/// given on the command line winning over the file. Returns false when help was asked for (printed
/// if `print_help`). `config_path`, if given, receives the -c file name ("" without one).
bool parse_with_schema(CLI::App& cli, const std::string& section, const std::vector<std::string>& args,
                       bool print_help, std::string* config_path = nullptr);

}  // namespace cspt::app
