// Fuzz harness: MRC files (modes 0, 1, 2, 6, 12; MAPC/MAPR/MAPS; extended headers, FEI metadata).
#include <algorithm>
#include <vector>

#include "cspt/io/mrc.hpp"
#include "cspt/io/mrc_fei.hpp"
#include "cspt/util/error.hpp"
#include "fuzz_target.hpp"

namespace cspt::fuzz {

void mrc(const std::uint8_t* data, std::size_t size) {
  const std::string path = scratch_file(data, size, ".mrc");
  try {
    const io::MrcReader reader(path);
    const io::MrcHeader& h = reader.header();
    (void)h.pixel_size_A();
    (void)io::read_fei_metadata(path);  // FEI1/FEI2 extended-header fields, when EXTTYP names them
    // A header that opened must describe data that is really in the file: read what it says.
    if (h.has_standard_axes()) {
      std::vector<float> section(std::size_t(h.nx) * std::size_t(h.ny));
      for (int z = 0; z < std::min(reader.n_sections(), 4); ++z) reader.read_section_into(z, section.data());
    }
    (void)reader.read_volume();
  } catch (const Error&) {
    // refused with the one-line message: the expected outcome for a bad file
  }
}

}  // namespace cspt::fuzz
