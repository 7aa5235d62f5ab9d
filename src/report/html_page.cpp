// Rendering of the report page: plain HTML with inline CSS, SVG inline and PNGs as data: URIs.
#include "cspt/report/html_page.hpp"

#include <algorithm>

#include "cspt/report/svg_plot.hpp"

namespace cspt::report {
namespace {

constexpr const char* kStyle = R"(
body { font-family: sans-serif; margin: 0 auto; max-width: 1360px; padding: 0 20px 40px; color: #222; }
h1 { font-size: 24px; margin: 18px 0 6px; }
h2 { font-size: 19px; margin: 28px 0 6px; border-bottom: 1px solid #ccc; padding-bottom: 4px; }
p.intro { margin: 4px 0 10px; color: #444; max-width: 1100px; }
table.facts { border-collapse: collapse; margin: 6px 0 12px; font-size: 13px; }
table.facts td { border: 1px solid #ddd; padding: 3px 8px; }
table.facts td:first-child { color: #555; }
div.absent { background: #fff6db; border: 1px solid #e6c65c; padding: 6px 10px; margin: 8px 0; font-size: 13px; }
div.figures { display: flex; flex-wrap: wrap; gap: 14px; }
figure { margin: 0; border: 1px solid #e2e2e2; padding: 8px; background: #fff; }
figcaption { font-size: 12.5px; max-width: 640px; margin-top: 6px; color: #333; }
figure img { image-rendering: pixelated; margin: 2px; border: 1px solid #eee; }
div.images { display: flex; flex-wrap: wrap; gap: 6px; max-width: 1300px; }
div.image { font-size: 11px; text-align: center; }
nav { font-size: 13px; margin: 6px 0 14px; }
nav a { margin-right: 12px; }
)";

std::string facts_table(const std::vector<Fact>& facts) {
  if (facts.empty()) return "";
  std::string h = "<table class=\"facts\">";
  for (const auto& f : facts) h += "<tr><td>" + xml_escape(f.name) + "</td><td>" + xml_escape(f.value) + "</td></tr>";
  return h + "</table>\n";
}

std::string figure_html(const Figure& f, int number) {
  std::string h = "<figure id=\"fig-" + xml_escape(f.id) + "\">\n";
  if (!f.svg.empty()) h += f.svg + "\n";
  if (!f.images.empty()) {
    h += "<div class=\"images\">";
    for (const auto& im : f.images) {
      h += "<div class=\"image\"><img alt=\"" + xml_escape(im.alt) + "\"";
      if (im.display_width_px > 0) h += " width=\"" + std::to_string(im.display_width_px) + "\"";
      h += " src=\"data:image/png;base64," + base64_encode(im.png_bytes) + "\"><br>" + xml_escape(im.alt) + "</div>";
    }
    h += "</div>\n";
  }
  h += "<figcaption><b>Figure " + std::to_string(number) + ". " + xml_escape(f.title) + ".</b> " + xml_escape(f.caption);
  if (!f.csv_files.empty()) {
    h += " Data:";
    for (const auto& c : f.csv_files) h += " <a href=\"" + xml_escape(c) + "\">" + xml_escape(c) + "</a>";
  }
  return h + "</figcaption>\n</figure>\n";
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
  static constexpr char kDigits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
    unsigned v = 0;
    for (std::size_t k = 0; k < 3; ++k) v = v << 8 | (k < n ? (unsigned char)bytes[i + k] : 0u);
    for (std::size_t k = 0; k < 4; ++k) out += k <= n ? kDigits[(v >> (18 - 6 * k)) & 63u] : '=';
  }
  return out;
}

int figure_count(const Page& page) {
  int n = 0;
  for (const auto& s : page.sections) n += int(s.figures.size());
  return n;
}

std::string render_html(const Page& page) {
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  // An empty icon: without it a browser asks for /favicon.ico, which a file:// page does not have.
  h += "<link rel=\"icon\" href=\"data:,\">\n<title>" + xml_escape(page.title) + "</title>\n<style>" + kStyle +
       "</style>\n</head>\n<body>\n<h1>" + xml_escape(page.title) + "</h1>\n";
  h += facts_table(page.inputs);
  h += "<nav>";
  for (const auto& s : page.sections) h += "<a href=\"#" + xml_escape(s.id) + "\">" + xml_escape(s.title) + "</a>";
  h += "</nav>\n";
  int number = 0;
  for (const auto& s : page.sections) {
    h += "<section id=\"" + xml_escape(s.id) + "\">\n<h2>" + xml_escape(s.title) + "</h2>\n";
    if (!s.intro.empty()) h += "<p class=\"intro\">" + xml_escape(s.intro) + "</p>\n";
    h += facts_table(s.facts);
    for (const auto& a : s.absent) h += "<div class=\"absent\">" + xml_escape(a) + "</div>\n";
    if (!s.figures.empty()) {
      h += "<div class=\"figures\">\n";
      for (const auto& f : s.figures) h += figure_html(f, ++number);
      h += "</div>\n";
    }
    h += "</section>\n";
  }
  return h + "</body>\n</html>\n";
}

}  // namespace cspt::report
