// Fuzz harness: SerialEM .mdoc files, parsed and imported as a tilt series (against a small stack).
#include <filesystem>
#include <vector>

#include "cspt/io/mdoc.hpp"
#include "cspt/io/mdoc_import.hpp"
#include "cspt/io/mrc.hpp"
#include "cspt/util/error.hpp"
#include "fuzz_target.hpp"

namespace cspt::fuzz {

namespace {

// A 41-image 16 x 16 stack the imports measure themselves against (made once per process).
const std::string& stack_path() {
  static const std::string path = [] {
    const std::string p = (std::filesystem::temp_directory_path() / "cspt_fuzz_mdoc_stack.mrc").string();
    std::vector<Image> images(41, Image(16, 16, 1.0));
    io::write_mrc_stack(p, images);
    return p;
  }();
  return path;
}

}  // namespace

void mdoc(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const io::Mdoc parsed = io::parse_mdoc(text, "fuzz.mdoc");
    (void)io::format_mdoc(parsed);
  } catch (const Error&) {
  }
  try {
    double pixel_size_A = 0, voltage_kV = 0;
    (void)io::tilt_series_from_mdoc(scratch_file(data, size, ".mdoc"), stack_path(), "ts_fuzz", pixel_size_A,
                                    voltage_kV);
  } catch (const Error&) {
  }
}

}  // namespace cspt::fuzz
