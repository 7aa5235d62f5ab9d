// Rendering the simulated microscope's images.
#include "scope_images.hpp"

#include <cmath>
#include <filesystem>

#include "bisect/angles.hpp"
#include "cspt/io/mrc.hpp"

namespace bisect {

namespace {
// Tracking exposures are short: enough counts to correlate, little dose.
constexpr double kLowMagDose = 0.05, kHighMagDose = 0.3;

SpecimenParams specimen_params(std::uint64_t seed) {
  SpecimenParams p;
  p.seed = seed;
  return p;
}
}  // namespace

SceneRenderer::SceneRenderer(const TrackPlan& plan, std::uint64_t seed, std::string dir)
    : plan_(plan), specimen_(specimen_params(seed)), dir_(std::move(dir)) {
  std::filesystem::create_directories(dir_);
}

std::string SceneRenderer::render_to(const std::string& name, double fx, double fy, double ox, double oy,
                                     double tilt_deg, double pixel_A, int n, double dose, std::mt19937_64& rng) {
  RenderView v;
  // A flat specimen through the feature: the feature projects to (fx, fy cos), the beam centre
  // lies offset from it.
  v.centre_x_um = fx - ox;
  v.centre_y_um = fy * std::cos(rad(tilt_deg)) - oy;
  v.tilt_deg = tilt_deg;
  v.pixel_size_A = pixel_A;
  v.nx = v.ny = n;
  v.axis_from_x_deg = plan_.rotation_angle_deg;
  v.dose_e_per_A2 = dose;
  v.noise_seed = rng();
  const cspt::Image image = render(specimen_, v);
  const std::string path = (std::filesystem::path(dir_) / name).string();
  const auto counts = to_uint16(image);
  cspt::io::write_mrc_image_uint16(path, counts.data(), n, n, pixel_A);
  return path;
}

std::string SceneRenderer::tracking_image(int mag, double ox, double oy, double tilt_deg, std::mt19937_64& rng) {
  const MagPlan& mp = mag == 0 ? plan_.low : plan_.high;
  return render_to(std::string("track_") + (mag == 0 ? "low" : "high") + "_" + std::to_string(counter_++ % 4) + ".mrc",
                   plan_.tracking_x_um, plan_.tracking_y_um, ox, oy, tilt_deg, mp.pixel_A, mp.nx_px,
                   mag == 0 ? kLowMagDose : kHighMagDose, rng);
}

std::string SceneRenderer::record_image(int roi, double ox, double oy, double tilt_deg, std::mt19937_64& rng) {
  const RoiPlan& r = plan_.rois[std::size_t(roi)];
  return render_to("record_" + std::to_string(counter_++ % 4) + ".mrc", r.x_um + plan_.tracking_x_um,
                   r.y_um + plan_.tracking_y_um, ox, oy, tilt_deg, plan_.record_pixel_A, plan_.record_nx_px,
                   plan_.dose_per_tilt_e_per_A2, rng);
}

}  // namespace bisect
