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

void import_wisdom() {
  if (wisdom_path().empty() || !std::filesystem::exists(wisdom_path())) return;
  set_planner_threads(1);  // FFTW's threads must be set up before its first other call
  if (!fftwf_import_wisdom_from_filename(wisdom_path().c_str())) {
    std::fprintf(stderr, "cspt: %s: FFTW wisdom = unreadable: a file written by cspt (CSPT_FFTW_WISDOM); planning without it\n",
                 wisdom_path().c_str());
  }
}

unsigned large_transform_flags() { return wisdom_path().empty() ? FFTW_ESTIMATE : FFTW_MEASURE; }

void export_wisdom() {
  if (wisdom_path().empty()) return;
  const std::string tmp = wisdom_path() + ".part";
  if (fftwf_export_wisdom_to_filename(tmp.c_str())) {
    std::error_code ec;
    std::filesystem::rename(tmp, wisdom_path(), ec);
  }
}

}  // namespace cspt::fft
