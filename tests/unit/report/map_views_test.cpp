// Tests for the map pictures: central sections and projections of a volume of known values, image
// axes, statistics and enlarged pictures.
#include "cspt/report/map_views.hpp"

#include <gtest/gtest.h>

#include "cspt/util/error.hpp"

namespace cspt::report {
namespace {

/// v(x, y, z) = x + 10 y + 100 z: every voxel says where it is.
Volume coded(int nx, int ny, int nz) {
  Volume v(nx, ny, nz, 2.0);
  for (int z = 0; z < nz; ++z)
    for (int y = 0; y < ny; ++y)
      for (int x = 0; x < nx; ++x) v.at(x, y, z) = float(x + 10 * y + 100 * z);
  return v;
}

TEST(MapViewsTest, central_sections_go_through_the_centre_voxel) {
  const Volume v = coded(4, 4, 4);
  const Image z = central_section(v, Axis::z), y = central_section(v, Axis::y), x = central_section(v, Axis::x);
  EXPECT_EQ(z.at(1, 3), 1 + 30 + 200);  // (x, y) at z = 2
  EXPECT_EQ(y.at(1, 3), 1 + 20 + 300);  // (x, z) at y = 2
  EXPECT_EQ(x.at(1, 3), 2 + 10 + 300);  // (y, z) at x = 2
  EXPECT_EQ(z.pixel_size_A(), 2.0);
}

TEST(MapViewsTest, projections_sum_along_the_axis) {
  const Volume v = coded(4, 4, 4);
  // Sum over z of x + 10 y + 100 z = 4 (x + 10 y) + 100 (0 + 1 + 2 + 3).
  EXPECT_EQ(projection(v, Axis::z).at(1, 2), 4 * (1 + 20) + 600);
  EXPECT_EQ(projection(v, Axis::y).at(1, 2), 4 * (1 + 200) + 60);
  EXPECT_EQ(projection(v, Axis::x).at(1, 2), 4 * (10 + 200) + 6);
}

TEST(MapViewsTest, image_sizes_of_a_non_cubic_volume) {
  const Volume v = coded(2, 3, 5);
  EXPECT_EQ(central_section(v, Axis::x).nx(), 3);
  EXPECT_EQ(central_section(v, Axis::x).ny(), 5);
  EXPECT_EQ(central_section(v, Axis::y).nx(), 2);
  EXPECT_EQ(central_section(v, Axis::y).ny(), 5);
  EXPECT_EQ(projection(v, Axis::z).nx(), 2);
  EXPECT_EQ(projection(v, Axis::z).ny(), 3);
  EXPECT_THROW(central_section(Volume(), Axis::z), ConfigError);
}

TEST(MapViewsTest, six_views_with_their_statistics) {
  Volume v(4, 1.0);
  for (float& f : v.values()) f = 2.0f;
  const auto views = map_views(v);
  ASSERT_EQ(views.size(), 6u);
  EXPECT_EQ(views[0].name, "section_x");
  EXPECT_EQ(views[5].name, "projection_z");
  const Table t = map_views_table(views);
  ASSERT_EQ(t.rows(), 6u);
  EXPECT_EQ(t.number(0, "mean"), 2.0);
  EXPECT_EQ(t.number(0, "sd"), 0.0);
  EXPECT_EQ(t.number(5, "mean"), 8.0);  // four voxels of 2 summed
  EXPECT_EQ(t.text(5, "kind"), "projection");
  EXPECT_EQ(t.text(1, "axis"), "y");
}

TEST(MapViewsTest, pictures_are_enlarged_by_whole_pixels) {
  const auto views = map_views(coded(4, 4, 4));
  const io::RgbImage p = view_picture(views[2], 3);
  EXPECT_EQ(p.width, 12);
  EXPECT_EQ(p.height, 12);
  EXPECT_EQ(p.at(0, 0), p.at(2, 2));
  EXPECT_EQ(p.at(9, 9), p.at(11, 11));
  // y points up: the top row holds the largest y, which is brighter here.
  EXPECT_GT(p.at(0, 0).r, p.at(0, 11).r);
  EXPECT_EQ(zoom_for(64, 200), 4);
  EXPECT_EQ(zoom_for(256, 200), 1);
  EXPECT_EQ(zoom_for(0, 200), 1);
}

}  // namespace
}  // namespace cspt::report
