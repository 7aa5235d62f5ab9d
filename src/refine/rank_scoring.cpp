// In-memory particle boxes of one rank and their band scoring.
#include "cspt/refine/rank_scoring.hpp"

#include <cstring>

#include "cspt/io/mrc.hpp"
#include "cspt/util/error.hpp"

namespace cspt {

LocalImages::LocalImages(const std::string& stack_path, const std::vector<int>& section_of_projection,
                         const std::vector<std::size_t>& mine, int box_px)
    : box_(box_px), held_(mine), local_of_(section_of_projection.size(), -1) {
  const io::MrcReader reader(stack_path);
  const auto& h = reader.header();
  if (h.nx != box_px || h.ny != box_px) {
    throw IoError(stack_path, "nx, ny", std::to_string(h.nx) + " x " + std::to_string(h.ny),
                  std::to_string(box_px) + " x " + std::to_string(box_px) + " particle boxes");
  }
  pixel_size_A_ = h.mx > 0 ? h.cell_A[0] / h.mx : 0.0;
  pixels_.resize(held_.size() * std::size_t(box_px) * box_px);
  for (std::size_t k = 0; k < held_.size(); ++k) {
    const int section = section_of_projection.at(held_[k]);
    if (section < 0 || section >= reader.n_sections()) {
      throw IoError(stack_path, "section", std::to_string(section), "a section of the extracted stack");
    }
    reader.read_section_into(section, pixels_.data() + k * std::size_t(box_px) * box_px);
    local_of_[held_[k]] = int(k);
  }
  bytes_read_ = double(pixels_.size()) * 4.0;
}

void LocalImages::read(const Projection& p, float* out) const {
  const int k = p.image.section;
  if (k < 0 || std::size_t(k) >= held_.size()) {
    throw InternalError("LocalImages: projection of particle " + std::to_string(p.particle) + " is not held by this rank");
  }
  std::memcpy(out, image(k), sizeof(float) * std::size_t(box_) * box_);
}

RankScoring::RankScoring(const RefineModel& model, const LocalImages& images, FourierBand band,
                         const Projector* half1, const Projector* half2, double mask_radius_A, double mask_edge_A,
                         int threads)
    : images_(&images), band_(std::move(band)), refs_{half1, half2} {
  const auto& held = images.held();
  prepared_.resize(held.size());
  ctf_.resize(held.size());
  half_of_local_.resize(held.size());
  for (std::size_t k = 0; k < held.size(); ++k)
    half_of_local_[k] = model.particles[std::size_t(model.projections[held[k]].particle)].half;
#pragma omp parallel num_threads(threads)
  {
    BandImagePreparer prep(band_, mask_radius_A, mask_edge_A);
#pragma omp for schedule(static)
    for (std::size_t k = 0; k < held.size(); ++k) prep.prepare(images.image(int(k)), prepared_[k]);
  }
  refresh_ctf(model, threads);
}

void RankScoring::refresh_ctf(const RefineModel& model, int threads) {
  const auto& held = images_->held();
#pragma omp parallel for num_threads(threads) schedule(static)
  for (std::size_t k = 0; k < held.size(); ++k) {
    const ProjectionPose pose = projection_pose(model, model.projections[held[k]]);
    ctf_[k].resize(band_.size());
    band_ctf_over_sigma(band_, pose.ctf, prepared_[k], ctf_[k].data());
  }
}

std::size_t RankScoring::project_reference(std::size_t j, const ProjectionPose& pose, ScoringScratch& scratch) const {
  const int k = images_->local_index(j);
  if (k < 0) throw InternalError("RankScoring: projection " + std::to_string(j) + " is not held by this rank");
  evaluations_.fetch_add(1, std::memory_order_relaxed);
  scratch.slice.resize(band_.size());
  const Projector* ref = refs_[half_of_local_[std::size_t(k)] == 2 ? 1 : 0];
  ref->project_at(pose.a, band_.kx, band_.ky, scratch.slice.data());
  return std::size_t(k);
}

double RankScoring::score(std::size_t j, const ProjectionPose& pose, ScoringScratch& scratch, bool fresh_ctf) const {
  const std::size_t k = project_reference(j, pose, scratch);
  const float* ctf = ctf_[k].data();
  if (fresh_ctf) {
    scratch.ctf.resize(band_.size());
    band_ctf_over_sigma(band_, pose.ctf, prepared_[k], scratch.ctf.data());
    ctf = scratch.ctf.data();
  }
  return band_score(band_, prepared_[k], ctf, scratch.slice.data(), pose.shift_x_A, pose.shift_y_A, scratch.band);
}

double RankScoring::score_by_shell(std::size_t j, const ProjectionPose& pose, ScoringScratch& scratch, double* num,
                                   double* xx, double* mm) const {
  const std::size_t k = project_reference(j, pose, scratch);
  return band_score_by_shell(band_, prepared_[k], ctf_[k].data(), scratch.slice.data(), pose.shift_x_A, pose.shift_y_A,
                             scratch.band, num, xx, mm);
}

void RankScoring::shift_map(std::size_t j, const ProjectionPose& pose, ScoringScratch& scratch, float* out) const {
  const std::size_t k = project_reference(j, pose, scratch);
  band_score_shift_map(band_, prepared_[k], ctf_[k].data(), scratch.slice.data(), pose.shift_x_A, pose.shift_y_A,
                       scratch.band, out);
}

}  // namespace cspt
