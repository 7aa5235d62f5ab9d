// Internal pieces shared by the project-file reader and writer: the column tables of schema v1
// (one dataset per record field, with its unit), consistency checks, and test-only file surgery.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "cspt/project/project.hpp"

namespace cspt::io::project_detail {

/// One field of a record stored as a 1-D dataset: exactly one of real / integer is set.
template <class Record>
struct Column {
  const char* name;
  const char* unit;  ///< the dataset's "unit" attribute; "" = dimensionless or an index
  double Record::*real = nullptr;
  int Record::*integer = nullptr;
};

/// TiltRecord: /tilt_series/<name>/tilts/<field> and /truth/tilts/<name>/<field>.
inline constexpr Column<TiltRecord> kTiltColumns[] = {
    {.name = "section", .unit = "", .integer = &TiltRecord::section},
    {.name = "acquisition_order", .unit = "", .integer = &TiltRecord::acquisition_order},
    {.name = "nominal_tilt_deg", .unit = "deg", .real = &TiltRecord::nominal_tilt_deg},
    {.name = "refined_tilt_deg", .unit = "deg", .real = &TiltRecord::refined_tilt_deg},
    {.name = "tilt_axis_deg", .unit = "deg", .real = &TiltRecord::tilt_axis_deg},
    {.name = "dose_e_per_A2", .unit = "e/A^2", .real = &TiltRecord::dose_e_per_A2},
    {.name = "prior_dose_e_per_A2", .unit = "e/A^2", .real = &TiltRecord::prior_dose_e_per_A2},
    {.name = "target_defocus_A", .unit = "A", .real = &TiltRecord::target_defocus_A},
    {.name = "defocus_u_A", .unit = "A", .real = &TiltRecord::defocus_u_A},
    {.name = "defocus_v_A", .unit = "A", .real = &TiltRecord::defocus_v_A},
    {.name = "defocus_angle_deg", .unit = "deg", .real = &TiltRecord::defocus_angle_deg},
    {.name = "ctf_score", .unit = "", .real = &TiltRecord::ctf_score},
    {.name = "ctf_resolution_A", .unit = "A", .real = &TiltRecord::ctf_resolution_A},
    {.name = "shift_x_A", .unit = "A", .real = &TiltRecord::shift_x_A},
    {.name = "shift_y_A", .unit = "A", .real = &TiltRecord::shift_y_A},
    {.name = "inplane_rotation_deg", .unit = "deg", .real = &TiltRecord::inplane_rotation_deg},
    {.name = "image_shift_x_um", .unit = "um", .real = &TiltRecord::image_shift_x_um},
    {.name = "image_shift_y_um", .unit = "um", .real = &TiltRecord::image_shift_y_um},
    {.name = "stage_x_um", .unit = "um", .real = &TiltRecord::stage_x_um},
    {.name = "stage_y_um", .unit = "um", .real = &TiltRecord::stage_y_um},
    {.name = "stage_z_um", .unit = "um", .real = &TiltRecord::stage_z_um},
    {.name = "timestamp_s", .unit = "s", .real = &TiltRecord::timestamp_s},
};

/// ParticleRecord: /particles/<field> and /truth/particles/<field>.
inline constexpr Column<ParticleRecord> kParticleColumns[] = {
    {.name = "tilt_series", .unit = "", .integer = &ParticleRecord::tilt_series},
    {.name = "x_A", .unit = "A", .real = &ParticleRecord::x_A},
    {.name = "y_A", .unit = "A", .real = &ParticleRecord::y_A},
    {.name = "z_A", .unit = "A", .real = &ParticleRecord::z_A},
    {.name = "rot_deg", .unit = "deg", .real = &ParticleRecord::rot_deg},
    {.name = "tilt_deg", .unit = "deg", .real = &ParticleRecord::tilt_deg},
    {.name = "psi_deg", .unit = "deg", .real = &ParticleRecord::psi_deg},
    {.name = "half", .unit = "", .integer = &ParticleRecord::half},
    {.name = "score", .unit = "", .real = &ParticleRecord::score},
};

/// ProjectionRecord: /projections/<field> and /truth/projections/<field>.
inline constexpr Column<ProjectionRecord> kProjectionColumns[] = {
    {.name = "particle", .unit = "", .integer = &ProjectionRecord::particle},
    {.name = "tilt", .unit = "", .integer = &ProjectionRecord::tilt},
    {.name = "defocus_u_A", .unit = "A", .real = &ProjectionRecord::defocus_u_A},
    {.name = "defocus_v_A", .unit = "A", .real = &ProjectionRecord::defocus_v_A},
    {.name = "defocus_angle_deg", .unit = "deg", .real = &ProjectionRecord::defocus_angle_deg},
    {.name = "score", .unit = "", .real = &ProjectionRecord::score},
};

/// ProjectionShiftRecord: /truth/projection_shifts/<field> (optional; one row per truth projection).
inline constexpr Column<ProjectionShiftRecord> kProjectionShiftColumns[] = {
    {.name = "shift_x_A", .unit = "A", .real = &ProjectionShiftRecord::shift_x_A},
    {.name = "shift_y_A", .unit = "A", .real = &ProjectionShiftRecord::shift_y_A},
};

/// Throws IoError(path, "/tilt_series@order[i]", ...) unless every name is a usable, unique HDF5
/// group name (non-empty, no '/', not ".").
void validate_series_names(const std::vector<std::string>& names, const std::string& path);

/// Throws IoError(path, <HDF5 path of the field>, value, expectation) unless p can be stored and
/// read back unambiguously: series names usable as unique HDF5 group names, particle and projection
/// indices in range, truth tilts either absent or one table per series with matching lengths.
void validate_project(const Project& p, const std::string& path);

/// Removes "<path>.tmp-<pid>" files left by writers that no longer run on this host.
void remove_stale_temporaries(const std::string& path);

// ---- test-only surgery on a written file (no validation; errors throw IoError) -------------------

/// Overwrites the root attribute cspt_schema_version.
void set_schema_version_for_tests(const std::string& path, int version);
/// Unlinks the object (group or dataset) at h5path, e.g. "/tilt_series/ts_001/tilts/dose_e_per_A2".
void delete_object_for_tests(const std::string& path, const std::string& h5path);
/// Replaces the dataset at h5path with a float64 dataset of the given length (zeros), same unit.
void resize_column_for_tests(const std::string& path, const std::string& h5path, std::size_t length);

}  // namespace cspt::io::project_detail
