// Powell's direction-set maximiser in a box: bracketing, parabolic/golden line searches, evaluation cap.
#include "cspt/refine/optimize.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <utility>

#include "cspt/util/error.hpp"

namespace cspt {
namespace {

constexpr const char* kWhere = "maximize_in_box";
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kGolden = 1.618033988749895;  // expansion ratio of the bracketing phase
constexpr double kCGold = 0.3819660112501051;  // 2 - golden ratio: golden-section fraction
constexpr double kMaxGrowth = 20;              // a parabolic extrapolation moves at most 20 steps
constexpr int kMaxRefine = 12;                 // evaluations in one line search's refinement phase
constexpr double kMinRescale = 0.1, kMaxRescale = 2;  // direction length change per line search
// Until the first failed sweep a line search resolves its maximum to 5% of the direction's length (or to
// min_step, if coarser): early searches need not be exact, and a direction's length follows the moves
// made along it.
constexpr double kRelativeTolerance = 0.05;

using Objective = std::function<double(const std::vector<double>&)>;

std::string text(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

std::string indexed(const char* name, std::size_t i) { return std::string(name) + "[" + std::to_string(i) + "]"; }

/// Thrown (and caught inside maximize_in_box) when the next evaluation would exceed the cap.
struct BudgetExhausted {};

/// Calls f, counts the calls against the cap, maps NaN to -infinity and remembers the best point.
class Evaluator {
 public:
  Evaluator(const Objective& f, int max_evaluations) : f_(f), max_(max_evaluations) {}

  double operator()(const std::vector<double>& x) {
    if (count_ >= max_) throw BudgetExhausted{};
    ++count_;
    double v = f_(x);
    if (std::isnan(v)) v = -kInf;
    if (count_ == 1 || v > best_value_) {
      best_value_ = v;
      best_x_ = x;
    }
    return v;
  }

  int count() const { return count_; }
  double best_value() const { return best_value_; }
  const std::vector<double>& best_x() const { return best_x_; }

 private:
  const Objective& f_;
  int max_;
  int count_ = 0;
  double best_value_ = -kInf;
  std::vector<double> best_x_;
};

/// The line x + t d clipped to the box: t in [t_lo, t_hi], t_lo <= 0 <= t_hi.
class Line {
 public:
  Line(const std::vector<double>& x, const std::vector<double>& d, const BoxBounds& b)
      : x_(x), d_(d), b_(b) {
    for (std::size_t i = 0; i < x_.size(); ++i) {
      if (d_[i] == 0) continue;
      const auto [lo, hi] = face_parameters(i);
      t_lo = std::max(t_lo, lo);
      t_hi = std::min(t_hi, hi);
    }
    t_lo = std::min(t_lo, 0.0);
    t_hi = std::max(t_hi, 0.0);
  }

  /// x + t d, with every coordinate whose face is reached at t put exactly on that face.
  std::vector<double> point(double t) const {
    std::vector<double> p = x_;
    for (std::size_t i = 0; i < p.size(); ++i) {
      if (d_[i] == 0) continue;
      const auto [lo, hi] = face_parameters(i);
      double v = x_[i] + t * d_[i];
      if (t >= hi) v = d_[i] > 0 ? b_.upper[i] : b_.lower[i];
      if (t <= lo) v = d_[i] > 0 ? b_.lower[i] : b_.upper[i];
      p[i] = std::clamp(v, b_.lower[i], b_.upper[i]);
    }
    return p;
  }

  double t_lo = -kInf, t_hi = kInf;

 private:
  /// The parameters t at which coordinate i reaches its two faces, ordered (lower t, higher t).
  std::pair<double, double> face_parameters(std::size_t i) const {
    const double to_lower = (b_.lower[i] - x_[i]) / d_[i], to_upper = (b_.upper[i] - x_[i]) / d_[i];
    return d_[i] > 0 ? std::pair{to_lower, to_upper} : std::pair{to_upper, to_lower};
  }

  const std::vector<double>& x_;
  const std::vector<double>& d_;
  const BoxBounds& b_;
};

struct Sample {
  double t, g;
};

/// Second divided difference g[a, b, c] (half the parabola's second derivative), or NaN when the three
/// samples do not define a parabola.
double second_difference(const Sample& a, const Sample& b, const Sample& c) {
  if (!std::isfinite(a.g) || !std::isfinite(b.g) || !std::isfinite(c.g)) return kNaN;
  if (a.t == b.t || b.t == c.t || a.t == c.t) return kNaN;
  const double fab = (b.g - a.g) / (b.t - a.t), fbc = (c.g - b.g) / (c.t - b.t);
  return (fbc - fab) / (c.t - a.t);
}

/// Vertex of the parabola through three samples of distinct t, if it is finite and opens downwards.
std::optional<double> concave_vertex(const Sample& a, const Sample& b, const Sample& c) {
  const double fabc = second_difference(a, b, c);
  if (!(fabc < 0)) return std::nullopt;
  // Newton form: p(t) = g_a + g[a,b] (t - a) + g[a,b,c] (t - a)(t - b).
  const double fab = (b.g - a.g) / (b.t - a.t);
  const double v = 0.5 * (a.t + b.t) - fab / (2 * fabc);
  if (!std::isfinite(v)) return std::nullopt;
  return v;
}

/// One line search: maximises g(t) = f(line.point(t)) over [t_lo, t_hi], resolving t to about tol.
/// Every sample is kept, so the bracket and the parabolas always use the nearest known points.
class LineSearch {
 public:
  /// tol: the resolution of the bracketing and refinement phases; fine_tol (<= tol): the resolution to
  /// which a move predicted from a remembered curvature is taken as no move.
  LineSearch(Evaluator& eval, const Line& line, double tol, double fine_tol)
      : eval_(eval), line_(line), tol_(tol), fine_tol_(fine_tol) {}

  /// g0 = g(0) is known. curvature: g[.,.,.] measured along this line by an earlier search (NaN if none);
  /// with it one probe predicts the maximum. known: samples already evaluated, the first (if any) at
  /// t > 0 taking the place of the forward probe.
  Sample run(double g0, double curvature, const std::vector<Sample>& known = {}) {
    const Sample s0{0, g0};
    samples_.assign(1, s0);
    if (!(line_.t_hi > 0) && !(line_.t_lo < 0)) return s0;  // a line of zero length
    samples_.insert(samples_.end(), known.begin(), known.end());
    const Sample p1 = known.empty() ? at(line_.t_hi > 0 ? std::min(1.0, line_.t_hi) : std::max(-1.0, line_.t_lo))
                                    : known.front();
    const Sample best = p1.g > g0 ? p1 : s0;
    if (known.size() > 1) {
      // Enough samples already for a parabola.
    } else if (curvature < 0 && std::isfinite(g0) && std::isfinite(p1.g)) {
      // The parabola through the two samples with the remembered curvature.
      const double slope = (p1.g - g0) / p1.t, reach = kMaxGrowth * std::abs(p1.t);
      double v = 0.5 * p1.t - slope / (2 * curvature);
      v = std::clamp(v, std::max(line_.t_lo, -reach), std::min(line_.t_hi, reach));
      if (std::abs(v - best.t) <= fine_tol_) return best;
      if (v != p1.t && v != 0) at(v);
    } else if (!(p1.g > g0)) {
      // Falling: look as far the other way (the two probes centre a parabola on 0).
      const double t2 = p1.t > 0 ? std::max(-p1.t, line_.t_lo) : std::min(-p1.t, line_.t_hi);
      if (t2 != 0) at(t2);
    }
    return from_samples();
  }

  /// g[.,.,.] through the maximum found and its nearest neighbours; NaN when not concave or unknown.
  double curvature(const Sample& best) const {
    const auto [w, v] = nearest_two(best);
    if (!w || !v) return kNaN;
    const double c = second_difference(*v, best, *w);
    return c < 0 ? c : kNaN;
  }

 private:
  Sample at(double t) {
    samples_.push_back({t, eval_(line_.point(t))});
    return samples_.back();
  }

  /// The first sample with the highest value: the start wins ties, so x only moves on an improvement.
  Sample best_sample() const {
    std::size_t ib = 0;
    for (std::size_t i = 1; i < samples_.size(); ++i)
      if (samples_[i].g > samples_[ib].g) ib = i;
    return samples_[ib];
  }

  /// The two samples nearest to x in t (other than x), the better one first.
  std::pair<std::optional<Sample>, std::optional<Sample>> nearest_two(const Sample& x) const {
    std::optional<Sample> n1, n2;
    for (const Sample& s : samples_) {
      if (s.t == x.t) continue;
      const double d = std::abs(s.t - x.t);
      if (!n1 || d < std::abs(n1->t - x.t)) {
        n2 = n1;
        n1 = s;
      } else if (!n2 || d < std::abs(n2->t - x.t)) {
        n2 = s;
      }
    }
    if (n1 && n2 && n2->g > n1->g) std::swap(n1, n2);
    return {n1, n2};
  }

  /// Continue from the samples so far: refine a bracket around the best, or expand past it.
  Sample from_samples() {
    const Sample best = best_sample();
    std::optional<Sample> left, right, beyond_left, beyond_right;
    for (const Sample& s : samples_) {
      if (s.t < best.t) {
        if (!left || s.t > left->t) {
          beyond_left = left;
          left = s;
        } else if (!beyond_left || s.t > beyond_left->t) {
          beyond_left = s;
        }
      } else if (s.t > best.t) {
        if (!right || s.t < right->t) {
          beyond_right = right;
          right = s;
        } else if (!beyond_right || s.t < beyond_right->t) {
          beyond_right = s;
        }
      }
    }
    if (left && right) return refine(left->t, best, right->t);
    if (right) return expand(*right, best, beyond_right, line_.t_lo);
    if (left) return expand(*left, best, beyond_left, line_.t_hi);
    return best;
  }

  /// From a to b (g rising) towards limit: step on until g falls, then refine. p: the sample before a.
  Sample expand(Sample a, Sample b, std::optional<Sample> p, double limit) {
    while (true) {
      if (b.t == limit) return b.t > a.t ? refine(a.t, b, b.t) : refine(b.t, b, a.t);  // at the face
      const double step = b.t - a.t, dir = step > 0 ? 1 : -1;
      double u = b.t + kGolden * step;
      if (p) {
        if (const auto v = concave_vertex(*p, a, b)) {
          if (std::abs(*v - b.t) <= tol_) return b;  // b is the maximum to resolution
          const double ahead = (*v - b.t) * dir;     // distance of the vertex beyond b
          if (ahead > 0) u = b.t + std::min(ahead, kMaxGrowth * std::abs(step)) * dir;
        }
      }
      u = step > 0 ? std::min(u, limit) : std::max(u, limit);
      const Sample c = at(u);
      if (!(c.g > b.g)) return step > 0 ? refine(a.t, b, c.t) : refine(c.t, b, a.t);
      p = a;
      a = b;
      b = c;
    }
  }

  /// Brent's method for a maximum in the bracket [lo, hi] holding the best sample x, starting with the
  /// parabola through x and its two nearest samples. Ends when the bracket or the parabolic move is below
  /// tol. x may sit on an end of the bracket only at a face of the box: there the search goes on only
  /// while the parabola puts the maximum inside.
  Sample refine(double lo, Sample x, double hi) {
    double a = lo, b = hi;
    auto [w_opt, v_opt] = nearest_two(x);
    if (!w_opt) return x;
    Sample w = *w_opt, v = v_opt.value_or(*w_opt);
    double d = b - a, e = b - a;  // large: the first parabolic step is accepted
    for (int iter = 0; iter < kMaxRefine; ++iter) {
      const double xm = 0.5 * (a + b);
      if (std::max(x.t - a, b - x.t) <= 2 * tol_) break;
      const auto vertex = concave_vertex(x, w, v);
      if (x.t == a || x.t == b) {
        // At the face: follow the parabola inwards, or stop.
        if (!vertex || !(*vertex > a && *vertex < b) || std::abs(*vertex - x.t) <= tol_) break;
        d = e = *vertex - x.t;
      } else {
        bool parabolic = false;
        if (std::abs(e) > tol_) {
          const double e_before = e;
          e = d;
          if (vertex && *vertex > a && *vertex < b && std::abs(*vertex - x.t) < 0.5 * std::abs(e_before)) {
            if (std::abs(*vertex - x.t) <= tol_) break;  // the parabola puts the maximum at x
            d = *vertex - x.t;
            if (*vertex - a < tol_ || b - *vertex < tol_) d = xm >= x.t ? tol_ : -tol_;
            parabolic = true;
          }
        }
        if (!parabolic) {
          e = x.t >= xm ? a - x.t : b - x.t;
          d = kCGold * e;
        }
      }
      double u = x.t + (std::abs(d) >= tol_ ? d : (d >= 0 ? tol_ : -tol_));
      u = std::clamp(u, a, b);
      if (u == x.t) break;
      const Sample s = at(u);
      if (s.g > x.g) {
        (u >= x.t ? a : b) = x.t;
        v = w;
        w = x;
        x = s;
      } else {
        (u < x.t ? a : b) = u;
        if (s.g >= w.g || w.t == x.t) {
          v = w;
          w = s;
        } else if (s.g >= v.g || v.t == x.t || v.t == w.t) {
          v = s;
        }
      }
    }
    return x;
  }

  Evaluator& eval_;
  const Line& line_;
  double tol_, fine_tol_;
  std::vector<Sample> samples_;
};

/// The line-search resolution along d: the t at which the move reaches min_step in some coordinate.
/// Above 1 when d itself is shorter than min_step in every coordinate (the direction is exhausted).
double resolution(const std::vector<double>& d, const std::vector<double>& min_step) {
  double scale = 0;
  for (std::size_t i = 0; i < d.size(); ++i) scale = std::max(scale, std::abs(d[i]) / min_step[i]);
  return scale > 0 ? 1 / scale : kInf;
}

void validate(const Objective& f, const std::vector<double>& x0, const BoxBounds& bounds,
              const MaximizeOptions& opts) {
  if (!f) throw InternalError("maximize_in_box: empty objective function");
  const std::size_t n = x0.size();
  if (n == 0) throw InternalError("maximize_in_box: no parameters");
  const auto same_size = [&](const std::vector<double>& v, const char* name) {
    if (v.size() != n)
      throw InternalError(std::string("maximize_in_box: ") + name + " has " + std::to_string(v.size()) +
                          " entries for " + std::to_string(n) + " parameters");
  };
  same_size(bounds.lower, "bounds.lower");
  same_size(bounds.upper, "bounds.upper");
  same_size(opts.initial_step, "initial_step");
  same_size(opts.min_step, "min_step");
  for (std::size_t i = 0; i < n; ++i) {
    const double lo = bounds.lower[i], hi = bounds.upper[i];
    if (std::isnan(lo) || std::isnan(hi) || lo > hi || lo == kInf || hi == -kInf)
      throw ConfigError(kWhere, indexed("bounds", i), "[" + text(lo) + ", " + text(hi) + "]",
                        "must satisfy lower <= upper (no NaN)");
    if (!std::isfinite(x0[i]))
      throw ConfigError(kWhere, indexed("x0", i), text(x0[i]), "must be finite");
    if (x0[i] < lo || x0[i] > hi)
      throw ConfigError(kWhere, indexed("x0", i), text(x0[i]),
                        "must lie inside the box [" + text(lo) + ", " + text(hi) + "]");
    if (!std::isfinite(opts.initial_step[i]) || !(opts.initial_step[i] > 0))
      throw ConfigError(kWhere, indexed("initial_step", i), text(opts.initial_step[i]),
                        "must be finite and > 0");
    if (!std::isfinite(opts.min_step[i]) || !(opts.min_step[i] > 0))
      throw ConfigError(kWhere, indexed("min_step", i), text(opts.min_step[i]), "must be finite and > 0");
  }
  if (opts.max_evaluations < 1)
    throw ConfigError(kWhere, "max_evaluations", std::to_string(opts.max_evaluations), "must be >= 1");
  if (!std::isfinite(opts.value_tolerance) || opts.value_tolerance < 0)
    throw ConfigError(kWhere, "value_tolerance", text(opts.value_tolerance), "must be finite and >= 0");
}

/// A search direction: its vector (one step of the line search) and the curvature g[.,.,.] measured
/// along it in units of that step (NaN until measured).
struct Direction {
  std::vector<double> d;
  double curvature = kNaN;
  int axis = -1;  ///< the coordinate axis it is, or -1 for a conjugate direction

  /// Lengthen or shorten the step by the move found (clamped), keeping the curvature in step units.
  void rescale(double t) {
    const double r = std::clamp(std::abs(t), kMinRescale, kMaxRescale);
    for (double& c : d) c *= r;
    curvature *= r * r;
  }
};

/// Powell's method; returns normally when converged, throws BudgetExhausted when the cap is reached.
void powell(Evaluator& eval, std::vector<double>& x, const BoxBounds& bounds, const MaximizeOptions& opts) {
  const std::size_t n = x.size();
  std::vector<double> axis_step = opts.initial_step;
  std::vector<double> axis_curvature(n, kNaN);
  std::vector<Direction> dirs(n);
  const auto reset_directions = [&] {
    for (std::size_t k = 0; k < n; ++k) {
      dirs[k].d.assign(n, 0.0);
      dirs[k].d[k] = axis_step[k];
      dirs[k].curvature = axis_curvature[k];
      dirs[k].axis = static_cast<int>(k);
    }
  };
  const auto pure_axes = [&] {
    return std::all_of(dirs.begin(), dirs.end(), [](const Direction& d) { return d.axis >= 0; });
  };
  reset_directions();
  // Coarse line searches until the first failed sweep, fine ones (to min_step) after it.
  double relative_tolerance = kRelativeTolerance;

  double fx = eval(x);
  while (true) {
    const std::vector<double> x_start = x;
    const double f_start = fx;
    double largest_gain = 0;
    std::size_t largest = n;
    bool any_active = false, coarse = false;  // coarse: some search resolved less finely than min_step
    for (std::size_t k = 0; k < n; ++k) {
      Direction& dir = dirs[k];
      const double fine = resolution(dir.d, opts.min_step);
      if (!(fine < 1)) continue;
      any_active = true;
      if (fine < relative_tolerance) coarse = true;
      const double tol = std::max(fine, relative_tolerance);
      const Line line(x, dir.d, bounds);
      LineSearch search(eval, line, tol, fine);
      const Sample s = search.run(fx, dir.curvature);
      if (const double c = search.curvature(s); c < 0) dir.curvature = c;
      if (s.g > fx) {
        if (s.g - fx > largest_gain) {
          largest_gain = s.g - fx;
          largest = k;
        }
        x = line.point(s.t);
        fx = s.g;
      }
      dir.rescale(s.t);
      if (dir.axis >= 0) {
        axis_step[static_cast<std::size_t>(dir.axis)] = dir.d[static_cast<std::size_t>(dir.axis)];
        axis_curvature[static_cast<std::size_t>(dir.axis)] = dir.curvature;
      }
    }

    // Powell's step: try the extrapolation 2 x - x_start; if it beats the sweep's start, search along the
    // net displacement and let it replace the direction of largest gain (the others shift down, the new
    // one is searched last).
    Direction net;
    net.d.resize(n);
    for (std::size_t i = 0; i < n; ++i) net.d[i] = x[i] - x_start[i];
    const double net_fine = resolution(net.d, opts.min_step);
    if (n > 1 && largest < n && net_fine < 1) {
      const double net_tol = std::max(net_fine, relative_tolerance);
      const Line line(x, net.d, bounds);
      if (line.t_hi > net_tol) {  // not pressed against a face
        const double t1 = std::min(1.0, line.t_hi);
        const Sample ext{t1, eval(line.point(t1))};
        if (ext.g > f_start) {
          LineSearch search(eval, line, net_tol, net_fine);
          // The sweep's start is the sample at t = -1.
          const Sample s = search.run(fx, kNaN, {ext, Sample{-1, f_start}});
          net.curvature = search.curvature(s);
          if (s.g > fx) {
            x = line.point(s.t);
            fx = s.g;
          }
          net.rescale(s.t);
          dirs.erase(dirs.begin() + static_cast<std::ptrdiff_t>(largest));
          dirs.push_back(std::move(net));
        }
      }
    }

    if (!any_active || fx - f_start < opts.value_tolerance) {
      // A failed sweep. It ends the run if it searched the axes only and resolved every search to
      // min_step; otherwise the axes are searched again with halved steps (searches that did not move have
      // already cut their steps tenfold), so the next sweep looks closer.
      if (pure_axes() && !coarse) return;
      relative_tolerance = 0;
      for (double& st : axis_step) st *= 0.5;
      for (double& c : axis_curvature) c *= 0.25;  // in units of the halved step
      reset_directions();
    }
  }
}

}  // namespace

MaximizeResult maximize_in_box(const Objective& f, std::vector<double> x0, const BoxBounds& bounds,
                               const MaximizeOptions& opts) {
  validate(f, x0, bounds, opts);
  Evaluator eval(f, opts.max_evaluations);
  try {
    powell(eval, x0, bounds, opts);
  } catch (const BudgetExhausted&) {
  }
  return {eval.best_x(), eval.best_value(), eval.count()};
}

}  // namespace cspt
