// Writing the HDF5 project file: the schema v1 layout, into a temporary file renamed over the target.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "cspt/io/project_file.hpp"
#include "cspt/util/error.hpp"
#include "io/h5_util.hpp"
#include "io/project_file_internal.hpp"

namespace cspt::io {

namespace {

using h5::Node;
using project_detail::Column;

// One 1-D dataset per field, all of length rows.size(), in the group parent/name.
template <class Record>
void write_columns(const Node& parent, const std::string& name, const std::vector<Record>& rows,
                   std::span<const Column<Record>> columns) {
  const Node group = h5::create_group(parent, name);
  for (const auto& column : columns) {
    if (column.real != nullptr) {
      std::vector<double> values(rows.size());
      for (std::size_t i = 0; i < rows.size(); ++i) values[i] = rows[i].*column.real;
      h5::write_column(group, column.name, values, column.unit);
    } else {
      std::vector<std::int32_t> values(rows.size());
      for (std::size_t i = 0; i < rows.size(); ++i) values[i] = rows[i].*column.integer;
      h5::write_column(group, column.name, values, column.unit);
    }
  }
}

void write_optics(const Node& root, const Optics& o) {
  const Node g = h5::create_group(root, "optics");
  h5::write_attribute(g, "voltage_kV", o.voltage_kV);
  h5::write_attribute(g, "cs_mm", o.cs_mm);
  h5::write_attribute(g, "amplitude_contrast", o.amplitude_contrast);
  h5::write_attribute(g, "pixel_size_A", o.pixel_size_A);
  h5::write_attribute(g, "detector_nx_px", o.detector_nx_px);
  h5::write_attribute(g, "detector_ny_px", o.detector_ny_px);
  h5::write_attribute(g, "camera", o.camera);
}

void write_tilt_series(const Node& root, const std::vector<TiltSeriesRecord>& series) {
  const Node all = h5::create_group(root, "tilt_series");
  std::vector<std::string> order;
  for (const auto& s : series) order.push_back(s.name);
  h5::write_attribute(all, "order", order);
  for (const auto& s : series) {
    const Node g = h5::create_group(all, s.name);
    h5::write_attribute(g, "stack_path", s.stack_path);
    h5::write_attribute(g, "mdoc_path", s.mdoc_path);
    h5::write_attribute(g, "nx_px", s.nx_px);
    h5::write_attribute(g, "ny_px", s.ny_px);
    h5::write_attribute(g, "image_shift_x_um", s.image_shift_x_um);
    h5::write_attribute(g, "image_shift_y_um", s.image_shift_y_um);
    h5::write_attribute(g, "defocus_handedness", s.defocus_handedness);
    write_columns<TiltRecord>(g, "tilts", s.tilts, project_detail::kTiltColumns);
  }
}

void write_truth(const Node& root, const Project& p) {
  const Truth& truth = *p.truth;
  const Node g = h5::create_group(root, "truth");
  h5::write_attribute(g, "map_path", truth.map_path);
  h5::write_attribute(g, "defocus_handedness", truth.defocus_handedness);
  write_columns<ParticleRecord>(g, "particles", truth.particles, project_detail::kParticleColumns);
  write_columns<ProjectionRecord>(g, "projections", truth.projections, project_detail::kProjectionColumns);
  if (!truth.projection_shifts.empty())
    write_columns<ProjectionShiftRecord>(g, "projection_shifts", truth.projection_shifts,
                                         project_detail::kProjectionShiftColumns);
  // Either no per-tilt truth (an empty group) or one table per series (validate_project checked).
  const Node tilts = h5::create_group(g, "tilts");
  for (std::size_t s = 0; s < truth.tilts.size(); ++s)
    write_columns<TiltRecord>(tilts, p.tilt_series[s].name, truth.tilts[s], project_detail::kTiltColumns);
}

void write_acquisition(const Node& root, const AcquisitionRecord& a) {
  const Node g = h5::create_group(root, "acquisition");
  h5::write_text(g, "plan_json", a.plan_json);
  h5::write_text(g, "state_json", a.state_json);
  std::string log;
  for (const auto& line : a.events) log += line + "\n";
  h5::write_text(g, "events", log);
  const Node tables = h5::create_group(g, "tables");
  std::vector<std::string> order;
  for (const auto& t : a.tables) order.push_back(t.name);
  h5::write_attribute(tables, "order", order);
  // One 2-D dataset per table: a tracker rewrites this file after every event, and a dataset per
  // column made that rewrite cost twice as much.
  for (const auto& t : a.tables) {
    const std::size_t rows = t.columns.empty() ? 0 : t.columns.front().values.size();
    std::vector<std::string> columns, units;
    std::vector<double> values(rows * t.columns.size());
    for (std::size_t c = 0; c < t.columns.size(); ++c) {
      columns.push_back(t.columns[c].name);
      units.push_back(t.columns[c].unit);
      for (std::size_t r = 0; r < rows; ++r) values[r * t.columns.size() + c] = t.columns[c].values[r];
    }
    h5::write_table(tables, t.name.c_str(), rows, values, columns, units);
  }
}

void write_contents(hid_t file, const Project& p) {
  const Node root{h5::own(H5Gopen2(file, "/", H5P_DEFAULT), H5Gclose, "/", h5::kWriteExpectation), "/"};
  h5::write_attribute(root, "cspt_schema_version", Project::kSchemaVersion);
  h5::write_attribute(root, "created_by", p.created_by);
  write_optics(root, p.optics);
  write_tilt_series(root, p.tilt_series);
  write_columns<ParticleRecord>(root, "particles", p.particles, project_detail::kParticleColumns);
  write_columns<ProjectionRecord>(root, "projections", p.projections, project_detail::kProjectionColumns);
  if (p.truth) write_truth(root, p);
  if (p.acquisition) write_acquisition(root, *p.acquisition);
  if (!p.run_config_yaml.empty()) h5::write_text(root, "run_config", p.run_config_yaml);
}

// Creates tmp, writes p, flushes and closes it; every handle below the file is closed on return.
void write_hdf5(const std::string& tmp, const Project& p) {
  const std::string where = "temporary file " + tmp;
  const h5::Handle fapl = h5::file_access_properties("file", h5::kWriteExpectation);
  h5::Handle file = h5::own(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()), H5Fclose, "file",
                            ("a writable folder (" + where + ")").c_str());
  write_contents(file.get(), p);
  h5::check(H5Fflush(file.get(), H5F_SCOPE_GLOBAL), "file", h5::kWriteExpectation);
  h5::check(file.close(), "file", h5::kWriteExpectation);
}

// The data must be on disk before the rename publishes them, or a power cut could leave an empty
// or partial file under the project's name.
void sync_file(const std::string& path, const std::string& tmp) {
  const int fd = ::open(tmp.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    const int err = errno;
    if (fd >= 0) ::close(fd);
    throw IoError(path, "fsync", std::strerror(err), std::string(h5::kWriteExpectation) + " (temporary file " +
                                                         tmp + ")");
  }
  ::close(fd);
}

// Best effort: the rename has already happened, so a folder that refuses fsync (some network file
// systems do) must not turn a successful write into an error.
void sync_folder(const std::string& path) {
  const std::filesystem::path folder = std::filesystem::path(path).parent_path();
  const int fd = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

}  // namespace

void write_project(const std::string& path, const Project& p) {
  const auto lock = h5::lock_library();
  h5::silence_errors();
  project_detail::validate_project(p, path);
  project_detail::remove_stale_temporaries(path);
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  std::error_code ignored;
  try {
    write_hdf5(tmp, p);
    sync_file(path, tmp);
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) throw IoError(path, "rename", ec.message(), "a replaceable destination for " + tmp);
  } catch (const h5::Failure& f) {
    std::filesystem::remove(tmp, ignored);
    throw IoError(path, f.field(), f.value(), f.expectation());
  } catch (...) {
    std::filesystem::remove(tmp, ignored);
    throw;
  }
  sync_folder(path);
}

}  // namespace cspt::io
