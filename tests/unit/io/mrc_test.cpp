// Tests for MRC2014 reading and writing: round trips, hand-crafted files of every mode, errors, mrcfile.
#include "cspt/io/mrc.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "cspt/util/error.hpp"
#include "io/mrc_internal.hpp"

namespace {

namespace fs = std::filesystem;
using cspt::Image;
using cspt::IoError;
using cspt::Volume;
using cspt::io::MrcHeader;
using cspt::io::MrcReader;

// A fresh folder per test under the system temp dir, removed afterwards.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("cspt_mrc_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  ~TempDir() { fs::remove_all(dir_); }
  std::string file(const std::string& name) const { return (dir_ / name).string(); }
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename().string());
    return names;
  }

 private:
  fs::path dir_;
};

// An MRC file built byte by byte, independently of the library's encoder. Words are numbered
// 1..256 as in the MRC2014 table; multi-byte values follow the chosen byte order.
struct CraftedMrc {
  bool big = false;
  std::vector<unsigned char> bytes = std::vector<unsigned char>(1024, 0);

  void put(std::size_t offset, std::uint32_t v, int size = 4) {
    if (bytes.size() < offset + size) bytes.resize(offset + size, 0);
    for (int i = 0; i < size; ++i) bytes[offset + (big ? size - 1 - i : i)] = (v >> (8 * i)) & 0xffu;
  }
  void word_i(int word, std::int32_t v) { put(4 * (word - 1), std::bit_cast<std::uint32_t>(v)); }
  void word_f(int word, float v) { put(4 * (word - 1), std::bit_cast<std::uint32_t>(v)); }
  void text(std::size_t offset, const std::string& s) {
    for (std::size_t i = 0; i < s.size(); ++i) bytes[offset + i] = static_cast<unsigned char>(s[i]);
  }
  void data_u8(std::uint8_t v) { bytes.push_back(v); }
  void data_u16(std::uint16_t v) { put(bytes.size(), v, 2); }
  void data_f32(float v) { put(bytes.size(), std::bit_cast<std::uint32_t>(v)); }
  void save(const std::string& path) const {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  }
};

CraftedMrc crafted(int nx, int ny, int nz, int mode, bool big = false, float pixel_A = 1.5f) {
  CraftedMrc m;
  m.big = big;
  m.word_i(1, nx), m.word_i(2, ny), m.word_i(3, nz), m.word_i(4, mode);
  m.word_i(8, nx), m.word_i(9, ny), m.word_i(10, nz);
  m.word_f(11, nx * pixel_A), m.word_f(12, ny * pixel_A), m.word_f(13, nz * pixel_A);
  m.word_f(14, 90), m.word_f(15, 90), m.word_f(16, 90);
  m.word_i(17, 1), m.word_i(18, 2), m.word_i(19, 3);
  m.word_i(28, 20140);
  m.text(208, "MAP ");
  const std::vector<unsigned char> stamp =
      big ? std::vector<unsigned char>{0x11, 0x11, 0, 0} : std::vector<unsigned char>{0x44, 0x44, 0, 0};
  for (int i = 0; i < 4; ++i) m.bytes[212 + i] = stamp[i];
  return m;
}

template <class F>
IoError expect_io_error(F&& f) {
  try {
    f();
  } catch (const IoError& e) {
    return e;
  }
  ADD_FAILURE() << "expected an IoError";
  return IoError("", "", "", "");
}

std::vector<unsigned char> file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
std::uint32_t le_u32(const std::vector<unsigned char>& b, std::size_t off) {
  return std::uint32_t(b[off]) | std::uint32_t(b[off + 1]) << 8 | std::uint32_t(b[off + 2]) << 16 |
         std::uint32_t(b[off + 3]) << 24;
}
std::int32_t le_i32(const std::vector<unsigned char>& b, std::size_t off) {
  return std::bit_cast<std::int32_t>(le_u32(b, off));
}
float le_f32(const std::vector<unsigned char>& b, std::size_t off) {
  return std::bit_cast<float>(le_u32(b, off));
}

Volume random_volume(int nx, int ny, int nz, double pixel_A, unsigned seed) {
  Volume v(nx, ny, nz, pixel_A);
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0.5f, 2.0f);
  for (float& x : v.values()) x = noise(rng);
  return v;
}

bool python_has_mrcfile() {
  return std::system("/usr/bin/python3 -c 'import mrcfile, numpy' >/dev/null 2>&1") == 0;
}

int run_python(const TempDir& dir, const std::string& script, const std::string& args) {
  const std::string path = dir.file("check.py");
  std::ofstream(path) << script;
  return std::system(("/usr/bin/python3 " + path + " " + args).c_str());
}

}  // namespace

TEST(MrcTest, volume_round_trip_keeps_values_pixel_size_and_origin) {
  TempDir dir;
  Volume v = random_volume(7, 5, 3, 1.35, 1);
  v.set_origin_A({-4.5, 2.0, 10.25});
  const std::string path = dir.file("map.mrc");
  cspt::io::write_mrc_volume(path, v);
  const Volume back = cspt::io::read_mrc_volume(path);
  ASSERT_EQ(back.nx(), 7);
  ASSERT_EQ(back.ny(), 5);
  ASSERT_EQ(back.nz(), 3);
  EXPECT_EQ(back.values(), v.values());
  EXPECT_NEAR(back.pixel_size_A(), 1.35, 1e-6);
  EXPECT_DOUBLE_EQ(back.origin_A()[0], -4.5);
  EXPECT_DOUBLE_EQ(back.origin_A()[1], 2.0);
  EXPECT_DOUBLE_EQ(back.origin_A()[2], 10.25);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"map.mrc"});  // no temp file left
}

TEST(MrcTest, stack_round_trip_reads_each_section) {
  TempDir dir;
  std::vector<Image> images;
  for (int k = 0; k < 3; ++k) {
    Image im(6, 4, 2.1);
    for (int y = 0; y < 4; ++y)
      for (int x = 0; x < 6; ++x) im.at(x, y) = float(100 * k + 10 * y + x) - 0.25f;
    images.push_back(im);
  }
  const std::string path = dir.file("stack.mrcs");
  cspt::io::write_mrc_stack(path, images);
  const MrcReader reader(path);
  ASSERT_EQ(reader.n_sections(), 3);
  EXPECT_EQ(reader.header().mz, 1);
  EXPECT_EQ(reader.header().ispg, 0);
  EXPECT_NEAR(reader.header().cell_A[2], 2.1, 1e-6);
  for (int k = 0; k < 3; ++k) {
    const Image im = reader.read_section(k);
    EXPECT_EQ(im.values(), images[k].values()) << "section " << k;
    EXPECT_NEAR(im.pixel_size_A(), 2.1, 1e-6);
  }
}

TEST(MrcTest, written_volume_header_has_mrc2014_fields_and_statistics) {
  TempDir dir;
  Volume v = random_volume(8, 6, 4, 0.8, 2);
  v.set_origin_A({1.0, -2.0, 3.5});
  const std::string path = dir.file("map.mrc");
  cspt::io::write_mrc_volume(path, v);

  double sum = 0, lo = v.values()[0], hi = v.values()[0];
  for (float x : v.values()) sum += x, lo = std::min<double>(lo, x), hi = std::max<double>(hi, x);
  const double mean = sum / double(v.size());
  double ss = 0;
  for (float x : v.values()) ss += (x - mean) * (x - mean);
  const double rms = std::sqrt(ss / double(v.size()));

  const MrcHeader h = cspt::io::read_mrc_header(path);
  EXPECT_EQ(h.mode, 2);
  EXPECT_EQ(h.nversion, 20140);
  EXPECT_TRUE(h.has_map_stamp);
  EXPECT_EQ(h.ispg, 1);
  EXPECT_EQ(h.mx, 8);
  EXPECT_EQ(h.my, 6);
  EXPECT_EQ(h.mz, 4);
  EXPECT_NEAR(h.cell_A[0], 6.4, 1e-5);
  EXPECT_NEAR(h.cell_A[1], 4.8, 1e-5);
  EXPECT_NEAR(h.cell_A[2], 3.2, 1e-5);
  EXPECT_NEAR(h.pixel_size_A(), 0.8, 1e-6);
  EXPECT_DOUBLE_EQ(h.origin_A[0], 1.0);
  EXPECT_DOUBLE_EQ(h.origin_A[1], -2.0);
  EXPECT_DOUBLE_EQ(h.origin_A[2], 3.5);
  EXPECT_EQ(h.mapc, 1);
  EXPECT_EQ(h.mapr, 2);
  EXPECT_EQ(h.maps, 3);
  EXPECT_FLOAT_EQ(float(h.dmin), float(lo));
  EXPECT_FLOAT_EQ(float(h.dmax), float(hi));
  EXPECT_NEAR(h.dmean, mean, 1e-5);
  EXPECT_NEAR(h.rms, rms, 1e-5);

  // The raw bytes, decoded here by hand: stamp, machine stamp, version, origin words 50-52.
  const auto b = file_bytes(path);
  ASSERT_EQ(b.size(), 1024u + 8 * 6 * 4 * 4);
  EXPECT_EQ(std::string(b.begin() + 208, b.begin() + 212), "MAP ");
  EXPECT_EQ(b[212], 0x44);
  EXPECT_EQ(b[213], 0x44);
  EXPECT_EQ(b[214], 0);
  EXPECT_EQ(b[215], 0);
  EXPECT_EQ(le_i32(b, 108), 20140);
  EXPECT_EQ(le_i32(b, 12), 2);
  EXPECT_EQ(le_i32(b, 88), 1);
  EXPECT_FLOAT_EQ(le_f32(b, 196), 1.0f);
  EXPECT_FLOAT_EQ(le_f32(b, 200), -2.0f);
  EXPECT_FLOAT_EQ(le_f32(b, 204), 3.5f);
  EXPECT_FLOAT_EQ(le_f32(b, 1024), v.values()[0]);
}

TEST(MrcTest, stack_writer_streams_same_data_and_stats_as_whole_stack) {
  TempDir dir;
  const Volume v = random_volume(5, 4, 6, 3.0, 3);
  cspt::io::MrcStackWriter writer(dir.file("s.mrcs"), 5, 4, 3.0);
  for (int k = 0; k < 6; ++k) writer.append(v.data() + 20 * k);
  EXPECT_EQ(writer.count(), 6);
  writer.close();
  const MrcReader reader(dir.file("s.mrcs"));
  ASSERT_EQ(reader.n_sections(), 6);
  const Volume back = reader.read_volume();
  EXPECT_EQ(back.values(), v.values());
  cspt::io::MrcStats whole;
  whole.add(v.data(), v.size());
  EXPECT_NEAR(reader.header().dmean, whole.dmean, 1e-6);
  EXPECT_NEAR(reader.header().rms, whole.rms(), 1e-6);
  EXPECT_FLOAT_EQ(float(reader.header().dmin), float(whole.dmin));
  EXPECT_FLOAT_EQ(float(reader.header().dmax), float(whole.dmax));
}

// Extraction takes back a tilt series that fails half-way: the file is the one that never had it.
TEST(MrcTest, stack_writer_rewind_gives_the_file_without_the_taken_back_images) {
  TempDir dir;
  const Volume v = random_volume(5, 4, 6, 3.0, 3);
  const Volume other = random_volume(5, 4, 2, 3.0, 9);
  cspt::io::MrcStackWriter direct(dir.file("direct.mrcs"), 5, 4, 3.0);
  cspt::io::MrcStackWriter rewound(dir.file("rewound.mrcs"), 5, 4, 3.0);
  for (int k = 0; k < 6; ++k) direct.append(v.data() + 20 * k);
  for (int k = 0; k < 3; ++k) rewound.append(v.data() + 20 * k);
  const auto mark = rewound.mark();
  for (int k = 0; k < 2; ++k) rewound.append(other.data() + 20 * k);
  rewound.rewind(mark);
  EXPECT_EQ(rewound.count(), 3);
  for (int k = 3; k < 6; ++k) rewound.append(v.data() + 20 * k);
  direct.close();
  rewound.close();
  std::ifstream a(dir.file("direct.mrcs"), std::ios::binary), b(dir.file("rewound.mrcs"), std::ios::binary);
  const std::string bytes_a{std::istreambuf_iterator<char>(a), {}}, bytes_b{std::istreambuf_iterator<char>(b), {}};
  EXPECT_EQ(bytes_a.size(), 1024u + 6u * 20u * 4u);
  EXPECT_TRUE(bytes_a == bytes_b);  // header statistics included
}

TEST(MrcTest, stack_writer_without_close_leaves_no_file) {
  TempDir dir;
  {
    cspt::io::MrcStackWriter writer(dir.file("s.mrcs"), 4, 4, 1.0);
    writer.append(Image(4, 4));
    EXPECT_EQ(dir.entries().size(), 1u);  // the temp file exists while writing
  }
  EXPECT_TRUE(dir.entries().empty());
}

TEST(MrcTest, stack_writer_refuses_wrong_size_and_empty_stack) {
  TempDir dir;
  const std::string path = dir.file("s.mrcs");
  cspt::io::MrcStackWriter writer(path, 4, 4, 1.0);
  const IoError e = expect_io_error([&] { writer.append(Image(4, 5)); });
  EXPECT_EQ(e.field(), "image 0");
  EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
  EXPECT_EQ(expect_io_error([&] { writer.close(); }).field(), "images");
  EXPECT_TRUE(dir.entries().empty());
  EXPECT_EQ(expect_io_error([&] { cspt::io::write_mrc_stack(path, {}); }).field(), "images");
}

TEST(MrcTest, reads_mode_0_as_signed_int8) {
  TempDir dir;
  CraftedMrc m = crafted(4, 1, 1, 0);
  for (std::uint8_t b : {0x80, 0xff, 0x00, 0x7f}) m.data_u8(b);
  m.save(dir.file("m0.mrc"));
  const Image im = MrcReader(dir.file("m0.mrc")).read_section(0);
  EXPECT_EQ(im.values(), (std::vector<float>{-128, -1, 0, 127}));
  EXPECT_NEAR(im.pixel_size_A(), 1.5, 1e-6);
}

TEST(MrcTest, reads_mode_1_int16) {
  TempDir dir;
  CraftedMrc m = crafted(2, 2, 1, 1);
  for (std::uint16_t u : {0x8000, 0xfffe, 0x0000, 0x7fff}) m.data_u16(u);
  m.save(dir.file("m1.mrc"));
  EXPECT_EQ(MrcReader(dir.file("m1.mrc")).read_section(0).values(),
            (std::vector<float>{-32768, -2, 0, 32767}));
}

TEST(MrcTest, reads_mode_2_float32) {
  TempDir dir;
  CraftedMrc m = crafted(3, 1, 2, 2);
  const std::vector<float> values{1.5f, -2.25f, 1e-30f, 3e30f, 0.0f, -7.0f};
  for (float f : values) m.data_f32(f);
  m.save(dir.file("m2.mrc"));
  const MrcReader reader(dir.file("m2.mrc"));
  EXPECT_EQ(reader.read_section(1).values(), (std::vector<float>{3e30f, 0.0f, -7.0f}));
  EXPECT_EQ(reader.read_volume().values(), values);
}

TEST(MrcTest, reads_mode_6_uint16) {
  TempDir dir;
  CraftedMrc m = crafted(4, 1, 1, 6);
  for (std::uint16_t u : {0, 1, 40000, 65535}) m.data_u16(u);
  m.save(dir.file("m6.mrc"));
  EXPECT_EQ(MrcReader(dir.file("m6.mrc")).read_section(0).values(), (std::vector<float>{0, 1, 40000, 65535}));
}

TEST(MrcTest, reads_mode_12_float16) {
  TempDir dir;
  CraftedMrc m = crafted(7, 1, 1, 12);
  // 1, -2, largest half, smallest subnormal, 1/3 rounded, +0, -0
  for (std::uint16_t u : {0x3c00, 0xc000, 0x7bff, 0x0001, 0x3555, 0x0000, 0x8000}) m.data_u16(u);
  m.save(dir.file("m12.mrc"));
  const Image im = MrcReader(dir.file("m12.mrc")).read_section(0);
  EXPECT_EQ(im.values(),
            (std::vector<float>{1.0f, -2.0f, 65504.0f, std::ldexp(1.0f, -24), 0.333251953125f, 0.0f, -0.0f}));
  EXPECT_TRUE(std::signbit(im.values()[6]));
  EXPECT_EQ(std::bit_cast<std::uint32_t>(cspt::io::mrc_detail::half_to_float(0x7c00)), 0x7f800000u);
  EXPECT_EQ(cspt::io::mrc_detail::half_to_float(0x03ff), 1023.0f * std::ldexp(1.0f, -24));
  EXPECT_EQ(cspt::io::mrc_detail::half_to_float(0x0400), std::ldexp(1.0f, -14));
}

TEST(MrcTest, reads_big_endian_files_by_machine_stamp_and_by_plausibility) {
  TempDir dir;
  for (bool stamp : {true, false}) {
    CraftedMrc m = crafted(3, 1, 1, 2, /*big=*/true, 2.5f);
    if (!stamp) m.word_i(54, 0);
    for (float f : {1.0f, -3.5f, 1e6f}) m.data_f32(f);
    m.save(dir.file("be.mrc"));
    const MrcReader reader(dir.file("be.mrc"));
    EXPECT_EQ(reader.header().nx, 3);
    EXPECT_EQ(reader.header().byte_swapped, std::endian::native == std::endian::little);
    EXPECT_NEAR(reader.header().pixel_size_A(), 2.5, 1e-6);
    EXPECT_EQ(reader.read_section(0).values(), (std::vector<float>{1.0f, -3.5f, 1e6f})) << "stamp " << stamp;
  }
  CraftedMrc m = crafted(2, 1, 1, 1, /*big=*/true);
  m.data_u16(0xfffe), m.data_u16(0x0102);
  m.save(dir.file("be16.mrc"));
  EXPECT_EQ(MrcReader(dir.file("be16.mrc")).read_section(0).values(), (std::vector<float>{-2, 258}));
}

TEST(MrcTest, skips_extended_header_by_nsymbt) {
  TempDir dir;
  CraftedMrc m = crafted(2, 2, 1, 2);
  m.word_i(24, 160);
  m.text(104, "FEI1");
  m.bytes.resize(1024 + 160, 0xff);  // 0xffffffff would read as NaN if it were taken as data
  for (float f : {1.0f, 2.0f, 3.0f, 4.0f}) m.data_f32(f);
  m.save(dir.file("ext.mrc"));
  const MrcReader reader(dir.file("ext.mrc"));
  EXPECT_EQ(reader.header().nsymbt, 160);
  EXPECT_EQ(reader.header().exttyp, "FEI1");
  EXPECT_EQ(reader.read_section(0).values(), (std::vector<float>{1, 2, 3, 4}));
}

TEST(MrcTest, reorders_permuted_axes_3_1_2_into_xyz) {
  TempDir dir;
  // Columns run along z (2), rows along x (3), sections along y (4): the volume is 3 x 4 x 2.
  CraftedMrc m = crafted(2, 3, 4, 2);
  m.word_i(17, 3), m.word_i(18, 1), m.word_i(19, 2);
  m.word_i(8, 3), m.word_i(9, 4), m.word_i(10, 2);  // MX MY MZ along x y z
  m.word_f(11, 3 * 1.5f);
  for (int s = 0; s < 4; ++s)
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 2; ++c) m.data_f32(float(100 * r + 10 * s + c));  // x = r, y = s, z = c
  m.save(dir.file("perm.mrc"));
  const MrcReader reader(dir.file("perm.mrc"));
  const Volume v = reader.read_volume();
  ASSERT_EQ(v.nx(), 3);
  ASSERT_EQ(v.ny(), 4);
  ASSERT_EQ(v.nz(), 2);
  for (int z = 0; z < 2; ++z)
    for (int y = 0; y < 4; ++y)
      for (int x = 0; x < 3; ++x) EXPECT_EQ(v.at(x, y, z), float(100 * x + 10 * y + z));
  EXPECT_NEAR(v.pixel_size_A(), 1.5, 1e-6);
  const IoError e = expect_io_error([&] { (void)reader.read_section(0); });
  EXPECT_EQ(e.field(), "MAPC/MAPR/MAPS");
  EXPECT_EQ(e.value(), "3 1 2");
}

TEST(MrcTest, accepts_old_file_without_map_stamp_when_header_is_plausible) {
  TempDir dir;
  CraftedMrc m = crafted(2, 1, 1, 2);
  m.text(208, std::string(4, '\0'));
  m.word_i(54, 0);
  m.data_f32(5), m.data_f32(6);
  m.save(dir.file("old.mrc"));
  const MrcReader reader(dir.file("old.mrc"));
  EXPECT_FALSE(reader.header().has_map_stamp);
  EXPECT_EQ(reader.read_section(0).values(), (std::vector<float>{5, 6}));
}

TEST(MrcTest, truncated_file_names_expected_and_actual_size) {
  TempDir dir;
  CraftedMrc m = crafted(4, 4, 2, 2);
  for (int i = 0; i < 25; ++i) m.data_f32(1.0f);  // 25 of 32 floats
  const std::string path = dir.file("cut.mrc");
  m.save(path);
  const IoError e = expect_io_error([&] { MrcReader r(path); });
  EXPECT_EQ(e.field(), "file size");
  const std::string what = e.what();
  EXPECT_NE(what.find(path), std::string::npos);
  EXPECT_NE(what.find("1124 bytes"), std::string::npos) << what;
  EXPECT_NE(what.find("1152"), std::string::npos) << what;
}

TEST(MrcTest, unsupported_mode_lists_supported_modes) {
  TempDir dir;
  CraftedMrc m = crafted(2, 2, 1, 4);
  m.bytes.resize(1024 + 32);
  const std::string path = dir.file("complex.mrc");
  m.save(path);
  const IoError e = expect_io_error([&] { MrcReader r(path); });
  EXPECT_EQ(e.where(), path);
  EXPECT_EQ(e.field(), "mode");
  EXPECT_EQ(e.value(), "4");
  EXPECT_NE(std::string(e.what()).find("supported: 0, 1, 2, 6, 12"), std::string::npos);
}

TEST(MrcTest, text_file_is_not_mrc) {
  TempDir dir;
  const std::string path = dir.file("notes.mrc");
  {
    std::ofstream out(path);
    for (int i = 0; i < 60; ++i) out << "This is a plain text file, not a map at all.\n";
  }
  const IoError e = expect_io_error([&] { MrcReader r(path); });
  EXPECT_EQ(e.field(), "MAP");
  EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
  std::ofstream(dir.file("short.mrc")) << "tiny";
  EXPECT_EQ(expect_io_error([&] { MrcReader r(dir.file("short.mrc")); }).field(), "file size");
}

TEST(MrcTest, missing_file_names_path) {
  TempDir dir;
  const std::string path = dir.file("absent.mrc");
  const IoError e = expect_io_error([&] { (void)cspt::io::read_mrc_volume(path); });
  EXPECT_EQ(e.field(), "file");
  EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
}

TEST(MrcTest, bad_dimensions_and_axis_map_are_refused) {
  TempDir dir;
  CraftedMrc zero = crafted(2, 2, 0, 2);
  zero.save(dir.file("zero.mrc"));
  const IoError e = expect_io_error([&] { MrcReader r(dir.file("zero.mrc")); });
  EXPECT_EQ(e.field(), "nz");
  EXPECT_EQ(e.value(), "0");
  CraftedMrc axes = crafted(1, 1, 1, 2);
  axes.word_i(17, 1), axes.word_i(18, 1), axes.word_i(19, 3);
  axes.data_f32(0);
  axes.save(dir.file("axes.mrc"));
  EXPECT_EQ(expect_io_error([&] { MrcReader r(dir.file("axes.mrc")); }).field(), "MAPC/MAPR/MAPS");
  const MrcReader ok = [&] {
    CraftedMrc m = crafted(1, 1, 1, 2);
    m.data_f32(0);
    m.save(dir.file("ok.mrc"));
    return MrcReader(dir.file("ok.mrc"));
  }();
  EXPECT_EQ(expect_io_error([&] { (void)ok.read_section(1); }).field(), "section");
}

TEST(MrcTest, non_finite_pixels_name_the_section) {
  TempDir dir;
  CraftedMrc m = crafted(2, 1, 3, 2);
  for (float f : {1.0f, 2.0f, 3.0f, std::numeric_limits<float>::quiet_NaN(), 5.0f, 6.0f}) m.data_f32(f);
  const std::string path = dir.file("nan.mrcs");
  m.save(path);
  const MrcReader reader(path);
  EXPECT_EQ(reader.read_section(0).values(), (std::vector<float>{1, 2}));
  const IoError e = expect_io_error([&] { (void)reader.read_section(1); });
  EXPECT_EQ(e.field(), "section 1");
  EXPECT_EQ(e.value(), "NaN");
  EXPECT_EQ(e.expectation(), "finite pixel values");
  EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
  EXPECT_EQ(expect_io_error([&] { (void)reader.read_volume(); }).field(), "section 1");

  CraftedMrc h = crafted(1, 1, 1, 12);
  h.data_u16(0xfc00);  // -Inf in half precision
  h.save(dir.file("inf.mrc"));
  EXPECT_EQ(expect_io_error([&] { (void)cspt::io::read_mrc_volume(dir.file("inf.mrc")); }).value(), "-Inf");
}

TEST(MrcTest, writes_refuse_nan_and_bad_folder_without_leaving_files) {
  TempDir dir;
  Volume v(2, 2, 3);
  v.at(1, 0, 2) = std::numeric_limits<float>::infinity();
  const IoError e = expect_io_error([&] { cspt::io::write_mrc_volume(dir.file("v.mrc"), v); });
  EXPECT_EQ(e.field(), "section 2");
  EXPECT_EQ(e.value(), "Inf");
  EXPECT_TRUE(dir.entries().empty());
  const std::string bad = dir.file("no/such/folder/v.mrc");
  const IoError w = expect_io_error([&] { cspt::io::write_mrc_volume(bad, Volume(2)); });
  EXPECT_NE(std::string(w.what()).find(bad), std::string::npos);
}

TEST(MrcTest, overwrite_replaces_existing_file) {
  TempDir dir;
  const std::string path = dir.file("v.mrc");
  cspt::io::write_mrc_volume(path, Volume(4, 1.0));
  Volume second = random_volume(3, 3, 3, 2.0, 9);
  cspt::io::write_mrc_volume(path, second);
  EXPECT_EQ(cspt::io::read_mrc_volume(path).values(), second.values());
}

TEST(MrcTest, concurrent_section_reads_are_consistent) {
  TempDir dir;
  const Volume v = random_volume(32, 16, 64, 1.0, 4);
  std::vector<Image> images;
  for (int k = 0; k < 64; ++k) {
    Image im(32, 16);
    std::copy(v.data() + 512 * k, v.data() + 512 * (k + 1), im.data());
    images.push_back(im);
  }
  cspt::io::write_mrc_stack(dir.file("s.mrcs"), images);
  const MrcReader reader(dir.file("s.mrcs"));
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      std::vector<float> buffer(512);
      for (int rep = 0; rep < 20; ++rep)
        for (int k = t; k < 64; k += 4) {
          reader.read_section_into((k + rep) % 64, buffer.data());
          mismatches[t] += buffer != images[(k + rep) % 64].values();
        }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches, (std::vector<int>{0, 0, 0, 0}));
}

TEST(MrcTest, mrcfile_validates_our_volume_and_stack) {
  if (!python_has_mrcfile()) GTEST_SKIP() << "/usr/bin/python3 with mrcfile and numpy not available";
  TempDir dir;
  Volume v = random_volume(10, 8, 6, 1.35, 5);
  v.set_origin_A({3.0, -1.5, 0.0});
  cspt::io::write_mrc_volume(dir.file("v.mrc"), v);
  std::vector<Image> images(3, Image(9, 7, 2.2));
  images[1].at(3, 2) = 4.0f, images[2].at(0, 6) = -1.0f;
  cspt::io::write_mrc_stack(dir.file("s.mrcs"), images);
  // Validation (MRC2014 fields, statistics, file size), then the data as mrcfile sees them.
  const std::string script = R"(
import sys, mrcfile, numpy as np
vol, stack, value = sys.argv[1], sys.argv[2], float(sys.argv[3])
ok = [mrcfile.validate(p) for p in (vol, stack)]
with mrcfile.open(vol) as m:
    assert m.is_volume(), "volume flag"
    assert abs(m.voxel_size.x - 1.35) < 1e-5 and abs(m.voxel_size.z - 1.35) < 1e-5
    assert abs(m.header.origin.x - 3.0) < 1e-6 and abs(m.header.origin.y + 1.5) < 1e-6
    assert m.data.shape == (6, 8, 10) and m.data[2, 1, 3] == np.float32(value)
with mrcfile.open(stack) as m:
    assert m.is_image_stack(), "stack flag"
    assert abs(m.voxel_size.x - 2.2) < 1e-5
    assert m.data.shape == (3, 7, 9) and m.data[1, 2, 3] == 4.0 and m.data[2, 6, 0] == -1.0
sys.exit(0 if all(ok) else 1)
)";
  char value[32];
  std::snprintf(value, sizeof value, "%.9g", double(v.at(3, 1, 2)));
  EXPECT_EQ(run_python(dir, script, dir.file("v.mrc") + " " + dir.file("s.mrcs") + " " + value), 0);
}

TEST(MrcTest, reads_every_finite_half_value_written_by_mrcfile) {
  if (!python_has_mrcfile()) GTEST_SKIP() << "/usr/bin/python3 with mrcfile and numpy not available";
  TempDir dir;
  // numpy converts all 63488 finite float16 values; mrcfile writes them as mode 12 and 2.
  const std::string script = R"(
import sys, mrcfile, numpy as np
h = np.arange(65536, dtype=np.uint32).astype(np.uint16).view(np.float16)
h = h[np.isfinite(h)].reshape(1, 248, 256)
with mrcfile.new(sys.argv[1], overwrite=True) as m: m.set_data(h)
with mrcfile.new(sys.argv[2], overwrite=True) as m: m.set_data(h.astype(np.float32))
i16 = (np.arange(-300, 300, dtype=np.int16) * 97).reshape(1, 20, 30)
with mrcfile.new(sys.argv[3], overwrite=True) as m: m.set_data(i16)
)";
  ASSERT_EQ(run_python(dir, script, dir.file("h.mrc") + " " + dir.file("f.mrc") + " " + dir.file("i.mrc")),
            0);
  const Volume half = cspt::io::read_mrc_volume(dir.file("h.mrc"));
  const Volume ref = cspt::io::read_mrc_volume(dir.file("f.mrc"));
  EXPECT_EQ(cspt::io::read_mrc_header(dir.file("h.mrc")).mode, 12);
  ASSERT_EQ(half.size(), 63488u);
  std::size_t differing = 0;
  for (std::size_t i = 0; i < half.size(); ++i)
    differing +=
        std::bit_cast<std::uint32_t>(half.values()[i]) != std::bit_cast<std::uint32_t>(ref.values()[i]);
  EXPECT_EQ(differing, 0u);
  const Image ints = MrcReader(dir.file("i.mrc")).read_section(0);
  ASSERT_EQ(ints.size(), 600u);
  for (int i = 0; i < 600; ++i) EXPECT_EQ(ints.values()[i], float((i - 300) * 97));
}
