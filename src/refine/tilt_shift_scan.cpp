// The coarse per-tilt shift scan: score maps over whole-pixel shifts, summed per tilt over ranks.
#include "cspt/refine/tilt_shift_scan.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace cspt {

TiltShiftScanReport scan_tilt_shifts_collective(parallel::Context& ctx, RefineModel& model, const RefineModel& start,
                                                const RankScoring& scoring, const TiltSearchOptions& opts) {
  TiltShiftScanReport report;
  const int box = model.box_px;
  const double px = model.optics.pixel_size_A;
  const int reach = std::min(box / 2 - 1, int(std::floor(opts.shift_range_A / px)));
  if (reach < kTiltShiftScanMinMovePx || !(px > 0)) return report;
  const int width = 2 * reach + 1;
  const std::size_t window = std::size_t(width) * std::size_t(width);

  // Tilts numbered globally; this rank's projections of each.
  std::vector<std::size_t> offset(model.tilts.size() + 1, 0);
  for (std::size_t s = 0; s < model.tilts.size(); ++s) offset[s + 1] = offset[s] + model.tilts[s].size();
  const std::size_t n_tilts = offset.back();
  std::vector<std::vector<std::size_t>> mine(n_tilts);
  for (std::size_t j : scoring.images().held()) {
    const auto& pj = model.projections[j];
    mine[offset[std::size_t(pj.series)] + std::size_t(pj.tilt)].push_back(j);
  }
  std::vector<std::pair<std::size_t, std::size_t>> tilt_of(n_tilts);  // global -> (series, tilt)
  for (std::size_t s = 0; s < model.tilts.size(); ++s)
    for (std::size_t t = 0; t < model.tilts[s].size(); ++t) tilt_of[offset[s] + t] = {s, t};

  const int threads = std::max(1, opts.threads);
  // Tilts per reduction: about 16 MB of sums per thread and per message, whatever the dataset.
  const std::size_t chunk = std::clamp<std::size_t>((std::size_t(16) << 20) / (window * sizeof(double)), 1, n_tilts);
  std::vector<double> moves;
  double before = 0.0, after = 0.0;
  for (std::size_t first = 0; first < n_tilts; first += chunk) {
    const std::size_t n = std::min(chunk, n_tilts - first);
    std::vector<std::pair<std::size_t, std::size_t>> work;  // (tilt in chunk, projection)
    for (std::size_t c = 0; c < n; ++c)
      for (std::size_t j : mine[first + c]) work.emplace_back(c, j);
    std::vector<double> sums(n * window + n, 0.0);  // maps, then counts
    std::vector<std::vector<double>> thread_sums(static_cast<std::size_t>(threads));
#pragma omp parallel num_threads(threads)
    {
      std::vector<double>& my = thread_sums[std::size_t(omp_get_thread_num())];
      my.assign(n * window + n, 0.0);
      ScoringScratch scratch;
      std::vector<float> map(std::size_t(box) * std::size_t(box));
#pragma omp for schedule(dynamic, 4)
      for (std::size_t w = 0; w < work.size(); ++w) {
        const auto [c, j] = work[w];
        const auto& pj = model.projections[j];
        const auto& particle = model.particles[std::size_t(pj.particle)];
        const auto& tilt = model.tilts[std::size_t(pj.series)][std::size_t(pj.tilt)];
        scoring.shift_map(j, projection_pose(model, pj, particle.rotation, particle.position_A, tilt), scratch, map.data());
        double* acc = my.data() + c * window;
        for (int dy = -reach; dy <= reach; ++dy) {
          const float* row = map.data() + std::size_t((dy + box) % box) * std::size_t(box);
          double* out = acc + std::size_t(dy + reach) * std::size_t(width);
          for (int dx = -reach; dx <= reach; ++dx) out[dx + reach] += row[(dx + box) % box];
        }
        my[n * window + c] += 1.0;
      }
    }
    for (const auto& my : thread_sums)
      for (std::size_t i = 0; i < sums.size(); ++i) sums[i] += my[i];
    ctx.sum_collective(sums);

    for (std::size_t c = 0; c < n; ++c) {
      const double count = sums[n * window + c];
      if (count < 1) continue;
      const auto [s, t] = tilt_of[first + c];
      RefineTilt& tilt = model.tilts[s][t];
      const RefineTilt& origin = start.tilts[s][t];
      const double* map = sums.data() + c * window;
      const auto value = [&](int dx, int dy) { return map[std::size_t(dy + reach) * std::size_t(width) + std::size_t(dx + reach)] / count; };
      // A pose shift change d moves the particle by -d in the image: the tilt's shift by -d pixels.
      const auto feasible = [&](int dx, int dy) {
        return std::abs(tilt.geometry.shift_x_A - dx * px - origin.geometry.shift_x_A) <= opts.shift_range_A &&
               std::abs(tilt.geometry.shift_y_A - dy * px - origin.geometry.shift_y_A) <= opts.shift_range_A;
      };
      int bx = 0, by = 0;
      for (int dy = -reach; dy <= reach; ++dy)
        for (int dx = -reach; dx <= reach; ++dx)
          if (feasible(dx, dy) && value(dx, dy) > value(bx, by)) bx = dx, by = dy;
      ++report.tilts_scanned;
      before += value(0, 0);
      if (std::max(std::abs(bx), std::abs(by)) >= kTiltShiftScanMinMovePx) {
        tilt.geometry.shift_x_A -= bx * px;
        tilt.geometry.shift_y_A -= by * px;
        moves.push_back(std::hypot(bx, by) * px);
        after += value(bx, by);
      } else {
        after += value(0, 0);
      }
    }
  }
  report.tilts_moved = int(moves.size());
  if (!moves.empty()) {
    std::sort(moves.begin(), moves.end());
    report.median_move_A = moves[moves.size() / 2];
    report.largest_move_A = moves.back();
  }
  if (report.tilts_scanned > 0) {
    report.mean_score_before = before / report.tilts_scanned;
    report.mean_score_after = after / report.tilts_scanned;
  }
  return report;
}

}  // namespace cspt
