// bisect-track latency: one tracking step on a 4096 x 4096 uint16 image, read from disk each step.
//
// Part 1 (the image work alone): read the MRC file, bin it to <= 512 px, stretch it onto the series
// reference's tilt, correlate, fit the sub-pixel peak and add the image to the reference (which
// re-transforms the reference).
// Part 2 (the whole step, as the microscope waits for it): a real Session through a whole 5 x 5,
// +-60 deg acquisition; every `tracking_image` event (the same 4096 x 4096 file) is timed from the
// event to the answer: image work, gates, geometry update and the atomic rewrite of the project
// file, which grows to its end-of-session size. ROI events carry measured shifts.
// One thread, as the tracker. Prints one JSON object on stdout. Usage: bisect_micro_track [steps=50]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <numbers>
#include <string>
#include <vector>

#include "bisect/image_align.hpp"
#include "bisect/scope_sim.hpp"
#include "bisect/session.hpp"
#include "bisect/specimen_render.hpp"
#include "cspt/io/mrc.hpp"

namespace {

constexpr int kSize = 4096;
constexpr double kPixelA = 5.2;      // low-magnification tracking (acquisition.md §8.2)
constexpr double kAxisDeg = 84.8;
constexpr double kDose = 0.1;        // e/Å² per tracking image
constexpr double kTrackTiltDeg = 18.0;
constexpr double kShiftXPx = 143.7, kShiftYPx = -61.2;  // the tracking image's known shift

double radians(double deg) { return deg * std::numbers::pi / 180.0; }

// A view in which the untilted point (0.9, 0.4) µm appears moved by +s camera pixels at tilt_deg.
bisect::RenderView view_at(double tilt_deg, double sx, double sy, std::uint64_t seed) {
  bisect::RenderView v;
  v.nx = v.ny = kSize, v.pixel_size_A = kPixelA, v.axis_from_x_deg = kAxisDeg;
  v.dose_e_per_A2 = kDose, v.noise_seed = seed, v.tilt_deg = tilt_deg;
  const bisect::SpecimenShiftNm d = bisect::specimen_shift_nm(sx, sy, kPixelA, kAxisDeg);
  v.centre_x_um = 0.9 - 1e-3 * d.x_nm;
  v.centre_y_um = 0.4 * std::cos(radians(tilt_deg)) - 1e-3 * d.y_nm;
  return v;
}

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q * double(v.size() - 1);
  const std::size_t lo = std::size_t(pos), hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - double(lo)) * (v[hi] - v[lo]);
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// The reference built from ten prior tilts of the dose-symmetric order, rendered binned.
bisect::SeriesReference prior_reference(const bisect::Specimen& specimen) {
  bisect::SeriesReference ref(kSize, kSize, kAxisDeg, 0.0);
  const double tilts[] = {0, 3, -3, -6, 6, 9, -9, -12, 12, 15};
  std::uint64_t seed = 100;
  for (double t : tilts) {
    const double sx = 7.0 * t, sy = -3.0 * t;
    const cspt::Image binned = bisect::render_binned(specimen, view_at(t, sx, sy, seed++), ref.binning(), 1);
    ref.add_binned(binned, t, sx, sy, std::cos(radians(t)));
  }
  return ref;
}

struct SessionTimes {
  std::vector<double> tracking_ms;
  double project_bytes = 0;
};

// A whole acquisition through a Session, the tracking images from `image`.
SessionTimes session_steps(const std::string& dir, const std::string& image) {
  bisect::TrackPlan plan = bisect::builtin_scenario("nominal-krios").plan;
  plan.rotation_angle_deg = kAxisDeg;
  const std::string project = dir + "/project.h5";
  bisect::Session::create(project, plan, true);
  bisect::Session session(project);
  SessionTimes times;
  nlohmann::json action = session.start();
  double clock = 0.0;
  while (action.at("action") != "done") {
    const std::string kind = action.at("action");
    nlohmann::json event;
    if (kind == "tilt") event = {{"event", "tilted"}, {"angle_deg", action.at("angle_deg")}};
    else if (kind == "track") event = {{"event", "tracking_image"}, {"mag", action.at("mag")}, {"image", image}};
    else if (kind == "focus") event = {{"event", "focus"}, {"focus_um", -3.0}};
    else event = {{"event", "roi_image"}, {"roi", action.at("roi")}, {"shift_nm", {2.0, -1.0}}, {"cc", 0.3}, {"psr", 8.0}};
    event["time_s"] = clock += 1.0;
    const auto t0 = std::chrono::steady_clock::now();
    action = session.handle(event);
    if (kind == "track") times.tracking_ms.push_back(ms_since(t0));
  }
  times.project_bytes = double(std::filesystem::file_size(project));
  return times;
}

}  // namespace

int main(int argc, char** argv) {
  const int steps = argc > 1 ? std::max(1, std::atoi(argv[1])) : 50;
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("bisect_micro_track_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "tracking.mrc").string();
  try {
    const bisect::Specimen specimen;
    const auto t_render = std::chrono::steady_clock::now();
    {
      const cspt::Image full = bisect::render(specimen, view_at(kTrackTiltDeg, kShiftXPx, kShiftYPx, 1));
      const std::vector<std::uint16_t> raw = bisect::to_uint16(full);
      cspt::io::write_mrc_image_uint16(path, raw.data(), kSize, kSize, kPixelA);
    }
    const double render_ms = ms_since(t_render);
    bisect::SeriesReference ref = prior_reference(specimen);

    std::vector<double> total_ms, read_ms, align_ms, add_ms;
    bisect::AlignResult first{};
    for (int step = 0; step < steps; ++step) {
      const auto t0 = std::chrono::steady_clock::now();
      const cspt::Image binned = bisect::read_binned_mrc_section(path, 0, ref.binning());
      read_ms.push_back(ms_since(t0));
      const auto t1 = std::chrono::steady_clock::now();
      const bisect::AlignResult r = ref.align_binned(binned, kTrackTiltDeg);
      align_ms.push_back(ms_since(t1));
      const auto t2 = std::chrono::steady_clock::now();
      ref.add_binned(binned, kTrackTiltDeg, r.shift_x_px, r.shift_y_px, std::cos(radians(kTrackTiltDeg)));
      add_ms.push_back(ms_since(t2));
      total_ms.push_back(ms_since(t0));
      if (step == 0) first = r;
    }
    const SessionTimes session = session_steps(dir.string(), path);
    std::printf(
        "{\"bench\": \"bisect_micro_track\", \"image\": \"%dx%d uint16 MRC\", \"binning\": %d, \"steps\": %d, "
        "\"threads\": 1, \"median_ms\": %.3f, \"p90_ms\": %.3f, \"read_bin_median_ms\": %.3f, "
        "\"align_median_ms\": %.3f, \"add_median_ms\": %.3f, \"shift_error_px\": [%.3f, %.3f], \"cc\": %.4f, "
        "\"psr\": %.2f, \"render_once_ms\": %.0f, \"session_tracking_steps\": %zu, "
        "\"session_step_median_ms\": %.3f, \"session_step_p90_ms\": %.3f, \"session_step_max_ms\": %.3f, "
        "\"project_bytes_at_end\": %.0f}\n",
        kSize, kSize, ref.binning(), steps, percentile(total_ms, 0.5), percentile(total_ms, 0.9),
        percentile(read_ms, 0.5), percentile(align_ms, 0.5), percentile(add_ms, 0.5), first.shift_x_px - kShiftXPx,
        first.shift_y_px - kShiftYPx, first.cc_peak, first.psr, render_ms, session.tracking_ms.size(),
        percentile(session.tracking_ms, 0.5), percentile(session.tracking_ms, 0.9),
        *std::max_element(session.tracking_ms.begin(), session.tracking_ms.end()), session.project_bytes);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bisect_micro_track: %s\n", e.what());
    std::filesystem::remove_all(dir);
    return 1;
  }
  std::filesystem::remove_all(dir);
  return 0;
}
