// Projection images of an on-the-fly set, cut from the raw tilt series when they are needed: the
// same cut (box_cut.hpp) as stored extraction, so a map from either is the same map.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "cspt/io/mrc.hpp"
#include "cspt/recon/box_cut.hpp"
#include "cspt/recon/image_source.hpp"
#include "cspt/util/error.hpp"

namespace cspt {
namespace {

class RawCutImageSource final : public ImageSource {
 public:
  explicit RawCutImageSource(const ParticleSet& set)
      : set_(set), sign_(set.relion_ctf_sign ? -1.0f : 1.0f) {
    if (set.box_px < 1)
      throw IoError(set.source, "rlnImageSize", std::to_string(set.box_px),
                    "the box size in data_optics (an on-the-fly set has no stack to take it from)");
    if (set.raw_cuts.size() != set.projections.size())
      throw InternalError("RawCutImageSource: " + std::to_string(set.raw_cuts.size()) + " raw cuts for " +
                          std::to_string(set.projections.size()) + " projections");
    for (const auto& path : set.raw_stack_paths) readers_.push_back(std::make_unique<io::MrcReader>(path));
    for (const auto& r : readers_) check_pixel_size(*r);
    const int raw_box = set.box_px * set.bin;
    for (std::size_t i = 0; i < set.raw_cuts.size(); ++i) {
      const RawCut& c = set.raw_cuts[i];
      const auto& r = *readers_.at(std::size_t(c.stack));
      const std::string row = " (data_particles row " + std::to_string(i + 1) + ")";
      if (c.section < 0 || c.section >= r.n_sections())
        throw IoError(set.source, "rlnMicrographName", std::to_string(c.section + 1) + "@" + r.path(),
                      "a tilt image in 1.." + std::to_string(r.n_sections()) + row);
      if (!box_inside_image(r.header().nx, r.header().ny, c.x_px, c.y_px, raw_box))
        throw IoError(set.source, "rlnCoordinateX, rlnCoordinateY",
                      std::to_string(c.x_px) + ", " + std::to_string(c.y_px),
                      "the centre of a box of " + std::to_string(raw_box) + " raw px inside the " +
                          std::to_string(r.header().nx) + " x " + std::to_string(r.header().ny) + " px image of " +
                          r.path() + row);
    }
  }

  int box_px() const override { return set_.box_px; }
  /// The raw stacks' pixel sizes are checked against the set's (times csptBin) at construction.
  double header_pixel_size_A() const override { return 0.0; }

  /// Cuts the boxes of `projections`, reading each tilt image they come from once.
  void prepare(const std::vector<std::size_t>& projections) const override {
    std::vector<std::size_t> order = projections;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      const RawCut &ca = set_.raw_cuts[a], &cb = set_.raw_cuts[b];
      return std::tuple(ca.stack, ca.section, a) < std::tuple(cb.stack, cb.section, b);
    });
    const std::size_t n = std::size_t(set_.box_px) * std::size_t(set_.box_px);
    slot_.assign(set_.projections.size(), -1);
    boxes_.assign(order.size() * n, 0.0f);
    Image tilt;
    double mean = 0.0;
    int stack = -1, section = -1;
    for (std::size_t k = 0; k < order.size(); ++k) {
      const RawCut& c = set_.raw_cuts[order[k]];
      if (c.stack != stack || c.section != section) {
        stack = c.stack;
        section = c.section;
        tilt = readers_[std::size_t(stack)]->read_section(section);
        mean = tilt_image_mean(tilt);
      }
      const Image box = cut_box(tilt, mean, c.x_px, c.y_px, set_.box_px, set_.bin, sign_);
      std::memcpy(boxes_.data() + k * n, box.values().data(), n * sizeof(float));
      slot_[order[k]] = long(k);
    }
  }

  /// A prepared box is copied; any other is cut from its tilt image, read for it alone.
  void read(const Projection& p, float* out) const override {
    const std::ptrdiff_t i = &p - set_.projections.data();
    if (i < 0 || std::size_t(i) >= set_.projections.size())
      throw InternalError("RawCutImageSource: a projection not of the set it was made for");
    const std::size_t n = std::size_t(set_.box_px) * std::size_t(set_.box_px);
    if (std::size_t(i) < slot_.size() && slot_[std::size_t(i)] >= 0) {
      std::memcpy(out, boxes_.data() + std::size_t(slot_[std::size_t(i)]) * n, n * sizeof(float));
      return;
    }
    const RawCut& c = set_.raw_cuts[std::size_t(i)];
    const Image tilt = readers_[std::size_t(c.stack)]->read_section(c.section);
    const Image box = cut_box(tilt, tilt_image_mean(tilt), c.x_px, c.y_px, set_.box_px, set_.bin, sign_);
    std::memcpy(out, box.values().data(), n * sizeof(float));
  }

 private:
  /// Headers that know no pixel size say 0 or 1; any other must be the set's over the bin factor.
  void check_pixel_size(const io::MrcReader& r) const {
    const double h = r.header().pixel_size_A();
    if (h > 0 && std::abs(h - 1.0) > 1e-6 && std::abs(h * set_.bin - set_.pixel_size_A) > 0.01 * set_.pixel_size_A)
      throw IoError(r.path(), "pixel size", std::to_string(h) + " A x csptBin " + std::to_string(set_.bin),
                    "the pixel size of " + set_.source + " (" + std::to_string(set_.pixel_size_A) + " A)");
  }

  const ParticleSet& set_;
  float sign_;
  std::vector<std::unique_ptr<io::MrcReader>> readers_;
  mutable std::vector<long> slot_;    ///< per projection: its box in boxes_, or -1
  mutable std::vector<float> boxes_;  ///< the prepared boxes, box_px^2 floats each
};

}  // namespace

std::unique_ptr<ImageSource> make_raw_cut_image_source(const ParticleSet& set) {
  return std::make_unique<RawCutImageSource>(set);
}

std::unique_ptr<ImageSource> make_image_source(const ParticleSet& set) {
  return set.raw_cuts.empty() ? make_stack_image_source(set) : make_raw_cut_image_source(set);
}

}  // namespace cspt
