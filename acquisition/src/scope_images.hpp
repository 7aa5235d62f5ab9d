// Image mode of the simulated microscope: the camera images of the tracking area and the ROIs,
// rendered from a synthetic holey-film specimen around where the beam truly is.
#pragma once

#include <memory>
#include <random>
#include <string>

#include "bisect/plan.hpp"
#include "bisect/specimen_render.hpp"

namespace bisect {

class SceneRenderer {
 public:
  SceneRenderer(const TrackPlan& plan, std::uint64_t seed, std::string dir);
  /// The tracking image at magnification mag (0 low, 1 high) when the area's feature lies
  /// (offset_x, offset_y) um from the beam centre (projected), at tilt_deg. Returns the file path.
  std::string tracking_image(int mag, double offset_x_um, double offset_y_um, double tilt_deg, std::mt19937_64& rng);
  /// The Record of ROI roi, likewise.
  std::string record_image(int roi, double offset_x_um, double offset_y_um, double tilt_deg, std::mt19937_64& rng);

 private:
  std::string render_to(const std::string& name, double feature_x_um, double feature_y_um, double offset_x_um,
                        double offset_y_um, double tilt_deg, double pixel_A, int n, double dose, std::mt19937_64& rng);
  const TrackPlan plan_;
  Specimen specimen_;
  std::string dir_;
  int counter_ = 0;
};

}  // namespace bisect
