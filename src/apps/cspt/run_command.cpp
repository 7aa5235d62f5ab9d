// cspt run: the whole pipeline (track, simulate or import, ctf, extract, refine, report), stage by
// stage, each skipped when up to date, resumable after any interruption.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "apps/cspt/cli.hpp"
#include "apps/cspt/commands.hpp"
#include "apps/cspt/run_stages.hpp"
#include "cspt/io/atomic_file.hpp"
#include "cspt/parallel/guarded.hpp"
#include "cspt/pipeline/stage_stamp.hpp"
#include "cspt/util/error.hpp"
#include "cspt/util/log.hpp"
#include "cspt/util/progress.hpp"
#include "cspt/util/stop_request.hpp"

namespace cspt::app {
namespace fs = std::filesystem;

namespace {

std::size_t stage_index(const std::string& name, const std::string& field) {
  const auto& names = pipeline_stages();
  const auto it = std::find(names.begin(), names.end(), name);
  if (it == names.end()) throw ConfigError("command line", field, name, "one of track, simulate, ctf, extract, refine, report");
  return std::size_t(it - names.begin());
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  char b[32];
  std::strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return b;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void say(parallel::Context& ctx, const std::string& line) {
  if (!ctx.is_root()) return;
  log_line(LogLevel::info, "cspt run: " + line);
}

/// The stamp of `st` as it stands now: its config digest, its inputs' signatures, its outputs.
pipeline::StageStamp stamp_of(const Stage& st) {
  pipeline::StageStamp stamp;
  stamp.stage = st.name;
  stamp.config_digest = st.config_digest;
  for (const auto& in : st.inputs) stamp.inputs.push_back(pipeline::signature_of(in));
  stamp.outputs = st.outputs;
  return stamp;
}

/// Everything in the stage folder goes, except the per-series parts (they carry their own stamps).
void clear_stage_dir(const std::string& dir) {
  if (!fs::exists(dir)) return;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename() != "parts") fs::remove_all(e.path());
}

}  // namespace

int run_pipeline(parallel::Context& ctx, std::vector<std::string> args) {
  const std::vector<std::string> original_args = args;
  RunSettings s;
  std::string out_flag, from_flag, until_flag;
  int threads_flag = -1;
  CLI::App cli{"The whole pipeline, stage by stage (track, simulate or import, ctf, extract, refine, report); "
               "a stage is skipped when its outputs are up to date, and an interrupted run resumes.",
               "cspt run"};
  cli.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  cli.add_option("-c,--config", s.config_path, "pipeline config (YAML; sections run, track, simulate, ctf, extract, refine, report)")
      ->required();
  cli.add_option("-o,--out", out_flag, "run folder (default: run.out of the config)");
  cli.add_option("--from", from_flag, "first stage to consider (earlier ones must be complete)");
  cli.add_option("--until", until_flag, "last stage to run");
  cli.add_option("--only", s.only, "run this stage only");
  cli.add_option("--series-index", s.series_index, "with --only ctf|extract: this tilt series only (0-based; a job-array task)");
  cli.add_option("--threads", threads_flag, "OpenMP threads per rank (0: SLURM_CPUS_PER_TASK, OMP_NUM_THREADS or 1)");
  cli.add_flag("--force", s.force, "run the stages in range again from scratch");
  cli.add_flag("--verbose", s.verbose, "more detail in the log");
  cli.add_flag("--quiet", s.quiet, "errors and results only");
  if (!parse_command_line(cli, args, ctx.is_root())) return 0;
  std::vector<std::string> overrides;
  if (!out_flag.empty()) overrides.push_back("run.out=" + out_flag);
  if (!from_flag.empty()) overrides.push_back("run.from=" + from_flag);
  if (!until_flag.empty()) overrides.push_back("run.until=" + until_flag);
  if (threads_flag >= 0) overrides.push_back("run.threads=" + std::to_string(threads_flag));
  load_run_config(s.config_path, overrides, s);
  set_verbosity(s.quiet ? Verbosity::quiet : s.verbose ? Verbosity::verbose : Verbosity::normal);
  set_default_progress_interval_s(s.progress_interval_s);
  if (s.out.empty()) throw ConfigError(s.config_path, "run.out", "", "a run folder");

  // Every rank must run the same config (the same file, as read by each rank's node).
  std::string digest = pipeline::digest_of(read_file(s.config_path));
  for (const auto& a : original_args) digest = pipeline::digest_of(digest + "\x1f" + a);
  std::string root_digest = digest;
  ctx.broadcast_collective(root_digest);
  if (ctx.any_collective(root_digest != digest))
    throw ConfigError(s.config_path, "config", "differs between ranks", "the same config and flags on every rank");

  std::size_t first = s.from.empty() ? 0 : stage_index(s.from, "--from");
  std::size_t last = s.until.empty() ? pipeline_stages().size() - 1 : stage_index(s.until, "--until");
  if (!s.only.empty()) first = last = stage_index(s.only, "--only");
  if (first > last) throw ConfigError("command line", "--from/--until", s.from + ".." + s.until, "a stage range in pipeline order");

  int n_series = 0;
  std::vector<Stage> stages;
  parallel::run_guarded_collective(ctx, [&] { stages = make_stages(s, &n_series); });
  if (s.series_index >= 0) {
    const Stage& st = stages[first];
    if (s.only.empty() || !st.run_part)
      throw ConfigError("command line", "--series-index", std::to_string(s.series_index), "with --only ctf or --only extract");
    if (s.series_index >= n_series)
      throw ConfigError("command line", "--series-index", std::to_string(s.series_index),
                        "0 to " + std::to_string(n_series - 1) + " (the run has " + std::to_string(n_series) + " tilt series)");
    say(ctx, st.name + ": tilt series " + std::to_string(s.series_index) + " of " + std::to_string(n_series));
    return st.run_part(ctx, s.series_index);
  }

  const fs::path stamps = fs::path(s.out) / ".stages";
  parallel::run_guarded_collective(ctx, [&] {
    if (!ctx.is_root()) return;
    fs::create_directories(stamps);
    // The configuration in effect (defaults, the file, the flags), kept with the run.
    io::write_file_atomically((fs::path(s.out) / "config.yaml").string(),
                              "# cspt run -c " + s.config_path + ": the configuration in effect\n" + s.effective.to_yaml());
  });
  const auto t_run = std::chrono::steady_clock::now();
  for (std::size_t i = first; i <= last; ++i) {
    Stage& st = stages[i];
    if (!st.enabled) {
      say(ctx, st.name + ": not used (" + st.disabled_because + ")");
      continue;
    }
    if (ctx.any_collective(stop_requested())) {
      say(ctx, std::string("stopped cleanly before ") + st.name + " (" + stop_signal_name() + "); run the same command again to resume");
      return kExitResumable;
    }
    const std::string done_path = (stamps / (st.name + ".done.json")).string();
    const std::string started_path = (stamps / (st.name + ".started.json")).string();
    std::string decision;  // "<state digit><reason>", decided by the root
    parallel::run_guarded_collective(ctx, [&] {
      if (!ctx.is_root()) return;
      for (const auto& in : st.inputs)
        if (!fs::exists(in))
          throw ConfigError(s.config_path, "stage " + st.name, in + " missing",
                            "the outputs of the stages before it (run without --from/--only first)");
      auto d = pipeline::decide_stage(pipeline::read_stamp(done_path), pipeline::read_stamp(started_path),
                                      st.config_digest, st.inputs, st.outputs);
      if (s.force) d = {pipeline::StageState::fresh, "--force"};
      if (d.state == pipeline::StageState::resume && !st.resumable) d.state = pipeline::StageState::fresh;
      decision = std::to_string(int(d.state)) + d.reason;
      if (d.state == pipeline::StageState::up_to_date) return;
      fs::remove(done_path);
      if (d.state == pipeline::StageState::fresh) clear_stage_dir(st.dir);
      pipeline::write_stamp(started_path, stamp_of(st));
    });
    ctx.broadcast_collective(decision);
    const auto state = pipeline::StageState(decision[0] - '0');
    if (state == pipeline::StageState::up_to_date) {
      say(ctx, st.name + ": up to date, skipped");
      continue;
    }
    say(ctx, st.name + ": running (" + decision.substr(1) + ")");
    const auto t0 = std::chrono::steady_clock::now();
    const int rc = st.run(ctx);
    if (rc != 0) {
      if (rc == kExitResumable) say(ctx, st.name + ": stopped cleanly; run the same command again to resume");
      return rc;
    }
    const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    parallel::run_guarded_collective(ctx, [&] {
      if (!ctx.is_root()) return;
      pipeline::StageStamp done = stamp_of(st);
      done.wall_s = wall_s;
      done.finished_utc = utc_now();
      pipeline::write_stamp(done_path, done);
      fs::remove(started_path);
    });
    char took[64];
    std::snprintf(took, sizeof took, "%.1f s", wall_s);
    say(ctx, st.name + ": done in " + took);
  }
  if (ctx.is_root()) {
    const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_run).count();
    std::printf("%s\n", run_results_text(s).c_str());
    std::printf("cspt run: stages %s..%s finished in %.0f s\n", pipeline_stages()[first].c_str(), pipeline_stages()[last].c_str(),
                wall_s);
  }
  return 0;
}

}  // namespace cspt::app
