// Schema of the `track` section: the tracker stage of `cspt run` (bisect-track against a simulated
// microscope, on the pattern being simulated).
#include "config/schema_sections.hpp"
#include "config/spec_builder.hpp"

namespace cspt::config {

std::vector<KeySpec> track_keys() {
  using namespace build;
  // The scenarios of bisect::scenario_names(); a unit test keeps the two lists the same.
  const std::vector<std::string> scenarios = {"ideal", "nominal-krios", "bad-stage", "high-tilt-failures",
                                              "eucentric-sweep", "lamella-pretilt", "crash-resume"};
  return section("track", {
      choice("scenario", "nominal-krios", scenarios, "the simulated microscope (bisect-track simulate --scenario)"),
      boolean("images", "false", "render and align images (image mode) instead of the geometry oracle"),
      integer("seed", "", "seed of the simulated microscope (\"\": the simulate section's seed)").at_least(0),
  });
}

}  // namespace cspt::config
