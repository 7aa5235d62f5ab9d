// libFuzzer entry point for one harness; CSPT_FUZZ_TARGET names it (set per executable in CMake).
#include <cstdlib>

#include "fuzz_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const cspt::fuzz::Harness harness = cspt::fuzz::harness_named(CSPT_FUZZ_TARGET);
  if (harness == nullptr) std::abort();
  harness(data, size);
  return 0;
}
