// The projections one rank refines, held in memory, and how they are scored against the references.
#pragma once

#include <atomic>
#include <complex>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "cspt/project/project.hpp"
#include "cspt/recon/image_source.hpp"
#include "cspt/recon/projector.hpp"
#include "cspt/refine/band_score.hpp"
#include "cspt/refine/refine_model.hpp"

namespace cspt {

/// The particle boxes of this rank's projections (read once from the extracted stack, or cut once
/// from the raw tilt series).
class LocalImages final : public ImageSource {
 public:
  /// On-the-fly extraction: the boxes of `mine` cut from the raw tilt series of `start` (stacks
  /// resolved relative to `project_dir`) where `boxes` (the run's box table, by projection) put
  /// them, reading only the tilts they lie in; the same pixels as the stored stack. Throws IoError
  /// naming the stack, tilt series and section of a raw stack that cannot be read.
  static std::unique_ptr<LocalImages> cut_from_tilt_series(const Project& start, const std::string& project_dir,
                                                           const std::vector<ExtractedBox>& boxes,
                                                           const std::vector<std::size_t>& mine, int box_px);

  /// Cut the held projections `which` again from the raw tilt series of `start`, at their centres
  /// in `boxes` (re-centring: the boxes moved where refinement now puts the particles). Same errors
  /// as cut_from_tilt_series.
  void recut(const Project& start, const std::string& project_dir, const std::vector<ExtractedBox>& boxes,
             const std::vector<std::size_t>& which);

  /// `section_of_projection[j]`: section of projection j in `stack_path`; `mine`: the projections
  /// this rank holds. Throws IoError if the stack is unreadable or not `box_px` square.
  LocalImages(const std::string& stack_path, const std::vector<int>& section_of_projection,
              const std::vector<std::size_t>& mine, int box_px);
  /// Local index of projection j (its section in this source), or -1 if another rank holds it.
  int local_index(std::size_t j) const { return local_of_[j]; }
  const std::vector<std::size_t>& held() const { return held_; }
  const float* image(int local) const { return pixels_.data() + std::size_t(local) * box_ * box_; }
  /// Raw tilt images read to cut the boxes (on-the-fly extraction; 0 when read from a stack).
  int tilt_images_read() const { return tilt_images_read_; }
  /// Bytes read from image files to hold the boxes.
  double bytes_read() const { return bytes_read_; }

  int box_px() const override { return box_; }
  double header_pixel_size_A() const override { return pixel_size_A_; }
  void read(const Projection& p, float* out) const override;

 private:
  LocalImages() = default;
  int box_ = 0;
  double pixel_size_A_ = 0.0;
  std::vector<std::size_t> held_;
  std::vector<int> local_of_;
  std::vector<float> pixels_;
  int tilt_images_read_ = 0;
  double bytes_read_ = 0.0;
};

/// Per-thread buffers for scoring.
struct ScoringScratch {
  std::vector<std::complex<float>> slice;
  std::vector<float> ctf;
  BandScoreScratch band;
};

/// This rank's projections prepared for one band and one pair of half-set references.
class RankScoring {
 public:
  RankScoring(const RefineModel& model, const LocalImages& images, FourierBand band,
              const Projector* half1, const Projector* half2, double mask_radius_A, double mask_edge_A, int threads);
  const FourierBand& band() const { return band_; }
  /// Score projection j (held by this rank) at `pose`. With `fresh_ctf` the CTF is evaluated from
  /// pose.ctf; otherwise the one cached by refresh_ctf is used (defocus changes within a particle
  /// search are a few Angstrom).
  double score(std::size_t j, const ProjectionPose& pose, ScoringScratch& scratch, bool fresh_ctf = false) const;
  /// As score(), also adding the projection's shell-wise sums (see band_score_by_shell).
  double score_by_shell(std::size_t j, const ProjectionPose& pose, ScoringScratch& scratch, double* num, double* xx,
                        double* mm) const;
  /// The score of projection j at `pose` with its shift changed by every whole pixel (see
  /// band_score_shift_map; cached CTF): box x box floats into `out`.
  void shift_map(std::size_t j, const ProjectionPose& pose, ScoringScratch& scratch, float* out) const;
  /// Re-evaluate the cached CTF of every held projection from the model (threads).
  void refresh_ctf(const RefineModel& model, int threads);
  const LocalImages& images() const { return *images_; }
  /// Projection scores computed so far on this rank (every call of score or score_by_shell).
  long long evaluations() const { return evaluations_.load(std::memory_order_relaxed); }

 private:
  /// Counts one evaluation and puts the half-set reference's band slice at `pose` into
  /// scratch.slice; returns j's local index. Throws InternalError if j is not held here.
  std::size_t project_reference(std::size_t j, const ProjectionPose& pose, ScoringScratch& scratch) const;

  const LocalImages* images_;
  FourierBand band_;
  const Projector* refs_[2];
  std::vector<BandImage> prepared_;           ///< by local index
  std::vector<std::vector<float>> ctf_;       ///< by local index
  std::vector<int> half_of_local_;
  mutable std::atomic<long long> evaluations_{0};
};

}  // namespace cspt
