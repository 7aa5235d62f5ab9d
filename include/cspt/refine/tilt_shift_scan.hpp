// The coarse stage of per-tilt shift refinement: every tilt's shift scanned over its whole feasible
// range at once, for tracking errors beyond the reach of the local tilt search.
#pragma once

#include "cspt/parallel/context.hpp"
#include "cspt/refine/rank_scoring.hpp"
#include "cspt/refine/refine_model.hpp"
#include "cspt/refine/tilt_search.hpp"

namespace cspt {

/// What the scan did.
struct TiltShiftScanReport {
  int tilts_scanned = 0;       ///< tilts with projections
  int tilts_moved = 0;         ///< tilts whose shift the scan changed
  double median_move_A = 0.0;  ///< median change of the moved tilts
  double largest_move_A = 0.0;
  double mean_score_before = 0.0, mean_score_after = 0.0;  ///< mean over tilts of the tilt's mean score
};

/// A tilt moves only when its best whole-pixel shift is at least this far (pixels, either axis)
/// from the current one: nearer, the local search (sub-pixel, reference tilt held) decides.
constexpr int kTiltShiftScanMinMovePx = 2;

/// Collective. For every tilt, the mean score of all its projections (on all ranks) as a function
/// of a change of the tilt's shift, at every whole pixel within the box of +-`opts.shift_range_A`
/// around `start` (at most +-(box/2 - 1) pixels from the current shift): one inverse FFT per
/// projection (RankScoring::shift_map), the per-tilt maps summed on every rank and reduced in
/// chunks of tilts. Each tilt then moves to its best shift when that is at least
/// kTiltShiftScanMinMovePx away and scores higher. The reference tilt is scanned too: with the
/// particles held it is determined like any other, and a tracking error of the first exposure
/// would otherwise stay for good. Updates `model.tilts` identically on every rank.
TiltShiftScanReport scan_tilt_shifts_collective(parallel::Context& ctx, RefineModel& model, const RefineModel& start,
                                                const RankScoring& scoring, const TiltSearchOptions& opts);

}  // namespace cspt
