// The stage table of `cspt run`: inputs, outputs, config digests and how each stage runs.
#include "apps/cspt/run_stages.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "apps/cspt/commands.hpp"
#include "apps/cspt/run_parts.hpp"
#include "cspt/io/project_file.hpp"
#include "cspt/pipeline/stage_stamp.hpp"
#include "cspt/sim/simulation_config.hpp"
#include "cspt/util/error.hpp"

namespace cspt::app {
namespace fs = std::filesystem;

namespace {

/// Digest of the configuration in effect of `sections` (defaults included: a default that changes
/// between versions reruns the stage), plus `extra`.
std::string digest_of_sections(const RunSettings& s, const std::vector<std::string>& sections,
                               const std::string& extra = "") {
  return pipeline::digest_of(extra + "\n" + s.effective.to_yaml(sections));
}

int series_count(const RunSettings& s) {
  if (!s.project.empty()) return int(io::read_project(s.project).tilt_series.size());
  return std::stoi(config_value(s, "simulate", "n-tilt-series"));
}

}  // namespace

std::vector<Stage> make_stages(const RunSettings& s, int* n_series) {
  const fs::path out(s.out);
  const std::string cfg = s.config_path;
  const int threads = threads_per_rank(s.threads);
  const bool simulated = s.project.empty();
  if (n_series) *n_series = series_count(s);
  const std::string p0 = (out / "simulate" / "project.h5").string();
  const std::string p1 = (out / "ctf" / "project.h5").string();
  std::vector<Stage> stages;

  Stage track;
  track.name = "track";
  track.dir = (out / "track").string();
  track.enabled = simulated && s.track;
  track.disabled_because = simulated ? "run.track is false" : "run.project is set (real data)";
  track.outputs = {(out / "track" / "summary.json").string(), (out / "track" / "truth.json").string()};
  track.config_digest = digest_of_sections(s, {"track", "simulate"});
  track.run = [s](parallel::Context& ctx) { return run_track_stage(ctx, s); };
  stages.push_back(track);

  Stage sim;
  sim.name = "simulate";
  sim.dir = (out / "simulate").string();
  if (track.enabled) sim.inputs = {(out / "track" / "truth.json").string()};
  if (!simulated) sim.inputs = {s.project};
  sim.outputs = {p0};
  sim.config_digest = digest_of_sections(s, {"simulate"}, "project=" + s.project + " track=" + (track.enabled ? "1" : "0"));
  sim.run = [s, threads, track_on = track.enabled](parallel::Context& ctx) {
    return run_simulate_stage(ctx, s, threads, track_on);
  };
  stages.push_back(sim);

  Stage ctf;
  ctf.name = "ctf";
  ctf.dir = (out / "ctf").string();
  ctf.inputs = {p0};
  ctf.outputs = {p1};
  ctf.config_digest = digest_of_sections(s, {"ctf"});
  ctf.run = [s, threads, digest = ctf.config_digest](parallel::Context& ctx) {
    return run_ctf_stage(ctx, s, threads, digest);
  };
  ctf.run_part = [s, threads, digest = ctf.config_digest](parallel::Context& ctx, int series) {
    return run_ctf_part(ctx, s, threads, digest, series);
  };
  stages.push_back(ctf);

  Stage ex;
  ex.name = "extract";
  ex.dir = (out / "extract").string();
  ex.inputs = {p1};
  ex.outputs = {(out / "extract" / "particles.star").string()};
  ex.config_digest = digest_of_sections(s, {"extract"}, "box=" + extract_box(s));
  ex.run = [s, digest = ex.config_digest](parallel::Context& ctx) { return run_extract_stage(ctx, s, digest); };
  ex.run_part = [s, digest = ex.config_digest](parallel::Context& ctx, int series) {
    return run_extract_part(ctx, s, digest, series);
  };
  stages.push_back(ex);

  Stage refine;
  refine.name = "refine";
  refine.dir = (out / "refine").string();
  refine.inputs = {p1};
  if (!s.reference.empty()) refine.inputs.push_back(s.reference);
  refine.outputs = {(out / "refine" / "summary.json").string()};
  refine.resumable = true;
  char lp[64];
  std::snprintf(lp, sizeof lp, "%.6g", s.reference_lowpass_A);
  refine.config_digest = digest_of_sections(s, {"refine"}, "reference=" + s.reference + " lowpass=" + lp);
  refine.run = [s, threads](parallel::Context& ctx) { return run_refine_stage(ctx, s, threads); };
  stages.push_back(refine);

  Stage report;
  report.name = "report";
  report.dir = (out / "report").string();
  report.inputs = {(out / "refine" / "summary.json").string()};
  report.outputs = {(out / "report" / "summary.json").string()};
  if (config_value(s, "report", "plots") != "false") report.outputs.push_back((out / "report" / "index.html").string());
  report.config_digest = digest_of_sections(s, {"report"});
  report.run = [s](parallel::Context& ctx) { return run_report_stage(ctx, s); };
  stages.push_back(report);
  return stages;
}

}  // namespace cspt::app
