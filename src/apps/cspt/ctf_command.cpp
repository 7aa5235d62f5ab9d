// cspt ctf: per-tilt astigmatic tilted-CTF estimation for a project, or the same estimator on one
// micrograph (single-particle use).
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "apps/cspt/commands.hpp"
#include "cspt/ctf/ctf_estimate.hpp"
#include "cspt/io/mrc.hpp"
#include "cspt/io/project_file.hpp"
#include "cspt/util/error.hpp"

namespace cspt::app {
namespace {

nlohmann::ordered_json fit_json(const CtfFit& f) {
  nlohmann::ordered_json j;
  j["defocus1_A"] = f.defocus1_A;
  j["defocus2_A"] = f.defocus2_A;
  j["astig_angle_deg"] = f.astig_angle_deg;
  j["score"] = f.score;
  j["fit_resolution_A"] = f.fit_resolution_A;
  j["confidence"] = f.confident ? "ok" : "low";
  if (!f.confident) j["reason"] = f.reason;
  return j;
}

/// The estimate of every tilt of every series, 0 degrees first and the others around its defocus.
int run_project(parallel::Context& ctx, const std::string& path, const CtfSearchOptions& base, int threads) {
  Project p = io::read_project(path);
  const auto dir = std::filesystem::path(path).parent_path();
  CtfParams optics;
  optics.voltage_kV = p.optics.voltage_kV;
  optics.cs_mm = p.optics.cs_mm;
  optics.amplitude_contrast = p.optics.amplitude_contrast;
  int done = 0, low = 0;
  for (std::size_t s = 0; s < p.tilt_series.size(); ++s) {
    if (int(s) % ctx.size() != ctx.rank()) continue;
    auto& ts = p.tilt_series[s];
    io::MrcReader stack((dir / ts.stack_path).string());
    std::vector<std::size_t> order(ts.tilts.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return std::abs(ts.tilts[a].refined_tilt_deg) < std::abs(ts.tilts[b].refined_tilt_deg);
    });
    double reference = 0;
    std::vector<CtfFit> fits(ts.tilts.size());
#pragma omp parallel for num_threads(threads) schedule(dynamic)
    for (std::size_t k = 0; k < order.size(); ++k) {
      const std::size_t i = order[k];
      auto& t = ts.tilts[i];
      CtfSearchOptions o = base;
      if (k > 0) {
        // The others search a window around the least-tilted image's defocus.
        double ref;
#pragma omp critical(ctf_reference)
        ref = reference;
        if (ref > 0) {
          o.min_defocus_A = std::max(base.min_defocus_A, ref - 10000);
          o.max_defocus_A = std::min(base.max_defocus_A, ref + 10000);
        }
      }
      fits[i] = estimate_ctf(stack.read_section(t.section), optics, p.optics.pixel_size_A, o,
                             {t.refined_tilt_deg, t.tilt_axis_deg, 1.0});
      if (k == 0) {
#pragma omp critical(ctf_reference)
        reference = 0.5 * (fits[i].defocus1_A + fits[i].defocus2_A);
      }
    }
    for (std::size_t i = 0; i < fits.size(); ++i) {
      auto& t = ts.tilts[i];
      t.defocus_u_A = fits[i].defocus1_A;
      t.defocus_v_A = fits[i].defocus2_A;
      t.defocus_angle_deg = fits[i].astig_angle_deg;
      t.ctf_score = fits[i].score;
      t.ctf_resolution_A = fits[i].fit_resolution_A;
      low += !fits[i].confident;
      ++done;
    }
    std::fprintf(stderr, "cspt ctf: %s: %zu tilts fitted\n", ts.name.c_str(), fits.size());
  }
  if (ctx.size() > 1) throw Error("cspt ctf", "ranks", std::to_string(ctx.size()), "1 for now (MPI over series writes one file)");
  io::write_project(path, p);
  std::printf("cspt ctf: %d tilts fitted (%d with low confidence) in %s\n", done, low, path.c_str());
  return 0;
}

}  // namespace

int run_ctf(parallel::Context& ctx, std::vector<std::string> raw_args) {
  std::string project, micrograph, out_json;
  double px = 0, voltage = 300, cs = 2.7, q0 = 0.07, tilt = 0, axis = 0;
  int threads = 1;
  CtfSearchOptions o;
  CLI::App cli{"Astigmatic CTF estimation, tilted images included.", "cspt ctf"};
  cli.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  cli.add_option("-p,--project", project, "project file: every tilt of every tilt series");
  cli.add_option("--micrograph", micrograph, "one image (MRC)");
  cli.add_option("--pixel-size", px, "A per pixel (micrograph mode)");
  cli.add_option("--voltage", voltage, "kV");
  cli.add_option("--cs", cs, "mm");
  cli.add_option("--amp-contrast", q0, "amplitude contrast");
  cli.add_option("--tilt-angle", tilt, "degrees");
  cli.add_option("--tilt-axis", axis, "degrees, CCW from image +y");
  cli.add_option("--out", out_json, "write the fit as JSON here too");
  cli.add_option("--min-res", o.min_resolution_A, "lowest resolution fitted, A");
  auto* max_res = cli.add_option("--max-res", o.max_resolution_A,
                                 "highest resolution fitted, A (default 5; 8 for tilt series, whose late tilts are damaged)");
  cli.add_option("--min-defocus", o.min_defocus_A, "A");
  cli.add_option("--max-defocus", o.max_defocus_A, "A");
  cli.add_option("--tile", o.tile_px, "tile size, px");
  cli.add_option("--threads", threads, "OpenMP threads");
  auto args = raw_args;
  std::reverse(args.begin(), args.end());
  try {
    cli.parse(args);
  } catch (const CLI::CallForHelp&) {
    if (ctx.is_root()) std::fputs(cli.help().c_str(), stdout);
    return 0;
  } catch (const CLI::ParseError& e) {
    throw ConfigError("command line", e.get_name(), "", e.what());
  }
  if (project.empty() == micrograph.empty()) throw ConfigError("command line", "-p/--micrograph", "", "exactly one of them");
  if (!project.empty()) {
    if (max_res->count() == 0) o.max_resolution_A = 8.0;
    return run_project(ctx, project, o, std::max(1, threads));
  }
  if (px <= 0) throw ConfigError("command line", "--pixel-size", std::to_string(px), "> 0 A");
  const Image im = io::MrcReader(micrograph).read_section(0);
  CtfParams optics;
  optics.voltage_kV = voltage;
  optics.cs_mm = cs;
  optics.amplitude_contrast = q0;
  const auto t0 = std::chrono::steady_clock::now();
  const CtfFit f = estimate_ctf(im, optics, px, o, {tilt, axis, 1.0});
  auto j = fit_json(f);
  j["micrograph"] = micrograph;
  j["wall_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!out_json.empty()) std::ofstream(out_json) << j.dump(2) << "\n";
  if (ctx.is_root()) std::printf("%s\n", j.dump(2).c_str());
  return 0;
}

}  // namespace cspt::app
