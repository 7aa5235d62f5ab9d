// Image events to measurements, and the reference files beside the project.
#include "bisect/image_measure.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "bisect/angles.hpp"
#include "cspt/io/mrc.hpp"
#include "cspt/util/error.hpp"

namespace bisect {

namespace fs = std::filesystem;

namespace {

AlignFilter filter_for(const TrackPlan& plan) {
  AlignFilter f;
  f.max_size_px = plan.correlation_size_px;
  return f;
}

std::string version_name(const char* mag, int version) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "track_%s_v%06d.mrc", mag, version);
  return buf;
}

void write_float_image(const std::string& path, const cspt::Image& image) {
  cspt::io::write_mrc_stack(path, {image});  // atomic: temporary file renamed over path
}

cspt::Image read_float_image(const std::string& path) {
  const cspt::Volume v = cspt::io::read_mrc_volume(path);
  cspt::Image image(v.nx(), v.ny(), v.pixel_size_A());
  std::copy(v.data(), v.data() + image.size(), image.data());
  return image;
}

}  // namespace

ImageLayer::ImageLayer(const TrackPlan& plan, std::string refs_dir) : plan_(plan), dir_(std::move(refs_dir)) {}

cspt::Image ImageLayer::read_checked(const std::string& path, int nx, int ny, int factor, const std::string& what) const {
  const cspt::io::MrcHeader h = cspt::io::read_mrc_header(path);
  if (h.nx != nx || h.ny != ny)
    throw cspt::ConfigError(path, what + " size", std::to_string(h.nx) + " x " + std::to_string(h.ny),
                            std::to_string(nx) + " x " + std::to_string(ny) + " as in the plan");
  if (h.mode != 0 && h.mode != 1 && h.mode != 2 && h.mode != 6 && h.mode != 12)
    throw cspt::ConfigError(path, "MRC mode", std::to_string(h.mode), "0, 1, 2, 6 or 12");
  return read_binned_mrc_section(path, 0, factor);
}

Measurement ImageLayer::measure_tracking(const std::string& path, int mag, double tilt_deg,
                                         const std::string& reference_path) {
  const MagPlan& mp = mag == 0 ? plan_.low : plan_.high;
  const int factor = binning_factor(mp.nx_px, mp.ny_px, plan_.correlation_size_px);
  cspt::Image binned = read_checked(path, mp.nx_px, mp.ny_px, factor, std::string(mag == 0 ? "low" : "high") + "-mag tracking image");
  TrackingRef& t = tracking_[std::size_t(mag)];
  AlignResult r;
  if (!t.reference) {
    t.reference = std::make_shared<SeriesReference>(mp.nx_px, mp.ny_px, plan_.rotation_angle_deg, tilt_deg, filter_for(plan_));
    if (!reference_path.empty()) {
      const cspt::Image ref = read_checked(reference_path, mp.nx_px, mp.ny_px, factor, "tracking reference image");
      t.reference->add_binned(ref, tilt_deg, 0.0, 0.0, 1.0);
      t.dirty = true;
      r = t.reference->align_binned(binned, tilt_deg);
    } else {
      r = AlignResult{0.0, 0.0, 1.0, 1000.0};  // the first image defines the target
    }
  } else {
    r = t.reference->align_binned(binned, tilt_deg);
  }
  pending_ = Pending{mag, std::move(binned), r.shift_x_px, r.shift_y_px};
  const SpecimenShiftNm s = specimen_shift_nm(r.shift_x_px, r.shift_y_px, mp.pixel_A, plan_.rotation_angle_deg);
  return Measurement{s.x_nm, s.y_nm, r.cc_peak, r.psr};
}

void ImageLayer::add_tracking(int mag, double tilt_deg, const Measurement&) {
  if (pending_.mag != mag) return;  // a measured (not imaged) event: nothing to add
  TrackingRef& t = tracking_[std::size_t(mag)];
  auto copy = std::make_shared<SeriesReference>(*t.reference);  // copy-on-write
  copy->add_binned(pending_.binned, tilt_deg, pending_.shift_x_px, pending_.shift_y_px,
                   std::cos(rad(tilt_deg)));
  t.reference = std::move(copy);
  t.dirty = true;
  pending_ = Pending{};
}

Measurement ImageLayer::measure_roi(const std::string& roi, const std::string& path, double tilt_deg,
                                    const std::string& reference_path) {
  const int factor = binning_factor(plan_.record_nx_px, plan_.record_ny_px, plan_.correlation_size_px);
  const cspt::Image image = read_checked(path, plan_.record_nx_px, plan_.record_ny_px, factor, "ROI " + roi + " Record");
  const auto single_image_reference = [&](const cspt::Image& binned) {
    auto r = std::make_shared<SeriesReference>(plan_.record_nx_px, plan_.record_ny_px, plan_.rotation_angle_deg, tilt_deg,
                                               filter_for(plan_));
    r->add_binned(binned, tilt_deg, 0.0, 0.0, 1.0);
    return r;
  };
  auto it = rois_.find(roi);
  if (it == rois_.end()) {
    if (reference_path.empty()) {  // the first Record defines the target
      rois_[roi] = RoiRef{single_image_reference(image), tilt_deg, 1.0, false};
      return Measurement{0.0, 0.0, 1.0, 1000.0};
    }
    const cspt::Image selection =
        read_checked(reference_path, plan_.record_nx_px, plan_.record_ny_px, factor, "ROI " + roi + " selection image");
    it = rois_.emplace(roi, RoiRef{single_image_reference(selection), tilt_deg, 1.0, false}).first;
  } else if (!it->second.reference) {
    SeriesReference::State st;
    st.sum_binned = read_float_image((fs::path(dir_) / ("roi_" + roi + ".mrc")).string());
    st.weight_sum = it->second.weight_sum;
    st.count = 1;
    it->second.reference = std::make_shared<SeriesReference>(plan_.record_nx_px, plan_.record_ny_px,
                                                             plan_.rotation_angle_deg, it->second.tilt_deg,
                                                             filter_for(plan_), std::move(st));
  }
  const AlignResult r = it->second.reference->align_binned(image, tilt_deg);
  const SpecimenShiftNm s = specimen_shift_nm(r.shift_x_px, r.shift_y_px, plan_.record_pixel_A, plan_.rotation_angle_deg);
  return Measurement{s.x_nm, s.y_nm, r.cc_peak, r.psr};
}

void ImageLayer::commit_files() {
  for (int mag : {0, 1}) {
    TrackingRef& t = tracking_[std::size_t(mag)];
    if (!t.dirty) continue;
    fs::create_directories(dir_);
    const char* name = mag == 0 ? "low" : "high";
    if (t.version > 0) superseded_.push_back((fs::path(dir_) / version_name(name, t.version)).string());
    t.version += 1;
    write_float_image((fs::path(dir_) / version_name(name, t.version)).string(), t.reference->state().sum_binned);
    t.dirty = false;
  }
  for (auto& [roi, ref] : rois_) {
    if (ref.written) continue;
    fs::create_directories(dir_);
    write_float_image((fs::path(dir_) / ("roi_" + roi + ".mrc")).string(), ref.reference->state().sum_binned);
    ref.written = true;
  }
}

void ImageLayer::remove_superseded_files() {
  std::error_code ec;
  for (const auto& f : superseded_) fs::remove(f, ec);
  superseded_.clear();
}

nlohmann::json ImageLayer::state() const {
  nlohmann::json s;
  for (int mag : {0, 1}) {
    const TrackingRef& t = tracking_[std::size_t(mag)];
    const char* name = mag == 0 ? "low" : "high";
    if (!t.reference || t.version == 0) {
      s[name] = nullptr;
      continue;
    }
    s[name] = {{"version", t.version},
               {"file", version_name(name, t.version)},
               {"reference_tilt_deg", t.reference->reference_tilt_deg()},
               {"weight_sum", t.reference->state().weight_sum},
               {"count", t.reference->state().count}};
  }
  nlohmann::json rois = nlohmann::json::object();
  for (const auto& [roi, ref] : rois_)
    if (ref.written)
      rois[roi] = {{"tilt_deg", ref.tilt_deg}, {"weight_sum", ref.weight_sum}, {"file", "roi_" + roi + ".mrc"}};
  s["rois"] = rois;
  return s;
}

void ImageLayer::restore(const nlohmann::json& s) {
  for (int mag : {0, 1}) {
    const char* name = mag == 0 ? "low" : "high";
    if (!s.contains(name) || s.at(name).is_null()) continue;
    const auto& j = s.at(name);
    const MagPlan& mp = mag == 0 ? plan_.low : plan_.high;
    const std::string file = (fs::path(dir_) / j.at("file").get<std::string>()).string();
    if (!fs::exists(file)) throw cspt::IoError(file, "tracking reference", "missing", "the file the project's state names");
    SeriesReference::State st;
    st.sum_binned = read_float_image(file);
    st.weight_sum = j.at("weight_sum");
    st.count = j.at("count");
    tracking_[std::size_t(mag)].reference = std::make_shared<SeriesReference>(
        mp.nx_px, mp.ny_px, plan_.rotation_angle_deg, j.at("reference_tilt_deg").get<double>(), filter_for(plan_), st);
    tracking_[std::size_t(mag)].version = j.at("version");
  }
  if (s.contains("rois"))
    for (const auto& [roi, j] : s.at("rois").items()) {
      const std::string file = (fs::path(dir_) / j.at("file").get<std::string>()).string();
      if (!fs::exists(file)) throw cspt::IoError(file, "ROI reference", "missing", "the file the project's state names");
      rois_[roi] = RoiRef{nullptr, j.at("tilt_deg").get<double>(), j.at("weight_sum").get<double>(), true};
    }
}

}  // namespace bisect
