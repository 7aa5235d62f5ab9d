// Acquisition figure data: ROI trajectories, targeting spread per tilt, the simulated truth, timing.
#include "cspt/report/acquisition_data.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <tuple>

#include "cspt/util/error.hpp"

namespace cspt::report {
namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

double value_or_nan(const AcquisitionColumn* c, std::size_t k) {
  return c && k < c->values.size() ? c->values[k] : kNaN;
}

/// The 1-2-5 number nearest to `target` (in ratio).
double nearest_125(double target) {
  const double base = std::pow(10.0, std::floor(std::log10(target)));
  double best = base;
  for (double c : {1.0, 2.0, 5.0, 10.0})
    if (std::abs(std::log(c * base / target)) < std::abs(std::log(best / target))) best = c * base;
  return best;
}

}  // namespace

const AcquisitionColumn* find_column(const AcquisitionTable& t, const std::string& name) {
  for (const auto& c : t.columns)
    if (c.name == name) return &c;
  return nullptr;
}

std::vector<const AcquisitionTable*> roi_tables(const AcquisitionRecord& r) {
  std::vector<const AcquisitionTable*> out;
  for (const auto& t : r.tables)
    if (t.name.rfind("roi_", 0) == 0) out.push_back(&t);
  return out;
}

std::vector<TrajectoryPoint> roi_trajectories(const AcquisitionRecord& r) {
  std::vector<TrajectoryPoint> pts;
  for (const AcquisitionTable* t : roi_tables(r)) {
    const auto *ti = find_column(*t, "tilt_index"), *td = find_column(*t, "tilt_deg"), *cx = find_column(*t, "command_x_um"),
               *cy = find_column(*t, "command_y_um"), *rx = find_column(*t, "residual_x_nm"), *ry = find_column(*t, "residual_y_nm");
    if (!ti || !td || !cx || !cy || !rx || !ry || cx->values.empty()) continue;
    const auto *ctf = find_column(*t, "ctf_defocus_um"), *focus = find_column(*t, "focus_um"), *ok = find_column(*t, "accepted");
    for (std::size_t k = 0; k < ti->values.size(); ++k) {
      TrajectoryPoint p;
      p.roi = t->name.substr(4);
      p.tilt_index = int(std::lround(ti->values[k]));
      p.tilt_deg = value_or_nan(td, k);
      p.anchor_x_um = cx->values.front();
      p.anchor_y_um = cy->values.front();
      p.residual_x_nm = value_or_nan(rx, k);
      p.residual_y_nm = value_or_nan(ry, k);
      const double measured = value_or_nan(ctf, k);
      p.from_ctf = std::isfinite(measured);
      p.defocus_um = -(p.from_ctf ? measured : value_or_nan(focus, k));
      p.accepted = !ok || !(value_or_nan(ok, k) == 0.0);
      pts.push_back(p);
    }
  }
  return pts;
}

double trajectory_exaggeration(const std::vector<TrajectoryPoint>& pts) {
  std::vector<double> lengths_um;
  std::map<std::string, std::pair<double, double>> anchors;
  for (const auto& p : pts) {
    anchors[p.roi] = {p.anchor_x_um, p.anchor_y_um};
    const double d = std::hypot(p.residual_x_nm, p.residual_y_nm) * 1e-3;
    if (std::isfinite(d)) lengths_um.push_back(d);
  }
  double spacing = std::numeric_limits<double>::infinity();
  for (auto a = anchors.begin(); a != anchors.end(); ++a)
    for (auto b = std::next(a); b != anchors.end(); ++b) {
      const double d = std::hypot(a->second.first - b->second.first, a->second.second - b->second.second);
      if (d > 0) spacing = std::min(spacing, d);
    }
  const double typical = quantile(lengths_um, 0.95);
  if (!std::isfinite(spacing) || !(typical > 0)) return 1.0;
  return nearest_125(spacing / 3.0 / typical);
}

Table trajectory_table(const std::vector<TrajectoryPoint>& pts, double exaggeration) {
  Table t({"roi", "tilt_index", "tilt_deg", "anchor_x_um", "anchor_y_um", "residual_x_nm", "residual_y_nm", "plot_x_um",
           "plot_y_um", "defocus_um", "defocus_source", "accepted"});
  for (const auto& p : pts)
    t.add_row({p.roi, double(p.tilt_index), p.tilt_deg, p.anchor_x_um, p.anchor_y_um, p.residual_x_nm, p.residual_y_nm,
               p.anchor_x_um + exaggeration * p.residual_x_nm * 1e-3, p.anchor_y_um + exaggeration * p.residual_y_nm * 1e-3,
               p.defocus_um, std::string(p.from_ctf ? "ctf" : "focus"), p.accepted ? 1.0 : 0.0});
  return t;
}

double quantile(std::vector<double> values, double q) {
  values.erase(std::remove_if(values.begin(), values.end(), [](double v) { return !std::isfinite(v); }), values.end());
  if (values.empty()) return kNaN;
  std::sort(values.begin(), values.end());
  const double at = std::clamp(q, 0.0, 1.0) * double(values.size() - 1);
  const std::size_t i = std::size_t(std::floor(at));
  if (i + 1 >= values.size()) return values.back();
  return values[i] + (at - double(i)) * (values[i + 1] - values[i]);
}

std::vector<TiltSpread> spread_per_tilt(const std::vector<int>& tilt_index, const std::vector<double>& tilt_deg,
                                        const std::vector<double>& values) {
  std::map<int, std::pair<std::vector<double>, std::vector<double>>> groups;  // index -> (angles, values)
  for (std::size_t k = 0; k < tilt_index.size() && k < tilt_deg.size() && k < values.size(); ++k) {
    groups[tilt_index[k]].first.push_back(tilt_deg[k]);
    groups[tilt_index[k]].second.push_back(values[k]);
  }
  std::vector<TiltSpread> out;
  for (const auto& [index, g] : groups) {
    TiltSpread s;
    s.tilt_index = index;
    s.tilt_deg = quantile(g.first, 0.5);
    s.n = int(std::count_if(g.second.begin(), g.second.end(), [](double v) { return std::isfinite(v); }));
    s.q25 = quantile(g.second, 0.25);
    s.median = quantile(g.second, 0.5);
    s.q75 = quantile(g.second, 0.75);
    out.push_back(s);
  }
  return out;
}

Table targeting_table(const std::vector<TrajectoryPoint>& pts) {
  std::vector<int> index;
  std::vector<double> angle, x, y;
  for (const auto& p : pts) {
    index.push_back(p.tilt_index);
    angle.push_back(p.tilt_deg);
    x.push_back(p.residual_x_nm);
    y.push_back(p.residual_y_nm);
  }
  const auto sx = spread_per_tilt(index, angle, x), sy = spread_per_tilt(index, angle, y);
  Table t({"tilt_index", "tilt_deg", "n", "residual_x_nm_q25", "residual_x_nm_median", "residual_x_nm_q75",
           "residual_y_nm_q25", "residual_y_nm_median", "residual_y_nm_q75"});
  for (std::size_t i = 0; i < sx.size(); ++i)
    t.add_row({double(sx[i].tilt_index), sx[i].tilt_deg, double(sx[i].n), sx[i].q25, sx[i].median, sx[i].q75, sy[i].q25,
               sy[i].median, sy[i].q75});
  return t;
}

std::vector<TrackTruthRecord> parse_track_truth(const std::string& source, const std::string& json_text) {
  const auto doc = nlohmann::json::parse(json_text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("records") || !doc["records"].is_array())
    throw IoError(source, "records", "", "a JSON object with a \"records\" array (bisect-track simulate's truth.json)");
  std::vector<TrackTruthRecord> out;
  std::map<std::string, int> seen;
  for (const auto& r : doc["records"]) {
    if (!r.is_object() || !r.contains("roi") || !r["roi"].is_string() || !r.value("targeting_nm", nlohmann::json()).is_number())
      throw IoError(source, "records[" + std::to_string(out.size()) + "]", r.dump().substr(0, 80),
                    "an object with roi, tilt_deg, targeting_nm and defocus_error_um");
    TrackTruthRecord t;
    t.roi = r["roi"].get<std::string>();
    t.tilt_index = seen[t.roi]++;
    t.tilt_deg = r.value("tilt_deg", kNaN);
    t.targeting_nm = r.value("targeting_nm", kNaN);
    t.defocus_error_um = r.value("defocus_error_um", kNaN);
    out.push_back(t);
  }
  return out;
}

Table truth_error_table(const std::vector<TrackTruthRecord>& records) {
  std::vector<int> index;
  std::vector<double> angle, targeting, defocus;
  for (const auto& r : records) {
    index.push_back(r.tilt_index);
    angle.push_back(r.tilt_deg);
    targeting.push_back(r.targeting_nm);
    defocus.push_back(r.defocus_error_um);
  }
  const auto st = spread_per_tilt(index, angle, targeting), sd = spread_per_tilt(index, angle, defocus);
  Table t({"tilt_index", "tilt_deg", "n", "targeting_nm_q25", "targeting_nm_median", "targeting_nm_q75",
           "defocus_error_um_q25", "defocus_error_um_median", "defocus_error_um_q75"});
  for (std::size_t i = 0; i < st.size(); ++i)
    t.add_row({double(st[i].tilt_index), st[i].tilt_deg, double(st[i].n), st[i].q25, st[i].median, st[i].q75, sd[i].q25,
               sd[i].median, sd[i].q75});
  return t;
}

Table acquisition_timeline_table(const AcquisitionRecord& r) {
  double first = std::numeric_limits<double>::infinity();
  for (const auto& t : r.tables)
    if (const auto* c = find_column(t, "time_s"))
      for (double v : c->values)
        if (std::isfinite(v)) first = std::min(first, v);
  std::map<int, std::tuple<double, std::vector<double>, int>> tilts;  // index -> (start, angles, records)
  for (const AcquisitionTable* t : roi_tables(r)) {
    const auto *ti = find_column(*t, "tilt_index"), *td = find_column(*t, "tilt_deg"), *ts = find_column(*t, "time_s");
    if (!ti || !ts) continue;
    for (std::size_t k = 0; k < ti->values.size() && k < ts->values.size(); ++k) {
      auto& [start, angles, n] = tilts.try_emplace(int(std::lround(ti->values[k])), std::numeric_limits<double>::infinity(),
                                                   std::vector<double>{}, 0).first->second;
      start = std::min(start, ts->values[k]);
      angles.push_back(value_or_nan(td, k));
      ++n;
    }
  }
  Table out({"tilt_index", "tilt_deg", "start_min", "records"});
  for (const auto& [index, v] : tilts)
    out.add_row({double(index), quantile(std::get<1>(v), 0.5), (std::get<0>(v) - first) / 60.0, double(std::get<2>(v))});
  return out;
}

double minutes_per_tilt_series(const AcquisitionRecord& r) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto& t : r.tables)
    if (const auto* c = find_column(t, "time_s"))
      for (double v : c->values)
        if (std::isfinite(v)) {
          lo = std::min(lo, v);
          hi = std::max(hi, v);
        }
  const std::size_t n = roi_tables(r).size();
  if (!(hi >= lo) || n == 0) return kNaN;
  return (hi - lo) / 60.0 / double(n);
}

}  // namespace cspt::report
