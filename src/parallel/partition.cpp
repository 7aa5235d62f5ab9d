// Cost-balanced contiguous partitioning (pure functions, tested without MPI).
#include "cspt/parallel/partition.hpp"

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
                                             int rank, int n_ranks) {
  std::vector<std::size_t> counts(std::size_t(n_particles), 0);
  for (int p : particle_of_projection) ++counts.at(std::size_t(p));
  const auto parts = partition_by_cost(counts, n_ranks);
  const Range mine = parts.at(std::size_t(rank));
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < particle_of_projection.size(); ++i) {
    const auto p = std::size_t(particle_of_projection[i]);
    if (p >= mine.begin && p < mine.end) out.push_back(i);
  }
  return out;
}

}  // namespace cspt::parallel
