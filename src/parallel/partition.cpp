// Cost-balanced contiguous partitioning (pure functions, tested without MPI).
#include "cspt/parallel/partition.hpp"

#include <algorithm>
#include <stdexcept>

namespace cspt::parallel {

std::vector<Range> partition_by_cost(const std::vector<std::size_t>& costs, int n_parts) {
  if (n_parts < 1) throw std::invalid_argument("partition_by_cost: n_parts must be >= 1");
  std::size_t total = 0;
  for (auto c : costs) total += c;
  std::vector<Range> parts(static_cast<std::size_t>(n_parts));
  std::size_t item = 0, cumulative = 0;
  for (int p = 0; p < n_parts; ++p) {
    parts[p].begin = item;
    // Part p ends where the running cost first reaches its share of the total, (p+1)/n of it.
    const long double target = (long double)total * (p + 1) / n_parts;
    while (item < costs.size() && (p == n_parts - 1 || (long double)cumulative + costs[item] / 2.0L <= target)) {
      cumulative += costs[item];
      ++item;
    }
    parts[p].end = item;
  }
  return parts;
}

std::vector<std::size_t> projections_of_rank(const std::vector<int>& particle_of_projection, int n_particles,
                                             int rank, int n_ranks, const std::vector<int>& group_of_particle) {
  std::vector<std::size_t> counts(static_cast<std::size_t>(n_particles), 0);
  for (int p : particle_of_projection) ++counts.at(std::size_t(p));
  // Order particles by group (stable), split that order into balanced contiguous ranges.
  std::vector<int> order(static_cast<std::size_t>(n_particles));
  for (int p = 0; p < n_particles; ++p) order[p] = p;
  if (!group_of_particle.empty()) {
    std::stable_sort(order.begin(), order.end(),
                     [&](int a, int b) { return group_of_particle.at(a) < group_of_particle.at(b); });
  }
  std::vector<std::size_t> ordered_costs(order.size());
  for (std::size_t i = 0; i < order.size(); ++i) ordered_costs[i] = counts[std::size_t(order[i])];
  const Range mine = partition_by_cost(ordered_costs, n_ranks).at(std::size_t(rank));
  std::vector<char> owned(static_cast<std::size_t>(n_particles), 0);
  for (std::size_t i = mine.begin; i < mine.end; ++i) owned[std::size_t(order[i])] = 1;
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < particle_of_projection.size(); ++i)
    if (owned[std::size_t(particle_of_projection[i])]) out.push_back(i);
  return out;
}

}  // namespace cspt::parallel
