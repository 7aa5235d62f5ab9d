// The refinement model reproduces the poses extraction cut with (the same geometry convention,
// written once in tilt_geometry), survives a round trip through the project file, and keeps every
// particle's projections in one half-set.
#include "cspt/refine/refine_model.hpp"

#include <gtest/gtest.h>

#include <Eigen/Geometry>
#include <cmath>
#include <map>

#include "cspt/core/euler.hpp"
#include "cspt/io/mrc.hpp"
#include "cspt/io/project_file.hpp"
#include "cspt/recon/extract.hpp"
#include "cspt/refine/rank_scoring.hpp"
#include "cspt/refine/truth_metrics.hpp"
#include "small_simulation.hpp"

namespace cspt {
namespace {

Project truth_project(const Project& p) {
  Project q = p;
  q.particles = p.truth->particles;
  for (std::size_t s = 0; s < q.tilt_series.size(); ++s) {
    q.tilt_series[s].tilts = p.truth->tilts[s];
    q.tilt_series[s].defocus_handedness = p.truth->defocus_handedness;
  }
  q.projections = projections_from_tilt_ctf(q, GeometrySource::project);
  return q;
}

TEST(RefineModelTest, poses_match_extraction_and_survive_the_project_file) {
  const auto dir = test::fresh_temp_dir("refine_model");
  const Project p = truth_project(test::simulate_small(test::small_simulation_config(), dir));
  const ParticleSet set = extract_particles(p, dir.string(), 64, (dir / "boxes.mrcs").string());
  const auto boxes = boxes_from_extraction(p, set);
  const RefineModel model = model_from_project(p, boxes, 64);
  ASSERT_EQ(model.projections.size(), set.projections.size());
  const auto& records = p.projections;
  for (std::size_t j = 0; j < set.projections.size(); ++j) {
    const auto& e = set.projections[j];
    const ProjectionPose pose = projection_pose(model, model.projections[j]);
    const Eigen::Matrix3d a = matrix_from_euler_zyz({e.rot_deg, e.tilt_deg, e.psi_deg});
    EXPECT_LT((pose.a - a).norm(), 1e-9) << j;
    EXPECT_NEAR(pose.shift_x_A, e.shift_x_A, 1e-6) << j;
    EXPECT_NEAR(pose.shift_y_A, e.shift_y_A, 1e-6) << j;
    // The defocus of the record with this particle and tilt (per-particle height, handedness).
    for (const auto& r : records)
      if (r.particle == e.particle && r.tilt == e.tilt) {
        EXPECT_NEAR(pose.ctf.defocus_u_A, r.defocus_u_A, 1e-6);
        EXPECT_NEAR(pose.ctf.defocus_v_A, r.defocus_v_A, 1e-6);
      }
  }
  // Every projection of a particle in the particle's half-set; weights by acquisition order.
  std::vector<int> image_of(model.projections.size());
  for (std::size_t j = 0; j < image_of.size(); ++j) image_of[j] = int(j);
  const ParticleSet again = particle_set_from_model(model, image_of);
  for (const auto& q : again.projections) {
    EXPECT_EQ(q.half, p.particles[std::size_t(q.particle)].half);
    EXPECT_EQ(q.weight_table, p.tilt_series[std::size_t(p.particles[std::size_t(q.particle)].tilt_series)]
                                  .tilts[std::size_t(q.tilt)].acquisition_order);
  }
  // Round trip: moved particles and tilts written into a project and read back give the same poses.
  RefineModel moved = model;
  moved.particles[3].rotation = rotation_from_vector_deg({2, -1, 3}) * moved.particles[3].rotation;
  moved.particles[3].position_A += Eigen::Vector3d(1.5, -2, 3);
  moved.tilts[1][5].geometry.tilt_deg += 0.4;
  moved.tilts[1][5].geometry.shift_x_A += 7;
  moved.tilts[1][5].defocus_offset_A = 120;
  Project written = p;
  write_model_to_project(moved, written);
  io::write_project((dir / "moved.h5").string(), written);
  const RefineModel back = model_from_project(io::read_project((dir / "moved.h5").string()), boxes, 64);
  for (std::size_t j = 0; j < moved.projections.size(); ++j) {
    const ProjectionPose a = projection_pose(moved, moved.projections[j]);
    const ProjectionPose b = projection_pose(back, back.projections[j]);
    EXPECT_LT((a.a - b.a).norm(), 1e-9);
    EXPECT_NEAR(a.shift_x_A, b.shift_x_A, 1e-6);
    EXPECT_NEAR(a.ctf.defocus_u_A, b.ctf.defocus_u_A, 1e-6);
  }
  // Truth metrics: the truth model is at zero error; the moved one shows its moves.
  const auto zero = truth_metrics(model, p, "C1", true);
  EXPECT_LT(zero.median_angular_error_deg, 1e-6);
  EXPECT_LT(zero.median_shift_error_A, 1e-6);
  EXPECT_LT(zero.tilt_angle_error_deg, 1e-9);
  // The truth seen in another frame: series 1's tilt angles all 0.6 deg up (the reference tilt
  // too) and its particles turned back about the tilt axis changes no projection, and is no error;
  // every other tilt moved on top of that is.
  RefineModel reframed = model;
  const Eigen::Matrix3d back_turn = tilt_rotation(TiltImageGeometry{-0.6, 0.0, 0.0, 0.0});
  for (auto& t : reframed.tilts[1]) t.geometry.tilt_deg += 0.6;
  for (auto& q : reframed.particles)
    if (q.series == 1) {
      q.rotation = back_turn * q.rotation;
      q.position_A = back_turn * q.position_A;
    }
  const auto same = truth_metrics(reframed, p, "C1", true);
  EXPECT_LT(same.median_angular_error_deg, 1e-6);
  EXPECT_LT(same.median_projection_angular_error_deg, 1e-6);
  EXPECT_LT(same.median_position_error_A, 1e-6);
  EXPECT_LT(same.median_shift_error_A, 1e-6);
  EXPECT_LT(same.tilt_angle_error_deg, 1e-9);
  for (auto& series : reframed.tilts)
    for (auto& t : series)
      if (!t.reference) t.geometry.tilt_deg += 0.3;
  EXPECT_NEAR(truth_metrics(reframed, p, "C1", true).tilt_angle_error_deg, 0.3, 1e-9);
  std::filesystem::remove_all(dir);
}

TEST(RefineModelTest, symmetric_angle_ignores_symmetry_mates) {
  const Eigen::Matrix3d a = matrix_from_euler_zyz({30, 60, 90});
  const Eigen::Matrix3d two_fold = Eigen::AngleAxisd(3.141592653589793, Eigen::Vector3d::UnitX()).toRotationMatrix();
  EXPECT_NEAR(symmetric_angle_deg(a * two_fold, a, "D3"), 0.0, 1e-6);
  EXPECT_NEAR(symmetric_angle_deg(a * two_fold, a, "C1"), 180.0, 1e-6);
  EXPECT_NEAR(symmetric_angle_deg(rotation_from_vector_deg({0, 0, 5}) * a, a, "C1"), 5.0, 1e-9);
}

// Re-centring against an independent path: boxes cut where a geometry 30 A off put the particles,
// re-centred with the true geometry, land exactly where extraction with the true geometry cuts
// (its own centre arithmetic), with the same residual shifts, and cutting them again from the raw
// tilt series gives extraction's pixels.
TEST(RefineModelTest, recentred_boxes_are_where_extraction_with_the_refined_geometry_cuts) {
  const auto dir = test::fresh_temp_dir("refine_recentre");
  const Project truth = truth_project(test::simulate_small(test::small_simulation_config(), dir));
  Project off = truth;
  for (auto& ts : off.tilt_series)
    for (std::size_t t = 0; t < ts.tilts.size(); ++t) {
      ts.tilts[t].shift_x_A += 30.0 * std::cos(0.7 * double(t));
      ts.tilts[t].shift_y_A += 30.0 * std::sin(0.7 * double(t));
    }
  off.projections = projections_from_tilt_ctf(off, GeometrySource::project);
  std::vector<ExtractedBox> boxes = boxes_from_extraction(off, extract_particles(off, dir.string(), 64, ""));
  const ParticleSet at_truth = extract_particles(truth, dir.string(), 64, (dir / "truth.mrcs").string());
  const std::vector<ExtractedBox> truth_boxes = boxes_from_extraction(truth, at_truth);
  RefineModel model = model_from_project(truth, boxes, 64);
  const std::vector<ExtractedBox> before = boxes;
  const std::vector<std::size_t> moved = recentre_boxes(model, boxes, truth, 2);
  std::map<std::pair<int, int>, std::size_t> truth_index;
  for (std::size_t i = 0; i < truth_boxes.size(); ++i) truth_index[{truth_boxes[i].particle, truth_boxes[i].tilt}] = i;
  std::vector<std::size_t> matched;
  for (std::size_t j = 0; j < boxes.size(); ++j) {
    const auto it = truth_index.find({boxes[j].particle, boxes[j].tilt});
    if (it == truth_index.end()) continue;
    matched.push_back(j);
    EXPECT_LT((boxes[j].centre_A - truth_boxes[it->second].centre_A).norm(), 1e-9) << j;
    EXPECT_LT((model.projections[j].box_centre_A - boxes[j].centre_A).norm(), 1e-12) << j;
    const ProjectionPose pose = projection_pose(model, model.projections[j]);
    const auto& e = at_truth.projections[it->second];
    EXPECT_NEAR(pose.shift_x_A, e.shift_x_A, 1e-6) << j;
    EXPECT_NEAR(pose.shift_y_A, e.shift_y_A, 1e-6) << j;
    EXPECT_GT((boxes[j].centre_A - before[j].centre_A).norm(), 20.0) << j;  // every box was 30 A off
  }
  ASSERT_GT(matched.size(), boxes.size() / 2);
  EXPECT_EQ(moved.size(), matched.size());
  // A second pass moves nothing: the boxes are centred.
  EXPECT_TRUE(recentre_boxes(model, boxes, truth, 2).empty());
  // Cut again from the raw tilt series: extraction's pixels.
  std::vector<std::size_t> all(boxes.size());
  for (std::size_t j = 0; j < all.size(); ++j) all[j] = j;
  auto images = LocalImages::cut_from_tilt_series(off, dir.string(), before, all, 64);
  images->recut(truth, dir.string(), boxes, matched);
  const io::MrcReader stack((dir / "truth.mrcs").string());
  std::vector<float> expected(64 * 64);
  double worst = 0.0;
  for (std::size_t j : matched) {
    stack.read_section_into(at_truth.projections[truth_index[{boxes[j].particle, boxes[j].tilt}]].image.section, expected.data());
    const float* got = images->image(images->local_index(j));
    for (std::size_t i = 0; i < expected.size(); ++i) worst = std::max(worst, double(std::abs(got[i] - expected[i])));
  }
  EXPECT_EQ(worst, 0.0);
}

}  // namespace
}  // namespace cspt
