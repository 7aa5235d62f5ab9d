// Slice insertion into the padded Fourier grid (pad 2, 16-byte cells), one slice per item:
// FourierAccumulator::insert_slice one slice at a time, and BatchedInserter, which sorts a batch's
// points by grid brick first. Slices are ordered by plane normal as reconstruct orders them.
// Counter bytes_per_item: distinct 64-byte grid lines a slice touches (read and written back, so
// x 128 B) plus the slice's input (8 B value + 4 B weight per point); the memory bound is that
// over the triad bandwidth.
#include <complex>
#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "common.hpp"
#include "cspt/recon/fourier_accumulator.hpp"

namespace {

constexpr int kPad = 2;
constexpr int kSlices = 4096;  // cycled; enough for the sweep through orientations to matter

struct SliceInput {
  std::vector<std::complex<float>> values;
  std::vector<float> weights;
  explicit SliceInput(int box)
      : values(std::size_t(box) * (box / 2 + 1), {1.0f, 0.5f}), weights(values.size(), 1.0f) {}
};

double input_bytes(int box) { return 12.0 * double(cspt::bench::half_plane_disk(box, box / 2.0 - 1).size()); }

void BM_InsertSlice(benchmark::State& state) {
  const int box = int(state.range(0));
  const auto mats = cspt::bench::sorted_orientations(kSlices);
  const SliceInput in(box);
  cspt::FourierAccumulator acc(box * kPad);
  std::size_t i = 0;
  for (auto _ : state) {
    acc.insert_slice(in.values.data(), in.weights.data(), box, mats[i++ % kSlices], box / 2.0 - 1);
  }
  benchmark::DoNotOptimize(acc.data());
  const double lines = cspt::bench::once<double>("insert" + std::to_string(box), [&] {
    const std::vector<Eigen::Matrix3d> sample(mats.begin(), mats.begin() + 64);
    return cspt::bench::accumulator_lines_per_slice(box, kPad, sample, 1);
  });
  const double bytes = 128.0 * lines + input_bytes(box);
  state.SetItemsProcessed(int64_t(state.iterations()));
  state.SetBytesProcessed(int64_t(double(state.iterations()) * bytes));
  state.counters["bytes_per_item"] = bytes;
  state.counters["lines_per_item"] = lines;
  state.counters["points_per_item"] = double(cspt::bench::half_plane_disk(box, box / 2.0 - 1).size());
}
BENCHMARK(BM_InsertSlice)->Apply(cspt::bench::box_sizes)->Unit(benchmark::kMicrosecond);

// Items are slices; a batch is flushed every 2^18 points (the default), so the time per slice
// includes its share of the sort and splat.
void BM_BatchedInsert(benchmark::State& state) {
  const int box = int(state.range(0));
  const auto mats = cspt::bench::sorted_orientations(kSlices);
  const SliceInput in(box);
  cspt::FourierAccumulator acc(box * kPad);
  cspt::BatchedInserter batch(acc);
  std::size_t i = 0;
  for (auto _ : state) {
    batch.add_slice(in.values.data(), in.weights.data(), box, mats[i++ % kSlices], box / 2.0 - 1);
  }
  batch.flush();
  benchmark::DoNotOptimize(acc.data());
  const double points = double(cspt::bench::half_plane_disk(box, box / 2.0 - 1).size());
  const int per_batch = std::max(1, int((1 << 18) / points) + 1);
  // Lines shared within a batch are fetched once; each 24-byte point also passes through the
  // batch five times (written when collected, read to count, read and written by the sort, read
  // to splat).
  const double lines = cspt::bench::once<double>("batched" + std::to_string(box), [&] {
    const std::vector<Eigen::Matrix3d> sample(mats.begin(), mats.begin() + std::min(kSlices, 4 * per_batch));
    return cspt::bench::accumulator_lines_per_slice(box, kPad, sample, per_batch);
  });
  const double bytes = 128.0 * lines + input_bytes(box) + 5 * 24.0 * points;
  state.SetItemsProcessed(int64_t(state.iterations()));
  state.SetBytesProcessed(int64_t(double(state.iterations()) * bytes));
  state.counters["bytes_per_item"] = bytes;
  state.counters["lines_per_item"] = lines;
  state.counters["points_per_item"] = points;
}
BENCHMARK(BM_BatchedInsert)->Apply(cspt::bench::box_sizes)->Unit(benchmark::kMicrosecond);

}  // namespace
