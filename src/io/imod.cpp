// IMOD .rawtlt/.tlt/.xf reading and writing, and the conversion to our tilt geometry.
//
// Our raw position of an aligned point a (tilt axis along +y, A from the tomogram origin) is
// u = c + R(axis) a / px + s / px with c = n/2; IMOD's is X = c' + A^-1 (a / px - D) with
// c' = (n-1)/2 and A = R(-axis). Hence s = px (-A^-1 D + (c' - c)), c' - c = -1/2 per axis.
#include "cspt/io/imod.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <numbers>
#include <sstream>

#include "cspt/io/atomic_file.hpp"
#include "cspt/util/error.hpp"

namespace cspt::io {
namespace {

constexpr double kDeg = std::numbers::pi / 180.0;

std::vector<std::vector<double>> read_columns(const std::string& path, std::size_t columns) {
  std::ifstream in(path);
  if (!in) throw IoError(path, "file", "", "a readable file");
  std::vector<std::vector<double>> rows;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    std::istringstream ss(line);
    std::vector<double> row;
    double v;
    while (ss >> v) row.push_back(v);
    if (!ss.eof() || row.size() != columns || !std::all_of(row.begin(), row.end(), [](double x) { return std::isfinite(x); }))
      throw IoError(path + ":" + std::to_string(number), "line", line, std::to_string(columns) + " numbers");
    rows.push_back(row);
  }
  return rows;
}

}  // namespace

std::vector<double> read_tilt_angles(const std::string& path) {
  std::vector<double> out;
  for (const auto& r : read_columns(path, 1)) out.push_back(r[0]);
  return out;
}

void write_tilt_angles(const std::string& path, const std::vector<double>& angles) {
  std::string text;
  char buf[64];
  for (double a : angles) {
    std::snprintf(buf, sizeof buf, "%.3f\n", a);
    text += buf;
  }
  write_file_atomically(path, text);
}

std::vector<XfTransform> read_xf(const std::string& path) {
  std::vector<XfTransform> out;
  for (const auto& r : read_columns(path, 6)) out.push_back({r[0], r[1], r[2], r[3], r[4], r[5]});
  return out;
}

void write_xf(const std::string& path, const std::vector<XfTransform>& xf) {
  std::string text;
  char buf[160];
  for (const auto& t : xf) {
    std::snprintf(buf, sizeof buf, "%12.7f%12.7f%12.7f%12.7f%12.3f%12.3f\n", t.a11, t.a12, t.a21, t.a22, t.dx, t.dy);
    text += buf;
  }
  write_file_atomically(path, text);
}

XfTransform xf_from_geometry(double axis_deg, double sx_A, double sy_A, int nx, int ny, double px) {
  // A = R(-axis); D = -A (s/px - (c' - c)).
  const double c = std::cos(axis_deg * kDeg), s = std::sin(axis_deg * kDeg);
  XfTransform t{c, s, -s, c, 0, 0};
  const double vx = sx_A / px - ((nx - 1) / 2.0 - nx / 2), vy = sy_A / px - ((ny - 1) / 2.0 - ny / 2);
  t.dx = -(t.a11 * vx + t.a12 * vy);
  t.dy = -(t.a21 * vx + t.a22 * vy);
  return t;
}

void geometry_from_xf(const XfTransform& t, int nx, int ny, double px, double& axis_deg, double& sx_A, double& sy_A) {
  axis_deg = std::atan2(-t.a21, t.a11) / kDeg;
  const double det = t.a11 * t.a22 - t.a12 * t.a21;
  // s/px = -A^-1 D + (c' - c), A^-1 = [[a22, -a12], [-a21, a11]] / det.
  const double ix = (t.a22 * t.dx - t.a12 * t.dy) / det, iy = (-t.a21 * t.dx + t.a11 * t.dy) / det;
  sx_A = px * (-ix + ((nx - 1) / 2.0 - nx / 2));
  sy_A = px * (-iy + ((ny - 1) / 2.0 - ny / 2));
}

}  // namespace cspt::io
