// write_report: load the inputs once, build every section, write index.html and the figure files.
#include "cspt/report/report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "cspt/io/atomic_file.hpp"
#include "cspt/io/project_file.hpp"
#include "cspt/util/error.hpp"
#include "report_parts.hpp"

namespace cspt::report {
namespace detail {
namespace fs = std::filesystem;

void FigureWriter::remember(const std::string& file) {
  if (std::find(files_.begin(), files_.end(), file) == files_.end()) files_.push_back(file);
}

std::string FigureWriter::csv(const std::string& stem, const Table& t) {
  const std::string file = stem + ".csv";
  text(file, t.to_csv());
  return file;
}

void FigureWriter::text(const std::string& file, const std::string& content) {
  io::write_file_atomically((fs::path(dir_) / file).string(), content);
  remember(file);
}

Figure FigureWriter::svg_figure(const std::string& id, const std::string& title, const std::string& caption,
                                const std::string& svg, const std::vector<std::pair<std::string, Table>>& tables) {
  Figure f{id, title, caption, svg, {}, {}};
  text(id + ".svg", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + svg + "\n");
  for (const auto& [stem, table] : tables) f.csv_files.push_back(csv(stem, table));
  return f;
}

EmbeddedImage FigureWriter::png(const std::string& file, const io::RgbImage& picture, const std::string& alt, int width_px) {
  const std::string path = (fs::path(dir_) / file).string();
  io::write_png(path, picture);
  remember(file);
  return {file, read_text_file(path), alt, width_px};
}

EmbeddedImage FigureWriter::copy_png(const std::string& source, const std::string& file, const std::string& alt, int width_px) {
  const std::string bytes = read_text_file(source);
  if (bytes.size() < 8 || bytes.compare(0, 8, std::string("\x89PNG\r\n\x1a\n", 8)) != 0)
    throw IoError(source, "signature", "", "a PNG file");
  text(file, bytes);
  return {file, bytes, alt, width_px};
}

json read_json_file(const std::string& path) {
  if (path.empty() || !fs::exists(path)) return nullptr;
  json j = json::parse(read_text_file(path), nullptr, false);
  if (j.is_discarded()) throw IoError(path, "JSON", "", "a JSON document");
  return j;
}

std::string fact_number(double v, const char* unit) {
  if (!std::isfinite(v)) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4g%s%s", v, *unit ? " " : "", unit);
  return buf;
}

RefineData load_refine(const std::string& dir) {
  if (!fs::is_directory(dir)) throw IoError(dir, "refinement folder", "", "a folder written by cspt refine -o");
  RefineData r;
  r.dir = dir;
  for (const auto& e : fs::directory_iterator(dir)) {
    int i = 0;
    const std::string name = e.path().filename().string();
    if (name.size() == 8 && std::sscanf(name.c_str(), "iter_%d", &i) == 1 && fs::exists(e.path() / "fsc.csv"))
      r.iterations.push_back(i);
  }
  std::sort(r.iterations.begin(), r.iterations.end());
  for (int i : r.iterations) {
    char name[16];
    std::snprintf(name, sizeof name, "iter_%03d", i);
    const fs::path it = fs::path(dir) / name;
    r.fsc.push_back(parse_fsc_curves(read_numeric_csv((it / "fsc.csv").string()), i));
    if (fs::exists(it / "tilt_scores.csv"))
      r.scores.push_back(parse_tilt_scores(read_numeric_csv((it / "tilt_scores.csv").string()), i));
    r.iteration_summaries.push_back(read_json_file((it / "summary.json").string()));
    r.last_dir = it.string();
  }
  r.summary = read_json_file((fs::path(dir) / "summary.json").string());
  r.options = read_json_file((fs::path(dir) / "refine_options.json").string());
  return r;
}

namespace {

ReportData load(const ReportInputs& in) {
  ReportData d;
  d.in = in;
  d.project = io::read_project(in.project_path);
  d.oriented_source = in.project_path;
  if (!in.refine_dir.empty()) {
    d.refine = load_refine(in.refine_dir);
    const fs::path refined = fs::path(d.refine->last_dir) / "project.h5";
    if (!d.refine->last_dir.empty() && fs::exists(refined)) {
      d.refined = io::read_project(refined.string());
      d.oriented_source = refined.string();
    }
  }
  if (d.project.acquisition) {
    d.acquisition = d.project.acquisition;
    d.acquisition_source = in.project_path;
  } else if (!in.track_dir.empty() && fs::exists(fs::path(in.track_dir) / "project.h5")) {
    d.acquisition_source = (fs::path(in.track_dir) / "project.h5").string();
    d.acquisition = io::read_project(d.acquisition_source).acquisition;
  }
  if (!in.track_dir.empty()) d.track_summary = read_json_file((fs::path(in.track_dir) / "summary.json").string());
  return d;
}

std::vector<Fact> input_facts(const ReportInputs& in) {
  std::vector<Fact> f{{"project", in.project_path}};
  const auto add = [&](const char* name, const std::string& v) { f.push_back({name, v.empty() ? "(not given)" : v}); };
  add("refinement", in.refine_dir);
  add("acquisition (bisect-track)", in.track_dir);
  add("CTF diagnostics", in.ctf_diagnostics_dir);
  if (!in.stages_dir.empty()) add("pipeline stages", in.stages_dir);
  return f;
}

}  // namespace
}  // namespace detail

ReportOutcome write_report(const ReportInputs& in, const std::string& dir) {
  using namespace detail;
  const ReportData d = load(in);
  FigureWriter w(dir);
  Page page;
  page.title = "cspt report: " + std::filesystem::path(in.project_path).filename().string();
  page.inputs = input_facts(in);
  for (auto build : {overview_section, fsc_section, map_section, weighting_section, ctf_section, acquisition_section,
                     orientation_section, truth_section})
    page.sections.push_back(build(d, w));
  w.text("index.html", render_html(page));
  ReportOutcome out;
  out.figures = figure_count(page);
  out.files = w.files();
  // index.html last: a caller moving the files into place in this order shows the page only once
  // everything it links to is there.
  std::stable_partition(out.files.begin(), out.files.end(), [](const std::string& f) { return f != "index.html"; });
  return out;
}

}  // namespace cspt::report
