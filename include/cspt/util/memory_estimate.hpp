// A statement of the memory a run will need: the parts alive at its peak.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace cspt {

/// Bytes alive at a rank's peak, by part, and the phase the peak falls in.
struct MemoryEstimate {
  std::string phase;
  std::vector<std::pair<std::string, double>> parts;
  double peak_bytes() const;
  /// E.g. "3.41 GB at finishing (slab grids 2.31 GB, padded inverse FFT 1.08 GB, base 0.05 GB)".
  std::string describe() const;
};

/// "1.23 GB" (10^9 bytes).
std::string format_gigabytes(double bytes);

}  // namespace cspt
