// Tests of the STAR reader/writer: blocks, loops, key/value tables, quoting, line endings, errors.
#include "cspt/io/star.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "cspt/util/error.hpp"

namespace cspt::io {
namespace {

namespace fs = std::filesystem;

/// A fresh folder per test, removed afterwards; ctest runs tests in parallel processes.
class StarTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("cspt_star_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string write_file(const std::string& name, const std::string& text) const {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
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
    for (const auto& p : parts)
      EXPECT_NE(what.find(p), std::string::npos) << what << " lacks " << p;
  }
}

TEST_F(StarTest, default_table_and_file_are_valid) {
  StarTable t;
  EXPECT_TRUE(t.is_loop);
  EXPECT_EQ(t.column("x"), -1);
  EXPECT_EQ(t.row_line(0), 0);
  StarFile f;
  EXPECT_EQ(f.find("x"), nullptr);
  EXPECT_EQ(format_star(f), "");
}

TEST_F(StarTest, reads_comments_key_value_and_loop_blocks) {
  const std::string text =
      "# a comment\n"
      "\n"
      "data_general\n"
      "\n"
      "_rlnFinalResolution   3.5   # trailing comment\n"
      "_rlnComment 'it's quoted'\n"
      "\n"
      "# version 30001\n"
      "data_particles\n"
      "loop_ \n"
      "_rlnImageName #1 \n"
      "_rlnAngleRot #2\n"
      "_rlnMicrographName\n"
      "1@a.mrcs 10.5 \"mic one.mrc\"\n"
      "\n"
      "2@a.mrcs\t-3  'x\"y'\n";
  const StarFile f = parse_star(text, "t.star");
  ASSERT_EQ(f.tables.size(), 2u);
  const StarTable* g = f.find("general");
  ASSERT_NE(g, nullptr);
  EXPECT_FALSE(g->is_loop);
  ASSERT_EQ(g->rows.size(), 1u);
  EXPECT_EQ(g->rows[0][g->column("rlnFinalResolution")], "3.5");
  EXPECT_EQ(g->rows[0][g->column("rlnComment")], "it's quoted");
  const StarTable* p = f.find("particles");
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(p->is_loop);
  EXPECT_EQ(p->columns,
            (std::vector<std::string>{"rlnImageName", "rlnAngleRot", "rlnMicrographName"}));
  ASSERT_EQ(p->rows.size(), 2u);
  EXPECT_EQ(p->rows[0][2], "mic one.mrc");
  EXPECT_EQ(p->rows[1][1], "-3");
  EXPECT_EQ(p->rows[1][2], "x\"y");
  EXPECT_EQ(p->row_line(0), 14);
  EXPECT_EQ(p->row_line(1), 16);
  EXPECT_EQ(p->column("rlnAngleRot"), 1);
  EXPECT_EQ(p->column("rlnAngleTilt"), -1);
  EXPECT_EQ(f.find("optics"), nullptr);
}

TEST_F(StarTest, handles_crlf_and_final_row_without_newline) {
  const std::string path =
      write_file("crlf.star", "data_x\r\n\r\nloop_\r\n_a #1\r\n_b #2\r\n1 2\r\n3 '4 5'");
  const StarFile f = read_star(path);
  const StarTable* t = f.find("x");
  ASSERT_NE(t, nullptr);
  ASSERT_EQ(t->rows.size(), 2u);
  EXPECT_EQ(t->rows[0][1], "2");
  EXPECT_EQ(t->rows[1][0], "3");
  EXPECT_EQ(t->rows[1][1], "4 5");
}

TEST_F(StarTest, bare_data_block_has_empty_name) {
  const StarFile f = parse_star("data_\nloop_\n_rlnX\n1\n", "t.star");
  ASSERT_NE(f.find(""), nullptr);
  EXPECT_EQ(f.find("")->rows.size(), 1u);
}

TEST_F(StarTest, wrong_field_count_names_file_line_and_table) {
  const std::string path = write_file("bad.star", "data_particles\nloop_\n_a\n_b\n1 2\n1 2 3\n");
  expect_io_error([&] { read_star(path); },
                  {path + ":6", "data_particles", "3 fields", "2 fields"});
}

TEST_F(StarTest, malformed_content_is_an_io_error_with_line) {
  expect_io_error([] { parse_star("data_x\nloop_\n_a\n'open\n", "q.star"); },
                  {"q.star:4", "quote"});
  expect_io_error([] { parse_star("data_x\n_key\n", "k.star"); }, {"k.star:2", "_key", "no value"});
  expect_io_error([] { parse_star("data_x\n1 2\n", "v.star"); }, {"v.star:2", "value"});
  expect_io_error([] { parse_star("_a 1\n", "n.star"); }, {"n.star:1", "data_"});
  expect_io_error([] { parse_star("data_x\nloop_\n_a\n1\nloop_\n", "l.star"); },
                  {"l.star:5", "one table per data_ block"});
  expect_io_error([] { parse_star("data_x\nloop_\n1\n", "e.star"); }, {"e.star:3", "_label"});
}

TEST_F(StarTest, missing_file_names_path) {
  const std::string path = (dir_ / "nope.star").string();
  expect_io_error([&] { read_star(path); }, {path});
  expect_io_error([&] { read_star(dir_.string()); }, {dir_.string(), "folder"});
}

TEST_F(StarTest, write_then_read_round_trips_awkward_values) {
  StarFile f;
  StarTable kv;
  kv.name = "general";
  kv.is_loop = false;
  kv.columns = {"rlnA", "rlnB"};
  kv.rows = {{"1.5", "two words"}};
  StarTable loop;
  loop.name = "things";
  loop.columns = {"rlnX", "rlnY"};
  loop.rows = {{"", "_under"},           {"#hash", "it's"}, {"loop_", "say \"hi\""},
               {"data_x", "it's \"x\""}, {"a'b\"c", "'"},   {"plain", "1@x.mrcs"}};
  f.tables = {kv, loop};
  const std::string path = (dir_ / "out.star").string();
  write_star(path, f);
  const StarFile g = read_star(path);
  ASSERT_EQ(g.tables.size(), 2u);
  EXPECT_FALSE(g.tables[0].is_loop);
  EXPECT_EQ(g.tables[0].columns, kv.columns);
  EXPECT_EQ(g.tables[0].rows, kv.rows);
  EXPECT_TRUE(g.tables[1].is_loop);
  EXPECT_EQ(g.tables[1].columns, loop.columns);
  EXPECT_EQ(g.tables[1].rows, loop.rows);
}

TEST_F(StarTest, write_replaces_file_and_leaves_no_temporary) {
  const std::string path = write_file("out.star", "old content that is not STAR");
  StarFile f;
  f.tables.resize(1);
  f.tables[0].name = "t";
  f.tables[0].columns = {"a"};
  f.tables[0].rows = {{"1"}};
  write_star(path, f);
  EXPECT_EQ(read_star(path).tables[0].rows[0][0], "1");
  int entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir_)) ++entries;
  EXPECT_EQ(entries, 1);
}

TEST_F(StarTest, unrepresentable_value_is_refused) {
  StarFile f;
  f.tables.resize(1);
  f.tables[0].name = "t";
  f.tables[0].columns = {"rlnA"};
  f.tables[0].rows = {{"line\nbreak"}};
  const std::string path = (dir_ / "x.star").string();
  expect_io_error([&] { write_star(path, f); }, {path, "rlnA"});
  EXPECT_FALSE(fs::exists(path));
}

TEST_F(StarTest, write_to_missing_folder_names_path) {
  const std::string path = (dir_ / "no" / "such" / "x.star").string();
  expect_io_error([&] { write_star(path, StarFile{}); }, {path});
}

TEST_F(StarTest, reads_200k_rows_quickly) {
  std::string text = "data_particles\nloop_\n";
  for (int c = 0; c < 12; ++c)
    text += "_rlnCol" + std::to_string(c) + " #" + std::to_string(c + 1) + "\n";
  const std::string row =
      "000123@Extract/job007/Movies/stack_0001.mrcs 12.345678 -45.678901 170.123456 1.234567 "
      "-2.345678 12345.678901 11111.111111 33.333333 0.000000 0.000000 1\n";
  text.reserve(text.size() + 200000 * row.size());
  for (int i = 0; i < 200000; ++i) text += row;
  const std::string path = write_file("big.star", text);
  const auto t0 = std::chrono::steady_clock::now();
  const StarFile f = read_star(path);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(f.tables.at(0).rows.size(), 200000u);
  EXPECT_EQ(f.tables[0].rows[199999][11], "1");
  EXPECT_LT(seconds, 3.0);  // about 0.2 s in a Release build; generous for Debug and busy machines
}

}  // namespace
}  // namespace cspt::io
