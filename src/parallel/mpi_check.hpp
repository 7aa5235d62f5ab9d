// MPI_CHECK: every MPI call goes through it; a failure throws an error carrying code, text and rank.
#pragma once

#include <mpi.h>

#include <string>

#include "cspt/util/error.hpp"

namespace cspt::parallel {

class MpiError : public Error {
 public:
  MpiError(const std::string& call, int code)
      : Error("MPI", call, std::to_string(code), describe(code)), code_(code) {}
  int code() const { return code_; }

 private:
  static std::string describe(int code) {
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(code, text, &len);
    return std::string(text, std::size_t(len));
  }
  int code_;
};

}  // namespace cspt::parallel

#define MPI_CHECK(call, ...)                                             \
  do {                                                                   \
    const int mpi_check_rc_ = call(__VA_ARGS__);                         \
    if (mpi_check_rc_ != MPI_SUCCESS) throw ::cspt::parallel::MpiError(#call, mpi_check_rc_); \
  } while (0)
