// A small deterministic derivative-free maximiser with box constraints (Powell's direction-set method)
// for refinement: particle orientation/shift (6 parameters) and per-tilt geometry (1-5 parameters).
#pragma once

#include <functional>
#include <vector>

namespace cspt {

/// Per-parameter box: lower[i] <= x[i] <= upper[i]. Infinite bounds are allowed (an open side).
struct BoxBounds {
  std::vector<double> lower, upper;
};

struct MaximizeOptions {
  /// Per parameter, finite and > 0: the first trial displacement along each axis. It sets the scale of
  /// the search; the optimum may be far away (line searches expand), but the step should be about the
  /// size of the expected move.
  std::vector<double> initial_step;
  /// Per parameter, finite and > 0: the resolution. A line search stops refining once its next move would
  /// be below min_step in every parameter, and a direction whose step has shrunk below min_step (in every
  /// parameter) is no longer searched.
  std::vector<double> min_step;
  /// Hard cap on calls of the objective, >= 1 (the start point is one of them). Never exceeded.
  int max_evaluations = 200;
  /// Finite and >= 0: a sweep that improves the value by less than this has failed (see maximize_in_box:
  /// the run stops at a failed sweep along the axes at full resolution).
  double value_tolerance = 1e-6;
};

struct MaximizeResult {
  std::vector<double> x;  ///< the best point evaluated (inside the box)
  double value = 0;       ///< f(x); -infinity if every evaluation gave NaN or -infinity
  int evaluations = 0;    ///< calls of the objective made, <= max_evaluations
};

/// Maximise f over the box. Points outside the box are never evaluated: a line search is restricted to
/// the segment of its line inside the box, and a point reaching a face is put exactly on it, so an
/// optimum beyond a face ends exactly on the face.
///
/// Method: Powell's direction-set method. The directions start as the coordinate axes, each one step
/// (initial_step) long. A sweep line-searches along every direction in turn; then f is tried at the
/// extrapolation 2 x_end - x_start of the sweep, and if that beats the sweep's start, a line search runs
/// along the net displacement x_end - x_start, which replaces the direction of largest gain (Powell's
/// conjugate-direction update; on a quadratic the directions become conjugate and the method ends in
/// about n + 1 sweeps).
///
/// A line search probes one direction length forward. If the direction's curvature is known from its
/// previous search, the parabola with that curvature through the two points predicts the maximum, which
/// is evaluated next (2 evaluations per search on a quadratic). Otherwise it probes as far backwards if the
/// forward probe was worse, or expands forwards (parabolic extrapolation, at most 20 steps at a time) until
/// the value falls or the box ends. The bracket is then refined by successive parabolic interpolation
/// with golden-section fallback (Brent's safeguards) until the parabola's vertex moves less than the
/// resolution. Until the first failed sweep the resolution is 5% of the direction's length (early searches
/// need not be exact); after it, min_step. After each search the direction's length is rescaled by the
/// move found, clamped to [0.1, 2] of the old length, so steps follow the moves and shrink as the search
/// converges.
///
/// Stopping: a sweep fails when it gains less than value_tolerance. A failed sweep whose directions were
/// all axes, searched to min_step, ends the run; otherwise the directions are reset to the axes with
/// halved steps and the search goes on. The run also ends when every direction is shorter than min_step,
/// or when max_evaluations is reached (the best point so far is returned).
///
/// NaN values are treated as -infinity, so a region where f is NaN is never entered by a line search
/// (its maximum stays on the finite side). Deterministic: the same input gives the same bits.
/// Throws InternalError for vectors of mismatched size, no parameters or an empty function; ConfigError
/// for a non-positive or non-finite step, lower > upper or a NaN bound, x0 non-finite or outside the box,
/// max_evaluations < 1 or a negative or non-finite value_tolerance. Exceptions from f propagate.
MaximizeResult maximize_in_box(const std::function<double(const std::vector<double>&)>& f,
                               std::vector<double> x0, const BoxBounds& bounds,
                               const MaximizeOptions& opts);

}  // namespace cspt
