// Project-file pieces used by both directions: consistency checks of a Project, removal of stale
// temporaries, and the test-only file surgery of project_file_internal.hpp.
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <system_error>
#include <vector>

#include "cspt/util/error.hpp"
#include "io/h5_util.hpp"
#include "io/project_file_internal.hpp"

namespace cspt::io::project_detail {

namespace {

std::string indexed(const std::string& field, std::size_t i) {
  return field + "[" + std::to_string(i) + "]";
}

std::string rows(std::size_t n) { return std::to_string(n) + (n == 1 ? " row" : " rows"); }

std::string tilts_path(const Project& p, std::size_t series) {
  return "/tilt_series/" + p.tilt_series[series].name + "/tilts";
}

}  // namespace

namespace {

// Names that become HDF5 group or dataset names: non-empty, unique, no '/', not ".".
void check_names(const std::vector<std::string>& names, const std::string& list_field, const std::string& path) {
  std::map<std::string, std::size_t> seen;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string& name = names[i];
    const std::string field = indexed(list_field, i);
    if (name.empty() || name == "." || name.find('/') != std::string::npos)
      throw IoError(path, field, "'" + name + "'", "a non-empty HDF5 group name without '/' and not '.'");
    const auto [it, fresh] = seen.emplace(name, i);
    if (!fresh)
      throw IoError(path, field, "'" + name + "'", "a name used once (entry " + std::to_string(it->second) +
                                                       " has it too)");
  }
}

}  // namespace

void validate_series_names(const std::vector<std::string>& names, const std::string& path) {
  check_names(names, "/tilt_series@order", path);
}

namespace {

// Particles index the project's tilt series.
void check_particles(const Project& p, const std::vector<ParticleRecord>& particles, const std::string& group,
                     const std::string& path) {
  const std::size_t n_series = p.tilt_series.size();
  for (std::size_t i = 0; i < particles.size(); ++i) {
    const int s = particles[i].tilt_series;
    if (s < 0 || std::size_t(s) >= n_series)
      throw IoError(path, indexed(group + "/tilt_series", i), std::to_string(s),
                    "an index into /tilt_series@order (" + std::to_string(n_series) + " series)");
  }
}

// Projections index particles (of the same group: /particles or /truth/particles) and the tilts of
// that particle's series.
void check_projections(const Project& p, const std::vector<ProjectionRecord>& projections,
                       const std::vector<ParticleRecord>& particles, const std::string& group,
                       const std::string& particle_group, const std::string& path) {
  for (std::size_t i = 0; i < projections.size(); ++i) {
    const int k = projections[i].particle;
    if (k < 0 || std::size_t(k) >= particles.size())
      throw IoError(path, indexed(group + "/particle", i), std::to_string(k),
                    "an index into " + particle_group + " (" + rows(particles.size()) + ")");
    const auto series = std::size_t(particles[std::size_t(k)].tilt_series);
    const int t = projections[i].tilt;
    const std::size_t n_tilts = p.tilt_series[series].tilts.size();
    if (t < 0 || std::size_t(t) >= n_tilts)
      throw IoError(path, indexed(group + "/tilt", i), std::to_string(t),
                    "an index into " + tilts_path(p, series) + " (" + rows(n_tilts) + ")");
  }
}

void check_truth(const Project& p, const Truth& truth, const std::string& path) {
  if (!truth.tilts.empty() && truth.tilts.size() != p.tilt_series.size())
    throw IoError(path, "/truth/tilts", std::to_string(truth.tilts.size()) + " series",
                  "none, or one per series in /tilt_series@order (" + std::to_string(p.tilt_series.size()) + ")");
  for (std::size_t s = 0; s < truth.tilts.size(); ++s) {
    if (truth.tilts[s].size() != p.tilt_series[s].tilts.size())
      throw IoError(path, "/truth/tilts/" + p.tilt_series[s].name, rows(truth.tilts[s].size()),
                    "as many as " + tilts_path(p, s) + " (" + rows(p.tilt_series[s].tilts.size()) + ")");
  }
  check_particles(p, truth.particles, "/truth/particles", path);
  check_projections(p, truth.projections, truth.particles, "/truth/projections", "/truth/particles", path);
  if (!truth.projection_shifts.empty() && truth.projection_shifts.size() != truth.projections.size())
    throw IoError(path, "/truth/projection_shifts", rows(truth.projection_shifts.size()),
                  "none, or as many as /truth/projections (" + rows(truth.projections.size()) + ")");
}

bool all_digits(const std::string& s) {
  if (s.empty()) return false;
  for (const char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// A file or a group, opened for surgery; errors become IoError(path, ...).
h5::Handle open_for_update(const std::string& path) {
  h5::silence_errors();
  const h5::Handle fapl = h5::file_access_properties("file", h5::kWriteExpectation);
  return h5::own(H5Fopen(path.c_str(), H5F_ACC_RDWR, fapl.get()), H5Fclose, "file", h5::kWriteExpectation);
}

template <class Fn>
void with_io_error(const std::string& path, Fn&& fn) {
  const auto lock = h5::lock_library();
  try {
    fn();
  } catch (const h5::Failure& f) {
    throw IoError(path, f.field(), f.value(), f.expectation());
  }
}

}  // namespace

void validate_project(const Project& p, const std::string& path) {
  std::vector<std::string> names;
  for (const auto& s : p.tilt_series) names.push_back(s.name);
  validate_series_names(names, path);
  check_particles(p, p.particles, "/particles", path);
  check_projections(p, p.projections, p.particles, "/projections", "/particles", path);
  if (p.truth) check_truth(p, *p.truth, path);
  if (p.acquisition) {
    std::vector<std::string> tables;
    for (const auto& t : p.acquisition->tables) {
      tables.push_back(t.name);
      std::vector<std::string> columns;
      for (const auto& c : t.columns) {
        columns.push_back(c.name);
        if (c.values.size() != t.columns.front().values.size())
          throw IoError(path, "/acquisition/tables/" + t.name + "/" + c.name, std::to_string(c.values.size()) + " rows",
                        "as many rows as the table's first column");
      }
      check_names(columns, "/acquisition/tables/" + t.name + "@columns", path);
    }
    check_names(tables, "/acquisition/tables@order", path);
  }
}

void remove_stale_temporaries(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const std::string prefix = target.filename().string() + ".tmp-";
  const fs::path folder = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::error_code ec;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string pid_text = name.substr(prefix.size());
    if (!all_digits(pid_text) || pid_text.size() > 9) continue;
    const auto pid = pid_t(std::stol(pid_text));
    // kill(pid, 0) fails with ESRCH only if no such process exists on this host (EPERM = alive).
    if (pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH) continue;
    std::error_code ignored;
    fs::remove(it->path(), ignored);
  }
}

void set_schema_version_for_tests(const std::string& path, int version) {
  with_io_error(path, [&] {
    h5::Handle file = open_for_update(path);
    const h5::Node root{h5::own(H5Gopen2(file.get(), "/", H5P_DEFAULT), H5Gclose, "/", h5::kWriteExpectation),
                        "/"};
    h5::check(H5Adelete(root.id(), "cspt_schema_version"), "/@cspt_schema_version", h5::kWriteExpectation);
    h5::write_attribute(root, "cspt_schema_version", version);
  });
}

void delete_object_for_tests(const std::string& path, const std::string& h5path) {
  with_io_error(path, [&] {
    h5::Handle file = open_for_update(path);
    h5::check(H5Ldelete(file.get(), h5path.c_str(), H5P_DEFAULT), h5path, h5::kWriteExpectation);
  });
}

void resize_column_for_tests(const std::string& path, const std::string& h5path, std::size_t length) {
  with_io_error(path, [&] {
    const std::size_t slash = h5path.rfind('/');
    const std::string parent = slash == 0 ? "/" : h5path.substr(0, slash);
    const std::string name = h5path.substr(slash + 1);
    h5::Handle file = open_for_update(path);
    const h5::Node group{
        h5::own(H5Gopen2(file.get(), parent.c_str(), H5P_DEFAULT), H5Gclose, parent, h5::kWriteExpectation), parent};
    std::string unit;
    {
      const h5::Node old = h5::open_dataset(group, name);
      unit = h5::read_string_attribute(old, "unit");
    }
    h5::check(H5Ldelete(group.id(), name.c_str(), H5P_DEFAULT), h5path, h5::kWriteExpectation);
    h5::write_column(group, name.c_str(), std::vector<double>(length, 0.0), unit.c_str());
  });
}

}  // namespace cspt::io::project_detail
