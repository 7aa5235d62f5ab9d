// Cross-correlation alignment with cosine stretch: binning, stretch, band-pass, peak, series reference.
//
// Both images are binned, the more tilted one is stretched perpendicular to the tilt axis onto the
// other's geometry, both are tapered to their mean and zero-padded, and their transforms are
// multiplied under the squared band-pass filter (so each image is filtered once). The peak lag is
// mapped back through A(k)⁻¹ into the new image's frame (acquisition.md §5.1).
#include "bisect/image_align.hpp"


#include <algorithm>
#include <cmath>
#include <complex>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>
#include <numbers>
#include <sstream>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "bisect/angles.hpp"
#include "cspt/fft/plan.hpp"
#include "cspt/io/mrc.hpp"
#include "cspt/util/error.hpp"

namespace bisect {

namespace {

using Complex = std::complex<float>;
constexpr double kMaxPsr = 1000.0;
constexpr double kMaxTiltDeg = 89.0;

std::string num(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

[[noreturn]] void config_fail(const std::string& where, const std::string& field, const std::string& value,
                              const std::string& expectation) {
  throw cspt::ConfigError(where, field, value, expectation);
}

void validate_filter(const AlignFilter& f) {
  const char* w = "align filter";
  if (f.max_size_px < 16) config_fail(w, "max_size_px", num(f.max_size_px), ">= 16");
  if (!(f.taper_fraction >= 0 && f.taper_fraction < 0.5))
    config_fail(w, "taper_fraction", num(f.taper_fraction), "in [0, 0.5)");
  if (!(f.pad_factor >= 1 && f.pad_factor <= 4)) config_fail(w, "pad_factor", num(f.pad_factor), "in [1, 4]");
  if (!(f.highpass_cyc_per_px >= 0 && f.highpass_cyc_per_px < 0.5))
    config_fail(w, "highpass_cyc_per_px", num(f.highpass_cyc_per_px), "in [0, 0.5)");
  if (!(f.lowpass_cyc_per_px > f.highpass_cyc_per_px && f.lowpass_cyc_per_px <= 1))
    config_fail(w, "lowpass_cyc_per_px", num(f.lowpass_cyc_per_px), "in (highpass_cyc_per_px, 1]");
  if (!(f.lowpass_falloff_cyc_per_px >= 0 && f.lowpass_falloff_cyc_per_px <= 1))
    config_fail(w, "lowpass_falloff_cyc_per_px", num(f.lowpass_falloff_cyc_per_px), "in [0, 1]");
  if (!(f.exclusion_radius_px >= 0 && f.exclusion_radius_px < 1e4))
    config_fail(w, "exclusion_radius_px", num(f.exclusion_radius_px), "in [0, 1e4)");
}

void validate_tilt(const char* where, const char* field, double tilt_deg) {
  if (!(std::abs(tilt_deg) < kMaxTiltDeg)) config_fail(where, field, num(tilt_deg), "in (-89, 89) degrees");
}


// A(k)⁻¹ = a·aᵀ + (1/k)·b·bᵀ with a = (cos φ, sin φ), b = (−sin φ, cos φ).
struct Matrix2 {
  double m00, m01, m10, m11;
};

Matrix2 inverse_stretch(double axis_from_x_deg, double k) {
  const double ax = std::cos(rad(axis_from_x_deg)), ay = std::sin(rad(axis_from_x_deg));
  const double ik = 1.0 / k, off = ax * ay * (1.0 - ik);
  return {ax * ax + ik * ay * ay, off, off, ay * ay + ik * ax * ax};
}

// Maps an image at tilt from_deg onto the geometry of to_deg.
double stretch_factor(double from_deg, double to_deg) {
  return std::cos(rad(to_deg)) / std::cos(rad(from_deg));
}

// ---- correlation grid, filter and workspace -----------------------------------------------------

bool only_small_primes(int m) {
  for (int p : {2, 3, 5})
    while (m % p == 0) m /= p;
  return m == 1;
}

int fft_friendly_size(int n) {
  int m = n + (n & 1);  // even, for the half-complex layout
  while (!only_small_primes(m)) m += 2;
  return m;
}

using FilterTable = std::vector<float>;  // F² per half-complex element, [ky][kx]

// Band-pass tables are shared between objects and threads (immutable once built).
std::shared_ptr<const FilterTable> squared_filter(int px, int py, const AlignFilter& f) {
  using Key = std::tuple<int, int, double, double, double>;
  static std::mutex mutex;
  static std::map<Key, std::shared_ptr<const FilterTable>> cache;
  const Key key{px, py, f.highpass_cyc_per_px, f.lowpass_cyc_per_px, f.lowpass_falloff_cyc_per_px};
  const std::lock_guard lock(mutex);
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  const int hx = px / 2 + 1;
  auto table = std::make_shared<FilterTable>(std::size_t(hx) * std::size_t(py));
  const double hp = f.highpass_cyc_per_px, r = f.lowpass_cyc_per_px, s = f.lowpass_falloff_cyc_per_px;
  for (int ky = 0; ky < py; ++ky) {
    const double fy = double(ky <= py / 2 ? ky : ky - py) / py;
    for (int kx = 0; kx < hx; ++kx) {
      const double fx = double(kx) / px, freq = std::hypot(fx, fy);
      const double high = hp > 0 ? 1.0 - std::exp(-freq * freq / (2 * hp * hp)) : 1.0;
      const double low = freq <= r ? 1.0 : (s > 0 ? std::exp(-(freq - r) * (freq - r) / (2 * s * s)) : 0.0);
      (*table)[std::size_t(ky) * hx + kx] = float(high * high * low * low);
    }
  }
  cache.emplace(key, table);
  return table;
}

struct Grid {
  int nx = 0, ny = 0;  // binned image
  int px = 0, py = 0;  // padded
  int max_lag_x = 0, max_lag_y = 0;
  double taper_fraction = 0, exclusion_radius_px = 0;
  std::shared_ptr<const FilterTable> filter_sq;

  int hx() const { return px / 2 + 1; }
  std::size_t n_real() const { return std::size_t(px) * std::size_t(py); }
  std::size_t n_complex() const { return std::size_t(hx()) * std::size_t(py); }
};

// Lags beyond padded − size mix with wrapped-around ones; they are searched only when the padding
// is too small to leave a quarter of the image (then the correlation is treated as circular).
int max_lag(int n, int padded) { return padded - n >= n / 4 ? std::min(padded - n, padded / 2 - 1) : padded / 2 - 1; }

Grid make_grid(int nx, int ny, const AlignFilter& f) {
  if (nx < 8 || ny < 8) config_fail("align", "binned size", num(nx) + "x" + num(ny), "at least 8x8 pixels");
  Grid g;
  g.nx = nx, g.ny = ny;
  g.px = fft_friendly_size(int(std::ceil(f.pad_factor * nx)));
  g.py = fft_friendly_size(int(std::ceil(f.pad_factor * ny)));
  g.max_lag_x = max_lag(nx, g.px), g.max_lag_y = max_lag(ny, g.py);
  g.taper_fraction = f.taper_fraction, g.exclusion_radius_px = f.exclusion_radius_px;
  g.filter_sq = squared_filter(g.px, g.py, f);
  return g;
}

// Scratch buffers, one set per thread, kept between calls (no page faults in the hot path).
struct Workspace {
  cspt::fft::AlignedBuffer<float> real;
  cspt::fft::AlignedBuffer<Complex> spectrum;
  void fit(const Grid& g) {
    if (real.size() != g.n_real()) real = cspt::fft::AlignedBuffer<float>(g.n_real());
    if (spectrum.size() != g.n_complex()) spectrum = cspt::fft::AlignedBuffer<Complex>(g.n_complex());
  }
};

Workspace& workspace(const Grid& g) {
  thread_local Workspace w;
  w.fit(g);
  return w;
}

std::vector<float> taper_weights(int n, double fraction) {
  std::vector<float> w(std::size_t(n), 1.0f);
  const double width = fraction * n;
  for (int i = 0; i < n && i + 0.5 < width; ++i) {
    const float v = float(0.5 * (1.0 - std::cos(std::numbers::pi * (i + 0.5) / width)));
    w[std::size_t(i)] = v, w[std::size_t(n - 1 - i)] = v;
  }
  return w;
}

// Tapers the image to its mean over the border, removes the mean and zero-pads it to the grid.
void load_padded(const cspt::Image& img, const Grid& g, float* out) {
  double sum = 0.0;
  for (float v : img.values()) sum += v;
  const float mean = float(sum / double(img.size()));
  const std::vector<float> wx = taper_weights(g.nx, g.taper_fraction), wy = taper_weights(g.ny, g.taper_fraction);
  for (int y = 0; y < g.ny; ++y) {
    const float* src = img.data() + std::size_t(y) * g.nx;
    float* dst = out + std::size_t(y) * g.px;
    for (int x = 0; x < g.nx; ++x) dst[x] = wy[std::size_t(y)] * wx[std::size_t(x)] * (src[x] - mean);
    std::fill(dst + g.nx, dst + g.px, 0.0f);
  }
  std::fill(out + std::size_t(g.ny) * g.px, out + g.n_real(), 0.0f);
}

// Σ over the full (Hermitian) spectrum: the half-complex columns other than 0 and px/2 count twice.
inline double hermitian_weight(int kx, int px) { return (kx == 0 || kx == px / 2) ? 1.0 : 2.0; }

// Transforms img into spec multiplied by F²; returns Σ|F·X|² (the filtered image's energy × N).
double filtered_transform(const cspt::Image& img, const Grid& g, float* real, Complex* spec) {
  load_padded(img, g, real);
  cspt::fft::cached_forward_plan(g.px, g.py).execute(real, spec);
  const FilterTable& f2 = *g.filter_sq;
  double energy = 0.0;
  for (int ky = 0, hx = g.hx(); ky < g.py; ++ky)
    for (int kx = 0; kx < hx; ++kx) {
      const std::size_t i = std::size_t(ky) * hx + kx;
      energy += hermitian_weight(kx, g.px) * std::norm(spec[i]) * f2[i];
      spec[i] *= f2[i];
    }
  return energy;
}

struct Peak {
  double x = 0, y = 0, cc = 0, psr = 0;
};

// Offset of the vertex of a fit through (−1, m), (0, c), (1, p): Gaussian (parabola of the logs)
// when all are positive, which is unbiased for a Gaussian peak; else a parabola.
double subpixel_offset(double m, double c, double p) {
  if (m > 0 && c > 0 && p > 0) {
    const double lm = std::log(m), lc = std::log(c), lp = std::log(p), d = lm - 2 * lc + lp;
    if (d < 0) return std::clamp(0.5 * (lm - lp) / d, -0.5, 0.5);
  }
  const double d = m - 2 * c + p;
  return d < 0 ? std::clamp(0.5 * (m - p) / d, -0.5, 0.5) : 0.0;
}

// The correlation map indexed by signed lag (circular).
class CorrelationMap {
 public:
  CorrelationMap(const float* map, const Grid& g) : map_(map), g_(g) {}
  float at(int lx, int ly) const {
    const int x = ((lx % g_.px) + g_.px) % g_.px, y = ((ly % g_.py) + g_.py) % g_.py;
    return map_[std::size_t(y) * g_.px + x];
  }
  bool local_max(int lx, int ly, float v) const {
    for (int dy = -1; dy <= 1; ++dy)
      for (int dx = -1; dx <= 1; ++dx)
        if ((dx || dy) && at(lx + dx, ly + dy) > v) return false;
    return true;
  }
  template <class Fn>
  void for_each_lag(Fn&& fn) const {  // valid lags only (Grid::max_lag_*)
    for (int ly = -g_.max_lag_y; ly <= g_.max_lag_y; ++ly) {
      const float* row = map_ + std::size_t(ly < 0 ? ly + g_.py : ly) * g_.px;
      for (int lx = -g_.max_lag_x; lx < 0; ++lx) fn(lx, ly, row[lx + g_.px]);
      for (int lx = 0; lx <= g_.max_lag_x; ++lx) fn(lx, ly, row[lx]);
    }
  }

 private:
  const float* map_;
  const Grid& g_;
};

Peak find_peak(const float* map, const Grid& g, double cc_scale) {
  const CorrelationMap cm(map, g);
  int bx = 0, by = 0;
  float best = -std::numeric_limits<float>::infinity();
  cm.for_each_lag([&](int lx, int ly, float v) {
    if (v > best) best = v, bx = lx, by = ly;
  });
  float second = -std::numeric_limits<float>::infinity();
  const double r2 = g.exclusion_radius_px * g.exclusion_radius_px;
  cm.for_each_lag([&](int lx, int ly, float v) {
    if (v <= second || double(lx - bx) * (lx - bx) + double(ly - by) * (ly - by) <= r2) return;
    if (cm.local_max(lx, ly, v)) second = v;
  });
  Peak p;
  p.x = bx + subpixel_offset(cm.at(bx - 1, by), best, cm.at(bx + 1, by));
  p.y = by + subpixel_offset(cm.at(bx, by - 1), best, cm.at(bx, by + 1));
  p.cc = std::clamp(double(best) * cc_scale, -1.0, 1.0);
  if (best <= 0) p.psr = 0.0;
  else p.psr = second > 0 ? std::min(kMaxPsr, double(best) / double(second)) : kMaxPsr;
  return p;
}

// Correlates `moving` against a reference transform (already × F², energy ref_energy).
Peak correlate(const cspt::Image& moving, const Complex* ref, double ref_energy, const Grid& g) {
  Workspace& ws = workspace(g);
  load_padded(moving, g, ws.real.data());
  cspt::fft::cached_forward_plan(g.px, g.py).execute(ws.real.data(), ws.spectrum.data());
  const FilterTable& f2 = *g.filter_sq;
  Complex* s = ws.spectrum.data();
  double energy = 0.0;
  for (int ky = 0, hx = g.hx(); ky < g.py; ++ky)
    for (int kx = 0; kx < hx; ++kx) {
      const std::size_t i = std::size_t(ky) * hx + kx;
      energy += hermitian_weight(kx, g.px) * std::norm(s[i]) * f2[i];
      s[i] *= std::conj(ref[i]);  // peak at +lag when moving(p) = ref(p − lag)
    }
  cspt::fft::cached_inverse_plan(g.px, g.py).execute(s, ws.real.data());
  if (!(energy > 0 && ref_energy > 0)) return {};  // a flat image: no peak to report
  return find_peak(ws.real.data(), g, 1.0 / std::sqrt(energy * ref_energy));
}

// Binned coordinate of the unbinned image centre (nx/2, ny/2): binned pixel i is centred on
// unbinned i·f + (f − 1)/2.
double binned_centre(int n, int factor) { return (double(n / 2) - 0.5 * (factor - 1)) / factor; }

AlignResult to_result(const Peak& p, double axis_deg, double k_moving, int factor) {
  const Matrix2 m = inverse_stretch(axis_deg, k_moving);  // back into the moving image's frame
  return {factor * (m.m00 * p.x + m.m01 * p.y), factor * (m.m10 * p.x + m.m11 * p.y), p.cc, p.psr};
}

}  // namespace

// ---- public free functions -----------------------------------------------------------------------

SpecimenShiftNm specimen_shift_nm(double shift_x_px, double shift_y_px, double pixel_size_A, double axis_from_x_deg) {
  const double ax = std::cos(rad(axis_from_x_deg)), ay = std::sin(rad(axis_from_x_deg));
  const double nm = 0.1 * pixel_size_A;
  return {(shift_x_px * ax + shift_y_px * ay) * nm, (-shift_x_px * ay + shift_y_px * ax) * nm};
}

CameraShiftPx camera_shift_px(double x_nm, double y_nm, double pixel_size_A, double axis_from_x_deg) {
  if (!(pixel_size_A > 0)) config_fail("camera_shift_px", "pixel_size_A", num(pixel_size_A), "> 0");
  const double ax = std::cos(rad(axis_from_x_deg)), ay = std::sin(rad(axis_from_x_deg));
  const double px_per_nm = 10.0 / pixel_size_A;
  return {(x_nm * ax - y_nm * ay) * px_per_nm, (x_nm * ay + y_nm * ax) * px_per_nm};
}

cspt::Image stretch_about(const cspt::Image& in, double centre_x_px, double centre_y_px, double axis_from_x_deg,
                          double k, double shift_x_px, double shift_y_px) {
  if (!(k > 0 && std::isfinite(k))) config_fail("stretch_about", "k", num(k), "finite, > 0");
  const int nx = in.nx(), ny = in.ny();
  if (nx < 2 || ny < 2) config_fail("stretch_about", "image size", num(nx) + "x" + num(ny), "at least 2x2");
  double sum = 0.0;
  for (float v : in.values()) sum += v;
  const float fill = float(sum / double(in.size()));
  const Matrix2 m = inverse_stretch(axis_from_x_deg, k);
  cspt::Image out(nx, ny, in.pixel_size_A());
  for (int y = 0; y < ny; ++y) {
    const double dy = y - centre_y_px;
    double qx = centre_x_px - m.m00 * centre_x_px + m.m01 * dy + shift_x_px;  // source of x = 0
    double qy = centre_y_px - m.m10 * centre_x_px + m.m11 * dy + shift_y_px;
    float* dst = out.data() + std::size_t(y) * nx;
    for (int x = 0; x < nx; ++x, qx += m.m00, qy += m.m10) {
      if (!(qx >= 0 && qy >= 0 && qx <= nx - 1 && qy <= ny - 1)) {
        dst[x] = fill;
        continue;
      }
      const int ix = std::min(int(qx), nx - 2), iy = std::min(int(qy), ny - 2);
      const float fx = float(qx - ix), fy = float(qy - iy);
      const float* p = in.data() + std::size_t(iy) * nx + ix;
      const float top = p[0] + fx * (p[1] - p[0]), bottom = p[nx] + fx * (p[nx + 1] - p[nx]);
      dst[x] = top + fy * (bottom - top);
    }
  }
  return out;
}

AlignResult align_pair(const cspt::Image& ref, double ref_tilt_deg, const cspt::Image& img, double img_tilt_deg,
                       double axis_from_x_deg, const AlignFilter& filter) {
  validate_filter(filter);
  validate_tilt("align_pair", "ref_tilt_deg", ref_tilt_deg);
  validate_tilt("align_pair", "img_tilt_deg", img_tilt_deg);
  if (img.nx() != ref.nx() || img.ny() != ref.ny())
    config_fail("align_pair", "img size", num(img.nx()) + "x" + num(img.ny()),
                "the reference's size " + num(ref.nx()) + "x" + num(ref.ny()));
  const int factor = binning_factor(ref.nx(), ref.ny(), filter.max_size_px);
  const cspt::Image rb = bin_image(ref.data(), ref.nx(), ref.ny(), factor);
  const cspt::Image ib = bin_image(img.data(), img.nx(), img.ny(), factor);
  const Grid g = make_grid(rb.nx(), rb.ny(), filter);
  const double cx = binned_centre(ref.nx(), factor), cy = binned_centre(ref.ny(), factor);
  const double k = filter.cosine_stretch ? stretch_factor(img_tilt_deg, ref_tilt_deg) : 1.0;
  const bool stretch_img = k >= 1.0;  // always stretch the more tilted image (k ≥ 1)
  const cspt::Image fixed = stretch_img ? rb : stretch_about(rb, cx, cy, axis_from_x_deg, 1.0 / k);
  const cspt::Image moving = stretch_img && k != 1.0 ? stretch_about(ib, cx, cy, axis_from_x_deg, k) : ib;
  cspt::fft::AlignedBuffer<Complex> ref_spec(g.n_complex());
  const double ref_energy = filtered_transform(fixed, g, workspace(g).real.data(), ref_spec.data());
  const Peak p = correlate(moving, ref_spec.data(), ref_energy, g);
  return to_result(p, axis_from_x_deg, stretch_img ? k : 1.0, factor);
}

// ---- SeriesReference -----------------------------------------------------------------------------

struct SeriesReference::Impl {
  int nx = 0, ny = 0, factor = 1;
  double axis_deg = 0, ref_tilt_deg = 0;
  AlignFilter filter;
  Grid grid;
  double centre_x = 0, centre_y = 0;  // binned
  State state;
  cspt::fft::AlignedBuffer<Complex> ref_spectrum;  // F²·R̂, valid when state.count > 0
  double ref_energy = 0.0;

  Impl(int nx_, int ny_, double axis, double tilt, const AlignFilter& f);
  cspt::Image mean_image() const;  // R = sum / weight_sum
  void check_size(int image_nx, int image_ny) const;
  void check_binned(const cspt::Image& b, const char* what) const;
  void refresh();
  AlignResult align_binned(const cspt::Image& binned, double tilt_deg) const;
  void add_binned(const cspt::Image& binned, double tilt_deg, double sx, double sy, double weight);
  void restore(State s);
};

SeriesReference::Impl::Impl(int nx_, int ny_, double axis, double tilt, const AlignFilter& f)
    : nx(nx_), ny(ny_), axis_deg(axis), ref_tilt_deg(tilt), filter(f) {
  validate_filter(f);
  validate_tilt("series reference", "reference_tilt_deg", tilt);
  if (!std::isfinite(axis)) config_fail("series reference", "axis_from_x_deg", num(axis), "finite");
  factor = binning_factor(nx, ny, f.max_size_px);
  grid = make_grid(nx / factor, ny / factor, f);
  centre_x = binned_centre(nx, factor), centre_y = binned_centre(ny, factor);
  state.sum_binned = cspt::Image(grid.nx, grid.ny);
  ref_spectrum = cspt::fft::AlignedBuffer<Complex>(grid.n_complex());
}

void SeriesReference::Impl::check_binned(const cspt::Image& b, const char* what) const {
  if (b.nx() != grid.nx || b.ny() != grid.ny)
    config_fail("series reference", what, num(b.nx()) + "x" + num(b.ny()),
                "the binned size " + num(grid.nx) + "x" + num(grid.ny) + " (" + num(nx) + "x" + num(ny) +
                    " binned by " + num(factor) + ")");
}

cspt::Image SeriesReference::Impl::mean_image() const {
  cspt::Image r(grid.nx, grid.ny);
  const float inv = float(1.0 / state.weight_sum);
  for (std::size_t i = 0; i < r.size(); ++i) r.data()[i] = state.sum_binned.data()[i] * inv;
  return r;
}

void SeriesReference::Impl::check_size(int image_nx, int image_ny) const {
  if (image_nx != nx || image_ny != ny)
    config_fail("series reference", "image size", num(image_nx) + "x" + num(image_ny),
                "the tracking-image size " + num(nx) + "x" + num(ny));
}

void SeriesReference::Impl::refresh() {
  ref_energy = 0.0;
  if (state.count == 0) return;
  ref_energy = filtered_transform(mean_image(), grid, workspace(grid).real.data(), ref_spectrum.data());
}

AlignResult SeriesReference::Impl::align_binned(const cspt::Image& binned, double tilt_deg) const {
  check_binned(binned, "image size (binned)");
  validate_tilt("series reference", "tilt_deg", tilt_deg);
  if (state.count == 0) throw cspt::Error("series reference", "count", "0", "an image added before align()");
  const double k = filter.cosine_stretch ? stretch_factor(tilt_deg, ref_tilt_deg) : 1.0;
  if (k >= 1.0) {  // the usual case: the new image is the more tilted; the cached transform serves
    const Peak p = k == 1.0 ? correlate(binned, ref_spectrum.data(), ref_energy, grid)
                            : correlate(stretch_about(binned, centre_x, centre_y, axis_deg, k), ref_spectrum.data(),
                                        ref_energy, grid);
    return to_result(p, axis_deg, k, factor);
  }
  // Less tilted than θ0: stretch R onto the new image's geometry instead, and transform it here.
  cspt::fft::AlignedBuffer<Complex> spec(grid.n_complex());
  const double energy = filtered_transform(stretch_about(mean_image(), centre_x, centre_y, axis_deg, 1.0 / k), grid,
                                           workspace(grid).real.data(), spec.data());
  return to_result(correlate(binned, spec.data(), energy, grid), axis_deg, 1.0, factor);
}

void SeriesReference::Impl::add_binned(const cspt::Image& binned, double tilt_deg, double sx, double sy,
                                       double weight) {
  check_binned(binned, "image size (binned)");
  validate_tilt("series reference", "tilt_deg", tilt_deg);
  if (!(weight > 0 && std::isfinite(weight))) config_fail("series reference", "weight", num(weight), "finite, > 0");
  if (!std::isfinite(sx) || !std::isfinite(sy))
    config_fail("series reference", "shift_px", num(sx) + ", " + num(sy), "finite");
  const double k = filter.cosine_stretch ? stretch_factor(tilt_deg, ref_tilt_deg) : 1.0;
  const cspt::Image mapped = stretch_about(binned, centre_x, centre_y, axis_deg, k, sx / factor, sy / factor);
  double sum = 0.0, sum2 = 0.0;
  for (float v : mapped.values()) sum += v, sum2 += double(v) * v;
  const double n = double(mapped.size()), mean = sum / n, var = sum2 / n - mean * mean;
  if (!(var > 0)) config_fail("series reference", "image", "constant", "an image with contrast");
  // Each image enters with zero mean and unit variance, so dose and thickness do not weigh it.
  const float scale = float(weight / std::sqrt(var)), offset = float(mean);
  float* acc = state.sum_binned.data();
  for (std::size_t i = 0; i < mapped.size(); ++i) acc[i] += scale * (mapped.data()[i] - offset);
  state.weight_sum += weight;
  state.count += 1;
  refresh();
}

void SeriesReference::Impl::restore(State s) {
  if (s.count < 0) config_fail("series reference state", "count", num(s.count), ">= 0");
  if (s.count == 0) {
    s.sum_binned = cspt::Image(grid.nx, grid.ny), s.weight_sum = 0.0;
  } else {
    check_binned(s.sum_binned, "state sum_binned size");
    if (!(s.weight_sum > 0 && std::isfinite(s.weight_sum)))
      config_fail("series reference state", "weight_sum", num(s.weight_sum), "finite, > 0 when count > 0");
    for (float v : s.sum_binned.values())
      if (!std::isfinite(v)) config_fail("series reference state", "sum_binned", num(v), "finite values");
  }
  state = std::move(s);
  refresh();
}

SeriesReference::SeriesReference(int nx, int ny, double axis_from_x_deg, double reference_tilt_deg, AlignFilter filter)
    : impl_(std::make_unique<Impl>(nx, ny, axis_from_x_deg, reference_tilt_deg, filter)) {}

SeriesReference::SeriesReference(int nx, int ny, double axis_from_x_deg, double reference_tilt_deg, AlignFilter filter,
                                 State state)
    : SeriesReference(nx, ny, axis_from_x_deg, reference_tilt_deg, filter) {
  impl_->restore(std::move(state));
}

SeriesReference::SeriesReference(const SeriesReference& other) : impl_(std::make_unique<Impl>(*other.impl_)) {}
SeriesReference& SeriesReference::operator=(const SeriesReference& other) {
  if (this != &other) impl_ = std::make_unique<Impl>(*other.impl_);
  return *this;
}
SeriesReference::SeriesReference(SeriesReference&&) noexcept = default;
SeriesReference& SeriesReference::operator=(SeriesReference&&) noexcept = default;
SeriesReference::~SeriesReference() = default;

bool SeriesReference::empty() const { return impl_->state.count == 0; }
int SeriesReference::binning() const { return impl_->factor; }
int SeriesReference::binned_nx() const { return impl_->grid.nx; }
int SeriesReference::binned_ny() const { return impl_->grid.ny; }
double SeriesReference::reference_tilt_deg() const { return impl_->ref_tilt_deg; }

AlignResult SeriesReference::align(const cspt::Image& image, double tilt_deg) const {
  impl_->check_size(image.nx(), image.ny());
  return align_binned(bin_image(image.data(), image.nx(), image.ny(), impl_->factor), tilt_deg);
}

AlignResult SeriesReference::align(const std::uint16_t* pixels, int nx, int ny, double tilt_deg) const {
  impl_->check_size(nx, ny);
  return align_binned(bin_image(pixels, nx, ny, impl_->factor), tilt_deg);
}

AlignResult SeriesReference::align_binned(const cspt::Image& binned, double tilt_deg) const {
  return impl_->align_binned(binned, tilt_deg);
}

void SeriesReference::add(const cspt::Image& image, double tilt_deg, double shift_x_px, double shift_y_px,
                          double weight) {
  impl_->check_size(image.nx(), image.ny());
  add_binned(bin_image(image.data(), image.nx(), image.ny(), impl_->factor), tilt_deg, shift_x_px, shift_y_px, weight);
}

void SeriesReference::add_binned(const cspt::Image& binned, double tilt_deg, double shift_x_px, double shift_y_px,
                                 double weight) {
  impl_->add_binned(binned, tilt_deg, shift_x_px, shift_y_px, weight);
}

const SeriesReference::State& SeriesReference::state() const { return impl_->state; }
void SeriesReference::restore(State state) { impl_->restore(std::move(state)); }

cspt::Image SeriesReference::reference_binned() const {
  return empty() ? cspt::Image() : impl_->mean_image();
}

}  // namespace bisect
