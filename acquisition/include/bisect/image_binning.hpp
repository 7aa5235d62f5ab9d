// Binning camera images for correlation (bin_image) and reading them binned from MRC files.
#pragma once

#include <cstdint>
#include <string>

#include "cspt/core/image.hpp"

namespace bisect {

/// The smallest integer factor with max(nx, ny) / factor <= max_size_px.
int binning_factor(int nx, int ny, int max_size_px);

/// Sum-pools factor × factor blocks (nx / factor by ny / factor, the remainder cropped); binned
/// pixel i covers unbinned pixels i·factor .. i·factor + factor − 1. The pixel size is
/// pixel_size_A × factor. Integer data below 2^24 per block give the same floats from either type.
cspt::Image bin_image(const float* pixels, int nx, int ny, int factor, double pixel_size_A = 1.0);
cspt::Image bin_image(const std::uint16_t* pixels, int nx, int ny, int factor, double pixel_size_A = 1.0);

/// Reads section `section` of an MRC file binned by factor. Mode 6 (uint16) is streamed a few rows
/// at a time and binned without a float copy of the whole image; other modes go through
/// cspt::io::MrcReader. Throws cspt::IoError naming the path.
cspt::Image read_binned_mrc_section(const std::string& path, int section, int factor);

}  // namespace bisect
