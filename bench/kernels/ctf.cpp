// CTF of a half plane: CtfEvaluator::evaluate_half_plane, one box x (box/2+1) plane per item with
// a new defocus each time (as reconstruction evaluates one per image). The only memory traffic is
// the output (4 B per point, counter bytes_per_item), so the kernel is compute-bound: its memory
// bound is far below the measured time, and points/s is the figure to watch.
#include <cstddef>
#include <vector>

#include <benchmark/benchmark.h>

#include "common.hpp"
#include "cspt/core/ctf.hpp"

namespace {

void BM_CtfHalfPlane(benchmark::State& state) {
  const int box = int(state.range(0));
  std::vector<float> out(std::size_t(box) * (box / 2 + 1));
  cspt::CtfParams p;
  p.defocus_v_A = 14000;
  p.defocus_angle_deg = 30;
  int i = 0;
  for (auto _ : state) {
    p.defocus_u_A = 15000 + (i++ % 1000);
    cspt::CtfEvaluator(p).evaluate_half_plane(box, 1.5, out.data());
    benchmark::DoNotOptimize(out.data());
  }
  const double bytes = 4.0 * double(out.size());
  state.SetItemsProcessed(int64_t(state.iterations()));
  state.SetBytesProcessed(int64_t(double(state.iterations()) * bytes));
  state.counters["bytes_per_item"] = bytes;
  state.counters["points_per_item"] = double(out.size());
}
BENCHMARK(BM_CtfHalfPlane)->Apply(cspt::bench::box_sizes)->Unit(benchmark::kMicrosecond);

}  // namespace
