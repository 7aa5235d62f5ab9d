// FSC figure data: per-iteration gold-standard curves and the FSC against a true map.
#include "cspt/report/fsc_data.hpp"

#include <cmath>

#include "cspt/recon/fsc.hpp"
#include "cspt/recon/mask.hpp"
#include "cspt/util/error.hpp"

namespace cspt::report {

double FscCurves::pixel_size_A() const {
  // The last shell is Nyquist, 1 / (2 px); it has the most significant digits in the CSV.
  if (frequency_per_A.size() < 2 || !(frequency_per_A.back() > 0)) return 0.0;
  return 1.0 / (2.0 * frequency_per_A.back());
}

FscCurves parse_fsc_curves(const NumericCsv& csv, int iteration) {
  FscCurves c;
  c.iteration = iteration;
  c.frequency_per_A = csv.column("frequency_per_A");
  c.unmasked = csv.column("fsc_unmasked");
  c.masked = csv.column("fsc_masked");
  c.randomized = csv.column("fsc_masked_randomized");
  c.corrected = csv.column("fsc_corrected");
  if (c.frequency_per_A.size() < 2) throw IoError(csv.source, "shells", std::to_string(c.frequency_per_A.size()), "at least 2");
  return c;
}

double crossing_resolution_A(const FscCurves& c, const std::vector<double>& fsc, double threshold) {
  return resolution_at_threshold_A(fsc, threshold, c.box_px(), c.pixel_size_A());
}

Table fsc_curves_table(const std::vector<FscCurves>& iterations) {
  Table t({"iteration", "shell", "frequency_per_A", "resolution_A", "fsc_unmasked", "fsc_masked",
           "fsc_masked_randomized", "fsc_corrected"});
  for (const auto& c : iterations)
    for (std::size_t i = 0; i < c.frequency_per_A.size(); ++i) {
      const double f = c.frequency_per_A[i];
      t.add_row({double(c.iteration), double(i), f, f > 0 ? 1.0 / f : std::nan(""), c.unmasked[i], c.masked[i],
                 c.randomized[i], c.corrected[i]});
    }
  return t;
}

Table fsc_resolution_table(const std::vector<FscCurves>& iterations) {
  Table t({"iteration", "resolution_corrected_A", "resolution_masked_A", "resolution_unmasked_A"});
  for (const auto& c : iterations)
    t.add_row({double(c.iteration), crossing_resolution_A(c, c.corrected, 0.143), crossing_resolution_A(c, c.masked, 0.143),
               crossing_resolution_A(c, c.unmasked, 0.143)});
  return t;
}

TruthFsc fsc_against_truth(const Volume& map, const Volume& truth, const Volume& mask, int threads) {
  const auto dims = [](const Volume& v) {
    return std::to_string(v.nx()) + "x" + std::to_string(v.ny()) + "x" + std::to_string(v.nz());
  };
  if (!map.is_cubic() || map.nx() < 4 || map.nx() != truth.nx() || map.ny() != truth.ny() || map.nz() != truth.nz())
    throw ConfigError("report", "true map size", dims(truth), "a cube the size of the refined map (" + dims(map) + ")");
  TruthFsc f;
  const int n = map.nx();
  const double px = map.pixel_size_A();
  f.unmasked = fourier_shell_correlation(map, truth, threads);
  if (mask.size() == map.size()) {
    Volume a = map, b = truth;
    apply_mask(a, mask);
    apply_mask(b, mask);
    f.masked = fourier_shell_correlation(a, b, threads);
  }
  for (std::size_t i = 0; i < f.unmasked.size(); ++i) f.frequency_per_A.push_back(shell_frequency_per_A(int(i), n, px));
  const auto& curve = f.masked.empty() ? f.unmasked : f.masked;
  f.resolution_0p5_A = resolution_at_threshold_A(curve, 0.5, n, px);
  f.resolution_0p143_A = resolution_at_threshold_A(curve, 0.143, n, px);
  return f;
}

Table truth_fsc_table(const TruthFsc& f) {
  Table t({"shell", "frequency_per_A", "resolution_A", "fsc_unmasked", "fsc_masked"});
  for (std::size_t i = 0; i < f.frequency_per_A.size(); ++i) {
    const double q = f.frequency_per_A[i];
    t.add_row({double(i), q, q > 0 ? 1.0 / q : std::nan(""), f.unmasked[i], i < f.masked.size() ? f.masked[i] : std::nan("")});
  }
  return t;
}

}  // namespace cspt::report
