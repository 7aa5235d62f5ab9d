// Registering and parsing a subcommand's options from the configuration schema.
#include "apps/cspt/schema_options.hpp"

#include <cctype>

#include "apps/cspt/cli.hpp"
#include "cspt/config/config_file.hpp"

namespace cspt::app {
namespace {

bool is_switch(const CLI::Option* opt) { return opt->get_items_expected_max() == 0; }

/// The schema key an option stands for (its long name), or nullptr (--help).
const config::KeySpec* spec_of(const CLI::Option* opt, const std::string& section) {
  for (const auto& name : opt->get_lnames())
    if (const config::KeySpec* s = config::find_key(section, name)) return s;
  return nullptr;
}

/// A flag nobody bound: name the closest one.
ConfigError unknown_flag(const CLI::App& cli, const std::string& typed) {
  std::vector<std::string> names;
  for (const CLI::Option* opt : cli.get_options())
    for (const auto& n : opt->get_lnames()) names.push_back(n);
  const std::string near = config::closest_match(typed.substr(2), names);
  return ConfigError("command line", typed, "",
                     near.empty() ? "unknown flag (see --help)" : "unknown flag; did you mean '--" + near + "'?");
}

/// The -c file's own section as "--key=value" flags, to go before the user's flags.
std::vector<std::string> flags_from_file(const CLI::App& cli, const std::string& section, const std::string& path) {
  const config::ConfigFile file = config::read_config_file(path, {section, config::FileScope::own_section});
  std::vector<std::string> flags;
  for (const config::ConfigEntry* e : file.values_of(section)) {
    const CLI::Option* opt = cli.get_option_no_throw("--" + e->spec->key);
    if (!opt) throw InternalError(section + "." + e->spec->key + " has no option");  // check_bindings prevents it
    std::string value = e->value;
    if (value.empty() && e->spec->default_text.empty()) continue;  // "" = none = the default
    if (is_switch(opt)) value = config::bool_from_text(value).value() ? "true" : "false";
    flags.push_back("--" + e->spec->key + "=" + value);
  }
  return flags;
}

/// One "--name", "--name=value" or "-x" of the user's: checked, and rewritten as "--name=value" so
/// values that start with '-' are never taken for flags.
void take_flag(const CLI::App& cli, const std::string& section, const std::vector<std::string>& args,
               std::size_t& i, std::vector<std::string>& out) {
  const std::string& token = args[i];
  const bool is_long = token.rfind("--", 0) == 0;
  const auto eq = is_long ? token.find('=') : std::string::npos;
  const std::string typed = token.substr(0, eq);
  const std::string name = is_long ? "--" + config::dash_form(typed.substr(2)) : typed;
  const CLI::Option* opt = cli.get_option_no_throw(name);
  if (!opt) {
    if (!is_long) return out.push_back(token);  // CLI11 reports it
    throw unknown_flag(cli, typed);
  }
  const config::KeySpec* spec = spec_of(opt, section);
  std::string value;
  if (eq != std::string::npos) {
    value = token.substr(eq + 1);
  } else if (is_switch(opt)) {
    return out.push_back(name);
  } else {
    if (i + 1 >= args.size()) throw ConfigError("command line", typed, "", "a value after it");
    value = args[++i];
  }
  // Where: the flag as typed; field: the key path in its underscore spelling, the one summary.json,
  // refine_options.json and configs/simulate.yaml use (so both spellings appear in the message).
  if (spec) config::check_value(*spec, value, typed, section + "." + config::underscore_form(spec->key));
  if (is_long) {
    out.push_back(name + "=" + value);
  } else {
    out.push_back(name);
    out.push_back(value);
  }
}

bool looks_like_flag(const std::string& t) {
  return t.size() >= 2 && t[0] == '-' && !std::isdigit(static_cast<unsigned char>(t[1])) && t[1] != '.';
}

}  // namespace

const config::KeySpec& spec_for(const std::string& section, const std::string& key) {
  const config::KeySpec* s = config::find_key(section, key);
  if (!s) throw InternalError("no key " + section + "." + key + " in the configuration schema");
  return *s;
}

void require_default(const config::KeySpec& spec, const std::string& current) {
  if (spec.required && spec.default_text.empty()) return;
  if (!config::equals_default(spec, current))
    throw InternalError("option --" + spec.key + " starts at " + current + " but the schema default of " +
                        spec.section + "." + spec.key + " is " + spec.default_text);
}

CLI::Option* bind_switch(CLI::App& cli, const std::string& section, const std::string& key, bool& var) {
  const config::KeySpec& spec = spec_for(section, key);
  if (spec.type != config::KeyType::boolean) throw InternalError(section + "." + key + " is not a bool");
  require_default(spec, value_text(var));
  CLI::Option* opt = cli.add_flag("--" + spec.key, var, config::describe(spec));
  opt->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  return opt;
}

CLI::Option* bind_setter(CLI::App& cli, const std::string& section, const std::string& key,
                         std::function<void(const std::string&)> set, const std::string& current) {
  const config::KeySpec& spec = spec_for(section, key);
  require_default(spec, current);
  CLI::Option* opt = cli.add_option_function<std::string>("--" + spec.key, std::move(set), config::describe(spec));
  opt->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  // The value arrives as text; --help shows the type the schema gives it.
  const auto type = spec.type;
  opt->type_name(type == config::KeyType::integer ? "INT"
                 : type == config::KeyType::real  ? "FLOAT"
                 : type == config::KeyType::boolean ? "BOOLEAN"
                                                    : "TEXT");
  if (spec.required) opt->required();
  return opt;
}

void check_bindings(const CLI::App& cli, const std::string& section) {
  for (const CLI::Option* opt : cli.get_options()) {
    if (opt == cli.get_help_ptr() || opt == cli.get_help_all_ptr()) continue;
    if (!spec_of(opt, section))
      throw InternalError("cspt " + section + ": option " + opt->get_name() + " has no key in the configuration schema");
  }
  for (const config::KeySpec* spec : config::section_keys(section))
    if (!cli.get_option_no_throw("--" + spec->key))
      throw InternalError("cspt " + section + ": schema key " + section + "." + spec->key + " has no option");
}

bool parse_with_schema(CLI::App& cli, const std::string& section, const std::vector<std::string>& args,
                       bool print_help, std::string* config_path) {
  check_bindings(cli, section);
  std::string path;
  std::vector<std::string> user;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& t = args[i];
    if (t == "-c" || t == "--config") {
      if (i + 1 >= args.size()) throw ConfigError("command line", t, "", "a YAML file name after it");
      path = args[++i];
    } else if (t.rfind("--config=", 0) == 0) {
      path = t.substr(9);
    } else if (looks_like_flag(t)) {
      take_flag(cli, section, args, i, user);
    } else {
      user.push_back(t);  // CLI11 refuses stray words
    }
  }
  if (config_path) *config_path = path;
  std::vector<std::string> all = path.empty() ? std::vector<std::string>{} : flags_from_file(cli, section, path);
  all.insert(all.end(), user.begin(), user.end());
  return parse_command_line(cli, all, print_help);
}

}  // namespace cspt::app
