// Point-group symmetry operators (Cn, Dn, T, O, I) in RELION's axis conventions.
#pragma once

#include <string>
#include <vector>

#include <Eigen/Core>

namespace cspt {

/// A point group as the list of its rotation matrices (identity first). A map with this symmetry
/// satisfies V(S r) = V(r) for every operator S, and the orientations A and A S give the same
/// projection (RELION's convention).
struct PointGroup {
  std::string symbol;                   ///< canonical symbol, e.g. "C1", "D3", "I"
  std::vector<Eigen::Matrix3d> operators;
  std::size_t order() const { return operators.size(); }
};

/// The point group for a symbol: C<n>, D<n>, T, O, I (RELION's default icosahedral setting, I2).
/// Case-insensitive. Throws ConfigError on an unknown symbol.
PointGroup point_group(const std::string& symbol);

}  // namespace cspt
