// Shared set-up of the kernel benchmarks: orientations as reconstruction orders them, and the
// byte counts behind each kernel's memory bound (cache lines a call really touches).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

#include <Eigen/Core>
#include <benchmark/benchmark.h>

#include "cspt/core/euler.hpp"

namespace cspt::bench {

/// The box sizes every kernel runs at (64, 128, 256).
inline void box_sizes(benchmark::internal::Benchmark* b) {
  for (int box : {64, 128, 256}) b->Arg(box);
}

/// n orientations uniform on the sphere, sorted by plane normal in a serpentine over 3-degree
/// bands, as `cspt reconstruct` orders projections: neighbouring slices share cache lines.
inline std::vector<Eigen::Matrix3d> sorted_orientations(int n, unsigned seed = 1) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0, 360);
  std::vector<Eigen::Matrix3d> mats;
  for (int i = 0; i < n; ++i) {
    const double c = 2.0 * (u(rng) / 360.0) - 1.0;
    mats.push_back(cspt::matrix_from_euler_zyz({u(rng), std::acos(c) * 57.29577951308232, u(rng)}));
  }
  const auto key = [](const Eigen::Matrix3d& m) {
    Eigen::Vector3d nrm = m.row(2);
    if (nrm.z() < 0) nrm = -nrm;
    const int band = int(std::acos(nrm.z()) * 57.29577951308232 / 3.0);
    const double phi = std::atan2(nrm.y(), nrm.x()) * 57.29577951308232 + 180;
    return band * 1000.0 + (band % 2 ? 360 - phi : phi);
  };
  std::sort(mats.begin(), mats.end(), [&](const auto& a, const auto& b) { return key(a) < key(b); });
  return mats;
}

/// The value make() returns for `key`, computed once per process: Google Benchmark calls a
/// benchmark several times while it sizes the iteration count, and the byte counts and 512^3
/// projectors below take seconds to make.
template <class T>
const T& once(const std::string& key, const std::function<T()>& make) {
  static std::map<std::string, T> cache;
  auto it = cache.find(key);
  if (it == cache.end()) it = cache.emplace(key, make()).first;
  return it->second;
}

/// Points of a box's half plane within r_max (what insertion and full-slice extraction visit).
struct DiskPoint {
  int kx, ky;
};
inline std::vector<DiskPoint> half_plane_disk(int box, double r_max) {
  std::vector<DiskPoint> pts;
  for (int ky = -box / 2; ky < box / 2; ++ky)
    for (int kx = 0; kx <= box / 2; ++kx)
      if (kx * kx + ky * ky <= r_max * r_max) pts.push_back({kx, ky});
  return pts;
}

/// Distinct 64-byte lines of the padded accumulator (16-byte cells, x fastest, nx = np/2+1, y and z
/// wrapped) that trilinear insertion of `slices` touches, summed over groups of `group` consecutive
/// slices: group 1 is insert_slice (a big grid keeps nothing between slices), larger groups model a
/// BatchedInserter batch, whose points share lines. Returns lines per slice.
inline double accumulator_lines_per_slice(int box, int pad, const std::vector<Eigen::Matrix3d>& slices, int group) {
  const int np = box * pad, nx = np / 2 + 1;
  const auto pts = half_plane_disk(box, box / 2.0 - 1);
  std::unordered_set<std::uint64_t> lines;
  double total = 0;
  for (std::size_t s = 0; s < slices.size(); ++s) {
    const Eigen::Matrix3d at = slices[s].transpose();
    for (const auto& k : pts) {
      Eigen::Vector3d p = pad * (at.col(0) * k.kx + at.col(1) * k.ky);
      if (p.x() < 0) p = -p;  // the half grid holds the Friedel mate
      const int x0 = int(std::floor(p.x())), y0 = int(std::floor(p.y())), z0 = int(std::floor(p.z()));
      for (int dz = 0; dz < 2; ++dz)
        for (int dy = 0; dy < 2; ++dy)
          for (int dx = 0; dx < 2; ++dx) {
            const int x = std::min(x0 + dx, nx - 1), y = ((y0 + dy) % np + np) % np, z = ((z0 + dz) % np + np) % np;
            lines.insert(((std::uint64_t(z) * np + y) * nx + x) * 16 / 64);
          }
    }
    if ((s + 1) % group == 0 || s + 1 == slices.size()) {
      total += double(lines.size());
      lines.clear();
    }
  }
  return total / double(slices.size());
}

/// Distinct 64-byte lines of a Projector's cube (8-byte complex cells, x = 0..reach, y and z from
/// -reach, x fastest) that trilinear extraction of a full disk touches, per slice.
inline double projector_lines_per_slice(int box, int pad, const std::vector<Eigen::Matrix3d>& slices) {
  const int reach = box * pad / 2 + 1, side = 2 * reach + 1, nx = reach + 1;
  const auto pts = half_plane_disk(box, box / 2.0 - 1);
  double total = 0;
  for (const auto& a : slices) {
    std::unordered_set<std::uint64_t> lines;
    const Eigen::Matrix3d at = a.transpose();
    for (const auto& k : pts) {
      Eigen::Vector3d p = pad * (at.col(0) * k.kx + at.col(1) * k.ky);
      if (p.x() < 0) p = -p;
      const int x0 = int(std::floor(p.x())), y0 = int(std::floor(p.y())), z0 = int(std::floor(p.z()));
      for (int dz = 0; dz < 2; ++dz)
        for (int dy = 0; dy < 2; ++dy)
          for (int dx = 0; dx < 2; ++dx)
            lines.insert(((std::uint64_t(z0 + dz + reach) * side + (y0 + dy + reach)) * nx + (x0 + dx)) * 8 / 64);
    }
    total += double(lines.size());
  }
  return total / double(slices.size());
}

}  // namespace cspt::bench
