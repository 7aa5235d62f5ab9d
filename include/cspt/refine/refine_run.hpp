// The refinement job: iterations of reference preparation, per-tilt and per-particle refinement,
// exposure weighting and gold-standard reconstruction, each written to OUT/iter_NNN and resumable.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "cspt/parallel/context.hpp"
#include "cspt/refine/exposure_weights.hpp"
#include "cspt/refine/particle_search.hpp"
#include "cspt/refine/tilt_search.hpp"

namespace cspt {

/// Re-centring moves a box when its particle is at least this far from the centre (pixels, x or y).
constexpr int kRecentreMinMovePx = 2;

struct RefineOptions {
  std::string project_path;      ///< the HDF5 project (read; updated after every iteration)
  std::string out_dir;           ///< OUT: extraction, iter_NNN/, summary.json
  std::string reference_path;    ///< starting reference map (MRC, the particle box)
  double initial_resolution_A = 20.0;  ///< the starting reference is low-passed here
  double low_resolution_A = 300.0;     ///< scores ignore anything coarser
  /// Scores use frequencies up to the current resolution times this (<= 1: a little below it).
  double resolution_factor = 1.0;
  int iterations = 5;  ///< 0: extract into OUT and stop
  int box_px = 128;
  /// false (stored): the root cuts every box into OUT/particles.mrcs and each rank reads its own
  /// sections; true (on-the-fly): the root writes only the box table and each rank cuts its
  /// projections from the raw tilt series. The same pixels either way.
  bool on_the_fly_extraction = false;
  /// Before every iteration after the first, cut again from the raw tilt series each box whose
  /// particle the refined geometry puts at least kRecentreMinMovePx pixels from its centre
  /// (recentre_boxes); the box table each iteration used is kept in OUT/iter_NNN/extraction.csv.
  bool recentre_boxes = true;
  std::string symmetry = "C1";
  double mask_radius_A = 0.0;    ///< 0: the largest sphere the box allows with the edge
  double mask_edge_A = 10.0;
  /// A mask (MRC, values 0..1) for the references and the FSC instead of the soft sphere; the
  /// particle images keep the sphere's circle.
  std::string mask_path;
  bool constrained = true;       ///< false: every projection refined on its own (ablation)
  bool refine_particles = true;
  bool refine_tilts = true;
  bool global_search = false;    ///< first iteration: global orientation search for every particle
  int grid_iterations = 1;       ///< iterations that start the local search with a grid
  ParticleSearchOptions particle;
  GlobalSearchOptions global;
  TiltSearchOptions tilt;
  ExposureWeightOptions weights;
  int pad = 2;
  int threads = 1;
  std::uint64_t seed = 20140101;
  /// Bytes one rank may use (0: the node's free memory shared by its ranks). Each iteration states
  /// its peak first and stops the run with a ConfigError if it would not fit.
  double memory_limit_bytes = 0.0;
  /// Stop early when the resolution stops improving (by less than 1%) and the median particle
  /// rotation in the iteration was below this (degrees). 0 = always run every iteration.
  double converge_angle_deg = 0.0;
  /// Asked after every iteration but the last, on every rank, with the wall time of the iteration
  /// just finished: true stops the run cleanly there (it resumes from that iteration). Batch jobs
  /// use it to stop on a signal or before their time limit. Not part of the run's options.
  std::function<bool(double last_iteration_s)> stop_check;
};

/// Lines for the log (root only), one per event.
using RefineLog = std::function<void(const std::string&)>;

/// What the run reached (meaningful on the root).
struct RefineOutcome {
  int iterations_done = 0;
  double resolution_A = 0.0;
  std::string summary_path;
  bool stopped = false;  ///< stop_check ended the run before opts.iterations
};

/// Collective: the whole run. Resumes from the last complete OUT/iter_NNN when OUT holds a run of the
/// same options (iterations may be raised); refuses OUT holding a run with other options.
RefineOutcome run_refinement_collective(parallel::Context& ctx, const RefineOptions& opts, const RefineLog& log);

/// The options as JSON text (what a resumed run must match).
std::string refine_options_json(const RefineOptions& opts);

}  // namespace cspt
