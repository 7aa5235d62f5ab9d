// Tests for the PNG writer (decoded here by hand and, when available, by PIL) and the raster helpers.
#include "cspt/io/png.hpp"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "cspt/util/error.hpp"

namespace cspt::io {
namespace {

namespace fs = std::filesystem;

std::uint32_t be32(const std::string& s, std::size_t at) {
  return std::uint32_t((unsigned char)s[at]) << 24 | std::uint32_t((unsigned char)s[at + 1]) << 16 |
         std::uint32_t((unsigned char)s[at + 2]) << 8 | std::uint32_t((unsigned char)s[at + 3]);
}

/// Minimal PNG decoder for what write_png produces (8-bit RGB, filter 0); every check is an EXPECT.
RgbImage decode_png(const std::string& bytes, std::vector<std::string>* chunk_types = nullptr) {
  RgbImage im;
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  std::string idat;
  std::vector<std::string> types;
  for (std::size_t at = 8; at + 12 <= bytes.size();) {
    const std::uint32_t n = be32(bytes, at);
    if (at + 12 + n > bytes.size()) {
      ADD_FAILURE() << "truncated chunk at " << at;
      break;
    }
    const std::string type = bytes.substr(at + 4, 4), data = bytes.substr(at + 8, n);
    const uLong crc = ::crc32(::crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(bytes.data() + at + 4), 4 + n);
    EXPECT_EQ(be32(bytes, at + 8 + n), std::uint32_t(crc)) << "CRC of chunk " << type;
    types.push_back(type);
    if (type == "IHDR") {
      EXPECT_EQ(n, 13u);
      im.width = int(be32(data, 0));
      im.height = int(be32(data, 4));
      EXPECT_EQ(data.substr(8), std::string("\x08\x02\x00\x00\x00", 5));  // depth 8, RGB, no interlace
    } else if (type == "IDAT") {
      idat += data;
    }
    at += 12 + n;
    if (type == "IEND") EXPECT_EQ(at, bytes.size()) << "bytes after IEND";
  }
  if (chunk_types) *chunk_types = types;
  const std::size_t row = 1 + 3 * std::size_t(im.width);
  std::vector<unsigned char> raw(row * std::size_t(im.height));
  uLongf len = raw.size();
  EXPECT_EQ(::uncompress(raw.data(), &len, reinterpret_cast<const Bytef*>(idat.data()), idat.size()), Z_OK);
  EXPECT_EQ(len, raw.size());
  im.pixels.resize(std::size_t(im.width) * std::size_t(im.height));
  for (int y = 0; y < im.height; ++y) {
    EXPECT_EQ(raw[y * row], 0) << "filter byte of row " << y;
    for (int x = 0; x < im.width; ++x) {
      const unsigned char* p = &raw[y * row + 1 + 3 * std::size_t(x)];
      im.at(x, y) = Rgb{p[0], p[1], p[2]};
    }
  }
  return im;
}

bool have_pil() { return std::system("/usr/bin/python3 -c 'import PIL' >/dev/null 2>&1") == 0; }

class PngTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("cspt_png_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  static std::string slurp(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }
  /// Round trip through write_png and decode_png; PIL must agree on size, mode and two corner pixels.
  void round_trip(const RgbImage& im, const std::string& name) {
    const std::string p = path(name);
    write_png(p, im);
    std::vector<std::string> types;
    const RgbImage back = decode_png(slurp(p), &types);
    EXPECT_EQ(types, (std::vector<std::string>{"IHDR", "IDAT", "IEND"}));
    ASSERT_EQ(back.width, im.width);
    ASSERT_EQ(back.height, im.height);
    EXPECT_TRUE(back.pixels == im.pixels);
    if (!have_pil()) {
      std::cerr << "[ note ] /usr/bin/python3 has no PIL; PIL sub-check skipped\n";
      return;
    }
    const auto px = [](const Rgb& c) {
      return "(" + std::to_string(c.r) + "," + std::to_string(c.g) + "," + std::to_string(c.b) + ")";
    };
    std::ostringstream cmd;
    cmd << "/usr/bin/python3 -c \"from PIL import Image; im=Image.open('" << p << "'); im.load(); "
        << "assert im.size==(" << im.width << "," << im.height << "); assert im.mode=='RGB'; "
        << "assert im.getpixel((0,0))==" << px(im.at(0, 0)) << "; assert im.getpixel((" << im.width - 1 << ","
        << im.height - 1 << "))==" << px(im.at(im.width - 1, im.height - 1)) << "\"";
    EXPECT_EQ(std::system(cmd.str().c_str()), 0) << cmd.str();
  }
  fs::path dir_;
};

RgbImage blank(int w, int h, Rgb c = {0, 0, 0}) { return RgbImage{w, h, std::vector<Rgb>(std::size_t(w) * h, c)}; }

TEST_F(PngTest, SmallImageRoundTrip) {
  RgbImage im = blank(7, 5);
  for (int y = 0; y < 5; ++y)
    for (int x = 0; x < 7; ++x) im.at(x, y) = Rgb{(unsigned char)(30 * x), (unsigned char)(50 * y), (unsigned char)(x * y + 1)};
  round_trip(im, "small.png");
  round_trip(blank(1, 1, {9, 8, 7}), "one.png");
}

TEST_F(PngTest, LargerRandomImageRoundTripAndOverwrite) {
  std::mt19937 rng(7);
  RgbImage im = blank(300, 211);
  for (auto& c : im.pixels) c = Rgb{(unsigned char)rng(), (unsigned char)rng(), (unsigned char)rng()};
  write_png(path("big.png"), blank(3, 3));  // replaced by the next write
  round_trip(im, "big.png");
  for (const auto& e : fs::directory_iterator(dir_)) EXPECT_EQ(e.path().filename(), "big.png");
}

TEST_F(PngTest, ErrorsAreIoErrorsAndLeaveNoTemporaryFile) {
  EXPECT_THROW(write_png(path("missing/x.png"), blank(2, 2)), IoError);
  EXPECT_THROW(write_png(path("empty.png"), RgbImage{}), IoError);
  EXPECT_THROW(write_png(path("short.png"), RgbImage{3, 2, std::vector<Rgb>(5)}), IoError);
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(PngTest, GreyPictureMapsLinearlyAndPutsMrcTopRowFirst) {
  Image img(4, 3);
  img.at(1, 2) = 10.0f;  // y = ny - 1: top row of the picture
  img.at(2, 0) = 5.0f;   // bottom row, mid grey
  img.at(3, 0) = -3.0f;  // clamped to black
  img.at(0, 1) = std::numeric_limits<float>::quiet_NaN();
  const RgbImage g = grey_picture(img, 0.0, 10.0);
  ASSERT_EQ(g.width, 4);
  ASSERT_EQ(g.height, 3);
  EXPECT_EQ(g.at(1, 0), (Rgb{255, 255, 255}));
  EXPECT_EQ(g.at(1, 2), (Rgb{0, 0, 0}));
  EXPECT_EQ(g.at(2, 2), (Rgb{128, 128, 128}));
  EXPECT_EQ(g.at(3, 2), (Rgb{0, 0, 0}));
  EXPECT_EQ(g.at(0, 1), (Rgb{0, 0, 0}));
  EXPECT_EQ(grey_picture(img, 0.0, 5.0).at(1, 0), (Rgb{255, 255, 255}));  // clamped above
  const RgbImage flat = grey_picture(img, 5.0, 5.0);
  EXPECT_EQ(flat.at(2, 2).r, 128);
  EXPECT_EQ(flat.at(1, 0).r, 255);
  EXPECT_EQ(flat.at(0, 0).r, 0);
  EXPECT_THROW(grey_picture(img, 0.0, std::numeric_limits<double>::infinity()), ConfigError);
  round_trip(g, "grey.png");
}

TEST_F(PngTest, PercentileRangeInterpolatesAndIgnoresNonFinite) {
  Image img(11, 10);  // 110 values: 0..100 shuffled, then 9 NaN/inf
  std::vector<float> v;
  for (int i = 0; i <= 100; ++i) v.push_back(float(i));
  std::shuffle(v.begin(), v.end(), std::mt19937(3));
  for (int i = 0; i < 9; ++i) v.push_back(i % 2 ? std::numeric_limits<float>::quiet_NaN() : INFINITY);
  img.values() = v;
  auto [lo, hi] = percentile_range(img, 0.5, 99.5);
  EXPECT_NEAR(lo, 0.5, 1e-9);
  EXPECT_NEAR(hi, 99.5, 1e-9);
  std::tie(lo, hi) = percentile_range(img, 0.0, 100.0);
  EXPECT_EQ(lo, 0.0);
  EXPECT_EQ(hi, 100.0);
  std::tie(lo, hi) = percentile_range(img, 25.0, 25.0);
  EXPECT_EQ(lo, 25.0);
  EXPECT_EQ(hi, 25.0);
  EXPECT_THROW(percentile_range(img, 60.0, 40.0), ConfigError);
  EXPECT_THROW(percentile_range(img, -1.0, 40.0), ConfigError);
  Image nan(2, 1);
  nan.values().assign(2, std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(percentile_range(nan, 1.0, 99.0), (std::pair<double, double>{0.0, 0.0}));
}

TEST_F(PngTest, DrawLineAndFillRect) {
  const Rgb red{255, 0, 0};
  RgbImage im = blank(10, 8);
  draw_line(im, 1, 1, 8, 1, red);
  for (int x = 0; x < 10; ++x) EXPECT_EQ(im.at(x, 1), x >= 1 && x <= 8 ? red : Rgb{}) << x;
  im = blank(10, 8);
  draw_line(im, 7, 7, 0, 0, red);  // diagonal, drawn backwards
  for (int i = 0; i < 8; ++i) EXPECT_EQ(im.at(i, i), red);
  EXPECT_EQ(std::count(im.pixels.begin(), im.pixels.end(), red), 8);
  im = blank(10, 8);
  draw_line(im, -5, 3, 20, 3, red);  // clipped
  draw_line(im, -1000000000, -5, 1000000000, -5, red);  // entirely outside: returns at once
  EXPECT_EQ(std::count(im.pixels.begin(), im.pixels.end(), red), 10);
  im = blank(10, 8);
  fill_rect(im, 5, 6, 2, 4, red);
  EXPECT_EQ(std::count(im.pixels.begin(), im.pixels.end(), red), 4 * 3);
  EXPECT_EQ(im.at(2, 4), red);
  EXPECT_EQ(im.at(5, 6), red);
  fill_rect(im, -3, -3, 100, 0, red);  // clipped to row 0
  EXPECT_EQ(std::count(im.pixels.begin(), im.pixels.end(), red), 12 + 10);
}

TEST_F(PngTest, LinePlotDrawsAxesAndCurvesInTheirColours) {
  const Rgb red{255, 0, 0}, blue{0, 0, 255}, black{0, 0, 0};
  std::vector<std::pair<double, double>> a, b;
  for (int i = 0; i <= 100; ++i) {
    a.emplace_back(i * 0.01, std::sin(i * 0.1));
    b.emplace_back(i * 0.01, i == 50 ? NAN : 0.5);
  }
  const RgbImage im = line_plot({a, b}, {red, blue}, 200, 120);
  ASSERT_EQ(im.width, 200);
  ASSERT_EQ(im.height, 120);
  EXPECT_GT(std::count(im.pixels.begin(), im.pixels.end(), red), 150);
  EXPECT_GT(std::count(im.pixels.begin(), im.pixels.end(), blue), 150);
  EXPECT_EQ(im.at(8, 60), black);   // y axis
  EXPECT_EQ(im.at(100, 111), black);  // x axis
  EXPECT_EQ(im.at(199, 0), (Rgb{255, 255, 255}));
  EXPECT_THROW(line_plot({a, b}, {red}, 200, 120), ConfigError);
  EXPECT_THROW(line_plot({a}, {red}, 20, 120), ConfigError);
  EXPECT_NO_THROW(line_plot({}, {}, 64, 64));
  EXPECT_NO_THROW(line_plot({{{1.0, 2.0}}}, {red}, 64, 64));
  round_trip(im, "plot.png");
}

}  // namespace
}  // namespace cspt::io
