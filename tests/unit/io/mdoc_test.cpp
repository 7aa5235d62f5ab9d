// Tests of the .mdoc writer/reader: exact text, round trip, SerialEM quirks, DateTime, errors.
#include "cspt/io/mdoc.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cspt/util/error.hpp"

namespace cspt::io {
namespace {

namespace fs = std::filesystem;

/// A fresh folder per test, removed afterwards; ctest runs tests in parallel processes.
class MdocTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("cspt_mdoc_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::string write_file(const std::string& name, const std::string& text) const {
    std::ofstream(path(name), std::ios::binary) << text;
    return path(name);
  }
  static std::string slurp(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }
  fs::path dir_;
};

/// Runs f, expects an IoError whose message contains every one of parts.
template <class F>
void expect_io_error(F f, const std::vector<std::string>& parts) {
  try {
    f();
    ADD_FAILURE() << "no IoError thrown";
  } catch (const IoError& e) {
    const std::string what = e.what();
    for (const auto& p : parts) EXPECT_NE(what.find(p), std::string::npos) << what << " lacks " << p;
  }
}

Mdoc small_mdoc() {
  Mdoc m;
  m.globals = {{"PixelSpacing", "1.37"}, {"Voltage", "300"}, {"ImageFile", "roi_01.mrc"},
               {"ImageSize", "4096 4096"}, {"DataMode", "1"}};
  m.titles = {"SerialEM: cspt simulator    01-Jan-20  00:00:00    ",
              "    Tilt axis angle = 84.8, binning = 1  spot = 4  camera = 1 dosym = 0.0"};
  for (int z = 0; z < 2; ++z) {
    const double tilt = z == 0 ? 0.0 : 3.0;
    m.sections.push_back(
        {z,
         {{"TiltAngle", std::to_string(static_cast<int>(tilt))},
          {"ExposureDose", "3"},
          {"PriorRecordDose", std::to_string(3 * z)},
          {"SubFramePath", "X:\\frames\\roi_01_00" + std::to_string(z) + ".tif"},
          {"DateTime", serialem_datetime(60.0 * z)},
          {"TimeStamp", std::to_string(60 * z)}}});
  }
  return m;
}

const char* const kSmallText =
    "PixelSpacing = 1.37\n"
    "Voltage = 300\n"
    "ImageFile = roi_01.mrc\n"
    "ImageSize = 4096 4096\n"
    "DataMode = 1\n"
    "\n"
    "[T = SerialEM: cspt simulator    01-Jan-20  00:00:00    ]\n"
    "\n"
    "[T =     Tilt axis angle = 84.8, binning = 1  spot = 4  camera = 1 dosym = 0.0]\n"
    "\n"
    "[ZValue = 0]\n"
    "TiltAngle = 0\n"
    "ExposureDose = 3\n"
    "PriorRecordDose = 0\n"
    "SubFramePath = X:\\frames\\roi_01_000.tif\n"
    "DateTime = 01-Jan-2020  00:00:00\n"
    "TimeStamp = 0\n"
    "\n"
    "[ZValue = 1]\n"
    "TiltAngle = 3\n"
    "ExposureDose = 3\n"
    "PriorRecordDose = 3\n"
    "SubFramePath = X:\\frames\\roi_01_001.tif\n"
    "DateTime = 01-Jan-2020  00:01:00\n"
    "TimeStamp = 60\n";

void expect_same(const Mdoc& a, const Mdoc& b) {
  EXPECT_EQ(a.globals, b.globals);
  EXPECT_EQ(a.titles, b.titles);
  ASSERT_EQ(a.sections.size(), b.sections.size());
  for (std::size_t i = 0; i < a.sections.size(); ++i) {
    EXPECT_EQ(a.sections[i].z_value, b.sections[i].z_value);
    EXPECT_EQ(a.sections[i].keys, b.sections[i].keys);
  }
}

TEST_F(MdocTest, default_mdoc_is_valid_and_writes_empty) {
  EXPECT_EQ(format_mdoc(Mdoc{}), "");
  write_mdoc(path("empty.mdoc"), Mdoc{});
  const Mdoc back = read_mdoc(path("empty.mdoc"));
  EXPECT_TRUE(back.globals.empty() && back.titles.empty() && back.sections.empty());
}

TEST_F(MdocTest, writes_the_exact_expected_text) {
  write_mdoc(path("a.mdoc"), small_mdoc());
  EXPECT_EQ(slurp(path("a.mdoc")), kSmallText);
  for (const auto& e : fs::directory_iterator(dir_))  // the temporary file is gone
    EXPECT_EQ(e.path().filename(), "a.mdoc");
}

TEST_F(MdocTest, round_trip_keeps_order_titles_and_values) {
  const Mdoc m = small_mdoc();
  write_mdoc(path("a.mdoc"), m);
  expect_same(read_mdoc(path("a.mdoc")), m);
}

TEST_F(MdocTest, overwrite_replaces_the_old_file) {
  write_mdoc(path("a.mdoc"), small_mdoc());
  Mdoc m;
  m.globals = {{"Voltage", "200"}};
  write_mdoc(path("a.mdoc"), m);
  EXPECT_EQ(slurp(path("a.mdoc")), "Voltage = 200\n");
}

TEST_F(MdocTest, reads_serialem_spacing_crlf_and_comments) {
  const std::string text =
      "PixelSpacing =   2.1  \r\nVoltage=300\r\n\r\n# a comment\r\n"
      "[T = SerialEM: Krios    05-Aug-19  15:33:52    ]\r\n\r\n"
      "[ZValue =  7 ]\r\nTiltAngle = -3.00099\r\nMinMaxMean = 0 255 31.2\r\nNavigatorLabel =\r\n";
  const Mdoc m = read_mdoc(write_file("s.mdoc", text));
  ASSERT_EQ(m.globals.size(), 2u);
  EXPECT_EQ(m.globals[0], (std::pair<std::string, std::string>{"PixelSpacing", "2.1"}));
  EXPECT_EQ(m.globals[1], (std::pair<std::string, std::string>{"Voltage", "300"}));
  ASSERT_EQ(m.titles.size(), 1u);
  EXPECT_EQ(m.titles[0], "SerialEM: Krios    05-Aug-19  15:33:52    ");
  ASSERT_EQ(m.sections.size(), 1u);
  EXPECT_EQ(m.sections[0].z_value, 7);
  ASSERT_EQ(m.sections[0].keys.size(), 3u);
  EXPECT_EQ(m.sections[0].keys[1].second, "0 255 31.2");
  EXPECT_EQ(m.sections[0].keys[2].second, "");
}

TEST_F(MdocTest, malformed_lines_throw_io_error_with_path_and_line) {
  const std::string p1 = write_file("a.mdoc", "Voltage = 300\n\nno equals sign here\n");
  expect_io_error([&] { read_mdoc(p1); }, {p1 + ":3", "no equals sign here"});
  const std::string p2 = write_file("b.mdoc", "[ZValue = 0]\nTiltAngle = 0\n[ZValue = x1]\n");
  expect_io_error([&] { read_mdoc(p2); }, {p2 + ":3", "ZValue"});
  const std::string p3 = write_file("c.mdoc", "[ZValue = -1]\n");
  expect_io_error([&] { read_mdoc(p3); }, {p3 + ":1"});
  const std::string p4 = write_file("d.mdoc", "[MontSection = 0]\n");
  expect_io_error([&] { read_mdoc(p4); }, {p4 + ":1", "unsupported"});
  const std::string p5 = write_file("e.mdoc", "[ZValue = 0\n");
  expect_io_error([&] { read_mdoc(p5); }, {p5 + ":1", "']'"});
  const std::string p6 = write_file("f.mdoc", "[T = title]\nVoltage = 300\n");
  expect_io_error([&] { read_mdoc(p6); }, {p6 + ":2"});
  const std::string p7 = write_file("g.mdoc", "Tilt Angle = 3\n");
  expect_io_error([&] { read_mdoc(p7); }, {p7 + ":1", "single-word key"});
  expect_io_error([&] { read_mdoc(path("missing.mdoc")); }, {"missing.mdoc", "cannot open"});
}

TEST_F(MdocTest, unwritable_content_throws_before_touching_the_file) {
  const std::string p = path("a.mdoc");
  Mdoc m;
  m.globals = {{"Bad Key", "1"}};
  expect_io_error([&] { write_mdoc(p, m); }, {p, "Bad Key"});
  m.globals = {{"Key", "two\nlines"}};
  expect_io_error([&] { write_mdoc(p, m); }, {p, "Key"});
  m.globals = {{"Key", "trailing "}};
  expect_io_error([&] { write_mdoc(p, m); }, {p, "Key"});
  m.globals = {{"Key", ""}};
  expect_io_error([&] { write_mdoc(p, m); }, {p, "Key"});
  m.globals.clear();
  m.titles = {"has ] bracket"};
  expect_io_error([&] { write_mdoc(p, m); }, {p, "title"});
  m.titles.clear();
  m.sections = {{-2, {}}};
  expect_io_error([&] { write_mdoc(p, m); }, {p, "ZValue"});
  EXPECT_FALSE(fs::exists(p));
  EXPECT_TRUE(fs::is_empty(dir_));
  expect_io_error([&] { write_mdoc((dir_ / "no_dir" / "a.mdoc").string(), small_mdoc()); },
                  {"cannot open"});
}

TEST(MdocDateTimeTest, formats_serialem_style_in_utc) {
  EXPECT_EQ(serialem_datetime(0), "01-Jan-2020  00:00:00");
  EXPECT_EQ(serialem_datetime(59.999), "01-Jan-2020  00:00:59");
  EXPECT_EQ(serialem_datetime(86400.0 * 59), "29-Feb-2020  00:00:00");  // 2020 is a leap year
  EXPECT_EQ(serialem_datetime(86400.0 * 366), "01-Jan-2021  00:00:00");
  EXPECT_EQ(serialem_datetime(-1), "31-Dec-2019  23:59:59");
  // 2022-08-05 15:33:52 UTC: 947 days after 2020-01-01 (366 + 365 + 216).
  EXPECT_EQ(serialem_datetime(947.0 * 86400 + 15 * 3600 + 33 * 60 + 52), "05-Aug-2022  15:33:52");
}

/// "dd-Mon-yyyy  HH:MM:SS" as a sortable number yyyymmddHHMMSS.
long long sortable(const std::string& s) {
  static const std::string kMonths = "JanFebMarAprMayJunJulAugSepOctNovDec";
  EXPECT_EQ(s.size(), 21u) << s;
  EXPECT_EQ(s.substr(11, 2), "  ") << s;
  const long long month = static_cast<long long>(kMonths.find(s.substr(3, 3)) / 3 + 1);
  return std::stoll(s.substr(7, 4)) * 10000000000LL + month * 100000000LL +
         std::stoll(s.substr(0, 2)) * 1000000LL + std::stoll(s.substr(13, 2)) * 10000LL +
         std::stoll(s.substr(16, 2)) * 100LL + std::stoll(s.substr(19, 2));
}

TEST(MdocDateTimeTest, strictly_monotonic_in_whole_seconds) {
  long long last = sortable(serialem_datetime(-90000));
  for (double t = -90000 + 1; t < 5 * 366 * 86400.0; t += t < 200000 ? 1 : 7919) {
    const long long now = sortable(serialem_datetime(t));
    ASSERT_GT(now, last) << t;
    last = now;
  }
}

TEST(MdocDateTimeTest, bad_timestamps_throw_config_error) {
  EXPECT_THROW(serialem_datetime(std::nan("")), ConfigError);
  EXPECT_THROW(serialem_datetime(1e300), ConfigError);
  EXPECT_THROW(serialem_datetime(-1e11), ConfigError);  // before year 1
}

}  // namespace
}  // namespace cspt::io
