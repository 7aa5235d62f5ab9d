// Work splitting as a value: which particles (and so which projections) each rank takes.
#pragma once

#include <cstddef>
#include <vector>

namespace cspt::parallel {

/// Half-open range [begin, end) of item indices.
struct Range {
  std::size_t begin = 0, end = 0;
  std::size_t size() const { return end - begin; }
  bool operator==(const Range&) const = default;
};

/// Split items 0..costs.size()-1 into n_parts contiguous ranges of nearly equal total cost
/// (each item whole). Ranges are in order, cover every item once, and may be empty.
std::vector<Range> partition_by_cost(const std::vector<std::size_t>& costs, int n_parts);

/// For projections labelled by particle (0..n_particles-1), the projection indices rank `rank` of
/// `n_ranks` owns: all projections of a particle go to one rank, particles split by projection count.
/// Particles are ordered by `group_of_particle` first (e.g. the half-set; empty = one group), so
/// each rank gets particles of as few groups as possible: with two half-sets and two ranks, one
/// half each, and a rank only needs the accumulators of the halves it holds.
std::vector<std::size_t> projections_of_rank(const std::vector<int>& particle_of_projection, int n_particles,
                                             int rank, int n_ranks, const std::vector<int>& group_of_particle = {});

}  // namespace cspt::parallel
