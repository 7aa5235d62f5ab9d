// All-or-nothing output folders.
#include "apps/cspt/output_dir.hpp"

#include <unistd.h>

#include "cspt/util/error.hpp"

namespace cspt::app {
namespace fs = std::filesystem;

OutputDir::OutputDir(const std::string& dir) : dir_(dir) {
  std::error_code ec;
  if (!fs::exists(dir_)) {
    fs::create_directories(dir_, ec);
    if (ec) throw IoError(dir, "output folder", "", "a folder that can be created (" + ec.message() + ")");
    created_dir_ = true;
  } else if (!fs::is_directory(dir_)) {
    throw IoError(dir, "output folder", "", "a folder, not a file");
  }
  staging_ = dir_ / (".staging-" + std::to_string(::getpid()));
  fs::create_directories(staging_, ec);
  if (ec) throw IoError(dir, "output folder", "", "a writable folder (" + ec.message() + ")");
}

OutputDir::~OutputDir() {
  std::error_code ec;
  fs::remove_all(staging_, ec);
  if (!committed_ && created_dir_) fs::remove_all(dir_, ec);
}

std::string OutputDir::staged(const std::string& name) {
  names_.push_back(name);
  return (staging_ / name).string();
}

void OutputDir::commit() {
  for (const auto& name : names_) {
    std::error_code ec;
    if (fs::is_directory(dir_ / name)) fs::remove_all(dir_ / name, ec);  // a folder is replaced whole
    fs::rename(staging_ / name, dir_ / name, ec);
    if (ec) throw IoError((dir_ / name).string(), "output file", "", "a path that can be written (" + ec.message() + ")");
  }
  committed_ = true;
}

}  // namespace cspt::app
