// The distributed reconstruction: partition, insert, reduce to slabs, half-maps, FSC, combined map.
#include "cspt/recon/reconstruct.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "cspt/core/euler.hpp"

#include "cspt/parallel/guarded.hpp"
#include "cspt/parallel/partition.hpp"
#include "cspt/recon/memory_model.hpp"
#include "cspt/util/error.hpp"
#include "cspt/util/node_memory.hpp"
#include "recon/finish_slabs.hpp"
#include "recon/insert_slabs.hpp"

namespace cspt {
namespace {

// Insert slices in the order of their plane normals, so that consecutive slices touch mostly the
// same grid cells while those are still in cache. Only the summation order changes.
void order_by_slice_plane(const ParticleSet& set, std::vector<std::size_t>& mine) {
  constexpr double kBandDeg = 3.0;
  std::vector<std::pair<double, std::size_t>> keyed;
  keyed.reserve(mine.size());
  for (auto i : mine) {
    const auto& p = set.projections[i];
    Eigen::Vector3d n = matrix_from_euler_zyz({p.rot_deg, p.tilt_deg, p.psi_deg}).row(2);
    if (n.z() < 0) n = -n;  // a plane and its mirror are the same plane
    const double theta = std::acos(std::clamp(n.z(), -1.0, 1.0)) * 180 / 3.141592653589793;
    const double phi = std::atan2(n.y(), n.x()) * 180 / 3.141592653589793 + 180;
    const int band = int(theta / kBandDeg);
    const double along = band % 2 ? 360 - phi : phi;  // serpentine through the bands
    keyed.emplace_back((p.half == 2 ? 1e7 : 0.0) + band * 1000.0 + along, i);  // one half at a time
  }
  std::stable_sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (std::size_t k = 0; k < keyed.size(); ++k) mine[k] = keyed[k].second;
}

}  // namespace

// Largest half grid (16-byte cells) for which automatic insertion uses whole grids: padded 256^3.
constexpr double kFullGridsUpToBytes = 256.0 * 256 * 129 * 16 * 1.01;

ReconstructionPlan plan_reconstruction_collective(parallel::Context& ctx, const ParticleSet& set, int box,
                                                  const ReconstructOptions& opts) {
  const ReconstructShape shape = reconstruct_shape(set.projections.size(), box, set.pixel_size_A, opts, ctx.size());
  ReconstructionPlan plan;
  // The budget of one rank: the configured limit, and this node's free memory shared by its ranks.
  double budget = opts.memory_limit_bytes > 0 ? opts.memory_limit_bytes : 1e300;
  const double node = node_available_memory_bytes();
  if (node > 0) budget = std::min(budget, node / ctx.ranks_on_node());
  std::vector<double> budgets(static_cast<std::size_t>(ctx.size()), 0.0);
  budgets[ctx.rank()] = budget;
  ctx.sum_collective(budgets);
  plan.budget_bytes = *std::min_element(budgets.begin(), budgets.end());
  plan.insertion = opts.insertion;
  // An on-the-fly set's boxes are cut before insertion and held to the end (a rank's share).
  const double held = set.raw_cuts.empty() ? 0.0
                                           : double((set.projections.size() + std::size_t(ctx.size()) - 1) /
                                                    std::size_t(ctx.size())) * box * box * 4.0;
  if (plan.insertion == InsertionMode::automatic) {
    // Measured (docs/performance.md): whole grids are faster while one half's grid is small (its
    // 16-byte cells take one SIMD add, and it stays mostly cached: padded 256^3 and below), slabs
    // beyond; and slabs whenever whole grids would not fit.
    const double half_grid = double(box) * opts.pad * box * opts.pad * (box * opts.pad / 2 + 1) * 16.0;
    const bool fits = reconstruct_memory_per_rank(shape, InsertionMode::full_grids).peak_bytes() + held <= plan.budget_bytes;
    plan.insertion = fits && half_grid <= kFullGridsUpToBytes ? InsertionMode::full_grids : InsertionMode::send_to_owners;
  }
  plan.memory = reconstruct_memory_per_rank(shape, plan.insertion);
  if (held > 0) plan.memory.parts.emplace_back("on-the-fly boxes", held);
  return plan;
}

const char* insertion_mode_name(InsertionMode m) {
  switch (m) {
    case InsertionMode::automatic: return "auto";
    case InsertionMode::full_grids: return "full-grids";
    case InsertionMode::send_to_owners: return "send-to-owners";
    case InsertionMode::own_slab: return "own-slab";
  }
  return "?";
}

InsertionMode parse_insertion_mode(const std::string& name, const std::string& field) {
  for (auto m : {InsertionMode::automatic, InsertionMode::full_grids, InsertionMode::send_to_owners,
                 InsertionMode::own_slab})
    if (name == insertion_mode_name(m)) return m;
  throw ConfigError("reconstruct", field, name, "one of auto, full-grids, send-to-owners, own-slab");
}

ReconstructionResult reconstruct_collective(parallel::Context& ctx, const ParticleSet& set,
                                            const ImageSource& images, const ReconstructOptions& opts,
                                            const Volume& mask) {
  return reconstruct_collective(ctx, set, images, opts,
                                scatter_volume_collective(ctx, mask, ctx.slab_layout(images.box_px())));
}

ReconstructionResult reconstruct_collective(parallel::Context& ctx, const ParticleSet& set,
                                            const ImageSource& images, const ReconstructOptions& opts,
                                            const VolumeSlab& mask_slab) {
  const int box = images.box_px();
  const double px = set.pixel_size_A;
  if (opts.pad < 1 || opts.pad > 4) throw ConfigError("reconstruct", "pad", std::to_string(opts.pad), "1 to 4");
  const int n_pad = box * opts.pad;
  double r_max = box / 2.0 - 1.0;
  if (opts.max_resolution_A > 0) r_max = std::min(r_max, box * px / opts.max_resolution_A);
  // The cells a trilinear splat of an inserted point can reach: within sqrt(3) of pad * r_max.
  const double grid_radius = opts.pad * r_max + 2.0;

  std::vector<int> particle_of(set.projections.size());
  std::vector<int> half_of(static_cast<std::size_t>(set.n_particles), 1);
  for (std::size_t i = 0; i < particle_of.size(); ++i) {
    particle_of[i] = set.projections[i].particle;
    half_of.at(std::size_t(particle_of[i])) = set.projections[i].half;
  }
  const InsertionMode mode = opts.insertion == InsertionMode::automatic
                                 ? plan_reconstruction_collective(ctx, set, box, opts).insertion
                                 : opts.insertion;
  std::vector<std::size_t> mine;
  if (mode == InsertionMode::own_slab) {
    mine.resize(set.projections.size());
    for (std::size_t i = 0; i < mine.size(); ++i) mine[i] = i;
  } else if (mode == InsertionMode::full_grids) {
    // By half-set first, so that a rank usually needs the full grid of one half only.
    mine = parallel::projections_of_rank(particle_of, set.n_particles, ctx.rank(), ctx.size(), half_of);
  } else {
    // Both halves on every rank: each round inserts one half after the other, and every rank must
    // have work in both.
    mine = parallel::projections_of_rank(particle_of, set.n_particles, ctx.rank(), ctx.size());
  }
  order_by_slice_plane(set, mine);
  // An on-the-fly source cuts this rank's boxes here, each tilt image read once; a failed read on
  // one rank ends every rank.
  parallel::run_guarded_collective(ctx, [&] { images.prepare(mine); });

  ReconstructionResult result;
  result.insertion = mode;
  auto t0 = std::chrono::steady_clock::now();
  const auto lap = [&result, &t0](const char* stage) {
    const auto t = std::chrono::steady_clock::now();
    result.stage_seconds.emplace_back(stage, std::chrono::duration<double>(t - t0).count());
    t0 = t;
  };
  result.n_particles = std::size_t(set.n_particles);
  result.n_projections = set.projections.size();
  ReconstructOptions rank_opts = opts;
  if (!ctx.is_root()) rank_opts.progress = nullptr;

  detail::ReducedSlabs slabs;
  if (mode == InsertionMode::full_grids) {
    // A rank allocates the grid of a half-set only if it holds particles of that half.
    bool holds[2] = {false, false};
    for (auto i : mine) holds[set.projections[i].half == 2 ? 1 : 0] = true;
    HalfAccumulators acc;
    for (int h = 0; h < 2; ++h) acc.half[h] = FourierAccumulator(holds[h] ? n_pad : 0);
    // A failure on one rank must stop all of them at the next collective, not hang the others.
    parallel::run_guarded_collective(ctx, [&] { insert_projections(set, images, mine, rank_opts, acc); });
    lap("insert");
    slabs = detail::reduce_full_grids_collective(ctx, acc.half, n_pad, grid_radius);
    detail::complete_friedel_plane_collective(ctx, slabs);
    lap("reduce");
  } else {
    slabs = detail::make_slab_grids(ctx, n_pad, grid_radius);
    detail::insert_into_slabs_collective(ctx, set, images, mine, rank_opts, slabs);
    lap("insert");
    detail::complete_friedel_plane_collective(ctx, slabs);
    lap("reduce");
  }

  // Half-maps: N_h / (D_h + tau <D_h>), moved into the layout of the box-size transforms.
  const auto box_layout = ctx.slab_layout(box);
  const auto shells = detail::shell_weight_sums_collective(ctx, slabs, box, r_max);
  double sum_d[2] = {0, 0}, count = 0;
  for (const auto& s : shells) {
    sum_d[0] += s[0];
    sum_d[1] += s[1];
    count += s[2];
  }
  VolumeSlab halves[2];
  for (int h = 0; h < 2; ++h) {
    const float tau = float(opts.half_map_tau * (count > 0 ? sum_d[h] / count : 0.0)) + 1e-30f;
    const auto rule = [h, tau](const SlabCell& a, const SlabCell& b, double) {
      const SlabCell& c = h == 0 ? a : b;
      return std::complex<float>(c.re, c.im) / (c.weight + tau);
    };
    halves[h] = redistribute_collective(
        ctx, detail::finish_map_collective(ctx, slabs, box, px, r_max, opts.threads, rule), box_layout);
  }
  lap("half_maps");

  result.fsc = gold_standard_fsc_collective(ctx, halves[0], halves[1], mask_slab, opts.seed, opts.threads);
  const std::vector<double>& fsc = result.fsc.corrected;
  lap("fsc");

  // Combined map: (N1 + N2) / (D1 + D2 + <D1 + D2>_shell / SSNR_shell), where the SSNR of the full
  // map follows from the half-map FSC: FSC_full = 2 FSC / (1 + FSC), SSNR = FSC_full / (1 - FSC_full).
  std::vector<float> inv_ssnr_weight(fsc.size(), -1.0f);
  for (std::size_t i = 0; i < fsc.size() && i < shells.size(); ++i) {
    const double f = std::min(fsc[i], 0.999);
    if (f <= 0.0 || shells[i][2] == 0) continue;
    const double full = 2 * f / (1 + f);
    const double mean_d = (shells[i][0] + shells[i][1]) / shells[i][2];
    inv_ssnr_weight[i] = float(mean_d * (1 - full) / full);
  }
  const auto combined = [&inv_ssnr_weight](const SlabCell& a, const SlabCell& b, double r) {
    const auto shell = std::size_t(std::lround(r));
    if (shell >= inv_ssnr_weight.size() || inv_ssnr_weight[shell] < 0) return std::complex<float>(0.0f);
    return std::complex<float>(a.re + b.re, a.im + b.im) / (a.weight + b.weight + inv_ssnr_weight[shell] + 1e-30f);
  };
  const VolumeSlab map = detail::finish_map_collective(ctx, slabs, box, px, r_max, opts.threads, combined);
  lap("combined_map");

  // Only now, with the grids freed, do whole volumes exist, and only on the root.
  for (auto& g : slabs.half) g.release();
  result.half1 = gather_volume_collective(ctx, halves[0]);
  result.half2 = gather_volume_collective(ctx, halves[1]);
  result.map = gather_volume_collective(ctx, map);
  lap("gather");
  return result;
}

}  // namespace cspt
