// Where the reconstruction gets projection images from (MRC stacks now; the project file later).
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "cspt/recon/particle_set.hpp"

namespace cspt {

/// Reads projection images. read() is called concurrently from several threads.
class ImageSource {
 public:
  virtual ~ImageSource() = default;
  /// Box size of every image (pixels, square).
  virtual int box_px() const = 0;
  /// Pixel size recorded in the image files' headers (0 when unknown).
  virtual double header_pixel_size_A() const = 0;
  /// Copy projection `p`'s image (box_px^2 floats, x fastest) into `out`, as stored on disk.
  virtual void read(const Projection& p, float* out) const = 0;
  /// Called once per rank, before its reads, with the indices (into the set) of the projections it
  /// will read: a source that builds its images (on-the-fly cuts) builds these, and only these.
  virtual void prepare(const std::vector<std::size_t>& /*projections*/) const {}
};

/// Images from the MRC stacks named in set.stack_paths. Opens every stack and checks that all are
/// square with one box size and that every referenced section exists; throws IoError otherwise.
std::unique_ptr<ImageSource> make_stack_image_source(const ParticleSet& set);

/// Images of an on-the-fly set (set.raw_cuts): each box cut from its raw tilt image with the code
/// stored extraction uses (box_cut.hpp: contrast, RELION's sign when set.relion_ctf_sign, Fourier
/// crop by set.bin). Opens every raw stack and checks every row (section in range, box inside its
/// image), throwing IoError naming the STAR file, rlnMicrographName or rlnCoordinateX/Y, the value
/// and what was expected. prepare() reads each tilt image the rank needs once and cuts its boxes.
/// The source refers to `set` (which must outlive it), and read() takes the set's own projections
/// (elements of set.projections, as the reconstruction passes them).
std::unique_ptr<ImageSource> make_raw_cut_image_source(const ParticleSet& set);

/// The raw-cut source for an on-the-fly set, the stack source otherwise.
std::unique_ptr<ImageSource> make_image_source(const ParticleSet& set);

}  // namespace cspt
