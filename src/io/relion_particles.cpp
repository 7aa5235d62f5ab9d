// RELION 3.1 particle STAR import/export: STAR tables <-> ParticleSet, with RELION's path rules.
#include "cspt/io/relion_particles.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "cspt/io/star.hpp"
#include "cspt/util/error.hpp"

namespace cspt::io {
namespace {

namespace fs = std::filesystem;

/// Whole-token decimal number, finite. from_chars: no locale, no regex, no allocation.
bool parse_double(std::string_view s, double& out) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  if (s.empty() || s[0] == '+') return false;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size() && std::isfinite(out);
}

/// Shortest text that parses back to exactly v.
std::string format_number(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

/// Typed access to one STAR table; every error names the file, line, column, value and row.
class Columns {
 public:
  Columns(std::string path, const StarTable& t) : path_(std::move(path)), t_(t) {}

  std::string table_name() const { return "data_" + t_.name; }
  std::size_t rows() const { return t_.rows.size(); }
  int find(const char* label) const { return t_.column(label); }
  int require(const char* label) const {
    const int c = t_.column(label);
    if (c < 0) throw IoError(path_, label, "missing", "a column of " + table_name());
    return c;
  }
  const std::string& text(std::size_t row, int col) const { return t_.rows[row][col]; }
  double number(std::size_t row, int col) const {
    double v = 0.0;
    if (!parse_double(text(row, col), v)) fail(row, col, "a finite number");
    return v;
  }
  double number_or(std::size_t row, int col, double fallback) const {
    return col < 0 ? fallback : number(row, col);
  }
  int integer(std::size_t row, int col) const {
    const double v = number(row, col);
    if (v != std::floor(v) || std::abs(v) > 2.0e9) fail(row, col, "an integer");
    return static_cast<int>(v);
  }
  std::string where(std::size_t row) const {
    const int line = t_.row_line(row);
    return line > 0 ? path_ + ":" + std::to_string(line) : path_;
  }
  [[noreturn]] void fail(std::size_t row, int col, const std::string& expectation) const {
    throw IoError(where(row), t_.columns[col], text(row, col),
                  expectation + " (" + table_name() + " row " + std::to_string(row + 1) + ")");
  }

 private:
  std::string path_;
  const StarTable& t_;
};

/// Where one optics quantity is read: the particle row (RELION 3.0 style) wins over the optics
/// group.
struct OpticsSource {
  const char* label = "";
  int particle_col = -1;
  int optics_col = -1;
  bool present() const { return particle_col >= 0 || optics_col >= 0; }
};

/// Column indices of data_particles; -1 when absent.
struct ParticleColumns {
  int image = -1, rot = -1, tilt = -1, psi = -1, origin_x_A = -1, origin_y_A = -1;
  int origin_x_px = -1, origin_y_px = -1, defocus_u = -1, defocus_v = -1, defocus_angle = -1;
  int phase_shift = -1, bfactor = -1, scale = -1, optics_group = -1, subset = -1, tomo_name = -1;
  int micrograph = -1, coord_x = -1, coord_y = -1;  ///< on-the-fly sets: the raw cut, no image
};

/// Stacks named by "index@path" in one column, resolved once each.
struct StackNames {
  std::unordered_map<std::string, int> raw_index, resolved_index;
  std::vector<std::string> paths;
};

/// "idx@path" -> stack reference; the stack path resolved as RELION resolves it.
std::string resolve_stack(const std::string& raw, const fs::path& star_dir) {
  std::error_code ec;
  const fs::path p(raw);
  if (fs::exists(p, ec)) return raw;
  if (p.is_absolute()) return std::string();
  const fs::path beside = (star_dir / p).lexically_normal();
  return fs::exists(beside, ec) ? beside.string() : std::string();
}

const StarTable& particle_table(const std::string& path, const StarFile& f) {
  // RELION 3.0 files hold the particles in one unnamed block ("data_").
  const StarTable* t = f.find("particles");
  if (!t) t = f.find("");
  if (!t) throw IoError(path, "data_particles", "missing", "a particle table");
  if (t->rows.empty()) throw IoError(path, "data_particles", "0 rows", "at least one particle");
  return *t;
}

class ParticleReader {
 public:
  ParticleReader(const std::string& path, const StarFile& f)
      : path_(path),
        star_dir_(fs::path(path).parent_path()),
        particles_(path, particle_table(path, f)) {
    if (const StarTable* optics = f.find("optics")) optics_.emplace(path, *optics);
    locate_columns();
    index_optics_groups();
  }

  ParticleSet read() {
    ParticleSet set;
    set.source = path_;
    set.relion_ctf_sign = true;  // RELION images have protein white (algorithms.md 1.3)
    set.projections.reserve(particles_.rows());
    for (std::size_t i = 0; i < particles_.rows(); ++i)
      set.projections.push_back(read_projection(i));
    set.n_particles = next_particle_;
    set.stack_paths = std::move(stacks_.paths);
    set.raw_stack_paths = std::move(raw_stacks_.paths);
    set.raw_cuts = std::move(raw_cuts_);
    set.bin = bin_;
    set.pixel_size_A = pixel_A_;
    set.box_px = box_px_;
    return set;
  }

 private:
  OpticsSource source(const char* label, bool required) const {
    OpticsSource s{label, particles_.find(label), optics_ ? optics_->find(label) : -1};
    if (required && !s.present())
      throw IoError(path_, label, "missing",
                    "a column of data_optics (or of " + particles_.table_name() + ")");
    return s;
  }

  void locate_columns() {
    // A set extracted on the fly names no image but where its box is cut from the raw tilt series.
    c_.image = particles_.find("rlnImageName");
    c_.micrograph = particles_.find("rlnMicrographName");
    c_.coord_x = particles_.find("rlnCoordinateX");
    c_.coord_y = particles_.find("rlnCoordinateY");
    if (c_.image < 0 && (c_.micrograph < 0 || c_.coord_x < 0 || c_.coord_y < 0)) particles_.require("rlnImageName");
    bin_source_ = source("csptBin", false);
    c_.defocus_u = particles_.require("rlnDefocusU");
    c_.defocus_v = particles_.find("rlnDefocusV");
    c_.defocus_angle = particles_.find("rlnDefocusAngle");
    c_.rot = particles_.find("rlnAngleRot");
    c_.tilt = particles_.find("rlnAngleTilt");
    c_.psi = particles_.find("rlnAnglePsi");
    c_.origin_x_A = particles_.find("rlnOriginXAngst");
    c_.origin_y_A = particles_.find("rlnOriginYAngst");
    c_.origin_x_px = particles_.find("rlnOriginX");  // RELION 3.0: pixels
    c_.origin_y_px = particles_.find("rlnOriginY");
    c_.phase_shift = particles_.find("rlnPhaseShift");
    c_.bfactor = particles_.find("rlnCtfBfactor");
    c_.scale = particles_.find("rlnCtfScalefactor");
    c_.optics_group = particles_.find("rlnOpticsGroup");
    c_.subset = particles_.find("rlnRandomSubset");
    c_.tomo_name = particles_.find("rlnTomoParticleName");
    voltage_ = source("rlnVoltage", true);
    cs_ = source("rlnSphericalAberration", true);
    q0_ = source("rlnAmplitudeContrast", true);
    pixel_ = source("rlnImagePixelSize", true);
    box_ = source("rlnImageSize", false);
  }

  void index_optics_groups() {
    if (!optics_) return;
    const int gcol = optics_->find("rlnOpticsGroup");
    if (gcol < 0 && optics_->rows() > 1) optics_->require("rlnOpticsGroup");
    for (std::size_t r = 0; r < optics_->rows() && gcol >= 0; ++r) {
      const int g = optics_->integer(r, gcol);
      if (!group_row_.emplace(g, r).second) optics_->fail(r, gcol, "a group number used once");
    }
  }

  /// Row of data_optics for particle row i; -1 when every optics value sits in the particle row.
  long optics_row(std::size_t i) const {
    if (!optics_ || optics_->rows() == 0) return -1;
    if (c_.optics_group < 0) {
      if (optics_->rows() == 1) return 0;
      throw IoError(
          path_, "rlnOpticsGroup", "missing",
          "a column of " + particles_.table_name() + " when data_optics has several groups");
    }
    const int g = particles_.integer(i, c_.optics_group);
    if (group_row_.empty() && optics_->rows() == 1) return 0;
    const auto it = group_row_.find(g);
    if (it == group_row_.end())
      particles_.fail(i, c_.optics_group, "a group listed in data_optics");
    return static_cast<long>(it->second);
  }

  enum class Kind { any, positive, positive_integer };

  double optics_value(const OpticsSource& s, std::size_t i, long orow, Kind kind) const {
    const bool in_row = s.particle_col >= 0;
    if (!in_row && orow < 0)
      throw IoError(particles_.where(i), s.label, "missing",
                    "a data_optics group for this particle");
    const Columns& t = in_row ? particles_ : *optics_;
    const std::size_t r = in_row ? i : static_cast<std::size_t>(orow);
    const int col = in_row ? s.particle_col : s.optics_col;
    const double v = t.number(r, col);
    if (kind != Kind::any && !(v > 0.0)) t.fail(r, col, "a positive number");
    if (kind == Kind::positive_integer && v != std::floor(v)) t.fail(r, col, "a positive integer");
    return v;
  }

  std::string describe(std::size_t i, long orow) const {
    if (orow >= 0 && c_.optics_group >= 0)
      return "optics group " + particles_.text(i, c_.optics_group);
    return particles_.where(i);
  }

  /// All particles must share one pixel size and box: the reconstruction works in one grid.
  void check_uniform(std::size_t i, long orow, double pixel_A, int box_px) {
    if (i == 0) {
      pixel_A_ = pixel_A;
      box_px_ = box_px;
      first_group_ = describe(i, orow);
      return;
    }
    if (std::abs(pixel_A - pixel_A_) > 1e-9 * pixel_A_)
      throw IoError(path_, "rlnImagePixelSize",
                    format_number(pixel_A_) + " (" + first_group_ + "), " + format_number(pixel_A) +
                        " (" + describe(i, orow) + ")",
                    "one pixel size for all optics groups");
    if (box_px != box_px_)
      throw IoError(path_, "rlnImageSize",
                    std::to_string(box_px_) + " (" + first_group_ + "), " + std::to_string(box_px) +
                        " (" + describe(i, orow) + ")",
                    "one box size for all optics groups");
  }

  ImageRef image_ref(std::size_t i) { return stack_ref(i, c_.image, stacks_, "an existing image stack"); }

  /// Row i's raw cut: "section@raw stack" and the integer box centre in raw pixels.
  RawCut raw_cut(std::size_t i) {
    const ImageRef ref = stack_ref(i, c_.micrograph, raw_stacks_, "an existing raw tilt stack");
    return {ref.file, ref.section, particles_.integer(i, c_.coord_x), particles_.integer(i, c_.coord_y)};
  }

  /// The "index@path" in column `col` of row i, its stack resolved as RELION resolves it.
  ImageRef stack_ref(std::size_t i, int col, StackNames& stacks, const char* what) {
    const std::string& name = particles_.text(i, col);
    const std::size_t at = name.find('@');
    int index = 1;  // a name without '@' is a single image
    if (at != std::string::npos) {
      const auto [ptr, ec] = std::from_chars(name.data(), name.data() + at, index);
      if (ec != std::errc() || ptr != name.data() + at || index < 1)
        particles_.fail(i, col, "index@path with a 1-based index");
    }
    const std::string raw = at == std::string::npos ? name : name.substr(at + 1);
    if (raw.empty()) particles_.fail(i, col, std::string("index@path naming ") + what);
    const auto known = stacks.raw_index.find(raw);
    if (known != stacks.raw_index.end()) return {known->second, index - 1};
    const std::string resolved = resolve_stack(raw, star_dir_);
    if (resolved.empty())
      particles_.fail(i, col,
                      std::string(what) +
                          " (tried from the working directory, then from the STAR file's folder)");
    const auto [it, added] =
        stacks.resolved_index.try_emplace(resolved, static_cast<int>(stacks.paths.size()));
    if (added) stacks.paths.push_back(resolved);
    stacks.raw_index.emplace(raw, it->second);
    return {it->second, index - 1};
  }

  CtfParams ctf(std::size_t i, long orow) const {
    CtfParams c;
    c.voltage_kV = optics_value(voltage_, i, orow, Kind::positive);
    c.cs_mm = optics_value(cs_, i, orow, Kind::any);
    c.amplitude_contrast = optics_value(q0_, i, orow, Kind::any);
    c.defocus_u_A = particles_.number(i, c_.defocus_u);
    c.defocus_v_A = c_.defocus_v >= 0 ? particles_.number(i, c_.defocus_v) : c.defocus_u_A;
    c.defocus_angle_deg = c_.defocus_v >= 0 ? particles_.number_or(i, c_.defocus_angle, 0.0) : 0.0;
    c.phase_shift_deg = particles_.number_or(i, c_.phase_shift, 0.0);
    c.bfactor_A2 = particles_.number_or(i, c_.bfactor, 0.0);
    c.scale = particles_.number_or(i, c_.scale, 1.0);
    return c;
  }

  int particle_of(std::size_t i) {
    if (c_.tomo_name < 0) return next_particle_++;
    const auto [it, added] =
        particle_index_.try_emplace(particles_.text(i, c_.tomo_name), next_particle_);
    if (added) ++next_particle_;
    return it->second;
  }

  /// Half-sets are per particle: from rlnRandomSubset, else alternating by particle index.
  int half_of(std::size_t i, int particle) {
    if (c_.subset < 0) return particle % 2 == 0 ? 1 : 2;
    double v = 0.0;
    if (!parse_double(particles_.text(i, c_.subset), v) || (v != 1.0 && v != 2.0))
      particles_.fail(i, c_.subset, "1 or 2");
    const int h = static_cast<int>(v);
    if (static_cast<std::size_t>(particle) >= halves_.size()) halves_.resize(particle + 1, 0);
    int& known = halves_[particle];
    if (known == 0) known = h;
    if (known != h)
      particles_.fail(
          i, c_.subset,
          std::to_string(known) + " like the particle's earlier rows (half-sets are per particle)");
    return h;
  }

  double shift_A(std::size_t i, int col_A, int col_px, double pixel_A) const {
    if (col_A >= 0) return particles_.number(i, col_A);
    return col_px >= 0 ? particles_.number(i, col_px) * pixel_A : 0.0;
  }

  Projection read_projection(std::size_t i) {
    const long orow = optics_row(i);
    const double pixel_A = optics_value(pixel_, i, orow, Kind::positive);
    const int box_px =
        box_.present() ? static_cast<int>(optics_value(box_, i, orow, Kind::positive_integer)) : 0;
    check_uniform(i, orow, pixel_A, box_px);
    const int bin = bin_source_.present()
                        ? static_cast<int>(optics_value(bin_source_, i, orow, Kind::positive_integer))
                        : 1;
    if (i == 0) bin_ = bin;
    if (bin != bin_)
      throw IoError(particles_.where(i), "csptBin", std::to_string(bin),
                    std::to_string(bin_) + " like the first row (one bin factor per set)");
    Projection p;
    if (c_.image >= 0) {
      p.image = image_ref(i);
    } else {
      raw_cuts_.push_back(raw_cut(i));
    }
    p.rot_deg = particles_.number_or(i, c_.rot, 0.0);
    p.tilt_deg = particles_.number_or(i, c_.tilt, 0.0);
    p.psi_deg = particles_.number_or(i, c_.psi, 0.0);
    p.shift_x_A = shift_A(i, c_.origin_x_A, c_.origin_x_px, pixel_A);
    p.shift_y_A = shift_A(i, c_.origin_y_A, c_.origin_y_px, pixel_A);
    p.ctf = ctf(i, orow);
    p.particle = particle_of(i);
    p.half = half_of(i, p.particle);
    return p;
  }

  std::string path_;
  fs::path star_dir_;
  Columns particles_;
  std::optional<Columns> optics_;
  ParticleColumns c_;
  OpticsSource voltage_, cs_, q0_, pixel_, box_, bin_source_;
  std::map<int, std::size_t> group_row_;
  std::unordered_map<std::string, int> particle_index_;
  StackNames stacks_, raw_stacks_;
  std::vector<RawCut> raw_cuts_;
  int bin_ = 1;
  std::vector<int> halves_;
  int next_particle_ = 0;
  double pixel_A_ = 0.0;
  int box_px_ = 0;
  std::string first_group_;
};

// ---- writing ----------------------------------------------------------------------------------

using OpticsKey = std::tuple<double, double, double>;  // voltage_kV, cs_mm, amplitude_contrast

OpticsKey optics_key(const CtfParams& c) { return {c.voltage_kV, c.cs_mm, c.amplitude_contrast}; }

/// Refuses sets that would not read back as they are.
void check_writable(const std::string& path, const ParticleSet& set) {
  if (!set.relion_ctf_sign)
    throw IoError(path, "relion_ctf_sign", "false",
                  "RELION images with protein white: invert the stacks and set the flag first");
  if (!(set.pixel_size_A > 0.0) || !std::isfinite(set.pixel_size_A))
    throw IoError(path, "pixel_size_A", format_number(set.pixel_size_A), "a positive number");
  if (set.projections.empty()) throw IoError(path, "projections", "0", "at least one projection");
  const bool on_the_fly = !set.raw_cuts.empty();
  if (on_the_fly && set.raw_cuts.size() != set.projections.size())
    throw IoError(path, "raw_cuts", std::to_string(set.raw_cuts.size()),
                  "one per projection (" + std::to_string(set.projections.size()) + ")");
  if (on_the_fly && (set.bin < 1 || set.box_px < 1))
    throw IoError(path, "bin, box", std::to_string(set.bin) + ", " + std::to_string(set.box_px),
                  "a bin >= 1 and a box for an on-the-fly set");
  std::vector<int> halves(static_cast<std::size_t>(std::max(set.n_particles, 0)), 0);
  for (std::size_t i = 0; i < set.projections.size(); ++i) {
    const Projection& p = set.projections[i];
    const std::string where = path + ": projection " + std::to_string(i);
    if (on_the_fly) {
      const RawCut& c = set.raw_cuts[i];
      if (c.stack < 0 || c.stack >= static_cast<int>(set.raw_stack_paths.size()) || c.section < 0)
        throw IoError(where, "raw cut", std::to_string(c.stack) + ":" + std::to_string(c.section),
                      "a stack in raw_stack_paths and a section >= 0");
    } else if (p.image.file < 0 || p.image.file >= static_cast<int>(set.stack_paths.size()) ||
        p.image.section < 0)
      throw IoError(where, "image",
                    std::to_string(p.image.file) + ":" + std::to_string(p.image.section),
                    "a stack in stack_paths and a section >= 0");
    if (p.half != 1 && p.half != 2) throw IoError(where, "half", std::to_string(p.half), "1 or 2");
    if (p.particle < 0) throw IoError(where, "particle", std::to_string(p.particle), ">= 0");
    if (static_cast<std::size_t>(p.particle) >= halves.size()) halves.resize(p.particle + 1, 0);
    if (halves[p.particle] == 0) halves[p.particle] = p.half;
    if (halves[p.particle] != p.half)
      throw IoError(where, "half", std::to_string(p.half),
                    "the same half for every projection of a particle");
  }
}

std::string finite(double v, const char* field, std::size_t i, const std::string& path) {
  if (!std::isfinite(v))
    throw IoError(path + ": projection " + std::to_string(i), field, format_number(v),
                  "a finite number");
  return format_number(v);
}

StarTable optics_table(const ParticleSet& set, const std::vector<OpticsKey>& groups) {
  StarTable t;
  t.name = "optics";
  t.columns = {"rlnOpticsGroup",         "rlnOpticsGroupName",   "rlnVoltage",
               "rlnSphericalAberration", "rlnAmplitudeContrast", "rlnImagePixelSize"};
  if (set.box_px > 0) t.columns.push_back("rlnImageSize");
  t.columns.push_back("rlnImageDimensionality");
  const bool on_the_fly = !set.raw_cuts.empty();
  if (on_the_fly) t.columns.push_back("csptBin");  // cspt's own: raw pixels per output pixel
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const auto& [kV, cs, q0] = groups[g];
    std::vector<std::string> row = {std::to_string(g + 1), "opticsGroup" + std::to_string(g + 1),
                                    format_number(kV),     format_number(cs),
                                    format_number(q0),     format_number(set.pixel_size_A)};
    if (set.box_px > 0) row.push_back(std::to_string(set.box_px));
    row.push_back("2");
    if (on_the_fly) row.push_back(std::to_string(set.bin));
    t.rows.push_back(std::move(row));
  }
  return t;
}

/// Names are needed unless row i alone is particle i, which is what the reader assumes without
/// them.
bool needs_particle_names(const ParticleSet& set) {
  if (set.n_particles != static_cast<int>(set.projections.size())) return true;
  for (std::size_t i = 0; i < set.projections.size(); ++i)
    if (set.projections[i].particle != static_cast<int>(i)) return true;
  return false;
}

std::string stack_name(int section, const std::string& stack) {
  char index[24];
  std::snprintf(index, sizeof index, "%06d@", section + 1);  // RELION's zero-padded form
  return index + stack;
}

std::string image_name(const ParticleSet& set, const ImageRef& ref) {
  return stack_name(ref.section, set.stack_paths[ref.file]);
}

std::vector<std::string> particle_row(const ParticleSet& set, std::size_t i, int group, bool names,
                                      const std::string& path) {
  const Projection& p = set.projections[i];
  const CtfParams& c = p.ctf;
  std::vector<std::string> row;
  if (set.raw_cuts.empty()) {
    row.push_back(image_name(set, p.image));
  } else {
    const RawCut& cut = set.raw_cuts[i];
    row.insert(row.end(), {stack_name(cut.section, set.raw_stack_paths[cut.stack]), std::to_string(cut.x_px),
                           std::to_string(cut.y_px)});
  }
  row.insert(row.end(), {finite(p.rot_deg, "rot_deg", i, path),
                                  finite(p.tilt_deg, "tilt_deg", i, path),
                                  finite(p.psi_deg, "psi_deg", i, path),
                                  finite(p.shift_x_A, "shift_x_A", i, path),
                                  finite(p.shift_y_A, "shift_y_A", i, path),
                                  finite(c.defocus_u_A, "defocus_u_A", i, path),
                                  finite(c.defocus_v_A, "defocus_v_A", i, path),
                                  finite(c.defocus_angle_deg, "defocus_angle_deg", i, path),
                                  finite(c.phase_shift_deg, "phase_shift_deg", i, path),
                                  finite(c.bfactor_A2, "bfactor_A2", i, path),
                                  finite(c.scale, "scale", i, path),
                                  std::to_string(group),
                                  std::to_string(p.half)});
  if (names) row.push_back("particle_" + std::to_string(p.particle));
  return row;
}

StarTable particles_table(const ParticleSet& set, const std::map<OpticsKey, int>& group_of,
                          const std::string& path) {
  StarTable t;
  t.name = "particles";
  // An on-the-fly set names where each box is cut: "tilt@raw stack" and the raw-pixel centre.
  if (set.raw_cuts.empty())
    t.columns = {"rlnImageName"};
  else
    t.columns = {"rlnMicrographName", "rlnCoordinateX", "rlnCoordinateY"};
  t.columns.insert(t.columns.end(),
                   {"rlnAngleRot", "rlnAngleTilt", "rlnAnglePsi", "rlnOriginXAngst", "rlnOriginYAngst",
                    "rlnDefocusU", "rlnDefocusV", "rlnDefocusAngle", "rlnPhaseShift", "rlnCtfBfactor",
                    "rlnCtfScalefactor", "rlnOpticsGroup", "rlnRandomSubset"});
  const bool names = needs_particle_names(set);
  if (names) t.columns.push_back("rlnTomoParticleName");
  t.rows.reserve(set.projections.size());
  for (std::size_t i = 0; i < set.projections.size(); ++i) {
    const int group = group_of.at(optics_key(set.projections[i].ctf));
    t.rows.push_back(particle_row(set, i, group, names, path));
  }
  return t;
}

}  // namespace

ParticleSet read_relion_particles(const std::string& star_path) {
  const StarFile f = read_star(star_path);
  return ParticleReader(star_path, f).read();
}

void write_relion_particles(const std::string& star_path, const ParticleSet& set) {
  check_writable(star_path, set);
  std::vector<OpticsKey> groups;
  std::map<OpticsKey, int> group_of;
  for (std::size_t i = 0; i < set.projections.size(); ++i) {
    const CtfParams& c = set.projections[i].ctf;
    finite(c.voltage_kV, "voltage_kV", i, star_path);
    finite(c.cs_mm, "cs_mm", i, star_path);
    finite(c.amplitude_contrast, "amplitude_contrast", i, star_path);
    const auto [it, added] =
        group_of.try_emplace(optics_key(c), static_cast<int>(groups.size()) + 1);
    if (added) groups.push_back(it->first);
  }
  StarFile f;
  f.tables.push_back(optics_table(set, groups));
  f.tables.push_back(particles_table(set, group_of, star_path));
  write_star(star_path, f);
}

}  // namespace cspt::io
