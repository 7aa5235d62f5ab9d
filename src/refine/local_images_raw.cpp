// On-the-fly extraction: one rank's particle boxes cut straight from the raw tilt series.
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
  const std::size_t box_size = std::size_t(box_px) * box_px;
  li->pixels_.resize(mine.size() * box_size);
  // The held projections by series and tilt: each raw stack opened once, each tilt read once.
  std::map<std::pair<int, int>, std::vector<std::size_t>> by_tilt;  // (series, tilt) -> local indices
  for (std::size_t k = 0; k < mine.size(); ++k) {
    const auto& b = boxes.at(mine[k]);
    const int series = start.particles.at(std::size_t(b.particle)).tilt_series;
    by_tilt[{series, b.tilt}].push_back(k);
    li->local_of_[mine[k]] = int(k);
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
      ++li->tilt_images_read_;
      li->bytes_read_ += double(raw->header().section_bytes());
      const double mean = tilt_image_mean(im);
      const int nx = im.nx(), ny = im.ny();
      for (std::size_t k : locals) {
        // extract_particles put the box centre at integer pixel i: centre_A = (i - n/2) * px.
        const Eigen::Vector2d& c = boxes[mine[k]].centre_A;
        const int ix = int(std::lround(c.x() / px + nx / 2)), iy = int(std::lround(c.y() / px + ny / 2));
        if (!box_inside_image(nx, ny, ix, iy, box_px)) {
          throw IoError(raw->path(), "box of particle " + std::to_string(boxes[mine[k]].particle) + ", tilt " +
                        std::to_string(key.second), "(" + std::to_string(ix) + ", " + std::to_string(iy) + ") px",
                        "a box inside the tilt image, as when the run's box table was made");
        }
        const Image cut = cut_box(im, mean, ix, iy, box_px, 1, 1.0f);
        std::memcpy(li->pixels_.data() + k * box_size, cut.data(), sizeof(float) * box_size);
      }
    } catch (const Error& e) {
      throw in_tilt_series(e, ts.name);
    }
  }
  return li;
}

}  // namespace cspt
