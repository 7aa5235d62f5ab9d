// Per-tilt geometry refinement: tilt-angle offset, tilt-axis angle, 2D shift and defocus offset of
// every tilt, each scored by the mean score of all its projections on all ranks.
#pragma once

#include "cspt/parallel/context.hpp"
#include "cspt/refine/rank_scoring.hpp"
#include "cspt/refine/refine_model.hpp"

namespace cspt {

struct TiltSearchOptions {
  bool angle = true, axis = true, shift = true, defocus = true;
  /// First candidate spacing of each parameter; halved every round.
  double angle_step_deg = 0.4, axis_step_deg = 0.4, shift_step_A = 6.0, defocus_step_A = 150.0;
  int rounds = 3;
  /// Largest change from the values refinement started from (the feasible box).
  double angle_range_deg = 1.5, axis_range_deg = 1.0, shift_range_A = 100.0, defocus_range_A = 500.0;
  /// Regions of each series' tomogram whose tilts get their own shift corrections (refine_run
  /// assigns them into the model; the search refines whatever regions the model holds).
  TiltRegionGrid regions;
  double region_shift_range_A = 30.0;  ///< largest region correction
  /// Iterations (from the first) whose tilt search starts with scan_tilt_shifts_collective: every
  /// tilt's shift scanned over the whole range (tilt_shift_scan.hpp). 0: never.
  int shift_scan_iterations = 1;
  int threads = 1;
};

/// What tilt refinement did: mean score of all projections before and after.
struct TiltSearchReport {
  double mean_score_before = 0.0, mean_score_after = 0.0;
  long long evaluations = 0;  ///< projection scores computed on this rank
};

/// The frame's gauge, held after every angle step. A common change of all of a series' tilt angles
/// with its particles turned about the tilt axis changes no projection; only the reference tilt
/// pins it, so alternating tilt and particle steps would correct a common error of the other tilts
/// by about 1/(number of tilts) per iteration. Instead the reference tilt's angle is refined like
/// the others', and then, per series, every tilt angle moves back by the reference's change delta
/// while the series' particles (orientation and position) turn by Ry(delta): the same projections
/// (Ry(theta - delta) Ry(delta) = Ry(theta)), with the reference tilt where it started. The axis
/// has no such gauge (a common axis change is a turn of the particles about the beam only at the
/// reference tilt's angle), so the reference tilt's axis stays fixed. Every rank does the same.
void reanchor_tilt_angles(RefineModel& model, const RefineModel& start);

/// Collective. One parameter at a time, every rank scores its projections at five candidate values
/// (-2..2 steps) of that parameter for every tilt at once; the per-tilt sums are reduced over the
/// ranks, and every rank moves each tilt to the parabolic maximum of its candidates, within the box
/// around `start`. One reduction of 5 x (tilts) sums per parameter and round, whatever the number of
/// particles. The reference tilt of each series keeps its axis and shift (its defocus is refined);
/// its angle is searched like the others' and then put back by `reanchor_tilt_angles`. With
/// regions in the model, every round ends with the two components of the region corrections,
/// searched the same way with groups (series, region, tilt): still one reduction per step.
/// Updates `model.tilts` and `model.regions` identically on every rank.
TiltSearchReport refine_tilts_collective(parallel::Context& ctx, RefineModel& model, const RefineModel& start,
                                         const RankScoring& scoring, const TiltSearchOptions& opts);

}  // namespace cspt
