// IMOD alignment files: .rawtlt/.tlt (one tilt angle per line) and .xf (A11 A12 A21 A22 DX DY per
// view, mapping raw to aligned images about the centre (N-1)/2), and their link to our tilt geometry.
#pragma once

#include <string>
#include <vector>

namespace cspt::io {

/// One line of an .xf file: X' = A X + D, X relative to the image centre (N-1)/2, pixels.
struct XfTransform {
  double a11 = 1, a12 = 0, a21 = 0, a22 = 1, dx = 0, dy = 0;
};

std::vector<double> read_tilt_angles(const std::string& path);  ///< IoError with path:line on bad lines
void write_tilt_angles(const std::string& path, const std::vector<double>& angles_deg);
std::vector<XfTransform> read_xf(const std::string& path);      ///< IoError with path:line on bad lines
void write_xf(const std::string& path, const std::vector<XfTransform>& xf);

/// The .xf line of a raw image whose tilt axis is at `axis_deg` (CCW from +y) and whose tomogram
/// origin sits at (shift_x_A, shift_y_A) from our image centre (pixel n/2), for an nx x ny image.
XfTransform xf_from_geometry(double axis_deg, double shift_x_A, double shift_y_A, int nx, int ny, double pixel_size_A);

/// The inverse: axis angle and shift from an .xf line (a magnification other than 1 is ignored).
void geometry_from_xf(const XfTransform& xf, int nx, int ny, double pixel_size_A, double& axis_deg, double& shift_x_A,
                      double& shift_y_A);

}  // namespace cspt::io
