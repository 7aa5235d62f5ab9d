// cspt ctf: per-tilt astigmatic tilted-CTF estimation for a project, or the same estimator on one
// micrograph (single-particle use).
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "apps/cspt/cli.hpp"
#include "apps/cspt/commands.hpp"
#include "apps/cspt/schema_options.hpp"
#include "cspt/ctf/ctf_estimate.hpp"
#include "cspt/ctf/ctf_plausibility.hpp"
#include "cspt/io/mrc.hpp"
#include "cspt/io/mrc_fei.hpp"
#include "cspt/io/png.hpp"
#include "cspt/io/png_text.hpp"
#include "cspt/io/project_file.hpp"
#include "cspt/parallel/guarded.hpp"
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

/// Copies `from` into `to` with its top-left corner at (x, y).
void paste(io::RgbImage& to, const io::RgbImage& from, int x, int y) {
  for (int r = 0; r < from.height; ++r)
    for (int c = 0; c < from.width; ++c) to.at(x + c, y + r) = from.pixels[std::size_t(r) * from.width + c];
}

/// The fit in words for the picture: defocus, astigmatism, score, fit resolution and confidence.
std::vector<std::string> fit_caption(const CtfFit& f) {
  char a[160], b[160];
  std::snprintf(a, sizeof a, "defocus %.0f / %.0f A   astigmatism angle %.1f deg", f.defocus1_A, f.defocus2_A,
                f.astig_angle_deg);
  if (f.fit_resolution_A > 0)
    std::snprintf(b, sizeof b, "score %.3f   fit resolution %.1f A   confidence %s", f.score, f.fit_resolution_A,
                  f.confident ? "ok" : "low");
  else
    std::snprintf(b, sizeof b, "score %.3f   no fit resolution   confidence %s", f.score, f.confident ? "ok" : "low");
  std::vector<std::string> lines{a, b};
  if (!f.confident && !f.reason.empty()) lines.push_back(f.reason);
  return lines;
}

/// A picture of one fit: the 2D spectrum (model in the left half) beside the 1D profile (black) and
/// model (red), captioned with the fit, its score and fit resolution, and the frequency axis range.
void write_diagnostics(const std::string& path, const CtfDiagnostics& d, const CtfFit& fit) {
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
  // The right panel: caption lines on top, the profile plot, the frequency range underneath.
  const int scale = 2, line_h = io::text_height_px(scale) + 6;
  const auto caption = fit_caption(fit);
  const int head = 6 + int(caption.size()) * line_h, foot = line_h + 4;
  const io::Rgb black{0, 0, 0}, red{220, 40, 40};
  io::RgbImage right{2 * left.width, left.height,
                     std::vector<io::Rgb>(std::size_t(2 * left.width) * std::size_t(left.height), {255, 255, 255})};
  for (std::size_t k = 0; k < caption.size(); ++k)
    io::draw_text(right, 10, 6 + int(k) * line_h, caption[k], k < 2 ? black : red, scale);
  const io::RgbImage plot = io::line_plot({data, model}, {{40, 40, 40}, red}, right.width, right.height - head - foot);
  paste(right, plot, 0, head);
  if (!d.frequency_per_A.empty()) {
    const double f0 = d.frequency_per_A.front(), f1 = d.frequency_per_A.back();
    char lo_text[48], hi_text[64];
    std::snprintf(lo_text, sizeof lo_text, "%.3f 1/A", f0);
    std::snprintf(hi_text, sizeof hi_text, "%.3f 1/A (%.1f A)", f1, f1 > 0 ? 1.0 / f1 : 0.0);
    const int y = right.height - foot + 4;
    io::draw_text(right, 4, y, lo_text, black, scale);
    io::draw_text(right, right.width - 6 - io::text_width_px(hi_text, scale), y, hi_text, black, scale);
  }
  io::RgbImage both;
  both.width = left.width + right.width;
  both.height = left.height;
  both.pixels.resize(std::size_t(both.width) * both.height);
  paste(both, left, 0, 0);
  paste(both, right, left.width, 0);
  io::write_png(path, both);
}

/// What the micrograph's file says of its pixel size and aimed defocus: the FEI extended header when
/// present, else the MRC header's sampling (1.0 A, the default of many writers, counts as unset);
/// `nominal_defocus_A` > 0 overrides the header's applied defocus, < 0 switches that check off.
MicrographMetadata micrograph_metadata(const io::MrcReader& file, double nominal_defocus_A) {
  MicrographMetadata m;
  const auto fei = io::read_fei_metadata(file.path(), file.header());
  if (fei && fei->pixel_size_A > 0) {
    m.file_pixel_size_A = fei->pixel_size_A;
    m.file_pixel_source = "the file's FEI extended header";
  } else {
    const double header_px = file.header().pixel_size_A();
    if (header_px > 0 && std::abs(header_px - 1.0) > 1e-6) {
      m.file_pixel_size_A = header_px;
      m.file_pixel_source = "the file's MRC header";
    }
  }
  if (nominal_defocus_A > 0) {
    m.nominal_underfocus_A = nominal_defocus_A;
    m.nominal_source = "--nominal-defocus";
  } else if (nominal_defocus_A == 0 && fei && fei->applied_underfocus_A > 0) {
    m.nominal_underfocus_A = fei->applied_underfocus_A;
    m.nominal_source = "the FEI header's applied defocus";
  }
  return m;
}

struct SeriesFits {
  std::vector<CtfFit> fits;
  double handedness = 1.0;
  int votes_for = 0, votes_against = 0;
  double gradient_ratio = 0.0;  ///< measured / geometric defocus gradient across tilted images (0: not measured)
  int gradient_tilts = 0;
};

/// Fit every tilt of one series: the least-tilted image first over the whole range, the others in a
/// window around it; then vote on the handedness over tilts of 10-50 degrees and refit if inverted.
/// The pixel size checked by the data: ring positions fix defocus x pixel^2, while the defocus
/// difference between the two halves of a tilted image (either side of the tilt axis) is their
/// distance x tan(tilt), linear in the pixel size. A wrong pixel size scales measured / geometric
/// by pixel_given / pixel_true; when the median over 30-60 degree tilts is off by more than 25%,
/// every fit of the series gets low confidence with the reason.
void check_pixel_size_from_gradient(const TiltSeriesRecord& ts, const std::vector<Image>& images, const CtfParams& optics,
                                    double px, const CtfSearchOptions& around, SeriesFits& out) {
  std::vector<double> ratios;
  for (std::size_t i = 0; i < images.size(); ++i) {
    const double tilt = ts.tilts[i].refined_tilt_deg, a = std::abs(tilt);
    if (a < 30 || a > 60 || !out.fits[i].confident) continue;
    const Image& im = images[i];
    const int sub = (std::min(im.nx(), im.ny()) / 2) & ~1;
    const double ax = ts.tilts[i].tilt_axis_deg * std::numbers::pi / 180;
    const double ex = std::cos(ax), ey = std::sin(ax), d = sub / 2.0;  // aligned +x direction in the image
    double fitted[2] = {0, 0};
    bool ok = true;
    for (int side = 0; side < 2; ++side) {
      const double sign = side ? 1.0 : -1.0;
      const int cx = int(std::lround(im.nx() / 2 + sign * d * ex)), cy = int(std::lround(im.ny() / 2 + sign * d * ey));
      Image cut(sub, sub, px);
      for (int y = 0; y < sub; ++y)
        for (int x = 0; x < sub; ++x)
          cut.at(x, y) = im.at(std::clamp(cx - sub / 2 + x, 0, im.nx() - 1), std::clamp(cy - sub / 2 + y, 0, im.ny() - 1));
      CtfSearchOptions o = around;
      const double mean = 0.5 * (out.fits[i].defocus1_A + out.fits[i].defocus2_A);
      o.min_defocus_A = std::max(o.min_defocus_A, mean - 4000);
      o.max_defocus_A = std::min(o.max_defocus_A, mean + 4000);
      o.tile_px = std::min(o.tile_px, sub / 2);
      const CtfFit f = estimate_ctf(cut, optics, px, o, {tilt, ts.tilts[i].tilt_axis_deg, out.handedness});
      ok = ok && f.score > 0.02;
      fitted[side] = 0.5 * (f.defocus1_A + f.defocus2_A);
    }
    // A point at aligned x has height -x tan(tilt), so defocus + handedness x tan(tilt).
    const double expected = out.handedness * (2 * d * px) * std::tan(tilt * std::numbers::pi / 180);
    if (ok && std::abs(expected) > 200) ratios.push_back((fitted[1] - fitted[0]) / expected);
  }
  out.gradient_tilts = int(ratios.size());
  if (ratios.size() < 4) return;
  std::nth_element(ratios.begin(), ratios.begin() + long(ratios.size() / 2), ratios.end());
  out.gradient_ratio = ratios[ratios.size() / 2];
  // Right pixel sizes read 0.96-1.05 on simulated series; 15% leaves room for noise and flags a
  // pixel size 1.1 A given for 1.5 A (0.73-0.76).
  if (std::abs(out.gradient_ratio - 1.0) > 0.15) {
    char reason[200];
    std::snprintf(reason, sizeof reason,
                  "the defocus gradient across tilted images is %.2f times the geometric one: check the pixel size "
                  "(%.4g A given)", out.gradient_ratio, px);
    for (auto& f : out.fits) {
      f.confident = false;
      f.reason = reason;
    }
  }
}

SeriesFits fit_series(const TiltSeriesRecord& ts, const std::filesystem::path& dir, const CtfParams& optics, double px,
                      const CtfSearchOptions& base, int threads, const std::string& diagnostics_dir, bool tilt_correction) {
  const std::size_t n = ts.tilts.size();
  std::vector<Image> images(n);
  try {  // a raw stack that cannot be read is named with its tilt series, as extraction does
    io::MrcReader stack((dir / ts.stack_path).string());
    for (std::size_t i = 0; i < n; ++i) images[i] = stack.read_section(ts.tilts[i].section);
  } catch (const Error& e) {
    throw in_tilt_series(e, ts.name);
  }
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
  check_pixel_size_from_gradient(ts, images, optics, px, around, out);
  if (!diagnostics_dir.empty()) {
    for (std::size_t i = 0; i < n; ++i) {
      CtfDiagnostics d;
      estimate_ctf(images[i], optics, px, around, tilt_of(i, out.handedness), &d);
      char name[96];
      std::snprintf(name, sizeof name, "%s_%02d_%+05.1f.png", ts.name.c_str(), ts.tilts[i].section, ts.tilts[i].nominal_tilt_deg);
      write_diagnostics((std::filesystem::path(diagnostics_dir) / name).string(), d, out.fits[i]);
    }
  }
  return out;
}

int run_project(parallel::Context& ctx, const std::string& path, const CtfSearchOptions& base, int threads,
                const std::string& diagnostics_dir, bool tilt_correction, double pixel_override_A) {
  Project p = io::read_project(path);
  const double px = pixel_override_A > 0 ? pixel_override_A : p.optics.pixel_size_A;
  const auto dir = std::filesystem::path(path).parent_path();
  CtfParams optics;
  optics.voltage_kV = p.optics.voltage_kV;
  optics.cs_mm = p.optics.cs_mm;
  optics.amplitude_contrast = p.optics.amplitude_contrast;
  if (!diagnostics_dir.empty() && ctx.is_root()) std::filesystem::create_directories(diagnostics_dir);
  ctx.barrier_collective();
  // Each rank fits its share of the series; the root gathers the numbers and writes the project.
  nlohmann::json mine = nlohmann::json::array();
  // Guarded: a series one rank cannot read ends every rank (they would wait in the gather).
  parallel::run_guarded_collective(ctx, [&] {
    for (std::size_t s = std::size_t(ctx.rank()); s < p.tilt_series.size(); s += std::size_t(ctx.size())) {
      const auto r = fit_series(p.tilt_series[s], dir, optics, px, base, threads, diagnostics_dir,
                                tilt_correction);
      nlohmann::json fits = nlohmann::json::array();
      for (const auto& f : r.fits)
        fits.push_back({f.defocus1_A, f.defocus2_A, f.astig_angle_deg, f.score, f.fit_resolution_A, f.confident});
      mine.push_back({{"series", s}, {"hand", r.handedness}, {"fits", fits}});
      std::fprintf(stderr, "cspt ctf: %s: %zu tilts fitted, defocus hand %+.0f (votes %d:%d), gradient %.2f x geometric "
                   "(%d tilts) on %s\n",
                   p.tilt_series[s].name.c_str(), r.fits.size(), r.handedness, r.votes_for, r.votes_against,
                   r.gradient_ratio, r.gradient_tilts, ctx.label().c_str());
      if (!r.fits.empty() && !r.fits.front().confident && r.fits.front().reason.find("gradient") != std::string::npos)
        std::fprintf(stderr, "cspt ctf: %s: %s\n", p.tilt_series[s].name.c_str(), r.fits.front().reason.c_str());
    }
  });
  const auto all = ctx.gather_text_to_root_collective(mine.dump());
  // Guarded too: under `cspt run` the other ranks must hear of a failed write (a full disk).
  parallel::run_guarded_collective(ctx, [&] {
    if (!ctx.is_root()) return;
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
  });
  return 0;
}

}  // namespace

int run_ctf(parallel::Context& ctx, std::vector<std::string> raw_args) {
  std::string project, micrograph, out_json;
  double px = 0, voltage = 300, cs = 2.7, q0 = 0.07, tilt = 0, axis = 0, nominal_defocus = 0;
  int threads = 1;
  CtfSearchOptions o;
  CLI::App cli{"Astigmatic CTF estimation, tilted images included.", "cspt ctf"};
  std::string diagnostics;
  bool no_tilt_correction = false;
  const std::string C = "ctf";
  bind_key(cli, C, "project", project, "-p");
  bind_key(cli, C, "micrograph", micrograph);
  bind_key(cli, C, "pixel-size", px);
  bind_key(cli, C, "voltage", voltage);
  bind_key(cli, C, "cs", cs);
  bind_key(cli, C, "amp-contrast", q0);
  bind_key(cli, C, "tilt-angle", tilt);
  bind_key(cli, C, "tilt-axis", axis);
  bind_key(cli, C, "nominal-defocus", nominal_defocus);
  bind_key(cli, C, "out", out_json);
  bind_key(cli, C, "min-res", o.min_resolution_A);
  bind_key(cli, C, "max-res", o.max_resolution_A);
  bind_key(cli, C, "min-defocus", o.min_defocus_A);
  bind_key(cli, C, "max-defocus", o.max_defocus_A);
  bind_key(cli, C, "tile", o.tile_px);
  bind_key(cli, C, "threads", threads);
  bind_key(cli, C, "diagnostics", diagnostics);
  bind_switch(cli, C, "phase-shift", o.fit_phase_shift);
  bind_switch(cli, C, "no-tilt-correction", no_tilt_correction);
  if (!parse_with_schema(cli, C, raw_args, ctx.is_root())) return 0;
  if (project.empty() == micrograph.empty()) throw ConfigError("command line", "-p/--micrograph", "", "exactly one of them");
  if (!project.empty()) {
    return run_project(ctx, project, o, std::max(1, threads), diagnostics, !no_tilt_correction, px);
  }
  if (px <= 0) throw ConfigError("command line", "--pixel-size", std::to_string(px), "> 0 A");
  const io::MrcReader file(micrograph);
  const Image im = file.read_section(0);
  CtfParams optics;
  optics.voltage_kV = voltage;
  optics.cs_mm = cs;
  optics.amplitude_contrast = q0;
  const auto t0 = std::chrono::steady_clock::now();
  CtfDiagnostics d;
  CtfFit f = estimate_ctf(im, optics, px, o, {tilt, axis, 1.0}, diagnostics.empty() ? nullptr : &d);
  const MicrographMetadata meta = micrograph_metadata(file, nominal_defocus);
  check_fit_against_metadata(f, px, meta);
  if (!diagnostics.empty()) {
    std::filesystem::create_directories(diagnostics);
    write_diagnostics((std::filesystem::path(diagnostics) / (std::filesystem::path(micrograph).stem().string() + ".png")).string(), d, f);
  }
  auto j = fit_json(f);
  j["micrograph"] = micrograph;
  if (meta.nominal_underfocus_A > 0) j["nominal_defocus_A"] = meta.nominal_underfocus_A;
  j["wall_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!out_json.empty()) std::ofstream(out_json) << j.dump(2) << "\n";
  if (ctx.is_root()) std::printf("%s\n", j.dump(2).c_str());
  return 0;
}

}  // namespace cspt::app
