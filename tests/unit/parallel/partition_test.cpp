// Work splitting: every particle exactly once, on one rank, balanced by projection count.
#include "cspt/parallel/partition.hpp"

#include <gtest/gtest.h>

#include <numeric>
#include <random>
#include <set>

namespace cspt::parallel {
namespace {

TEST(PartitionTest, covers_every_item_once_in_order) {
  std::mt19937 rng(1);
  for (int n_items : {0, 1, 2, 7, 100, 1001})
    for (int parts : {1, 2, 3, 8, 64}) {
      std::vector<std::size_t> costs(static_cast<std::size_t>(n_items));
      for (auto& c : costs) c = 1 + rng() % 41;
      const auto r = partition_by_cost(costs, parts);
      ASSERT_EQ(int(r.size()), parts);
      std::size_t next = 0;
      for (const auto& p : r) {
        EXPECT_EQ(p.begin, next);
        EXPECT_LE(p.begin, p.end);
        next = p.end;
      }
      EXPECT_EQ(next, costs.size());
    }
}

TEST(PartitionTest, balances_cost) {
  std::vector<std::size_t> costs(1000, 41);
  for (std::size_t i = 0; i < costs.size(); i += 3) costs[i] = 25;
  const auto r = partition_by_cost(costs, 3);
  const double total = double(std::accumulate(costs.begin(), costs.end(), std::size_t(0)));
  for (const auto& p : r) {
    const double share = double(std::accumulate(costs.begin() + long(p.begin), costs.begin() + long(p.end), std::size_t(0)));
    EXPECT_NEAR(share / total, 1.0 / 3, 0.01);
  }
}

TEST(PartitionTest, all_projections_of_a_particle_on_one_rank) {
  std::vector<int> particle_of;
  for (int p = 0; p < 50; ++p)
    for (int t = 0; t < 41; ++t) particle_of.push_back((p * 7) % 50);  // interleaved order
  std::set<std::size_t> seen;
  for (int ranks : {1, 2, 3, 5}) {
    seen.clear();
    std::vector<int> owner(50, -1);
    for (int r = 0; r < ranks; ++r)
      for (auto i : projections_of_rank(particle_of, 50, r, ranks)) {
        EXPECT_TRUE(seen.insert(i).second);
        const int p = particle_of[i];
        EXPECT_TRUE(owner[p] == -1 || owner[p] == r);
        owner[p] = r;
      }
    EXPECT_EQ(seen.size(), particle_of.size());
  }
}

TEST(PartitionTest, rejects_zero_parts) { EXPECT_THROW(partition_by_cost({1, 2}, 0), std::invalid_argument); }

}  // namespace
}  // namespace cspt::parallel

namespace cspt::parallel {
namespace {

TEST(PartitionTest, two_ranks_take_one_half_set_each) {
  std::vector<int> particle_of, half_of;
  for (int p = 0; p < 100; ++p) {
    half_of.push_back(1 + (p * 13) % 2);
    for (int t = 0; t < 3; ++t) particle_of.push_back(p);
  }
  for (int r = 0; r < 2; ++r) {
    std::set<int> halves;
    for (auto i : projections_of_rank(particle_of, 100, r, 2, half_of)) halves.insert(half_of[particle_of[i]]);
    EXPECT_EQ(halves.size(), 1u) << "rank " << r;
  }
  // Three ranks: at most one rank holds both halves.
  int mixed = 0;
  for (int r = 0; r < 3; ++r) {
    std::set<int> halves;
    for (auto i : projections_of_rank(particle_of, 100, r, 3, half_of)) halves.insert(half_of[particle_of[i]]);
    mixed += halves.size() > 1;
  }
  EXPECT_LE(mixed, 1);
}

}  // namespace
}  // namespace cspt::parallel
