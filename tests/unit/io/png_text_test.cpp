// Tests for the bitmap text drawn on diagnostic pictures.
#include "cspt/io/png_text.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "cspt/util/error.hpp"

namespace cspt::io {
namespace {

RgbImage blank(int w, int h) { return {w, h, std::vector<Rgb>(std::size_t(w) * std::size_t(h), Rgb{255, 255, 255})}; }

int count_of(const RgbImage& im, Rgb c) {
  int n = 0;
  for (const auto& p : im.pixels) n += p == c;
  return n;
}

/// The glyph of one character as a 5x7 string of '#' and '.', read back from the raster.
std::string read_glyph(char c) {
  RgbImage im = blank(6, 7);
  draw_text(im, 0, 0, std::string(1, c), {0, 0, 0});
  std::string s;
  for (int y = 0; y < 7; ++y)
    for (int x = 0; x < 5; ++x) s += im.at(x, y) == Rgb{0, 0, 0} ? '#' : '.';
  EXPECT_EQ(im.at(5, 3), (Rgb{255, 255, 255})) << "the gap column of '" << c << "' must stay empty";
  return s;
}

TEST(PngTextTest, one_is_drawn_as_its_ten_font_pixels_and_scales_by_area) {
  // '1': a flagged stem (rows 1, 2, 1, 1, 1, 1 pixels) on a 3-pixel base.
  EXPECT_EQ(read_glyph('1'), "..#.." ".##.." "..#.." "..#.." "..#.." "..#.." ".###.");
  RgbImage im = blank(40, 40);
  draw_text(im, 2, 3, "1", {0, 0, 0}, 3);
  EXPECT_EQ(count_of(im, {0, 0, 0}), 90);
  EXPECT_EQ(im.at(2 + 2 * 3, 3), (Rgb{0, 0, 0}));      // top of the stem at column 2
  EXPECT_EQ(im.at(2 + 2 * 3 - 1, 3), (Rgb{255, 255, 255}));
}

TEST(PngTextTest, every_digit_and_letter_has_its_own_glyph) {
  std::set<std::string> seen;
  const std::string all = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ.,:/-+=()%_";
  for (char c : all) {
    const std::string g = read_glyph(c);
    EXPECT_NE(g.find('#'), std::string::npos) << c;
    EXPECT_TRUE(seen.insert(g).second) << "glyph of '" << c << "' repeats another";
  }
  EXPECT_EQ(read_glyph(' '), std::string(35, '.'));
}

TEST(PngTextTest, lower_case_is_drawn_as_capitals_and_unknown_characters_as_a_question_mark) {
  EXPECT_EQ(read_glyph('a'), read_glyph('A'));
  EXPECT_EQ(read_glyph('z'), read_glyph('Z'));
  EXPECT_EQ(read_glyph('~'), read_glyph('?'));
  EXPECT_EQ(read_glyph('\x01'), read_glyph('?'));
}

TEST(PngTextTest, text_advances_six_pixels_per_character_and_is_clipped_at_the_edges) {
  EXPECT_EQ(text_width_px("score 0.23", 2), 120);
  EXPECT_EQ(text_height_px(2), 14);
  RgbImage one = blank(20, 8), two = blank(20, 8);
  draw_text(one, 0, 0, "17", {0, 0, 0});
  draw_text(two, 6, 0, "7", {0, 0, 0});
  for (int y = 0; y < 7; ++y)
    for (int x = 6; x < 12; ++x) EXPECT_EQ(one.at(x, y), two.at(x, y));
  RgbImage edge = blank(8, 8);
  draw_text(edge, -3, -4, "88", {1, 2, 3}, 2);  // mostly outside: nothing written out of bounds
  EXPECT_GT(count_of(edge, {1, 2, 3}), 0);
  EXPECT_THROW(draw_text(edge, 0, 0, "x", {0, 0, 0}, 0), ConfigError);
}

}  // namespace
}  // namespace cspt::io
