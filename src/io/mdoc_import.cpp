// .mdoc -> TiltSeriesRecord.
#include "cspt/io/mdoc_import.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "cspt/io/mdoc.hpp"
#include "cspt/io/mrc.hpp"
#include "cspt/util/error.hpp"

namespace cspt::io {
namespace {

const std::string* find_key(const std::vector<std::pair<std::string, std::string>>& keys, const std::string& k) {
  for (const auto& [key, value] : keys)
    if (key == k) return &value;
  return nullptr;
}

std::vector<double> numbers(const std::string& where, const std::string& key, const std::string& text) {
  std::istringstream in(text);
  std::vector<double> out;
  double v;
  while (in >> v) out.push_back(v);
  if (!in.eof() || out.empty()) throw IoError(where, key, text, "numbers");
  return out;
}

}  // namespace

TiltSeriesRecord tilt_series_from_mdoc(const std::string& mdoc_path, const std::string& stack_path,
                                       const std::string& name, double& pixel_size_A, double& voltage_kV) {
  const Mdoc m = read_mdoc(mdoc_path);
  TiltSeriesRecord ts;
  ts.name = name;
  ts.stack_path = stack_path;
  ts.mdoc_path = mdoc_path;
  const MrcHeader h = read_mrc_header(stack_path);
  ts.nx_px = h.nx;
  ts.ny_px = h.ny;
  pixel_size_A = 0;
  voltage_kV = 300;
  if (const auto* v = find_key(m.globals, "PixelSpacing")) pixel_size_A = numbers(mdoc_path, "PixelSpacing", *v)[0];
  if (const auto* v = find_key(m.globals, "Voltage")) voltage_kV = numbers(mdoc_path, "Voltage", *v)[0];
  double title_axis = std::nan("");
  for (const auto& t : m.titles) {
    const auto at = t.find("Tilt axis angle =");
    if (at != std::string::npos) std::sscanf(t.c_str() + at + 17, "%lf", &title_axis);
  }
  for (const auto& sec : m.sections) {
    const std::string where = mdoc_path + " [ZValue = " + std::to_string(sec.z_value) + "]";
    if (sec.z_value >= h.nz) throw IoError(where, "ZValue", std::to_string(sec.z_value), "a section of " + stack_path + " (" + std::to_string(h.nz) + " sections)");
    TiltRecord t;
    t.section = sec.z_value;
    const auto* tilt = find_key(sec.keys, "TiltAngle");
    if (!tilt) throw IoError(where, "TiltAngle", "missing", "the tilt angle of every section");
    t.nominal_tilt_deg = t.refined_tilt_deg = numbers(where, "TiltAngle", *tilt)[0];
    if (const auto* v = find_key(sec.keys, "ExposureDose")) t.dose_e_per_A2 = numbers(where, "ExposureDose", *v)[0];
    if (const auto* v = find_key(sec.keys, "PriorRecordDose")) t.prior_dose_e_per_A2 = numbers(where, "PriorRecordDose", *v)[0];
    else t.prior_dose_e_per_A2 = std::nan("");
    if (const auto* v = find_key(sec.keys, "TargetDefocus")) t.target_defocus_A = -1e4 * numbers(where, "TargetDefocus", *v)[0];
    else if (const auto* d = find_key(sec.keys, "Defocus")) t.target_defocus_A = -1e4 * numbers(where, "Defocus", *d)[0];
    if (const auto* v = find_key(sec.keys, "RotationAngle")) t.tilt_axis_deg = numbers(where, "RotationAngle", *v)[0] - 90.0;
    else t.tilt_axis_deg = std::isnan(title_axis) ? 0.0 : title_axis;
    if (const auto* v = find_key(sec.keys, "ImageShift")) {
      const auto is = numbers(where, "ImageShift", *v);
      t.image_shift_x_um = is[0];
      t.image_shift_y_um = is.size() > 1 ? is[1] : 0.0;
    }
    if (const auto* v = find_key(sec.keys, "StagePosition")) {
      const auto sp = numbers(where, "StagePosition", *v);
      t.stage_x_um = sp[0];
      t.stage_y_um = sp.size() > 1 ? sp[1] : 0.0;
    }
    if (const auto* v = find_key(sec.keys, "StageZ")) t.stage_z_um = numbers(where, "StageZ", *v)[0];
    t.timestamp_s = std::nan("");
    if (const auto* v = find_key(sec.keys, "DateTime")) t.timestamp_s = parse_serialem_datetime(*v);
    if (std::isnan(t.timestamp_s))
      if (const auto* v = find_key(sec.keys, "TimeStamp")) t.timestamp_s = numbers(where, "TimeStamp", *v)[0];
    if (std::isnan(t.timestamp_s)) t.timestamp_s = double(sec.z_value);  // no clock: stack order
    ts.tilts.push_back(t);
  }
  if (ts.tilts.empty()) throw IoError(mdoc_path, "ZValue sections", "0", "at least one image");
  // Acquisition order = time order (stable: equal times keep the section order).
  std::vector<std::size_t> order(ts.tilts.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return ts.tilts[a].timestamp_s < ts.tilts[b].timestamp_s ||
           (ts.tilts[a].timestamp_s == ts.tilts[b].timestamp_s && ts.tilts[a].section < ts.tilts[b].section);
  });
  std::vector<TiltRecord> sorted;
  double cumulative = 0;
  for (std::size_t k = 0; k < order.size(); ++k) {
    TiltRecord t = ts.tilts[order[k]];
    t.acquisition_order = int(k);
    if (std::isnan(t.prior_dose_e_per_A2)) t.prior_dose_e_per_A2 = cumulative;
    cumulative += t.dose_e_per_A2;
    sorted.push_back(t);
  }
  ts.tilts = std::move(sorted);
  return ts;
}

}  // namespace cspt::io
