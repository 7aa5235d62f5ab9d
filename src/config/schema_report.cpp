// Schema of the `report` section: what the report stage draws.
#include "config/schema_sections.hpp"
#include "config/spec_builder.hpp"

namespace cspt::config {

std::vector<KeySpec> report_keys() {
  using namespace build;
  return section("report", {
      boolean("plots", "true", "write the HTML report with its figures and CSV files (cspt report); false: only report/summary.json and summary.txt"),
  });
}

}  // namespace cspt::config
