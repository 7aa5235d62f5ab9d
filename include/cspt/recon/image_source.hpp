// Where the reconstruction gets projection images from (MRC stacks now; the project file later).
#pragma once

#include <memory>

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
};

/// Images from the MRC stacks named in set.stack_paths. Opens every stack and checks that all are
/// square with one box size and that every referenced section exists; throws IoError otherwise.
std::unique_ptr<ImageSource> make_stack_image_source(const ParticleSet& set);

}  // namespace cspt
