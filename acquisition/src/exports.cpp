// mdoc and RELION exports of an acquisition record.
#include "bisect/exports.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "cspt/io/mdoc.hpp"
#include "cspt/io/relion_tomo.hpp"
#include "cspt/util/error.hpp"

namespace bisect {

namespace {

std::string fmt(const char* format, double a) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, a);
  return buf;
}

std::string fmt2(const char* format, double a, double b) {
  char buf[96];
  std::snprintf(buf, sizeof buf, format, a, b);
  return buf;
}

}  // namespace

std::vector<std::string> export_mdocs(const Tracker& tracker, const std::string& dir) {
  std::filesystem::create_directories(dir);
  const TrackPlan& plan = tracker.plan();
  const cspt::Project project = tracker.project_view();
  std::vector<std::string> written;
  for (const auto& series : project.tilt_series) {
    if (series.tilts.empty()) continue;
    // The ROI table holds what the TiltRecord does not: the focus set, frames.
    const std::string roi_id = series.name.substr(plan.name.size() + 1);
    const cspt::AcquisitionTable& table = *find_table(*project.acquisition, "roi_" + roi_id);
    const auto col = [&](const char* name) -> const std::vector<double>& { return table_column(table, name); };
    cspt::io::Mdoc m;
    m.globals = {{"PixelSpacing", fmt("%g", plan.record_pixel_A)},
                 {"Voltage", fmt("%g", plan.voltage_kV)},
                 {"ImageFile", series.stack_path},
                 {"ImageSize", std::to_string(series.nx_px) + " " + std::to_string(series.ny_px)},
                 {"DataMode", "1"}};
    const double first_time = series.tilts.front().timestamp_s;
    std::string stamp = cspt::io::serialem_datetime(first_time);  // dd-Mon-yyyy  HH:MM:SS
    // The title uses a two-digit year: "dd-Mon-yy  HH:MM:SS".
    const std::string title_date = stamp.substr(0, 7) + stamp.substr(9);
    m.titles = {"SerialEM: bisect-track " + plan.name + "    " + title_date + "    ",
                "    Tilt axis angle = " + fmt("%.1f", plan.rotation_angle_deg - 90.0) +
                    ", binning = 1  spot = 0  camera = 0 dosym = " + fmt("%.1f", plan.tilts.front().angle_deg)};
    for (std::size_t k = 0; k < series.tilts.size(); ++k) {
      const cspt::TiltRecord& t = series.tilts[k];
      cspt::io::MdocSection s;
      s.z_value = t.section;
      const double frames = col("num_frames")[k];
      s.keys = {{"TiltAngle", fmt("%.2f", t.nominal_tilt_deg)},
                {"StagePosition", "0 0"},
                {"StageZ", "0"},
                {"ExposureDose", fmt("%g", t.dose_e_per_A2)},
                {"PixelSpacing", fmt("%g", plan.record_pixel_A)},
                {"Defocus", fmt("%.4f", col("focus_um")[k])},
                {"ImageShift", fmt2("%.4f %.4f", t.image_shift_x_um, t.image_shift_y_um)},
                {"RotationAngle", fmt("%.1f", plan.rotation_angle_deg)},
                {"ExposureTime", fmt("%g", plan.exposure_time_s)},
                {"TargetDefocus", fmt("%g", col("target_defocus_um")[k])},
                {"PriorRecordDose", fmt("%g", t.prior_dose_e_per_A2)},
                {"SubFramePath", "X:\\frames\\" + series.name + fmt("_%03.0f", double(t.section)) + ".tif"},
                {"NumSubFrames", fmt("%.0f", frames)},
                {"FrameDosesAndNumber", fmt2("%g %.0f", frames > 0 ? t.dose_e_per_A2 / frames : 0.0, frames)},
                {"DateTime", cspt::io::serialem_datetime(t.timestamp_s)},
                {"TimeStamp", fmt("%.0f", std::floor(t.timestamp_s))}};
      m.sections.push_back(std::move(s));
    }
    const std::string path = (std::filesystem::path(dir) / series.mdoc_path).string();
    cspt::io::write_mdoc(path, m);
    written.push_back(path);
  }
  return written;
}

void export_relion5(const Tracker& tracker, const std::string& dir) {
  std::filesystem::create_directories(dir);
  cspt::Project project = tracker.project_view();
  std::vector<cspt::TiltSeriesRecord> kept;
  for (auto& s : project.tilt_series)
    if (!s.tilts.empty()) kept.push_back(std::move(s));
  project.tilt_series = std::move(kept);
  cspt::io::write_relion5_tilt_series(dir, project, dir);
}

}  // namespace bisect
