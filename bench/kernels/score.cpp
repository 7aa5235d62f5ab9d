// The refinement score (box B at 1.5 A/px, band 300-8 A,
// projector cropped to the band): band_score alone on a ready slice (shift phases, correlation),
// and one whole pose evaluation as the particle search runs it (project_at of the band + band_score).
// Counter bytes_per_item: the band arrays the score streams (image 8 B, CTF/sigma 4 B, slice 8 B,
// kx/ky/shell 12 B per sample); they stay in L1/L2, so the score is compute-bound.
#include <complex>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "common.hpp"
#include "cspt/recon/projector.hpp"
#include "cspt/refine/band_score.hpp"

namespace {

struct ScoreSetup {
  cspt::FourierBand band;
  cspt::BandImage prepared;
  std::vector<float> ctf_w;
  std::vector<std::complex<float>> slice;
  std::unique_ptr<cspt::Projector> projector;
  std::vector<Eigen::Matrix3d> mats;

  explicit ScoreSetup(int box) {
    const double px = 1.5;
    std::mt19937 rng(1);
    std::normal_distribution<float> g(0.0f, 1.0f);
    cspt::Volume map(box, px);
    for (auto& v : map.values()) v = g(rng);
    std::vector<float> image(std::size_t(box) * box);
    for (auto& v : image) v = g(rng);
    band = cspt::make_fourier_band(box, px, 300.0, 8.0);
    projector = std::make_unique<cspt::Projector>(map, 2, 1, band.shell_hi + 1.0);
    cspt::BandImagePreparer prep(band, 0.45 * box * px, 10.0);
    prep.prepare(image.data(), prepared);
    ctf_w.resize(band.size());
    cspt::band_ctf_over_sigma(band, cspt::CtfParams{}, prepared, ctf_w.data());
    slice.resize(band.size());
    std::uniform_real_distribution<double> u(0, 360);
    for (int i = 0; i < 4096; ++i) mats.push_back(cspt::matrix_from_euler_zyz({u(rng), u(rng) / 2, u(rng)}));
    projector->project_at(mats[0], band.kx, band.ky, slice.data());
  }
  double bytes() const { return 32.0 * double(band.size()); }
};

// One setup per box for the process (the projector's padded transform is the slow part).
ScoreSetup& setup(int box) {
  using Ptr = std::shared_ptr<ScoreSetup>;
  return *cspt::bench::once<Ptr>("score" + std::to_string(box), [box] { return std::make_shared<ScoreSetup>(box); });
}

/// Items, bytes and band points of a scoring benchmark (one item = one pose scored).
void report_counters(benchmark::State& state, const ScoreSetup& s) {
  state.SetItemsProcessed(int64_t(state.iterations()));
  state.SetBytesProcessed(int64_t(double(state.iterations()) * s.bytes()));
  state.counters["bytes_per_item"] = s.bytes();
  state.counters["points_per_item"] = double(s.band.size());
}

void BM_BandScore(benchmark::State& state) {
  const ScoreSetup& s = setup(int(state.range(0)));
  cspt::BandScoreScratch scratch;
  int i = 0;
  for (auto _ : state) {
    ++i;
    benchmark::DoNotOptimize(
        cspt::band_score(s.band, s.prepared, s.ctf_w.data(), s.slice.data(), 0.3 * (i % 7), -0.2 * (i % 5), scratch));
  }
  report_counters(state, s);
}
BENCHMARK(BM_BandScore)->Apply(cspt::bench::box_sizes)->Unit(benchmark::kMicrosecond);

void BM_ScoreEvaluation(benchmark::State& state) {
  ScoreSetup& s = setup(int(state.range(0)));
  cspt::BandScoreScratch scratch;
  std::size_t i = 0;
  for (auto _ : state) {
    s.projector->project_at(s.mats[i % s.mats.size()], s.band.kx, s.band.ky, s.slice.data());
    ++i;
    benchmark::DoNotOptimize(
        cspt::band_score(s.band, s.prepared, s.ctf_w.data(), s.slice.data(), 0.3 * (i % 7), -0.2 * (i % 5), scratch));
  }
  report_counters(state, s);
}
BENCHMARK(BM_ScoreEvaluation)->Apply(cspt::bench::box_sizes)->Unit(benchmark::kMicrosecond);

}  // namespace
