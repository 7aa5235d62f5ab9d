// bisect-track: the BISECT acquisition tracker (docs/tracker-protocol.md, docs/acquisition.md).
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "apps/cspt/cli.hpp"
#include "bisect/exports.hpp"
#include "bisect/plan.hpp"
#include "bisect/scope_sim.hpp"
#include "bisect/session.hpp"
#include "cspt/io/atomic_file.hpp"
#include "cspt/util/error.hpp"

namespace {

using json = nlohmann::json;

constexpr const char* kUsage =
    "usage: bisect-track COMMAND [options]\n"
    "  plan -c track.yaml -p project.h5 [--force]   write the acquisition plan into a new project file\n"
    "  start -p project.h5                          print the pending action (begins the acquisition)\n"
    "  step -p project.h5 --event JSON              answer one event with the next action\n"
    "  serve -p project.h5                          events on stdin, actions on stdout, one JSON per line\n"
    "  simulate --scenario NAME [-c scenario.yaml] -o DIR [--images] [--flat] [--seed N]\n"
    "                                               drive the tracker with a simulated microscope\n"
    "  export mdoc|relion -p project.h5 -o DIR      SerialEM .mdoc per ROI, or RELION-5 STAR files\n"
    "  summary -p project.h5 [-o DIR]               the acquisition's figures as JSON (DIR/summary.json)\n"
    "  --version\n";

void print_json_line(const json& j) {
  // Replacement characters rather than an exception for text that is not UTF-8.
  const std::string s = j.dump(-1, ' ', false, json::error_handler_t::replace);
  std::fwrite(s.data(), 1, s.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

// An event line is a few hundred bytes; a longer line is refused without being kept in memory.
constexpr std::size_t kMaxEventBytes = 1 << 20;

// Up to kMaxEventBytes of the next line of `in` (without its newline) and its full length in bytes.
// False at the end of input.
bool read_event_line(std::FILE* in, std::string& line, std::size_t& bytes) {
  line.clear();
  bytes = 0;
  int c = 0;
  while ((c = std::getc(in)) != EOF && c != '\n') {
    if (bytes++ < kMaxEventBytes) line.push_back(char(c));
  }
  return c != EOF || bytes > 0;
}

// What a refused line showed, for the error reply: control and non-ASCII bytes as \xNN, at most
// `max` bytes of it, the length named when cut (a reply is one short line whatever came in).
std::string shown(std::string_view raw, std::size_t max = 80) {
  std::string out;
  for (std::size_t i = 0; i < raw.size() && i < max; ++i) {
    const auto c = static_cast<unsigned char>(raw[i]);
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(char(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  if (raw.size() > max) out += "... (" + std::to_string(raw.size()) + " bytes)";
  return out;
}

// The one-line reply to a refused event: the error's fields, its value shortened.
json error_reply(const cspt::Error& err) {
  return json{{"error", cspt::Error::compose(err.where(), err.field(), shown(err.value(), 200), err.expectation())}};
}

// Events are flat objects ([x, y] pairs at most); JSON nested deeper than this is refused before
// parsing, as printing or freeing a value nested 100,000 deep recurses past the stack.
constexpr int kMaxEventNesting = 16;

// The deepest nesting of arrays and objects in a JSON text (strings skipped).
int json_nesting(std::string_view text) {
  int depth = 0, deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

// The event of one line or --event value; ConfigError naming `where` when it is not JSON.
json parse_event_text(const std::string& text, const char* where, const char* field) {
  if (const int depth = json_nesting(text); depth > kMaxEventNesting)
    throw cspt::ConfigError(where, field, shown(text) + " (nested " + std::to_string(depth) + " deep)",
                            "one JSON event, nested at most " + std::to_string(kMaxEventNesting) + " deep");
  try {
    return json::parse(text);
  } catch (const json::exception& ex) {
    // json's message names the byte offset and what it expected there (NaN and Infinity are not JSON).
    std::string why = ex.what();
    if (const auto at = why.find("parse error"); at != std::string::npos) why = why.substr(at);
    throw cspt::ConfigError(where, field, shown(text), "one JSON object per line (" + why + ")");
  }
}

// One event line answered: its action, or the reason it was refused (state untouched).
json answer_line(bisect::Session& session, const std::string& line, std::size_t bytes) {
  if (bytes > kMaxEventBytes)
    throw cspt::ConfigError("stdin", "event", "a line of " + std::to_string(bytes) + " bytes",
                            "at most " + std::to_string(kMaxEventBytes) + " bytes per line (one JSON event)");
  return session.handle(parse_event_text(line, "stdin", "event"));
}

int cmd_plan(std::vector<std::string> args) {
  CLI::App cli("bisect-track plan");
  std::string config, project;
  bool force = false;
  cli.add_option("-c,--config", config, "plan YAML (configs/track.yaml)")->required();
  cli.add_option("-p,--project", project, "project file to create")->required();
  cli.add_flag("--force", force, "replace an existing project file");
  if (!cspt::app::parse_command_line(cli, std::move(args), true)) return 0;
  const bisect::TrackPlan plan = bisect::read_plan_yaml(config);
  bisect::Session::create(project, plan, force);
  std::fprintf(stderr, "bisect-track: planned %zu ROIs x %zu tilts into %s\n", plan.rois.size(), plan.tilts.size(),
               project.c_str());
  return 0;
}

int cmd_start(std::vector<std::string> args) {
  CLI::App cli("bisect-track start");
  std::string project;
  cli.add_option("-p,--project", project, "project file")->required();
  if (!cspt::app::parse_command_line(cli, std::move(args), true)) return 0;
  bisect::Session session(project);
  print_json_line(session.start());
  return 0;
}

int cmd_step(std::vector<std::string> args) {
  CLI::App cli("bisect-track step");
  std::string project, event, event_file;
  cli.add_option("-p,--project", project, "project file")->required();
  cli.add_option("--event", event, "the event, one JSON object");
  cli.add_option("--event-file", event_file, "a file holding the event");
  if (!cspt::app::parse_command_line(cli, std::move(args), true)) return 0;
  if (event.empty() == event_file.empty())
    throw cspt::ConfigError("command line", "--event", "", "exactly one of --event or --event-file");
  if (!event_file.empty()) {
    std::ifstream in(event_file);
    if (!in) throw cspt::ConfigError(event_file, "--event-file", "", "a readable file");
    event.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const json e = parse_event_text(event, "command line", "--event");
  bisect::Session session(project);
  print_json_line(session.handle(e));
  return 0;
}

int cmd_serve(std::vector<std::string> args) {
  CLI::App cli("bisect-track serve");
  std::string project;
  cli.add_option("-p,--project", project, "project file")->required();
  if (!cspt::app::parse_command_line(cli, std::move(args), true)) return 0;
  bisect::Session session(project);
  std::string line;
  std::size_t bytes = 0;
  while (read_event_line(stdin, line, bytes)) {
    if (bytes <= kMaxEventBytes && line.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      print_json_line(answer_line(session, line, bytes));
    } catch (const cspt::Error& err) {
      print_json_line(error_reply(err));
    }
  }
  return 0;
}

int cmd_simulate(std::vector<std::string> args) {
  CLI::App cli("bisect-track simulate");
  std::string scenario = "nominal-krios", config, out;
  bool images = false, flat = false, quiet = false;
  long long seed = -1;
  cli.add_option("--scenario", scenario, "built-in scenario");
  cli.add_option("-c,--config", config, "scenario YAML: plan and scope overrides");
  cli.add_option("-o,--out", out, "output folder")->required();
  cli.add_flag("--images", images, "image mode: render and correlate real images");
  cli.add_flag("--flat", flat, "switch the off-plane height fit off (paper Fig. 2a)");
  cli.add_option("--seed", seed, "random seed of the simulated scope");
  cli.add_flag("--quiet", quiet, "no progress lines");
  if (!cspt::app::parse_command_line(cli, std::move(args), true)) return 0;
  bisect::Scenario s = bisect::builtin_scenario(scenario);
  if (!config.empty()) bisect::apply_scenario_yaml(config, s);
  if (images) s.scope.render_images = true;
  if (flat) s.plan.fit_offplane = false;
  if (seed >= 0) s.scope.seed = std::uint64_t(seed);
  const json summary = bisect::simulate_acquisition(s, out, !quiet);
  print_json_line(summary);
  return 0;
}

int cmd_export(std::vector<std::string> args) {
  if (args.empty()) throw cspt::ConfigError("command line", "export", "", "a format: mdoc or relion");
  const std::string format = args.front();
  args.erase(args.begin());
  CLI::App cli("bisect-track export");
  std::string project, out;
  cli.add_option("-p,--project", project, "project file")->required();
  cli.add_option("-o,--out", out, "output folder")->required();
  if (!cspt::app::parse_command_line(cli, std::move(args), true)) return 0;
  bisect::Session session(project);
  if (format == "mdoc") {
    const auto written = bisect::export_mdocs(session.tracker(), out);
    std::fprintf(stderr, "bisect-track: wrote %zu .mdoc files into %s\n", written.size(), out.c_str());
  } else if (format == "relion") {
    bisect::export_relion5(session.tracker(), out);
    std::fprintf(stderr, "bisect-track: wrote %s/tilt_series.star\n", out.c_str());
  } else {
    throw cspt::ConfigError("command line", "export", format, "mdoc or relion");
  }
  return 0;
}

int cmd_summary(std::vector<std::string> args) {
  CLI::App cli("bisect-track summary");
  std::string project, out;
  cli.add_option("-p,--project", project, "project file")->required();
  cli.add_option("-o,--out", out, "also write OUT/summary.json");
  if (!cspt::app::parse_command_line(cli, std::move(args), true)) return 0;
  bisect::Session session(project);
  const std::string text = session.tracker().summary().dump(2) + "\n";
  std::fputs(text.c_str(), stdout);
  if (!out.empty()) {
    std::filesystem::create_directories(out);
    cspt::io::write_file_atomically((std::filesystem::path(out) / "summary.json").string(), text);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const std::string command = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  try {
    if (command == "--version") {
      std::puts("bisect-track 0.1.0");
      return 0;
    }
    if (command == "-h" || command == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (command == "plan") return cmd_plan(args);
    if (command == "start") return cmd_start(args);
    if (command == "step") return cmd_step(args);
    if (command == "serve") return cmd_serve(args);
    if (command == "simulate") return cmd_simulate(args);
    if (command == "export") return cmd_export(args);
    if (command == "summary") return cmd_summary(args);
    std::fprintf(stderr, "bisect-track: unknown command '%s'\n%s", command.c_str(), kUsage);
    return 2;
  } catch (const cspt::Error& e) {  // bad input: exit codes as in docs/errors.md
    std::fprintf(stderr, "bisect-track: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bisect-track: internal error: %s\n", e.what());
    return 3;
  }
}
