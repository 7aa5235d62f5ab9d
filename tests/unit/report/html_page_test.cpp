// Tests for the report page: base64, figure numbering, links to the data, notes for absent inputs,
// escaping, and that nothing asks for a script or the network.
#include "cspt/report/html_page.hpp"

#include <gtest/gtest.h>

#include <string>

namespace cspt::report {
namespace {

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(Base64Test, rfc4648_test_vectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode(std::string("\xff\x00", 2)), "/wA=");
}

Page sample_page() {
  Page p;
  p.title = "cspt report: <demo>";
  p.inputs = {{"project", "a/project.h5"}};
  Section fsc{"fsc", "Resolution", "FSC curves.", {{"resolution", "5 A"}}, {}, {}};
  fsc.figures.push_back({"fsc_final", "FSC", "Curves & lines.", "<svg><line/></svg>", {}, {"fsc_curves.csv"}});
  fsc.figures.push_back({"map", "Map", "Pictures.", "", {{"section_z.png", "PNG", "section z", 200}}, {"map_views.csv"}});
  Section acq{"acquisition", "Acquisition", "", {}, {}, {"No acquisition record in this project."}};
  p.sections = {fsc, acq};
  return p;
}

TEST(HtmlPageTest, figures_are_numbered_and_link_their_data) {
  const Page p = sample_page();
  const std::string h = render_html(p);
  EXPECT_EQ(figure_count(p), 2);
  const auto one = h.find("Figure 1. FSC."), two = h.find("Figure 2. Map.");
  ASSERT_NE(one, std::string::npos);
  ASSERT_NE(two, std::string::npos);
  EXPECT_LT(one, two);
  EXPECT_NE(h.find("<a href=\"fsc_curves.csv\">fsc_curves.csv</a>"), std::string::npos);
  EXPECT_NE(h.find("<a href=\"map_views.csv\">"), std::string::npos);
  EXPECT_NE(h.find("<svg><line/></svg>"), std::string::npos);  // inline, as given
  EXPECT_NE(h.find("src=\"data:image/png;base64,UE5H\""), std::string::npos);
  EXPECT_NE(h.find("width=\"200\""), std::string::npos);
}

TEST(HtmlPageTest, sections_are_listed_and_absent_inputs_are_said) {
  const std::string h = render_html(sample_page());
  EXPECT_NE(h.find("<a href=\"#fsc\">Resolution</a>"), std::string::npos);
  EXPECT_NE(h.find("<a href=\"#acquisition\">Acquisition</a>"), std::string::npos);
  EXPECT_NE(h.find("<div class=\"absent\">No acquisition record in this project.</div>"), std::string::npos);
  EXPECT_NE(h.find("<td>resolution</td><td>5 A</td>"), std::string::npos);
}

TEST(HtmlPageTest, text_is_escaped_and_nothing_is_fetched) {
  const std::string h = render_html(sample_page());
  EXPECT_NE(h.find("cspt report: &lt;demo&gt;"), std::string::npos);
  EXPECT_NE(h.find("Curves &amp; lines."), std::string::npos);
  EXPECT_EQ(h.find("<demo>"), std::string::npos);
  EXPECT_EQ(h.find("<script"), std::string::npos);
  EXPECT_EQ(count(h, "http"), 0);
  EXPECT_EQ(count(h, "<link "), 1);  // the empty icon, which stops a request for favicon.ico
  EXPECT_NE(h.find("href=\"data:,\""), std::string::npos);
  EXPECT_EQ(h.rfind("<!DOCTYPE html>", 0), 0u);
}

}  // namespace
}  // namespace cspt::report
