// Central-slice extraction: Projector::project_at of the whole half-plane disk (|k| <= box/2 - 1)
// from the full pad-2 transform of a box^3 map, one slice per item, random orientations (as the
// refinement's searches ask for them). Counter bytes_per_item: distinct 64-byte lines of the
// projector's cube the slice reads, plus kx, ky in (8 B) and the sample out (8 B) per point.
#include <algorithm>
#include <complex>
#include <memory>
#include <string>
#include <random>
#include <vector>

#include <benchmark/benchmark.h>

#include "common.hpp"
#include "cspt/recon/projector.hpp"

namespace {

void BM_ProjectAt(benchmark::State& state) {
  const int box = int(state.range(0));
  std::mt19937 rng(1);
  std::normal_distribution<float> g(0.0f, 1.0f);
  using Ptr = std::shared_ptr<const cspt::Projector>;
  const cspt::Projector& projector = *cspt::bench::once<Ptr>("projector" + std::to_string(box), [&] {
    cspt::Volume map(box, 1.5);
    for (auto& v : map.values()) v = g(rng);
    return std::make_shared<const cspt::Projector>(map, 2, 1);
  });
  const auto pts = cspt::bench::half_plane_disk(box, box / 2.0 - 1);
  std::vector<int> kx, ky;
  for (const auto& p : pts) kx.push_back(p.kx), ky.push_back(p.ky);
  // Random, not sorted: each call starts cold in the parts of the cube it reaches.
  std::vector<Eigen::Matrix3d> mats = cspt::bench::sorted_orientations(4096);
  std::shuffle(mats.begin(), mats.end(), rng);
  std::vector<std::complex<float>> out(pts.size());
  std::size_t i = 0;
  for (auto _ : state) {
    projector.project_at(mats[i++ % mats.size()], kx, ky, out.data());
    benchmark::DoNotOptimize(out.data());
  }
  const double lines = cspt::bench::once<double>("project" + std::to_string(box), [&] {
    return cspt::bench::projector_lines_per_slice(box, 2, std::vector<Eigen::Matrix3d>(mats.begin(), mats.begin() + 64));
  });
  const double bytes = 64.0 * lines + 16.0 * double(pts.size());
  state.SetItemsProcessed(int64_t(state.iterations()));
  state.SetBytesProcessed(int64_t(double(state.iterations()) * bytes));
  state.counters["bytes_per_item"] = bytes;
  state.counters["lines_per_item"] = lines;
  state.counters["points_per_item"] = double(pts.size());
}
BENCHMARK(BM_ProjectAt)->Apply(cspt::bench::box_sizes)->Unit(benchmark::kMicrosecond);

}  // namespace
