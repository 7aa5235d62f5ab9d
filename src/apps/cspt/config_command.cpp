// cspt config: the configuration reference, a config file checked, or the configuration in effect.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "apps/cspt/cli.hpp"
#include "apps/cspt/commands.hpp"
#include "cspt/config/config_file.hpp"
#include "cspt/config/effective_config.hpp"
#include "cspt/config/schema.hpp"
#include "cspt/util/error.hpp"

namespace cspt::app {
namespace {

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

/// "demo.yaml: ok (23 keys in sections run, simulate, refine)"; every path-in file must exist.
int check_file(const std::string& path, const std::string& section) {
  const config::ConfigFile file = config::read_config_file(path, {section, config::FileScope::every_section});
  std::vector<std::string> sections = file.sections;
  // Top-level keys were read into `section`; name them when the file has no such section itself.
  const bool listed = std::find(sections.begin(), sections.end(), section) != sections.end();
  for (const auto& e : file.entries)
    if (!listed && e.spec->section == section) {
      sections.insert(sections.begin(), section + " (top level)");
      break;
    }
  std::printf("%s: ok (%zu key%s%s)\n", path.c_str(), file.entries.size(), file.entries.size() == 1 ? "" : "s",
              sections.empty() ? "" : (" in section" + std::string(sections.size() == 1 ? " " : "s ") + joined(sections)).c_str());
  return 0;
}

/// Defaults, then the file, then the overrides, as YAML on standard output.
int print_effective(const std::string& path, const std::string& section, const std::vector<std::string>& sets) {
  config::EffectiveConfig effective;
  if (!path.empty()) effective.apply(config::read_config_file(path, {section, config::FileScope::none}));
  for (const auto& s : sets) effective.apply_override(s, section);
  std::printf("# cspt config effective: schema defaults, then %s, then --set overrides\n",
              path.empty() ? "no file" : path.c_str());
  std::fputs(effective.to_yaml(section.empty() ? std::vector<std::string>{} : std::vector<std::string>{section}).c_str(),
             stdout);
  return 0;
}

}  // namespace

int run_config(parallel::Context& ctx, std::vector<std::string> args) {
  CLI::App cli{"The configuration schema: every key of every YAML section, with type, unit, range and default.",
               "cspt config"};
  cli.require_subcommand(1, 1);
  std::string path, section;
  std::vector<std::string> sets;
  CLI::App* reference = cli.add_subcommand("reference", "print the configuration reference (docs/config-reference.md)");
  CLI::App* check = cli.add_subcommand("check", "check every section of a YAML file; exit 2 with one line on an error");
  check->add_option("-c,--config", path, "the YAML file")->required();
  check->add_option("--section", section, "the section that top-level keys of the file belong to");
  CLI::App* effective = cli.add_subcommand("effective", "print every key of every section with the value in effect");
  effective->add_option("-c,--config", path, "a YAML file applied over the defaults");
  effective->add_option("--section", section, "print this section only (top-level keys of the file belong to it)");
  effective->add_option("--set", sets, "section.key=value applied after the file (repeatable)");
  if (!parse_command_line(cli, args, ctx.is_root())) return 0;
  if (!section.empty() && !config::is_section(section)) throw config::unknown_section_error(section, "--section");
  if (!ctx.is_root()) return 0;
  if (reference->parsed()) {
    std::fputs(config::render_markdown().c_str(), stdout);
    return 0;
  }
  if (check->parsed()) return check_file(path, section);
  return print_effective(path, section, sets);
}

}  // namespace cspt::app
