// Subsets and relocated copies of a project.
#include "cspt/project/project_subset.hpp"

#include <filesystem>
#include <map>

#include "cspt/io/project_file.hpp"
#include "cspt/util/error.hpp"

namespace cspt {
namespace fs = std::filesystem;

Project subset_project(const Project& p, const std::vector<int>& series, const std::string& series_field) {
  Project out;
  out.optics = p.optics;
  out.created_by = p.created_by;
  out.acquisition = p.acquisition;
  std::map<int, int> new_series;  // old index -> new index
  for (int s : series) {
    if (s < 0 || s >= int(p.tilt_series.size()))
      throw ConfigError(series_field, "tilt series index", std::to_string(s),
                        "0 to " + std::to_string(int(p.tilt_series.size()) - 1));
    new_series[s] = int(out.tilt_series.size());
    out.tilt_series.push_back(p.tilt_series[std::size_t(s)]);
  }
  std::map<int, int> new_particle;
  for (std::size_t i = 0; i < p.particles.size(); ++i) {
    const auto it = new_series.find(p.particles[i].tilt_series);
    if (it == new_series.end()) continue;
    new_particle[int(i)] = int(out.particles.size());
    out.particles.push_back(p.particles[i]);
    out.particles.back().tilt_series = it->second;
  }
  for (const auto& pr : p.projections) {
    const auto it = new_particle.find(pr.particle);
    if (it == new_particle.end()) continue;
    out.projections.push_back(pr);
    out.projections.back().particle = it->second;
  }
  if (p.truth) {
    Truth t;
    t.map_path = p.truth->map_path;
    t.defocus_handedness = p.truth->defocus_handedness;
    std::map<int, int> new_true;
    for (std::size_t i = 0; i < p.truth->particles.size(); ++i) {
      const auto it = new_series.find(p.truth->particles[i].tilt_series);
      if (it == new_series.end()) continue;
      new_true[int(i)] = int(t.particles.size());
      t.particles.push_back(p.truth->particles[i]);
      t.particles.back().tilt_series = it->second;
    }
    for (int s : series)
      if (std::size_t(s) < p.truth->tilts.size()) t.tilts.push_back(p.truth->tilts[std::size_t(s)]);
    for (std::size_t k = 0; k < p.truth->projections.size(); ++k) {
      const auto& pr = p.truth->projections[k];
      const auto it = new_true.find(pr.particle);
      if (it == new_true.end()) continue;
      t.projections.push_back(pr);
      t.projections.back().particle = it->second;
      if (!p.truth->projection_shifts.empty()) t.projection_shifts.push_back(p.truth->projection_shifts[k]);
    }
    out.truth = std::move(t);
  }
  return out;
}

namespace {
void rebase(std::string& path, const fs::path& from, const fs::path& to) {
  if (path.empty() || fs::path(path).is_absolute()) return;
  const fs::path target = fs::weakly_canonical(fs::absolute(from / path));
  path = fs::relative(target, fs::weakly_canonical(fs::absolute(to))).generic_string();
}
}  // namespace

void rebase_file_references(Project& p, const std::string& from_dir, const std::string& to_dir) {
  const fs::path from = from_dir.empty() ? fs::path(".") : fs::path(from_dir);
  const fs::path to = to_dir.empty() ? fs::path(".") : fs::path(to_dir);
  for (auto& ts : p.tilt_series) {
    rebase(ts.stack_path, from, to);
    rebase(ts.mdoc_path, from, to);
  }
  if (p.truth) rebase(p.truth->map_path, from, to);
}

void copy_project(const std::string& from, const std::string& to) {
  Project p = io::read_project(from);
  rebase_file_references(p, fs::path(from).parent_path().string(), fs::path(to).parent_path().string());
  io::write_project(to, p);
}

}  // namespace cspt
