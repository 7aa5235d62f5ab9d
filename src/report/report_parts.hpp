// Private parts of write_report: the loaded inputs, the writer that puts figure files beside the
// page, and one builder per page section (report_*.cpp).
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "cspt/io/png.hpp"
#include "cspt/project/project.hpp"
#include "cspt/report/csv_table.hpp"
#include "cspt/report/fsc_data.hpp"
#include "cspt/report/html_page.hpp"
#include "cspt/report/report.hpp"
#include "cspt/report/score_data.hpp"

namespace cspt::report::detail {

using json = nlohmann::ordered_json;

/// Writes a report's files into its folder and remembers their names.
class FigureWriter {
 public:
  explicit FigureWriter(std::string dir) : dir_(std::move(dir)) {}
  /// Writes `t` as <stem>.csv; returns the file name.
  std::string csv(const std::string& stem, const Table& t);
  /// A figure drawn as SVG: the SVG goes inline and to <id>.svg, each table to its CSV.
  Figure svg_figure(const std::string& id, const std::string& title, const std::string& caption, const std::string& svg,
                    const std::vector<std::pair<std::string, Table>>& tables);
  /// Writes `picture` as `file` and returns it ready to embed.
  EmbeddedImage png(const std::string& file, const io::RgbImage& picture, const std::string& alt, int width_px = 0);
  /// Copies an existing PNG in as `file` and returns it ready to embed.
  EmbeddedImage copy_png(const std::string& source, const std::string& file, const std::string& alt, int width_px);
  /// Writes any text file (index.html).
  void text(const std::string& file, const std::string& content);
  const std::vector<std::string>& files() const { return files_; }

 private:
  void remember(const std::string& file);
  std::string dir_;
  std::vector<std::string> files_;
};

/// The refinement folder, read once.
struct RefineData {
  std::string dir;
  std::vector<int> iterations;  ///< those with an fsc.csv, ascending
  std::vector<FscCurves> fsc;
  std::vector<TiltScores> scores;  ///< iterations with a tilt_scores.csv
  std::string last_dir;            ///< iter_NNN of the last iteration
  json summary, options;           ///< summary.json and refine_options.json (null when absent)
  std::vector<json> iteration_summaries;  ///< iter_NNN/summary.json, one per iteration (null when absent)
};

/// Everything the sections draw from.
struct ReportData {
  ReportInputs in;
  Project project;
  std::optional<RefineData> refine;
  /// The last iteration's project (iter_NNN/project.h5) when the refinement wrote one: its particle
  /// orientations are the refined ones even when -p names the project the refinement started from.
  std::optional<Project> refined;
  /// The project whose particle orientations the page shows: `refined` if present, else `project`.
  const Project& oriented() const { return refined ? *refined : project; }
  std::string oriented_source;
  std::optional<AcquisitionRecord> acquisition;  ///< the project's, else the track folder's
  std::string acquisition_source;
  json track_summary;  ///< track/summary.json (null when absent)
};

/// A JSON file, or null when the file does not exist; IoError naming it when it is not JSON.
json read_json_file(const std::string& path);

/// "%.3g"-style text of a number for facts ("-" for NaN).
std::string fact_number(double v, const char* unit = "");

RefineData load_refine(const std::string& dir);

Section overview_section(const ReportData& d, FigureWriter& w);
Section fsc_section(const ReportData& d, FigureWriter& w);
Section map_section(const ReportData& d, FigureWriter& w);
Section weighting_section(const ReportData& d, FigureWriter& w);
Section ctf_section(const ReportData& d, FigureWriter& w);
Section acquisition_section(const ReportData& d, FigureWriter& w);
Section orientation_section(const ReportData& d, FigureWriter& w);
Section truth_section(const ReportData& d, FigureWriter& w);

}  // namespace cspt::report::detail
