// Reading and writing CSPT_FFTW_WISDOM.
#include "cspt/fft/wisdom.hpp"

#include "cspt/fft/plan.hpp"

#include <fftw3.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

namespace cspt::fft {

const std::string& wisdom_path() {
  static const std::string path = [] {
    const char* v = std::getenv("CSPT_FFTW_WISDOM");
    return std::string(v ? v : "");
  }();
  return path;
}

namespace {
bool& imported() {
  static bool value = false;
  return value;
}
}  // namespace

void import_wisdom() {
  if (wisdom_path().empty() || !std::filesystem::exists(wisdom_path())) return;
  set_planner_threads(1);  // FFTW's threads must be set up before its first other call
  if (fftwf_import_wisdom_from_filename(wisdom_path().c_str())) {
    imported() = true;
  } else {
    std::fprintf(stderr, "cspt: %s: FFTW wisdom = unreadable: a file written by cspt (CSPT_FFTW_WISDOM); planning without it\n",
                 wisdom_path().c_str());
  }
}

unsigned large_transform_flags() {
  if (wisdom_path().empty()) return FFTW_ESTIMATE;
  // A run that read the file never measures: it uses the file's plans, or FFTW_ESTIMATE for a
  // problem the file lacks, so its bits depend on the file only.
  return imported() ? FFTW_MEASURE | FFTW_WISDOM_ONLY : FFTW_MEASURE;
}

bool wisdom_imported() { return imported(); }

void export_wisdom() {
  if (wisdom_path().empty() || imported()) return;  // only the run that measured writes the file
  const std::string tmp = wisdom_path() + ".part";
  if (fftwf_export_wisdom_to_filename(tmp.c_str())) {
    std::error_code ec;
    std::filesystem::rename(tmp, wisdom_path(), ec);
  }
}

}  // namespace cspt::fft
