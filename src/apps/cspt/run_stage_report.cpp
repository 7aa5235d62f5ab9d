// `cspt run` stage report: the run's figures from every stage in RUN/report/summary.json (and a
// plain-text summary.txt), and the closing lines `cspt run` prints.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "apps/cspt/report_command.hpp"
#include "apps/cspt/run_parts.hpp"
#include "apps/cspt/run_stages.hpp"
#include "cspt/config/schema.hpp"
#include "cspt/io/atomic_file.hpp"
#include "cspt/io/project_file.hpp"
#include "cspt/parallel/guarded.hpp"
#include "cspt/util/error.hpp"

namespace cspt::app {
namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

namespace {

json read_json_or_null(const fs::path& p) {
  if (!fs::exists(p)) return nullptr;
  std::ifstream in(p);
  try {
    return json::parse(in);
  } catch (const json::exception&) {
    throw IoError(p.string(), "JSON", "unreadable", "a summary written by cspt");
  }
}

double median(std::vector<double> v) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/// CTF figures of the CTF stage's project: tilts fitted, low-confidence fits, and against the
/// truth of a simulation the median error of the mean defocus.
json ctf_figures(const fs::path& project_path) {
  if (!fs::exists(project_path)) return nullptr;
  const Project p = io::read_project(project_path.string());
  int fitted = 0;
  std::vector<double> errors, resolutions;
  for (std::size_t s = 0; s < p.tilt_series.size(); ++s)
    for (std::size_t i = 0; i < p.tilt_series[s].tilts.size(); ++i) {
      const auto& t = p.tilt_series[s].tilts[i];
      if (t.defocus_u_A <= 0) continue;
      ++fitted;
      if (t.ctf_resolution_A > 0) resolutions.push_back(t.ctf_resolution_A);
      if (p.truth && s < p.truth->tilts.size() && i < p.truth->tilts[s].size()) {
        const auto& tt = p.truth->tilts[s][i];
        errors.push_back(std::abs(0.5 * (t.defocus_u_A + t.defocus_v_A) - 0.5 * (tt.defocus_u_A + tt.defocus_v_A)));
      }
    }
  json j{{"tilts_fitted", fitted}, {"fit_resolution_A_median", median(resolutions)}};
  if (!errors.empty()) j["defocus_error_A_median"] = median(errors);
  return j;
}

}  // namespace

namespace {
std::string results_text(const fs::path& out, const json& figures);
}  // namespace

int run_report_stage(parallel::Context& ctx, const RunSettings& s) {
  // The HTML page with the figures and their CSV files (cspt report), then the run's figures in one
  // JSON and a text summary beside it.
  if (config::bool_from_text(config_value(s, "report", "plots")).value_or(true)) {
    const int rc = run_report(ctx, {"--run", s.out, "-o", (fs::path(s.out) / "report").string()});
    if (rc != 0) return rc;
  }
  parallel::run_guarded_collective(ctx, [&] {
    if (!ctx.is_root()) return;
    const fs::path out(s.out);
    json j;
    j["run"] = fs::absolute(out).string();
    j["config"] = s.config_path;
    j["track"] = read_json_or_null(out / "track" / "summary.json");
    j["simulate"] = read_json_or_null(out / "simulate" / "summary.json");
    j["ctf"] = ctf_figures(out / "ctf" / "project.h5");
    j["extract"] = read_json_or_null(out / "extract" / "summary.json");
    j["refine"] = read_json_or_null(out / "refine" / "summary.json");
    fs::create_directories(out / "report");
    io::write_file_atomically((out / "report" / "summary.json").string(), j.dump(2) + "\n");
    io::write_file_atomically((out / "report" / "summary.txt").string(), results_text(out, j) + "\n");
  });
  return 0;
}

std::string run_results_text(const RunSettings& s) {
  const fs::path out(s.out);
  // Read from the stages' own files (the report may be older than a later --until run).
  return results_text(out, {{"track", read_json_or_null(out / "track" / "summary.json")},
                            {"ctf", ctf_figures(out / "ctf" / "project.h5")},
                            {"extract", read_json_or_null(out / "extract" / "summary.json")},
                            {"refine", read_json_or_null(out / "refine" / "summary.json")}});
}

namespace {

std::string results_text(const fs::path& out, const json& figures) {
  std::ostringstream t;
  char line[256];
  const json track = figures.value("track", json(nullptr));
  if (!track.is_null()) {
    std::snprintf(line, sizeof line, "acquisition (bisect-track): targeting error median %.1f nm, defocus error median %.3f um, %d ROI(s) lost\n",
                  track.value("targeting_error_nm_median", 0.0), track.value("defocus_error_um_median", 0.0),
                  track.value("rois_lost", 0));
    t << line;
  }
  const json ctf = figures.value("ctf", json(nullptr));
  if (!ctf.is_null()) {
    std::snprintf(line, sizeof line, "ctf: %d tilts fitted", ctf.value("tilts_fitted", 0));
    t << line;
    if (ctf.contains("defocus_error_A_median")) {
      std::snprintf(line, sizeof line, ", defocus error against the truth median %.0f A", ctf["defocus_error_A_median"].get<double>());
      t << line;
    }
    t << "\n";
  }
  const json ex = figures.value("extract", json(nullptr));
  if (!ex.is_null()) {
    std::snprintf(line, sizeof line, "particles: %d particles, %d projections (RELION STAR: %s)\n", ex.value("n_particles", 0),
                  ex.value("n_projections", 0), (out / "extract" / "particles.star").c_str());
    t << line;
  }
  const json r = figures.value("refine", json(nullptr));
  if (!r.is_null()) {
    std::snprintf(line, sizeof line, "refine: iteration %d, resolution %.2f A (gold-standard FSC 0.143, masked)", r.value("iteration", 0),
                  r.value("resolution_A", 0.0));
    t << line;
    if (r.contains("resolution_vs_truth_A")) {
      std::snprintf(line, sizeof line, "; against the true map FSC 0.5 at %.2f A; orientations %.2f deg from the truth",
                    r["resolution_vs_truth_A"].get<double>(), r.value("median_angular_error_deg", 0.0));
      t << line;
    }
    t << "\n";
    char iter[32];
    std::snprintf(iter, sizeof iter, "iter_%03d", r.value("iteration", 0));
    t << "maps: " << (out / "refine" / iter).string() << " (map.mrc, half1.mrc, half2.mrc, fsc.csv, weights.csv)\n";
  }
  if (fs::exists(out / "report" / "index.html")) t << "report: " << (out / "report" / "index.html").string() << "\n";
  t << "run folder: " << out.string();
  return t.str();
}

}  // namespace

}  // namespace cspt::app
