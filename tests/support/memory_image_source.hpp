// An ImageSource over images held in memory (tests build particle sets without files).
#pragma once

#include <cstring>
#include <vector>

#include "cspt/core/image.hpp"
#include "cspt/recon/image_source.hpp"

namespace cspt::test {

class MemoryImageSource final : public ImageSource {
 public:
  explicit MemoryImageSource(std::vector<Image> images) : images_(std::move(images)) {}
  int box_px() const override { return images_.empty() ? 0 : images_.front().nx(); }
  double header_pixel_size_A() const override { return images_.empty() ? 0.0 : images_.front().pixel_size_A(); }
  void read(const Projection& p, float* out) const override {
    const Image& im = images_.at(std::size_t(p.image.section));
    std::memcpy(out, im.data(), sizeof(float) * im.size());
  }

 private:
  std::vector<Image> images_;
};

}  // namespace cspt::test
