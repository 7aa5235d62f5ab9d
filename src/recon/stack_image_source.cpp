// Projection images read from MRC stacks (one reader per stack, thread-safe section reads).
#include <memory>
#include <string>
#include <vector>

#include "cspt/io/mrc.hpp"
#include "cspt/recon/image_source.hpp"
#include "cspt/util/error.hpp"

namespace cspt {
namespace {

class StackImageSource final : public ImageSource {
 public:
  explicit StackImageSource(const ParticleSet& set) {
    readers_.reserve(set.stack_paths.size());
    for (const auto& path : set.stack_paths) readers_.push_back(std::make_unique<io::MrcReader>(path));
    for (const auto& rp : readers_) {
      const auto& r = *rp;
      const auto& h = r.header();
      if (h.nx != h.ny) {
        throw IoError(r.path(), "image size", std::to_string(h.nx) + "x" + std::to_string(h.ny),
                      "square particle images");
      }
      if (box_ == 0) {
        box_ = h.nx;
        header_px_ = h.pixel_size_A();
      } else if (h.nx != box_) {
        throw IoError(r.path(), "box", std::to_string(h.nx),
                      "the same box as " + readers_.front()->path() + " (" + std::to_string(box_) + ")");
      }
    }
    if (set.box_px > 0 && box_ != set.box_px) {
      throw IoError(set.source, "rlnImageSize", std::to_string(set.box_px),
                    "the box of the image stacks (" + std::to_string(box_) + ")");
    }
    for (std::size_t i = 0; i < set.projections.size(); ++i) {
      const auto& ref = set.projections[i].image;
      const auto& r = *readers_.at(std::size_t(ref.file));
      if (ref.section < 0 || ref.section >= r.n_sections()) {
        throw IoError(set.source, "rlnImageName", std::to_string(ref.section + 1) + "@" + r.path(),
                      "an image index in 1.." + std::to_string(r.n_sections()));
      }
    }
  }
  int box_px() const override { return box_; }
  double header_pixel_size_A() const override { return header_px_; }
  void read(const Projection& p, float* out) const override {
    readers_[std::size_t(p.image.file)]->read_section_into(p.image.section, out);
  }

 private:
  std::vector<std::unique_ptr<io::MrcReader>> readers_;
  int box_ = 0;
  double header_px_ = 0.0;
};

}  // namespace

std::unique_ptr<ImageSource> make_stack_image_source(const ParticleSet& set) {
  return std::make_unique<StackImageSource>(set);
}

}  // namespace cspt
