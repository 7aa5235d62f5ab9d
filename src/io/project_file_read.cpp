// Reading the HDF5 project file: every group, attribute and column of schema v1, checked as it is read.
#include <cstdint>
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

using h5::Failure;
using h5::Node;
using project_detail::Column;

std::string rows_text(std::size_t n) { return std::to_string(n) + (n == 1 ? " row" : " rows"); }

void check_unit(const Node& dataset, const char* expected) {
  const std::string unit = h5::read_string_attribute(dataset, "unit");
  if (unit != expected)
    throw Failure(h5::attribute_path(dataset.path, "unit"), "'" + unit + "'",
                  "'" + std::string(expected) + "' (schema v1)");
}

// The group parent/name with one dataset per column, all of the same length.
template <class Record>
std::vector<Record> read_columns(const Node& parent, const std::string& name,
                                 std::span<const Column<Record>> columns) {
  const Node group = h5::open_group(parent, name);
  std::vector<Record> rows;
  std::string first;  // the column that fixed the length
  for (const auto& column : columns) {
    const Node dataset = h5::open_dataset(group, column.name);
    check_unit(dataset, column.unit);
    const std::size_t n = h5::column_length(dataset);
    if (first.empty()) {
      rows.resize(n);
      first = dataset.path;
    } else if (n != rows.size()) {
      throw Failure(dataset.path, rows_text(n), "as many as " + first + " (" + rows_text(rows.size()) + ")");
    }
    if (column.real != nullptr) {
      const std::vector<double> values = h5::read_real_column(dataset);
      for (std::size_t i = 0; i < n; ++i) rows[i].*column.real = values[i];
    } else {
      const std::vector<std::int32_t> values = h5::read_int_column(dataset);
      for (std::size_t i = 0; i < n; ++i) rows[i].*column.integer = values[i];
    }
  }
  return rows;
}

Optics read_optics(const Node& root) {
  const Node g = h5::open_group(root, "optics");
  Optics o;
  o.voltage_kV = h5::read_double_attribute(g, "voltage_kV");
  o.cs_mm = h5::read_double_attribute(g, "cs_mm");
  o.amplitude_contrast = h5::read_double_attribute(g, "amplitude_contrast");
  o.pixel_size_A = h5::read_double_attribute(g, "pixel_size_A");
  o.detector_nx_px = h5::read_int_attribute(g, "detector_nx_px");
  o.detector_ny_px = h5::read_int_attribute(g, "detector_ny_px");
  o.camera = h5::read_string_attribute(g, "camera");
  return o;
}

TiltSeriesRecord read_one_series(const Node& all, const std::string& name) {
  const Node g = h5::open_group(all, name);
  TiltSeriesRecord s;
  s.name = name;
  s.stack_path = h5::read_string_attribute(g, "stack_path");
  s.mdoc_path = h5::read_string_attribute(g, "mdoc_path");
  s.nx_px = h5::read_int_attribute(g, "nx_px");
  s.ny_px = h5::read_int_attribute(g, "ny_px");
  s.image_shift_x_um = h5::read_double_attribute(g, "image_shift_x_um");
  s.image_shift_y_um = h5::read_double_attribute(g, "image_shift_y_um");
  s.defocus_handedness = h5::read_double_attribute(g, "defocus_handedness");
  s.tilts = read_columns<TiltRecord>(g, "tilts", project_detail::kTiltColumns);
  return s;
}

// A folder holding one group per series and nothing else: anything extra is a half-edited file.
void check_group_count(const Node& group, std::size_t expected) {
  const std::size_t n = h5::child_count(group);
  if (n != expected)
    throw Failure(group.path, std::to_string(n) + " groups",
                  "one group per name in /tilt_series@order (" + std::to_string(expected) + ")");
}

std::vector<TiltSeriesRecord> read_tilt_series(const Node& root, const std::string& path) {
  const Node all = h5::open_group(root, "tilt_series");
  const std::vector<std::string> order = h5::read_string_list_attribute(all, "order");
  project_detail::validate_series_names(order, path);
  check_group_count(all, order.size());
  std::vector<TiltSeriesRecord> series;
  for (const auto& name : order) series.push_back(read_one_series(all, name));
  return series;
}

Truth read_truth(const Node& root, const std::vector<TiltSeriesRecord>& series) {
  const Node g = h5::open_group(root, "truth");
  Truth truth;
  truth.map_path = h5::read_string_attribute(g, "map_path");
  truth.defocus_handedness = h5::read_double_attribute(g, "defocus_handedness");
  truth.particles = read_columns<ParticleRecord>(g, "particles", project_detail::kParticleColumns);
  truth.projections = read_columns<ProjectionRecord>(g, "projections", project_detail::kProjectionColumns);
  if (h5::has_child(g, "projection_shifts"))  // optional: only projects simulated with a deformation
    truth.projection_shifts =
        read_columns<ProjectionShiftRecord>(g, "projection_shifts", project_detail::kProjectionShiftColumns);
  // An empty /truth/tilts means "no per-tilt truth"; otherwise one table per series.
  const Node tilts = h5::open_group(g, "tilts");
  if (h5::child_count(tilts) == 0) return truth;
  check_group_count(tilts, series.size());
  for (const auto& s : series)
    truth.tilts.push_back(read_columns<TiltRecord>(tilts, s.name, project_detail::kTiltColumns));
  return truth;
}

AcquisitionRecord read_acquisition(const Node& root) {
  const Node g = h5::open_group(root, "acquisition");
  AcquisitionRecord a;
  a.plan_json = h5::read_text(h5::open_dataset(g, "plan_json"));
  a.state_json = h5::read_text(h5::open_dataset(g, "state_json"));
  const std::string log = h5::read_text(h5::open_dataset(g, "events"));
  std::size_t start = 0;
  while (start < log.size()) {
    const std::size_t end = log.find('\n', start);
    a.events.push_back(log.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  const Node tables = h5::open_group(g, "tables");
  for (const auto& name : h5::read_string_list_attribute(tables, "order")) {
    const Node d = h5::open_dataset(tables, name);
    std::size_t rows = 0, n_columns = 0;
    const std::vector<double> values = h5::read_table(d, rows, n_columns);
    const std::vector<std::string> columns = h5::read_string_list_attribute(d, "columns");
    const std::vector<std::string> units = h5::read_string_list_attribute(d, "units");
    if (columns.size() != n_columns || units.size() != n_columns)
      throw Failure(h5::attribute_path(d.path, "columns"), std::to_string(columns.size()) + " names",
                    "one name and one unit per column (" + std::to_string(n_columns) + ")");
    AcquisitionTable t;
    t.name = name;
    for (std::size_t c = 0; c < n_columns; ++c) {
      AcquisitionColumn column{columns[c], units[c], std::vector<double>(rows)};
      for (std::size_t r = 0; r < rows; ++r) column.values[r] = values[r * n_columns + c];
      t.columns.push_back(std::move(column));
    }
    a.tables.push_back(std::move(t));
  }
  return a;
}

// Opens an existing HDF5 file read-only; a missing or foreign file is an IoError naming path.
h5::Handle open_existing(const std::string& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status))
    throw IoError(path, "file", "missing", "an existing HDF5 project file");
  if (std::filesystem::is_directory(status)) throw IoError(path, "file", "a folder", "an HDF5 project file");
  const htri_t is_hdf5 = H5Fis_hdf5(path.c_str());
  if (is_hdf5 < 0) throw IoError(path, "file", h5::last_error_message(), h5::kReadExpectation);
  if (is_hdf5 == 0) throw IoError(path, "file", "no HDF5 signature", "an HDF5 project file");
  const h5::Handle fapl = h5::file_access_properties("file", h5::kReadExpectation);
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get());
  if (file < 0) throw IoError(path, "file", h5::last_error_message(), h5::kReadExpectation);
  return h5::Handle(file, H5Fclose);
}

Node open_root(const h5::Handle& file) {
  return Node{h5::own(H5Gopen2(file.get(), "/", H5P_DEFAULT), H5Gclose, "/", h5::kReadExpectation), "/"};
}

void check_schema_version(const Node& root, const std::string& path) {
  const int version = h5::read_int_attribute(root, "cspt_schema_version");
  if (version != Project::kSchemaVersion)
    throw IoError(path, h5::attribute_path("/", "cspt_schema_version"), std::to_string(version),
                  "a supported schema version (supported: " + std::to_string(Project::kSchemaVersion) + ")");
}

Project read_contents(const Node& root, const std::string& path) {
  check_schema_version(root, path);
  Project p;
  p.created_by = h5::read_string_attribute(root, "created_by");
  p.optics = read_optics(root);
  p.tilt_series = read_tilt_series(root, path);
  p.particles = read_columns<ParticleRecord>(root, "particles", project_detail::kParticleColumns);
  p.projections = read_columns<ProjectionRecord>(root, "projections", project_detail::kProjectionColumns);
  if (h5::has_child(root, "truth")) p.truth = read_truth(root, p.tilt_series);
  if (h5::has_child(root, "acquisition")) p.acquisition = read_acquisition(root);
  if (h5::has_child(root, "run_config")) p.run_config_yaml = h5::read_text(h5::open_dataset(root, "run_config"));
  return p;
}

}  // namespace

Project read_project(const std::string& path) {
  const auto lock = h5::lock_library();
  h5::silence_errors();
  Project p;
  try {
    const h5::Handle file = open_existing(path);
    p = read_contents(open_root(file), path);
  } catch (const Failure& f) {
    throw IoError(path, f.field(), f.value(), f.expectation());
  }
  project_detail::validate_project(p, path);
  return p;
}

int project_schema_version(const std::string& path) {
  const auto lock = h5::lock_library();
  h5::silence_errors();
  try {
    const h5::Handle file = open_existing(path);
    return h5::read_int_attribute(open_root(file), "cspt_schema_version");
  } catch (const Failure& f) {
    throw IoError(path, f.field(), f.value(), f.expectation());
  }
}

}  // namespace cspt::io
