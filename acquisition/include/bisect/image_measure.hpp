// The tracker's image layer: turns image events into measurements. Tracking images are aligned to
// the whole-series reference of their magnification (acquisition.md 5.1); ROI Records to the ROI's
// selection image (or its first Record). References live beside the project in "<project>.refs/",
// written under new version names before the project file that names them, so a crash at any
// point leaves a consistent pair.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "bisect/image_align.hpp"
#include "bisect/plan.hpp"
#include "bisect/tracker.hpp"
#include "cspt/core/image.hpp"

namespace bisect {

class ImageLayer {
 public:
  ImageLayer(const TrackPlan& plan, std::string refs_dir);

  nlohmann::json state() const;
  /// Loads the references a saved state names; IoError if a file is missing or does not match.
  void restore(const nlohmann::json& state);

  /// Aligns a tracking image (MRC, the plan's size for that magnification) at tilt_deg. The first
  /// image of a magnification defines its reference (shift 0) unless `reference_path` gives the
  /// selection image to align it against.
  Measurement measure_tracking(const std::string& path, int mag, double tilt_deg, const std::string& reference_path);
  /// Aligns an ROI Record against the ROI's reference (its selection image when given with the
  /// first Record, otherwise the first Record itself).
  Measurement measure_roi(const std::string& roi, const std::string& path, double tilt_deg,
                          const std::string& reference_path);
  /// The last measured tracking image joins its magnification's series reference.
  void add_tracking(int mag, double tilt_deg, const Measurement& m);

  /// Writes references changed since the last commit (new file names); the state names them.
  void commit_files();
  /// Deletes reference files the committed state no longer names.
  void remove_superseded_files();

 private:
  cspt::Image read_checked(const std::string& path, int nx, int ny, int factor, const std::string& what) const;

  struct TrackingRef {
    std::shared_ptr<SeriesReference> reference;  ///< copy-on-write between transactions
    int version = 0;
    bool dirty = false;
  };
  /// An ROI's reference is a series reference holding one image (its transform is cached); it
  /// is loaded from its file only when that ROI is next measured.
  struct RoiRef {
    std::shared_ptr<const SeriesReference> reference;
    double tilt_deg = 0.0;
    double weight_sum = 1.0;
    bool written = false;
  };
  struct Pending {
    int mag = -1;
    cspt::Image binned;
    double shift_x_px = 0.0, shift_y_px = 0.0;
  };

  TrackPlan plan_;
  std::string dir_;
  std::array<TrackingRef, 2> tracking_;
  std::map<std::string, RoiRef> rois_;
  Pending pending_;
  std::vector<std::string> superseded_;
};

}  // namespace bisect
