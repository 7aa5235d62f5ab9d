// An output folder written all-or-nothing: files go to a hidden staging folder and move in on commit().
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "cspt/util/error.hpp"

namespace cspt::app {

class OutputDir {
 public:
  /// Prepare `dir` (created if missing) and a staging folder inside it.
  explicit OutputDir(const std::string& dir);
  /// Without commit(), everything staged is removed, and `dir` too if this object created it.
  ~OutputDir();
  OutputDir(const OutputDir&) = delete;
  OutputDir& operator=(const OutputDir&) = delete;

  /// The staging folder (every rank of an MPI job may write into it).
  std::string staging() const { return staging_.string(); }
  /// Where to write file or folder `name` before commit.
  std::string staged(const std::string& name);
  /// Runs write(staged(name)); an error naming the staged file is rethrown naming dir/name, the
  /// file the user asked for (a full disk then reads "DIR/map.mrc: write = No space left on device").
  template <class Write>
  void write(const std::string& name, Write&& write) {
    const std::string path = staged(name);
    try {
      write(path);
    } catch (const Error& e) {
      if (e.where() != path) throw;
      throw IoError((dir_ / name).string(), e.field(), e.value(), e.expectation());
    }
  }
  /// Move every staged file into place (each rename is atomic).
  void commit();
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_, staging_;
  std::vector<std::string> names_;
  bool created_dir_ = false, committed_ = false;
};

}  // namespace cspt::app
