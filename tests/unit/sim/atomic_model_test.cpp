// Atomic models: reading the shipped GltPh trimer, the synthetic D3 assembly, and potential maps.
#include "cspt/sim/atomic_model.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "cspt/core/symmetrize.hpp"
#include "cspt/core/symmetry.hpp"
#include "cspt/util/error.hpp"
#include "phantom.hpp"

namespace cspt {
namespace {

const std::string kTrimer = std::string(CSPT_SOURCE_DIR) + "/data/models/2nwl_gltph_c3_opm.pdb";

TEST(AtomicModelTest, reads_the_gltph_trimer) {
  const AtomicModel m = read_atomic_model(kTrimer);
  EXPECT_NEAR(double(m.atoms.size()), 8721.0, 5.0);  // a few atoms of unknown element are dropped
  EXPECT_NEAR(m.mass_kDa(), 115.0, 6.0);  // PROVENANCE: 114.7 kDa
}

TEST(AtomicModelTest, d3_assembly_is_d3_and_twice_the_mass) {
  const AtomicModel trimer = read_atomic_model(kTrimer);
  const AtomicModel d3 = d3_from_c3_trimer(trimer);
  EXPECT_EQ(d3.atoms.size(), 2 * trimer.atoms.size());
  EXPECT_NEAR(d3.mass_kDa(), 2 * trimer.mass_kDa(), 1e-6);
  // The potential map is (nearly) invariant under RELION's D3 operators: the local structure is
  // real, so chains differ slightly, but a wrong axis choice would be far off.
  const Volume v = potential_map(d3, 96, 2.0, 0.0);
  const Volume s = symmetrize(v, point_group("D3"));
  EXPECT_GT(test::correlation(v.values(), s.values()), 0.9) << "D3";
  const Volume wrong = symmetrize(v, point_group("C4"));  // not a symmetry of the assembly
  EXPECT_LT(test::correlation(v.values(), wrong.values()), 0.8) << "C4";
}

TEST(AtomicModelTest, potential_integrates_to_the_scattering_factor_sum) {
  // One carbon atom: the integral of its potential equals 47.878 V A^2 * f_e(0), f_e(0) = 2.5088 A.
  AtomicModel m;
  m.atoms.push_back({Eigen::Vector3d(0, 0, 0), 6, 10.0});
  const Volume v = potential_map(m, 32, 0.5);
  double sum = 0;
  for (float x : v.values()) sum += x;
  EXPECT_NEAR(sum * 0.125, 47.878 * 2.5088, 0.02 * 47.878 * 2.5088);
}

TEST(AtomicModelTest, missing_file_is_a_clear_error) {
  try {
    read_atomic_model("/nonexistent/model.pdb");
    FAIL();
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/model.pdb"), std::string::npos);
  }
}

}  // namespace
}  // namespace cspt
