// Fuzz harness: the project-file reader. The input is a program of edits applied, through the HDF5
// library, to a valid project file (two tilt series, particles, projections, truth, acquisition
// tables, run config): values overwritten (NaN, Inf, huge, negative, random bytes), datasets and
// attributes deleted, replaced with other types or lengths, and objects added. This reaches every
// check of read_project, which is the code that is ours; the HDF5 container format itself is
// libhdf5's (truncated and zeroed files: ProjectFileTest.truncated_or_zeroed_files_are_refused).
// A file read_project accepts must also be writable and read back.
#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "cspt/io/project_file.hpp"
#include "cspt/util/error.hpp"
#include "fuzz_target.hpp"

namespace cspt::fuzz {

namespace {

TiltRecord make_tilt(int seed) {
  TiltRecord t;
  t.section = seed % 3;
  t.acquisition_order = seed % 3;
  t.nominal_tilt_deg = -3.0 + 3.0 * (seed % 3);
  t.refined_tilt_deg = t.nominal_tilt_deg + 0.1;
  t.tilt_axis_deg = 85.0;
  t.dose_e_per_A2 = 3.0;
  t.prior_dose_e_per_A2 = 3.0 * (seed % 3);
  t.target_defocus_A = 20000;
  t.defocus_u_A = 20100, t.defocus_v_A = 19900, t.defocus_angle_deg = 30;
  t.ctf_score = 0.3, t.ctf_resolution_A = 6.5;
  t.shift_x_A = 1.5, t.shift_y_A = -2.5;
  t.timestamp_s = 1000.0 + seed;
  return t;
}

Project make_base_project() {
  Project p;
  p.created_by = "cspt fuzz base";
  p.optics = Optics{300.0, 2.7, 0.07, 1.35, 4096, 4096, "K3"};
  for (int s = 0; s < 2; ++s) {
    TiltSeriesRecord ts;
    ts.name = "ts_00" + std::to_string(s + 1);
    ts.stack_path = ts.name + ".mrc";
    ts.mdoc_path = ts.name + ".mrc.mdoc";
    ts.nx_px = 4096, ts.ny_px = 4096;
    for (int t = 0; t < 3; ++t) ts.tilts.push_back(make_tilt(t));
    p.tilt_series.push_back(ts);
  }
  for (int k = 0; k < 4; ++k) {
    ParticleRecord r;
    r.tilt_series = k % 2;
    r.x_A = 100.0 * k, r.y_A = -50.0 * k, r.z_A = 10.0 * k;
    r.rot_deg = 10 * k, r.tilt_deg = 20 + k, r.psi_deg = -30 + k;
    r.half = 1 + k % 2;
    p.particles.push_back(r);
    for (int t = 0; t < 3; ++t) {
      ProjectionRecord q;
      q.particle = k, q.tilt = t;
      q.defocus_u_A = 20000 + k, q.defocus_v_A = 19800 + k, q.defocus_angle_deg = 30;
      p.projections.push_back(q);
    }
  }
  Truth truth;
  truth.map_path = "truth/map.mrc";
  truth.defocus_handedness = 1.0;
  truth.particles = p.particles;
  truth.projections = p.projections;
  for (int s = 0; s < 2; ++s) truth.tilts.push_back(p.tilt_series[std::size_t(s)].tilts);
  p.truth = truth;
  AcquisitionRecord a;
  a.plan_json = R"({"rois": 2})";
  a.state_json = R"({"tilt_index": 3})";
  a.events = {R"({"event": "begin"})", R"({"event": "tilted", "angle_deg": 0})"};
  a.tables.push_back(AcquisitionTable{"tracking", {{"tilt_deg", "deg", {0, 3, -3}}, {"shift_x_nm", "nm", {1, 2, 3}}}});
  p.acquisition = a;
  p.run_config_yaml = "run:\n  out: run\n";
  return p;
}

// The base file's bytes, made once per process.
const std::vector<char>& base_bytes() {
  static const std::vector<char> bytes = [] {
    const std::string path = (std::filesystem::temp_directory_path() /
                              ("cspt_fuzz_base_" + std::to_string(::getpid()) + ".h5")).string();
    io::write_project(path, make_base_project());
    std::ifstream in(path, std::ios::binary);
    std::vector<char> b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::filesystem::remove(path);
    return b;
  }();
  return bytes;
}

// Reads the edit program.
class Program {
 public:
  Program(const std::uint8_t* d, std::size_t n) : d_(d), n_(n) {}
  bool done() const { return i_ >= n_; }
  std::uint8_t byte() { return i_ < n_ ? d_[i_++] : 0; }
  std::uint32_t u16() { return std::uint32_t(byte()) | std::uint32_t(byte()) << 8; }
  double value() {
    static const double special[] = {std::numeric_limits<double>::quiet_NaN(),
                                     std::numeric_limits<double>::infinity(),
                                     -std::numeric_limits<double>::infinity(),
                                     0.0, -1.0, 1e300, -1e300, 2147483648.0, -2147483649.0, 1e-300, 0.5};
    const std::uint8_t k = byte();
    if (k < 2 * std::size(special)) return special[k % std::size(special)];
    double v = 0;
    std::uint8_t raw[8];
    for (auto& b : raw) b = byte();
    std::memcpy(&v, raw, 8);
    return v;
  }
  std::string text() {
    const std::size_t len = byte() % 48;
    std::string s;
    for (std::size_t k = 0; k < len; ++k) s += char(byte());
    return s;
  }

 private:
  const std::uint8_t* d_;
  std::size_t n_, i_ = 0;
};

struct Object {
  std::string path;
  H5O_type_t type;
};

herr_t collect(hid_t, const char* name, const H5O_info_t* info, void* out) {
  static_cast<std::vector<Object>*>(out)->push_back({name, info->type});
  return 0;
}

void write_attribute(hid_t object, const std::string& name, Program& prog) {
  if (H5Aexists(object, name.c_str()) > 0) H5Adelete(object, name.c_str());
  const hid_t space = H5Screate(H5S_SCALAR);
  switch (prog.byte() % 3) {
    case 0: {
      const double v = prog.value();
      const hid_t a = H5Acreate2(object, name.c_str(), H5T_NATIVE_DOUBLE, space, H5P_DEFAULT, H5P_DEFAULT);
      if (a >= 0) H5Awrite(a, H5T_NATIVE_DOUBLE, &v), H5Aclose(a);
      break;
    }
    case 1: {
      const std::int32_t v = std::int32_t(prog.u16() | prog.u16() << 16);
      const hid_t a = H5Acreate2(object, name.c_str(), H5T_NATIVE_INT32, space, H5P_DEFAULT, H5P_DEFAULT);
      if (a >= 0) H5Awrite(a, H5T_NATIVE_INT32, &v), H5Aclose(a);
      break;
    }
    default: {
      const std::string v = prog.text();
      const hid_t type = H5Tcopy(H5T_C_S1);
      H5Tset_size(type, H5T_VARIABLE);
      const char* p = v.c_str();
      const hid_t a = H5Acreate2(object, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT);
      if (a >= 0) H5Awrite(a, type, &p), H5Aclose(a);
      H5Tclose(type);
    }
  }
  H5Sclose(space);
}

void write_dataset(hid_t file, const std::string& path, Program& prog) {
  H5Ldelete(file, path.c_str(), H5P_DEFAULT);
  const hsize_t n = prog.u16() % 64;
  const hid_t space = H5Screate_simple(1, &n, nullptr);
  const int kind = prog.byte() % 3;
  const hid_t type = kind == 0 ? H5T_NATIVE_DOUBLE : kind == 1 ? H5T_NATIVE_INT32 : H5T_NATIVE_UINT8;
  const hid_t d = H5Dcreate2(file, path.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (d >= 0) {
    std::vector<double> values(n);
    for (auto& v : values) v = prog.value();
    if (n > 0) H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
    if (prog.byte() % 2 == 0) write_attribute(d, "unit", prog);
    H5Dclose(d);
  }
  H5Sclose(space);
}

// Overwrites one element of a numeric dataset (converted by HDF5 to its stored type).
void poke_element(hid_t file, const std::string& path, Program& prog) {
  const hid_t d = H5Dopen2(file, path.c_str(), H5P_DEFAULT);
  if (d < 0) return;
  const hid_t space = H5Dget_space(d);
  const hid_t type = H5Dget_type(d);
  const hssize_t n = H5Sget_simple_extent_npoints(space);
  const H5T_class_t cls = H5Tget_class(type);
  if (n > 0 && (cls == H5T_FLOAT || cls == H5T_INTEGER)) {
    // The element's coordinates in the dataset's rank (tables are 2-D), from a linear index.
    hsize_t at = prog.u16() % hsize_t(n);
    const int rank = H5Sget_simple_extent_ndims(space);
    std::vector<hsize_t> dims(std::size_t(std::max(rank, 1)), 1), coords(dims.size(), 0);
    H5Sget_simple_extent_dims(space, dims.data(), nullptr);
    for (int k = int(dims.size()) - 1; k >= 0; --k) {
      coords[std::size_t(k)] = at % dims[std::size_t(k)];
      at /= dims[std::size_t(k)];
    }
    H5Sselect_elements(space, H5S_SELECT_SET, 1, coords.data());
    const hsize_t one = 1;
    const hid_t mem = H5Screate_simple(1, &one, nullptr);
    const double v = prog.value();
    if (cls == H5T_FLOAT) {
      H5Dwrite(d, H5T_NATIVE_DOUBLE, mem, space, H5P_DEFAULT, &v);
    } else {
      const long long k = std::isfinite(v) && std::fabs(v) < 9e18 ? (long long)v : -1;
      H5Dwrite(d, H5T_NATIVE_LLONG, mem, space, H5P_DEFAULT, &k);
    }
    H5Sclose(mem);
  }
  H5Tclose(type);
  H5Sclose(space);
  H5Dclose(d);
}

void apply_edits(const std::string& path, Program& prog) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  if (file < 0) std::abort();  // the base file is ours and valid
  for (int edit = 0; edit < 8 && !prog.done(); ++edit) {
    std::vector<Object> objects;
    H5Ovisit2(file, H5_INDEX_NAME, H5_ITER_NATIVE, collect, &objects, H5O_INFO_BASIC);
    const Object& o = objects[prog.u16() % objects.size()];
    const hid_t obj = H5Oopen(file, o.path.c_str(), H5P_DEFAULT);
    if (obj < 0) continue;
    H5O_info_t info;
    H5Oget_info2(obj, &info, H5O_INFO_NUM_ATTRS);
    const std::uint8_t op = prog.byte() % 7;
    if (op == 0 && o.type == H5O_TYPE_DATASET) {
      H5Oclose(obj);
      poke_element(file, o.path, prog);
      continue;
    }
    if ((op == 1 || op == 2) && info.num_attrs > 0) {  // rewrite (other type / value) or delete an attribute
      const hsize_t k = prog.byte() % info.num_attrs;
      char name[256] = {};
      H5Aget_name_by_idx(obj, ".", H5_INDEX_NAME, H5_ITER_NATIVE, k, name, sizeof name, H5P_DEFAULT);
      if (op == 1) write_attribute(obj, name, prog); else H5Adelete(obj, name);
    } else if (op == 3) {  // a new attribute, maybe one the reader knows
      static const char* names[] = {"unit", "order", "cspt_schema_version", "voltage_kV", "nx_px", "columns", "units"};
      write_attribute(obj, names[prog.byte() % std::size(names)], prog);
    }
    H5Oclose(obj);
    if (o.path == ".") continue;
    if (op == 4) H5Ldelete(file, o.path.c_str(), H5P_DEFAULT);
    if (op == 5 && o.type == H5O_TYPE_DATASET) write_dataset(file, o.path, prog);
    if (op == 6 && o.type == H5O_TYPE_GROUP) {
      const std::string child = o.path + "/x" + std::to_string(prog.byte() % 4);
      if (prog.byte() % 2) {
        const hid_t g = H5Gcreate2(file, child.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (g >= 0) H5Gclose(g);
      } else {
        write_dataset(file, child, prog);
      }
    }
  }
  H5Fclose(file);
}

}  // namespace

void project(const std::uint8_t* data, std::size_t size) {
  const std::vector<char>& base = base_bytes();
  const std::string path = scratch_file(reinterpret_cast<const std::uint8_t*>(base.data()), base.size(), ".h5");
  Program prog(data, size);
  apply_edits(path, prog);
  Project p;
  try {
    p = io::read_project(path);
  } catch (const Error&) {
    return;
  }
  // Accepted: it must be writable, and read back.
  const std::string again = path + ".again.h5";
  io::write_project(again, p);
  (void)io::read_project(again);
  std::filesystem::remove(again);
}

}  // namespace cspt::fuzz
