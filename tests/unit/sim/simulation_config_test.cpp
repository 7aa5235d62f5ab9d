// SimulationConfig's settings table and the schema's simulate section are the same keys with the
// same defaults, and settings go through the schema's checks.
#include <gtest/gtest.h>

#include <set>

#include "cspt/config/schema.hpp"
#include "cspt/sim/simulation_config.hpp"
#include "cspt/util/error.hpp"

namespace cspt {
namespace {

TEST(SimulationConfigTest, settings_are_the_schema_simulate_section) {
  std::set<std::string> settings, schema;
  for (const auto& k : simulation_setting_keys()) settings.insert(config::dash_form(k));
  for (const config::KeySpec* k : config::section_keys("simulate"))
    if (k->key != "out" && k->key != "threads") schema.insert(k->key);  // the command's, not the dataset's
  EXPECT_EQ(settings, schema);
}

TEST(SimulationConfigTest, defaults_are_the_schema_defaults) {
  const SimulationConfig defaults;
  for (const auto& key : simulation_setting_keys()) {
    const config::KeySpec* spec = config::find_key("simulate", key);
    ASSERT_NE(spec, nullptr) << key;
    EXPECT_TRUE(config::equals_default(*spec, simulation_setting_text(defaults, key)))
        << key << ": SimulationConfig has " << simulation_setting_text(defaults, key) << ", schema "
        << spec->default_text;
  }
}

TEST(SimulationConfigTest, settings_are_checked_by_the_schema) {
  SimulationConfig c;
  apply_simulation_setting(c, "pixel-size-A", "2", "t");
  apply_simulation_setting(c, "radiation_damage", "no", "t");
  EXPECT_EQ(c.pixel_size_A, 2.0);
  EXPECT_FALSE(c.radiation_damage);
  EXPECT_EQ(simulation_setting_text(c, "pixel_size_A"), "2");
  try {
    apply_simulation_setting(c, "tilt_scheme", "bisect99", "--tilt-scheme");
    FAIL() << "bisect99 accepted";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "--tilt-scheme: simulate.tilt_scheme = bisect99: one of bisect60, bisect36, hagen");
  }
  EXPECT_THROW(apply_simulation_setting(c, "unrecorded-dose-e-per-A2", "-1", "t"), ConfigError);
  apply_simulation_setting(c, "unrecorded-dose-e-per-A2", "1.5", "t");
  EXPECT_EQ(c.unrecorded_dose_e_per_A2, 1.5);
  SimulationConfig bad;
  bad.unrecorded_dose_e_per_A2 = -1;
  EXPECT_THROW(validate(bad, "t"), ConfigError);
  EXPECT_THROW(apply_simulation_setting(c, "tilt_schem", "bisect60", "t"), ConfigError);
  EXPECT_THROW(apply_simulation_setting(c, "out", "x", "t"), ConfigError);  // not a dataset setting
}

}  // namespace
}  // namespace cspt
