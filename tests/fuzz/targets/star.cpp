// Fuzz harness: the STAR parser, its writer round trip, and the RELION particle reader on top.
#include <cstdlib>
#include <string>

#include "cspt/io/relion_particles.hpp"
#include "cspt/io/star.hpp"
#include "cspt/util/error.hpp"
#include "fuzz_target.hpp"

namespace cspt::fuzz {

void star(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const io::StarFile parsed = io::parse_star(text, "fuzz.star");
    // What the parser accepted, the writer writes and the parser reads back to the same text.
    const std::string once = io::format_star(parsed);
    const std::string twice = io::format_star(io::parse_star(once, "fuzz-formatted.star"));
    if (once != twice) std::abort();
  } catch (const Error&) {
  }
  try {
    (void)io::read_relion_particles(scratch_file(data, size, ".star"));
  } catch (const Error&) {
  }
}

}  // namespace cspt::fuzz
