// The report page: sections of figures (inline SVG or embedded PNG) with captions and links to the
// CSV beside each, rendered as one self-contained HTML file (inline CSS, no script, no network).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cspt::report {

/// A PNG shown inside the page as a data: URI (so the page needs no other file to display).
struct EmbeddedImage {
  std::string file;       ///< the same PNG beside index.html
  std::string png_bytes;  ///< the file's content
  std::string alt;
  int display_width_px = 0;  ///< 0 = natural size
};

struct Figure {
  std::string id;       ///< unique in the page: the anchor, and the stem of its files
  std::string title;
  std::string caption;  ///< plain text
  std::string svg;      ///< inline SVG, or "" for a figure of images
  std::vector<EmbeddedImage> images;
  std::vector<std::string> csv_files;  ///< the data behind the figure, beside index.html
};

/// A named number or text shown in a section's summary table.
struct Fact {
  std::string name, value;
};

struct Section {
  std::string id, title;
  std::string intro;                ///< which paper figure it mirrors, where the data come from
  std::vector<Fact> facts;
  std::vector<Figure> figures;
  std::vector<std::string> absent;  ///< what could not be shown and why (shown in a note box)
};

struct Page {
  std::string title;
  std::vector<Fact> inputs;  ///< what the page was made from
  std::vector<Section> sections;
};

/// The whole page. Figures are numbered 1, 2, ... in order of appearance; every section shows up in
/// the table of contents.
std::string render_html(const Page& page);

/// Number of figures in the page.
int figure_count(const Page& page);

/// RFC 4648 base64 with padding.
std::string base64_encode(std::string_view bytes);

}  // namespace cspt::report
