// The tracker against the simulated microscope: acceptance figures, the off-plane fit's effect,
// exact resumption, refused events.
#include "bisect/tracker.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "bisect/scope_sim.hpp"
#include "bisect/session.hpp"
#include "cspt/io/project_file.hpp"
#include "cspt/util/error.hpp"

namespace bisect {
namespace {

namespace fs = std::filesystem;

std::string temp_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("bisect_test_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d.string();
}

Scenario small(const std::string& name) {
  Scenario s = builtin_scenario(name);
  // 3 x 3 ROIs keep the test fast; the 5 x 5 figures are in docs/acquisition.md.
  std::vector<RoiPlan> kept;
  for (const auto& r : s.plan.rois)
    if (std::abs(r.x_um + s.plan.tracking_x_um) <= 2.6 && std::abs(r.y_um + s.plan.tracking_y_um) <= 2.6) kept.push_back(r);
  s.plan.rois = kept;
  return s;
}

TEST(Tracker, IdealScopeTargetsExactly) {
  const std::string dir = temp_dir("ideal");
  const auto summary = simulate_acquisition(small("ideal"), dir, false);
  EXPECT_EQ(summary.at("rois_lost"), 0);
  EXPECT_LT(summary.at("targeting_error_nm_median").get<double>(), 1.0);
  EXPECT_LT(summary.at("defocus_error_um_median").get<double>(), 0.01);
  EXPECT_EQ(summary.at("records"), 9 * 41);
  fs::remove_all(dir);
}

TEST(Tracker, NominalKriosMeetsTheTargetsAndTheFlatModelDoesNot) {
  // The configuration: 5 x 5 holes over +-60 deg.
  const std::string dir = temp_dir("nominal");
  const auto fit = simulate_acquisition(builtin_scenario("nominal-krios"), dir, false);
  EXPECT_EQ(fit.at("rois_total"), 25);
  EXPECT_EQ(fit.at("rois_lost"), 0);
  EXPECT_LT(fit.at("targeting_error_nm_median").get<double>(), 30.0);
  EXPECT_LT(fit.at("defocus_error_um_median").get<double>(), 0.1);
  EXPECT_LT(fit.at("tracking_error_nm_median").get<double>(), 5.0);
  Scenario flat = builtin_scenario("nominal-krios");
  flat.plan.fit_offplane = false;
  const auto f = simulate_acquisition(flat, dir + "/flat", false);
  EXPECT_GT(f.at("targeting_error_nm_median").get<double>(), 1.2 * fit.at("targeting_error_nm_median").get<double>());
  EXPECT_GT(f.at("defocus_error_um_median").get<double>(), 1.2 * fit.at("defocus_error_um_median").get<double>());
  fs::remove_all(dir);
}

TEST(Tracker, BadStageAndHighTiltFailuresLoseNoRoiInsideTheImageShiftLimit) {
  const std::string dir = temp_dir("hard");
  const auto failures = simulate_acquisition(builtin_scenario("high-tilt-failures"), dir + "/failures", false);
  EXPECT_GT(failures.at("correlation_failures").get<int>(), 50);  // the scenario does stress the gates
  EXPECT_EQ(failures.at("rois_lost_inside_is_limit"), 0);
  EXPECT_LT(failures.at("targeting_error_nm_median").get<double>(), 30.0);
  const auto bad = simulate_acquisition(builtin_scenario("bad-stage"), dir + "/bad", false);
  EXPECT_EQ(bad.at("rois_lost_inside_is_limit"), 0);
  EXPECT_LT(bad.at("targeting_error_nm_median").get<double>(), 40.0);
  fs::remove_all(dir);
}

TEST(Tracker, RestartsFromTheFileGiveIdenticalActions) {
  const std::string a = temp_dir("straight"), b = temp_dir("restarted");
  Scenario s = small("nominal-krios");
  simulate_acquisition(s, a, false);
  s.scope.restart_after_events = {1, 2, 5, 17, 60, 61, 200};
  simulate_acquisition(s, b, false);
  std::ifstream fa(a + "/truth.json"), fb(b + "/truth.json");
  const auto ta = nlohmann::json::parse(fa), tb = nlohmann::json::parse(fb);
  EXPECT_EQ(ta.at("actions"), tb.at("actions"));
  fs::remove_all(a);
  fs::remove_all(b);
}

TEST(Tracker, RefusedEventsLeaveStateAndFileUnchanged) {
  const std::string dir = temp_dir("refuse");
  const std::string project = dir + "/project.h5";
  Session::create(project, builtin_scenario("nominal-krios").plan, true);
  Session session(project);
  const auto first = session.start();
  ASSERT_EQ(first.at("action"), "tilt");
  const auto before = cspt::io::read_project(project).acquisition->state_json;
  // a tilt far from the commanded angle, an ROI image out of turn, a malformed shift
  EXPECT_THROW(session.handle({{"event", "tilted"}, {"angle_deg", 12.0}}), cspt::ConfigError);
  EXPECT_THROW(session.handle({{"event", "roi_image"}, {"roi", "001"}, {"shift_nm", {0, 0}}, {"cc", 1}, {"psr", 9}}),
               cspt::ConfigError);
  EXPECT_THROW(session.handle({{"event", "tilted"}}), cspt::ConfigError);
  EXPECT_THROW(session.handle({{"event", "teleport"}}), cspt::ConfigError);
  EXPECT_EQ(cspt::io::read_project(project).acquisition->state_json, before);
  EXPECT_EQ(session.start(), first);  // begin again: the pending action, nothing new
  const auto track = session.handle({{"event", "tilted"}, {"angle_deg", 0.02}});
  EXPECT_EQ(track.at("action"), "track");
  EXPECT_THROW(session.handle({{"event", "tracking_image"}, {"mag", "high"}, {"shift_nm", {1, 1}}, {"cc", 1}, {"psr", 9}}),
               cspt::ConfigError);
  fs::remove_all(dir);
}

TEST(Tracker, QualityGatesRejectAFailedCorrelationInsteadOfApplyingIt) {
  const std::string dir = temp_dir("gates");
  const std::string project = dir + "/project.h5";
  Session::create(project, builtin_scenario("nominal-krios").plan, true);
  Session s(project);
  s.start();
  const auto first = s.handle({{"event", "tilted"}, {"angle_deg", 0.0}});
  const auto shift = [](const nlohmann::json& a) { return a.at("image_shift_um").get<std::vector<double>>(); };
  const auto image = [](double x_nm, double psr) {
    return nlohmann::json{{"event", "tracking_image"}, {"mag", "low"}, {"shift_nm", {x_nm, 0.0}}, {"cc", 0.3}, {"psr", psr}};
  };
  // A low peak-to-second-peak ratio: not applied, the same position is imaged again.
  auto a = s.handle(image(300.0, 1.2));
  EXPECT_EQ(a.at("action"), "track");
  EXPECT_EQ(a.at("iteration"), 2);
  EXPECT_EQ(shift(a), shift(first));
  // A shift beyond the field cap (35% of 2.13 um): not applied either.
  a = s.handle(image(900.0, 9.0));
  EXPECT_EQ(a.at("iteration"), 3);
  EXPECT_EQ(shift(a), shift(first));
  // A credible 300 nm shift is applied; above the 100 nm threshold it would be imaged again, but
  // the budget of 3 images is spent, so the tracker moves on to high magnification from there.
  a = s.handle(image(300.0, 9.0));
  EXPECT_EQ(a.at("mag"), "high");
  EXPECT_NEAR(shift(a)[0] - shift(first)[0], 0.3, 1e-9);
  // At high magnification a shift far outside what low magnification left is refused.
  const auto high = a;
  a = s.handle({{"event", "tracking_image"}, {"mag", "high"}, {"shift_nm", {150.0, 150.0}}, {"cc", 0.3}, {"psr", 9.0}});
  EXPECT_EQ(a.at("mag"), "high");
  EXPECT_EQ(a.at("iteration"), 2);
  EXPECT_EQ(shift(a), shift(high));
  fs::remove_all(dir);
}

// The event a well-behaved microscope sends for an action (measured shifts, no images).
nlohmann::json answer(const nlohmann::json& a, double time_s) {
  const std::string kind = a.at("action");
  nlohmann::json e;
  if (kind == "begin") e = {{"event", "begin"}};
  if (kind == "tilt") e = {{"event", "tilted"}, {"angle_deg", a.at("angle_deg").get<double>() + 0.01}};
  if (kind == "track")
    e = {{"event", "tracking_image"}, {"mag", a.at("mag")}, {"shift_nm", {3.0 / a.at("iteration").get<int>(), -2.0}},
         {"cc", 0.4}, {"psr", 8.0}};
  if (kind == "focus") e = {{"event", "focus"}, {"focus_um", -3.1}};
  if (kind == "record")
    e = {{"event", "roi_image"}, {"roi", a.at("roi")}, {"shift_nm", {1.5, -0.5}}, {"cc", 0.3}, {"psr", 7.0}};
  e["time_s"] = time_s;
  return e;
}

TEST(Tracker, RestoredMidRecordWritesTheSameRowAsAnUninterruptedTracker) {
  // Regression: the geometry of the Record in flight was not restored, so a tracker restarted
  // between a record action and its roi_image wrote fit_y_um = fit_z_um = fit_points = 0 and
  // could count a rejected alignment of an established ROI as a failure.
  const TrackPlan plan = builtin_scenario("nominal-krios").plan;
  Tracker t(plan);
  nlohmann::json a = t.step(parse_event(answer(t.pending_action(), 1.0), 1.0));
  for (int k = 2; !(a.at("action") == "record" && t.tilt_index() >= 3); ++k)
    a = t.step(parse_event(answer(a, double(k)), 0.0));
  Tracker restored(plan, t.state_json(), t.record());
  const Event e = parse_event(answer(a, 1000.0), 0.0);
  EXPECT_EQ(t.step(e), restored.step(e));
  const std::string table = "roi_" + a.at("roi").get<std::string>();
  const auto& fit_points = table_column(*find_table(t.record(), table), "fit_points");
  EXPECT_GT(fit_points.back(), 0.0);
  EXPECT_EQ(t.state_json(), restored.state_json());
  for (const char* column : {"fit_y_um", "fit_z_um", "fit_points", "pred_height_um"})
    EXPECT_EQ(table_column(*find_table(t.record(), table), column),
              table_column(*find_table(restored.record(), table), column)) << column;
}

// The message of the ConfigError parse_event throws for `j`, or "" when it accepts it.
std::string refusal(const nlohmann::json& j) {
  try {
    parse_event(j, 0.0);
  } catch (const cspt::ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(Tracker, ParseEventRefusesWrongTypesAndOutOfRangeValuesNamingTheField) {
  using nlohmann::json;
  const json track = {{"event", "tracking_image"}, {"mag", "low"}, {"shift_nm", {1.0, 2.0}}, {"cc", 0.3}, {"psr", 6.0}};
  const json roi = {{"event", "roi_image"}, {"roi", "001"}, {"shift_nm", {1.0, 2.0}}, {"cc", 0.3}, {"psr", 6.0}};
  const json focus = {{"event", "focus"}, {"focus_um", -3.0}};
  EXPECT_EQ(refusal(track), "");
  EXPECT_EQ(refusal(roi), "");
  EXPECT_EQ(refusal(focus), "");
  const auto with = [](json j, const char* key, json v) { return j[key] = std::move(v), j; };
  const std::vector<std::pair<json, std::string>> cases = {
      {json::array({1, 2}), "a JSON object"},
      {json{{"angle_deg", 3}}, "event = missing: one of begin"},
      {json{{"event", 7}}, "event = 7: one of begin"},
      {json{{"event", "teleport"}}, "event = 'teleport'"},
      {json{{"event", "tilted"}, {"angle_deg", "12"}}, "angle_deg = \"12\": a finite number"},
      {json{{"event", "tilted"}}, "angle_deg = missing"},
      {with(track, "cc", 7), "cc = 7: a correlation coefficient in [-1, 1]"},
      {with(track, "psr", -1), "psr = -1: a peak-to-second-peak ratio >= 0"},
      {with(track, "shift_nm", json::array({1, "2"})), "shift_nm = [1,\"2\"]: [x, y] in nm"},
      {with(track, "mag", 1), "mag = 1: a text value"},
      {with(track, "time_s", -5), "time_s = -5: seconds since 2020-01-01 UTC, >= 0"},
      {with(focus, "focus_um", -1e9), "focus_um = -1000000000.0: within +-1000 um"},
      {with(focus, "fail_code", 2.5), "fail_code = 2.5: an integer"},
      {with(roi, "num_frames", 1e20), "num_frames = 1e+20: an integer in [1, 1000000]"},
      {with(roi, "num_frames", 0), "num_frames = 0: an integer in [1, 1000000]"},
      {with(roi, "dose_e_per_A2", -3), "dose_e_per_A2 = -3: >= 0"},
      {with(roi, "ctf_defocus_um", 5e4), "ctf_defocus_um = 50000.0: within +-1000 um"},
      {with(roi, "roi", 1), "roi = 1: a text value"},
  };
  for (const auto& [event, expected] : cases)
    EXPECT_NE(refusal(event).find(expected), std::string::npos) << event.dump() << " -> " << refusal(event);
}

TEST(Tracker, SessionRefusesFieldsOfTheWrongTypeWithoutATypeError) {
  // Regression: json::value() threw a type_error (not a cspt::Error) for an event name or an
  // image event's mag or roi that was not text, which ended `bisect-track serve`.
  const std::string dir = temp_dir("types");
  const std::string project = dir + "/project.h5";
  Session::create(project, builtin_scenario("nominal-krios").plan, true);
  Session session(project);
  session.start();
  const auto before = cspt::io::read_project(project).acquisition->state_json;
  EXPECT_THROW(session.handle({{"event", 7}}), cspt::ConfigError);
  EXPECT_THROW(session.handle({{"event", 7}, {"image", "x.mrc"}}), cspt::ConfigError);
  EXPECT_THROW(session.handle({{"event", "tracking_image"}, {"mag", 5}, {"image", "x.mrc"}}), cspt::ConfigError);
  EXPECT_THROW(session.handle({{"event", "roi_image"}, {"roi", 5}, {"image", "x.mrc"}}), cspt::ConfigError);
  EXPECT_EQ(cspt::io::read_project(project).acquisition->state_json, before);
  fs::remove_all(dir);
}

TEST(Tracker, CorruptStateIsAClearError) {
  const std::string dir = temp_dir("corrupt");
  const std::string project = dir + "/project.h5";
  Session::create(project, builtin_scenario("ideal").plan, true);
  cspt::Project p = cspt::io::read_project(project);
  p.acquisition->state_json = "{\"tracker\": {\"phase\": 1}";
  cspt::io::write_project(project, p);
  try {
    Session s(project);
    FAIL() << "a corrupt state must not load";
  } catch (const cspt::IoError& e) {
    EXPECT_NE(std::string(e.what()).find("/acquisition/state_json"), std::string::npos);
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace bisect
