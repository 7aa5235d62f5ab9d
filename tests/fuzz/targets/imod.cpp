// Fuzz harness: IMOD .tlt/.rawtlt (one angle per line) and .xf (six numbers per line) readers.
#include "cspt/io/imod.hpp"
#include "cspt/util/error.hpp"
#include "fuzz_target.hpp"

namespace cspt::fuzz {

void imod(const std::uint8_t* data, std::size_t size) {
  try {
    (void)io::read_tilt_angles(scratch_file(data, size, ".tlt"));
  } catch (const Error&) {
  }
  try {
    for (const io::XfTransform& xf : io::read_xf(scratch_file(data, size, ".xf"))) {
      double axis_deg = 0, shift_x_A = 0, shift_y_A = 0;
      io::geometry_from_xf(xf, 4096, 4096, 1.0, axis_deg, shift_x_A, shift_y_A);
    }
  } catch (const Error&) {
  }
}

}  // namespace cspt::fuzz
