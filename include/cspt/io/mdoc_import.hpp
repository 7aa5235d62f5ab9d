// A tilt series from a SerialEM .mdoc and its stack: what the microscope recorded, in project form.
#pragma once

#include <string>

#include "cspt/project/project.hpp"

namespace cspt::io {

/// Build a TiltSeriesRecord from an .mdoc (and its stack's size). Acquisition order is DateTime
/// order (as RELION-5 reads it), whatever the order of the sections; the prior dose is
/// PriorRecordDose when present, else the sum of ExposureDose of the images taken before. The tilt
/// axis is RotationAngle - 90 (IMOD's convention), else the title's "Tilt axis angle". Defocus
/// values are converted from SerialEM's micrometres (negative = underfocus) to Angstrom (positive).
/// IoError names the file, the section and the key when a section lacks TiltAngle or a value does
/// not parse. `pixel_size_A` returns PixelSpacing.
TiltSeriesRecord tilt_series_from_mdoc(const std::string& mdoc_path, const std::string& stack_path,
                                       const std::string& name, double& pixel_size_A, double& voltage_kV);

}  // namespace cspt::io
