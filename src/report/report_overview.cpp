// Report section "Overview": what the project holds, particles and projections per tilt series,
// and the time each pipeline stage and refinement step took.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>

#include "cspt/report/svg_plot.hpp"
#include "cspt/util/error.hpp"
#include "report_parts.hpp"

namespace cspt::report::detail {
namespace fs = std::filesystem;
namespace {

Table counts_table(const Project& p) {
  std::vector<double> particles(p.tilt_series.size(), 0.0), projections(p.tilt_series.size(), 0.0);
  for (const auto& q : p.particles)
    if (q.tilt_series >= 0 && std::size_t(q.tilt_series) < particles.size()) particles[std::size_t(q.tilt_series)] += 1;
  for (const auto& j : p.projections)
    if (j.particle >= 0 && std::size_t(j.particle) < p.particles.size()) {
      const int s = p.particles[std::size_t(j.particle)].tilt_series;
      if (s >= 0 && std::size_t(s) < projections.size()) projections[std::size_t(s)] += 1;
    }
  Table t({"series", "tilts", "particles", "projections"});
  for (std::size_t s = 0; s < p.tilt_series.size(); ++s)
    t.add_row({p.tilt_series[s].name, double(p.tilt_series[s].tilts.size()), particles[s], projections[s]});
  return t;
}

/// Pipeline stages from RUN/.stages/<stage>.done.json (in pipeline order), then the refinement steps
/// summed over iterations (iter_NNN/summary.json "stage_s").
Table stage_time_table(const ReportData& d, std::vector<std::string>& unreadable) {
  Table t({"stage", "wall_s", "source"});
  if (!d.in.stages_dir.empty() && fs::is_directory(d.in.stages_dir)) {
    static const std::vector<std::string> order{"track", "simulate", "import", "ctf", "extract", "refine", "report"};
    std::vector<std::pair<std::string, double>> found;
    for (const auto& e : fs::directory_iterator(d.in.stages_dir)) {
      const std::string name = e.path().filename().string();
      const std::string suffix = ".done.json";
      if (name.size() <= suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
      // A damaged stamp costs its bar, not the report: `cspt run` itself reports it.
      json j;
      try {
        j = read_json_file(e.path().string());
      } catch (const IoError&) {
        unreadable.push_back(e.path().string());
      }
      if (j.is_object() && j.contains("wall_s") && j["wall_s"].is_number())
        found.emplace_back(name.substr(0, name.size() - suffix.size()), j["wall_s"].get<double>());
    }
    const auto rank = [&](const std::string& s) { return std::find(order.begin(), order.end(), s) - order.begin(); };
    std::sort(found.begin(), found.end(), [&](const auto& a, const auto& b) {
      return rank(a.first) != rank(b.first) ? rank(a.first) < rank(b.first) : a.first < b.first;
    });
    for (const auto& [stage, s] : found) t.add_row({stage, s, std::string(".stages/" + stage + ".done.json")});
  }
  if (d.refine) {
    std::map<std::string, double> steps;
    std::vector<std::string> step_order;
    for (const auto& j : d.refine->iteration_summaries)
      if (j.is_object() && j.contains("stage_s") && j["stage_s"].is_object())
        for (auto it = j["stage_s"].begin(); it != j["stage_s"].end(); ++it) {
          if (!it.value().is_number()) continue;
          if (!steps.count(it.key())) step_order.push_back(it.key());
          steps[it.key()] += it.value().get<double>();
        }
    for (const auto& s : step_order) t.add_row({"refine: " + s, steps[s], std::string("iter_NNN/summary.json (sum)")});
  }
  return t;
}

}  // namespace

Section overview_section(const ReportData& d, FigureWriter& w) {
  Section s{"overview", "Overview", "What the project holds, and how long each stage took.", {}, {}, {}};
  const Project& p = d.project;
  std::size_t tilts = 0;
  for (const auto& ts : p.tilt_series) tilts += ts.tilts.size();
  s.facts = {{"created by", p.created_by.empty() ? "-" : p.created_by},
             {"tilt series", std::to_string(p.tilt_series.size())},
             {"tilts", std::to_string(tilts)},
             {"particles", std::to_string(p.particles.size())},
             {"projections", std::to_string(p.projections.size())},
             {"pixel size", fact_number(p.optics.pixel_size_A, "A")},
             {"simulated (has truth)", p.truth ? "yes" : "no"},
             {"acquisition record", d.acquisition ? d.acquisition_source : "none"}};
  if (d.refine && d.refine->summary.is_object()) {
    const json& r = d.refine->summary;
    s.facts.push_back({"refinement iterations", std::to_string(r.value("iteration", 0))});
    s.facts.push_back({"resolution (FSC 0.143, corrected)", fact_number(r.value("resolution_A", std::nan("")), "A")});
  }
  if (!p.tilt_series.empty()) {
    const Table counts = counts_table(p);
    BarChart c;
    c.title = "Particles per tilt series";
    c.value_label = "particles";
    for (std::size_t i = 0; i < counts.rows(); ++i) {
      c.categories.push_back(counts.text(i, "series"));
      c.values.push_back(counts.number(i, "particles"));
    }
    s.figures.push_back(w.svg_figure("counts_per_series", "Particles per tilt series",
                                     "Particles in each tilt series; the CSV also counts its tilts and projections "
                                     "(one projection per particle and tilt kept).",
                                     bar_chart_svg(c), {{"counts_per_series", counts}}));
  } else {
    s.absent.push_back("The project has no tilt series: no particle or projection counts.");
  }
  std::vector<std::string> unreadable;
  const Table times = stage_time_table(d, unreadable);
  for (const auto& f : unreadable) s.absent.push_back("Stage stamp " + f + " is not JSON: its time is left out.");
  if (times.rows() > 0) {
    BarChart c;
    c.title = "Time per stage";
    c.value_label = "wall time (s)";
    for (std::size_t i = 0; i < times.rows(); ++i) {
      c.categories.push_back(times.text(i, "stage"));
      c.values.push_back(times.number(i, "wall_s"));
    }
    s.figures.push_back(w.svg_figure("stage_times", "Time per stage",
                                     "Wall time of each pipeline stage (from RUN/.stages) and of each refinement step "
                                     "summed over the iterations.",
                                     bar_chart_svg(c), {{"stage_times", times}}));
  } else {
    s.absent.push_back("No stage timings: neither a run folder (--run, RUN/.stages) nor refinement summaries with stage_s.");
  }
  return s;
}

}  // namespace cspt::report::detail
