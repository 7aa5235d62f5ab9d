// What an acquisition leaves for others: one SerialEM-compatible .mdoc per ROI tilt series
// (acquisition.md 4.1), and RELION-5 tomography STAR files through cspt's writer.
#pragma once

#include <string>
#include <vector>

#include "bisect/tracker.hpp"

namespace bisect {

/// Writes DIR/<series>.mrc.mdoc for every ROI with at least one Record, in acquisition order
/// (ZValue = order), byte-compatible with SerialEM's writer. Returns the paths written.
std::vector<std::string> export_mdocs(const Tracker& tracker, const std::string& dir);

/// Writes DIR/tilt_series.star and DIR/tilt_series/<series>.star (RELION 5).
void export_relion5(const Tracker& tracker, const std::string& dir);

}  // namespace bisect
