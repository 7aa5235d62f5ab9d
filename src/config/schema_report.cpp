// Schema of the `report` section: what the report stage draws.
#include "config/schema_sections.hpp"
#include "config/spec_builder.hpp"

namespace cspt::config {

std::vector<KeySpec> report_keys() {
  using namespace build;
  return section("report", {
      boolean("plots", "true", "draw the PNG plots of the report"),
  });
}

}  // namespace cspt::config
