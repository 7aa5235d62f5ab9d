// cspt ctf: per-tilt astigmatic tilted-CTF estimation for a project, or the same estimator on one
// micrograph (single-particle use).
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "apps/cspt/commands.hpp"
#include "cspt/ctf/ctf_estimate.hpp"
#include "cspt/io/mrc.hpp"
#include "cspt/io/png.hpp"
#include "cspt/io/project_file.hpp"
#include "cspt/util/error.hpp"

namespace cspt::app {
namespace {

nlohmann::ordered_json fit_json(const CtfFit& f) {
  nlohmann::ordered_json j;
  j["defocus1_A"] = f.defocus1_A;
  j["defocus2_A"] = f.defocus2_A;
  j["astig_angle_deg"] = f.astig_angle_deg;
  j["phase_shift_deg"] = f.phase_shift_deg;
  j["score"] = f.score;
  j["fit_resolution_A"] = f.fit_resolution_A;
  j["confidence"] = f.confident ? "ok" : "low";
  if (!f.confident) j["reason"] = f.reason;
  return j;
}

/// A picture of one fit: the 2D spectrum (model in the left half) beside the 1D profile and model.
void write_diagnostics(const std::string& path, const CtfDiagnostics& d) {
  // Crop the spectrum to the fitted disc and enlarge it to 512 px (nearest neighbour).
  const auto& full = d.spectrum_2d;
  const int t = full.nx();
  int r = 8;
  for (int y = 0; y < t; ++y)
    for (int x = 0; x < t; ++x)
      if (full.at(x, y) != 0.0f) r = std::max(r, std::max(std::abs(x - t / 2), std::abs(y - t / 2)) + 1);
  r = std::min(r, t / 2);
  const int out = 512;
  Image sp(out, out, 1.0);
  for (int y = 0; y < out; ++y)
    for (int x = 0; x < out; ++x)
      sp.at(x, y) = full.at(std::clamp(t / 2 - r + x * 2 * r / out, 0, t - 1), std::clamp(t / 2 - r + y * 2 * r / out, 0, t - 1));
  const auto [lo, hi] = io::percentile_range(sp, 2.0, 98.0);
  const io::RgbImage left = io::grey_picture(sp, lo, hi);
  std::vector<std::pair<double, double>> data, model;
  for (std::size_t i = 0; i < d.frequency_per_A.size(); ++i) {
    data.emplace_back(d.frequency_per_A[i], d.spectrum[i]);
    model.emplace_back(d.frequency_per_A[i], d.model[i]);
  }
  const io::RgbImage right = io::line_plot({data, model}, {{40, 40, 40}, {220, 40, 40}}, 2 * left.width, left.height);
  io::RgbImage both;
  both.width = left.width + right.width;
  both.height = left.height;
  both.pixels.resize(std::size_t(both.width) * both.height);
  for (int y = 0; y < both.height; ++y) {
    for (int x = 0; x < left.width; ++x) both.at(x, y) = left.pixels[std::size_t(y) * left.width + x];
    for (int x = 0; x < right.width; ++x) both.at(left.width + x, y) = right.pixels[std::size_t(y) * right.width + x];
  }
  io::write_png(path, both);
}

struct SeriesFits {
  std::vector<CtfFit> fits;
  double handedness = 1.0;
  int votes_for = 0, votes_against = 0;
};

/// Fit every tilt of one series: the least-tilted image first over the whole range, the others in a
/// window around it; then vote on the handedness over tilts of 10-50 degrees and refit if inverted.
SeriesFits fit_series(const TiltSeriesRecord& ts, const std::filesystem::path& dir, const CtfParams& optics, double px,
                      const CtfSearchOptions& base, int threads, const std::string& diagnostics_dir, bool tilt_correction) {
  io::MrcReader stack((dir / ts.stack_path).string());
  const std::size_t n = ts.tilts.size();
  std::vector<Image> images(n);
  for (std::size_t i = 0; i < n; ++i) images[i] = stack.read_section(ts.tilts[i].section);
  std::size_t first = 0;
  for (std::size_t i = 1; i < n; ++i)
    if (std::abs(ts.tilts[i].refined_tilt_deg) < std::abs(ts.tilts[first].refined_tilt_deg)) first = i;
  const auto tilt_of = [&](std::size_t i, double hand) {
    if (!tilt_correction) return TiltForCtf{};  // every image fitted as if untilted (for comparison)
    return TiltForCtf{ts.tilts[i].refined_tilt_deg, ts.tilts[i].tilt_axis_deg, hand};
  };
  SeriesFits out;
  out.fits.resize(n);
  out.fits[first] = estimate_ctf(images[first], optics, px, base, tilt_of(first, 1.0));
  const double ref = 0.5 * (out.fits[first].defocus1_A + out.fits[first].defocus2_A);
  CtfSearchOptions around = base;
  around.min_defocus_A = std::max(base.min_defocus_A, ref - 10000);
  around.max_defocus_A = std::min(base.max_defocus_A, ref + 10000);
  const auto fit_all = [&](double hand) {
#pragma omp parallel for num_threads(threads) schedule(dynamic)
    for (std::size_t i = 0; i < n; ++i)
      if (i != first || hand < 0) out.fits[i] = estimate_ctf(images[i], optics, px, around, tilt_of(i, hand));
  };
  fit_all(1.0);
  // Handedness from the data: stretching with the right hand sharpens the rings, the wrong hand
  // blurs them. Tilts of 15-60 degrees with any fit vote; their score differences are summed.
  double margin = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double a = std::abs(ts.tilts[i].refined_tilt_deg);
    if (a < 15 || a > 60 || out.fits[i].score < 0.02) continue;
    const double plus = ctf_fit_score(images[i], optics, px, around, tilt_of(i, 1.0), out.fits[i]);
    const double minus = ctf_fit_score(images[i], optics, px, around, tilt_of(i, -1.0), out.fits[i]);
    (plus >= minus ? out.votes_for : out.votes_against)++;
    margin += plus - minus;
  }
  if (tilt_correction && margin < 0) {
    out.handedness = -1.0;
    fit_all(-1.0);
  }
  if (!diagnostics_dir.empty()) {
    for (std::size_t i = 0; i < n; ++i) {
      CtfDiagnostics d;
      estimate_ctf(images[i], optics, px, around, tilt_of(i, out.handedness), &d);
      char name[96];
      std::snprintf(name, sizeof name, "%s_%02d_%+05.1f.png", ts.name.c_str(), ts.tilts[i].section, ts.tilts[i].nominal_tilt_deg);
      write_diagnostics((std::filesystem::path(diagnostics_dir) / name).string(), d);
    }
  }
  return out;
}

int run_project(parallel::Context& ctx, const std::string& path, const CtfSearchOptions& base, int threads,
                const std::string& diagnostics_dir, bool tilt_correction) {
  Project p = io::read_project(path);
  const auto dir = std::filesystem::path(path).parent_path();
  CtfParams optics;
  optics.voltage_kV = p.optics.voltage_kV;
  optics.cs_mm = p.optics.cs_mm;
  optics.amplitude_contrast = p.optics.amplitude_contrast;
  if (!diagnostics_dir.empty() && ctx.is_root()) std::filesystem::create_directories(diagnostics_dir);
  ctx.barrier_collective();
  // Each rank fits its share of the series; the root gathers the numbers and writes the project.
  nlohmann::json mine = nlohmann::json::array();
  for (std::size_t s = std::size_t(ctx.rank()); s < p.tilt_series.size(); s += std::size_t(ctx.size())) {
    const auto r = fit_series(p.tilt_series[s], dir, optics, p.optics.pixel_size_A, base, threads, diagnostics_dir,
                              tilt_correction);
    nlohmann::json fits = nlohmann::json::array();
    for (const auto& f : r.fits)
      fits.push_back({f.defocus1_A, f.defocus2_A, f.astig_angle_deg, f.score, f.fit_resolution_A, f.confident});
    mine.push_back({{"series", s}, {"hand", r.handedness}, {"fits", fits}});
    std::fprintf(stderr, "cspt ctf: %s: %zu tilts fitted, defocus hand %+.0f (votes %d:%d) on %s\n",
                 p.tilt_series[s].name.c_str(), r.fits.size(), r.handedness, r.votes_for, r.votes_against,
                 ctx.label().c_str());
  }
  const auto all = ctx.gather_text_to_root_collective(mine.dump());
  if (!ctx.is_root()) return 0;
  int done = 0, low = 0;
  for (const auto& text : all)
    for (const auto& entry : nlohmann::json::parse(text)) {
      auto& ts = p.tilt_series.at(entry.at("series").get<std::size_t>());
      ts.defocus_handedness = entry.at("hand").get<double>();
      const auto& fits = entry.at("fits");
      for (std::size_t i = 0; i < ts.tilts.size(); ++i) {
        auto& t = ts.tilts[i];
        const auto& f = fits.at(i);
        t.defocus_u_A = f[0];
        t.defocus_v_A = f[1];
        t.defocus_angle_deg = f[2];
        t.ctf_score = f[3];
        t.ctf_resolution_A = f[4];
        low += !f[5].get<bool>();
        ++done;
      }
    }
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
  cli.add_option("--max-res", o.max_resolution_A, "highest resolution fitted, A (raised to 2.2 pixels if finer)");
  cli.add_option("--min-defocus", o.min_defocus_A, "A");
  cli.add_option("--max-defocus", o.max_defocus_A, "A");
  cli.add_option("--tile", o.tile_px, "tile size, px");
  cli.add_option("--threads", threads, "OpenMP threads");
  std::string diagnostics;
  bool no_tilt_correction = false;
  cli.add_flag("--no-tilt-correction", no_tilt_correction, "fit tilted images as if untilted (for comparison)");
  cli.add_flag("--phase-shift", o.fit_phase_shift, "also fit a phase shift (phase plate data)");
  cli.add_option("--diagnostics", diagnostics, "write a PNG per fit (2D spectrum with the model, 1D profile) into this folder");
  auto args = expand_config(raw_args, "ctf",
                            {"project", "micrograph", "pixel-size", "voltage", "cs", "amp-contrast", "tilt-angle",
                             "tilt-axis", "out", "min-res", "max-res", "min-defocus", "max-defocus", "tile", "threads",
                             "diagnostics"},
                            {"no-tilt-correction", "phase-shift"});
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
    return run_project(ctx, project, o, std::max(1, threads), diagnostics, !no_tilt_correction);
  }
  if (px <= 0) throw ConfigError("command line", "--pixel-size", std::to_string(px), "> 0 A");
  const Image im = io::MrcReader(micrograph).read_section(0);
  CtfParams optics;
  optics.voltage_kV = voltage;
  optics.cs_mm = cs;
  optics.amplitude_contrast = q0;
  const auto t0 = std::chrono::steady_clock::now();
  CtfDiagnostics d;
  const CtfFit f = estimate_ctf(im, optics, px, o, {tilt, axis, 1.0}, diagnostics.empty() ? nullptr : &d);
  if (!diagnostics.empty()) {
    std::filesystem::create_directories(diagnostics);
    write_diagnostics((std::filesystem::path(diagnostics) / (std::filesystem::path(micrograph).stem().string() + ".png")).string(), d);
  }
  auto j = fit_json(f);
  j["micrograph"] = micrograph;
  j["wall_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!out_json.empty()) std::ofstream(out_json) << j.dump(2) << "\n";
  if (ctx.is_root()) std::printf("%s\n", j.dump(2).c_str());
  return 0;
}

}  // namespace cspt::app
