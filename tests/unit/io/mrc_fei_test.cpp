// Tests for the FEI1/FEI2 extended-header reader, against python-mrcfile's reading of a real EPU file.
#include "cspt/io/mrc_fei.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <string>

#include "cspt/core/image.hpp"
#include "cspt/io/mrc.hpp"

namespace cspt::io {
namespace {

TEST(MrcFeiTest, reads_an_epu_micrographs_pixel_size_voltage_and_defocus_readings) {
  const std::string path = std::string(CSPT_SHARED_DATA_DIR) + "/epu2.9_example.mrc";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "../shared/data/epu2.9_example.mrc not found";
  // python-mrcfile 1.5.4 reads: HT 300000 V, Pixel size X 6.66551328021292e-11 m,
  // Defocus 1.815154498012938e-06 m, Applied defocus -2.2e-06 m.
  const auto m = read_fei_metadata(path);
  ASSERT_TRUE(m.has_value());
  EXPECT_NEAR(m->voltage_kV, 300.0, 1e-9);
  EXPECT_NEAR(m->pixel_size_A, 0.666551328021292, 1e-12);
  EXPECT_NEAR(m->lens_defocus_A, 18151.54498012938, 1e-6);
  EXPECT_NEAR(m->applied_underfocus_A, 22000.0, 1e-6);
}

TEST(MrcFeiTest, a_file_without_an_fei_extended_header_has_none) {
  namespace fs = std::filesystem;
  const fs::path path = fs::temp_directory_path() / ("cspt_fei_none_" + std::to_string(::getpid()) + ".mrc");
  Image im(16, 16, 1.5);
  write_mrc_stack(path.string(), {im});
  EXPECT_FALSE(read_fei_metadata(path.string()).has_value());
  fs::remove(path);
}

}  // namespace
}  // namespace cspt::io
