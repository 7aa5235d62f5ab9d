// The hardware bound: STREAM-like triad and random cache-line gather / scatter-add over buffers
// much larger than the last-level cache (lscpu reports 260 MiB here), one thread. The other
// kernels' memory bounds divide the bytes they touch by these rates (bench/update_performance_doc.py).
#include <cstddef>
#include <cstdint>
#include <vector>

#include <benchmark/benchmark.h>


namespace {

constexpr std::size_t kTriadFloats = std::size_t(1) << 27;  // 512 MiB per array, 1.5 GiB in all
constexpr std::size_t kCells = std::size_t(1) << 26;        // 1 GiB of 16-byte cells

struct Cell {
  float a, b, c, d;
};

// a = b + s * c: 12 bytes per element (two reads, one write; the write-allocate read is not
// counted, as STREAM does not).
void BM_StreamTriad(benchmark::State& state) {
  std::vector<float> a(kTriadFloats, 0.0f), b(kTriadFloats, 1.0f), c(kTriadFloats, 2.0f);
  const float s = 0.5f;
  for (auto _ : state) {
    float* __restrict pa = a.data();
    const float* __restrict pb = b.data();
    const float* __restrict pc = c.data();
    for (std::size_t i = 0; i < kTriadFloats; ++i) pa[i] = pb[i] + s * pc[i];
    benchmark::DoNotOptimize(pa);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(int64_t(state.iterations()) * int64_t(kTriadFloats));
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(kTriadFloats) * 12);
}
BENCHMARK(BM_StreamTriad)->Unit(benchmark::kMillisecond);

// Random 16-byte cells of a 1 GiB buffer: a gather (read) and a scatter-add (read-modify-write),
// as trilinear insertion does when consecutive points do not share lines. Indices come from a
// 64-bit LCG so that address generation costs no memory. Bytes are whole 64-byte lines (the unit
// DRAM moves), and twice that for the scatter (the line is written back).
inline std::uint64_t lcg(std::uint64_t& x) {
  x = x * 6364136223846793005ULL + 1442695040888963407ULL;
  return x >> 38;  // 26 bits: a cell index
}

void BM_RandomGather(benchmark::State& state) {
  std::vector<Cell> cells(kCells, Cell{1, 2, 3, 4});
  const std::size_t n = 1 << 22;
  std::uint64_t x = 12345;
  float sum = 0;
  for (auto _ : state) {
    for (std::size_t i = 0; i < n; ++i) sum += cells[lcg(x)].a;
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(int64_t(state.iterations()) * int64_t(n));
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(n) * 64);
}
BENCHMARK(BM_RandomGather)->Unit(benchmark::kMillisecond);

void BM_RandomScatterAdd(benchmark::State& state) {
  std::vector<Cell> cells(kCells, Cell{0, 0, 0, 0});
  const std::size_t n = 1 << 22;
  std::uint64_t x = 12345;
  for (auto _ : state) {
    for (std::size_t i = 0; i < n; ++i) {
      Cell& c = cells[lcg(x)];
      c.a += 1.0f; c.b += 0.5f; c.c += 0.25f;
    }
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(int64_t(state.iterations()) * int64_t(n));
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(n) * 128);
}
BENCHMARK(BM_RandomScatterAdd)->Unit(benchmark::kMillisecond);

}  // namespace
