// On-the-fly extraction and re-centring: one rank's particle boxes cut straight from the raw tilt
// series.
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <utility>

#include "cspt/io/mrc.hpp"
#include "cspt/recon/box_cut.hpp"
#include "cspt/refine/rank_scoring.hpp"
#include "cspt/util/error.hpp"

namespace cspt {

std::unique_ptr<LocalImages> LocalImages::cut_from_tilt_series(const Project& start, const std::string& project_dir,
                                                               const std::vector<ExtractedBox>& boxes,
                                                               const std::vector<std::size_t>& mine, int box_px) {
  std::unique_ptr<LocalImages> li(new LocalImages());
  li->box_ = box_px;
  li->held_ = mine;
  li->local_of_.assign(boxes.size(), -1);
  li->pixel_size_A_ = start.optics.pixel_size_A;
  li->pixels_.resize(mine.size() * std::size_t(box_px) * box_px);
  for (std::size_t k = 0; k < mine.size(); ++k) li->local_of_[mine[k]] = int(k);
  li->recut(start, project_dir, boxes, mine);
  return li;
}

void LocalImages::recut(const Project& start, const std::string& project_dir, const std::vector<ExtractedBox>& boxes,
                        const std::vector<std::size_t>& which) {
  const std::size_t box_size = std::size_t(box_) * box_;
  // The projections by series and tilt: each raw stack opened once, each tilt read once.
  std::map<std::pair<int, int>, std::vector<std::size_t>> by_tilt;  // (series, tilt) -> local indices
  for (std::size_t j : which) {
    const int k = local_of_.at(j);
    if (k < 0) throw InternalError("LocalImages::recut: projection " + std::to_string(j) + " is not held by this rank");
    const auto& b = boxes.at(j);
    by_tilt[{start.particles.at(std::size_t(b.particle)).tilt_series, b.tilt}].push_back(std::size_t(k));
  }
  const double px = start.optics.pixel_size_A;
  int open_series = -1;
  std::unique_ptr<io::MrcReader> raw;
  for (const auto& [key, locals] : by_tilt) {
    const auto& ts = start.tilt_series.at(std::size_t(key.first));
    try {
      if (key.first != open_series) {
        raw = std::make_unique<io::MrcReader>((std::filesystem::path(project_dir) / ts.stack_path).string());
        open_series = key.first;
      }
      const Image im = raw->read_section(ts.tilts.at(std::size_t(key.second)).section);
      ++tilt_images_read_;
      bytes_read_ += double(raw->header().section_bytes());
      const double mean = tilt_image_mean(im);
      const int nx = im.nx(), ny = im.ny();
      for (std::size_t k : locals) {
        // Box centres sit on whole pixels i: centre_A = (i - n/2) * px.
        const ExtractedBox& b = boxes[held_[k]];
        const int ix = int(std::lround(b.centre_A.x() / px + nx / 2)), iy = int(std::lround(b.centre_A.y() / px + ny / 2));
        if (!box_inside_image(nx, ny, ix, iy, box_)) {
          throw IoError(raw->path(), "box of particle " + std::to_string(b.particle) + ", tilt " + std::to_string(key.second),
                        "(" + std::to_string(ix) + ", " + std::to_string(iy) + ") px",
                        "a box inside the tilt image, as when the run's box table was made");
        }
        const Image cut = cut_box(im, mean, ix, iy, box_, 1, 1.0f);
        std::memcpy(pixels_.data() + k * box_size, cut.data(), sizeof(float) * box_size);
      }
    } catch (const Error& e) {
      throw in_tilt_series(e, ts.name);
    }
  }
}

}  // namespace cspt
