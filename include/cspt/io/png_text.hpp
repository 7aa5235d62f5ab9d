// Text on diagnostic pictures: a fixed 5x7-pixel bitmap font (ASCII letters, digits and the
// punctuation numbers and units need), drawn at an integer scale.
#pragma once

#include <string_view>

#include "cspt/io/png.hpp"

namespace cspt::io {

/// Width in pixels of `text` drawn at `scale`: 6 * scale per character (5 columns and a gap).
int text_width_px(std::string_view text, int scale);

/// Height in pixels of one line at `scale`: 7 * scale.
inline int text_height_px(int scale) { return 7 * scale; }

/// Draws `text` with its top-left corner at (x, y), y down, each font pixel a scale x scale block;
/// lower-case letters are drawn as capitals and a character the font lacks as '?'. Pixels outside
/// the raster are skipped. Throws ConfigError when scale < 1.
void draw_text(RgbImage& im, int x, int y, std::string_view text, Rgb colour, int scale = 1);

}  // namespace cspt::io
