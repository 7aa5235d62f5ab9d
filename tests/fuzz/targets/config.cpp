// Fuzz harness: the YAML config loader (every section of the schema), and the round trip of the
// configuration in effect: what a run writes to RUN/config.yaml must read back to the same values.
#include <cstdlib>
#include <string>

#include "cspt/config/config_file.hpp"
#include "cspt/config/effective_config.hpp"
#include "cspt/util/error.hpp"
#include "fuzz_target.hpp"

namespace cspt::fuzz {

void config(const std::uint8_t* data, std::size_t size) {
  std::string yaml;
  try {
    config::EffectiveConfig effective;
    effective.apply(config::read_config_file(scratch_file(data, size, ".yaml"), {"run", config::FileScope::none}));
    yaml = effective.to_yaml({});
  } catch (const Error&) {
    return;
  }
  const std::string again = [&] {
    config::EffectiveConfig effective;
    effective.apply(config::read_config_file(
        scratch_file(reinterpret_cast<const std::uint8_t*>(yaml.data()), yaml.size(), ".yaml"),
        {"run", config::FileScope::none}));
    return effective.to_yaml({});
  }();
  if (again != yaml) std::abort();
}

}  // namespace cspt::fuzz
