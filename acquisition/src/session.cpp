// Sessions: load, step, save.
#include "bisect/session.hpp"

#include <chrono>
#include <filesystem>

#include "cspt/io/project_file.hpp"
#include "cspt/util/error.hpp"

namespace bisect {

namespace {

Tracker load_tracker(const std::string& path, const cspt::Project& p) {
  if (!p.acquisition)
    throw cspt::IoError(path, "/acquisition", "missing", "a project written by 'bisect-track plan'");
  nlohmann::json plan_json, state;
  try {
    plan_json = nlohmann::json::parse(p.acquisition->plan_json);
    state = nlohmann::json::parse(p.acquisition->state_json);
  } catch (const nlohmann::json::exception& e) {
    throw cspt::IoError(path, "/acquisition/state_json", "corrupt", std::string("valid JSON (") + e.what() + ")");
  }
  try {
    return Tracker(plan_from_json(plan_json), state.at("tracker"), *p.acquisition);
  } catch (const nlohmann::json::exception& e) {
    throw cspt::IoError(path, "/acquisition/state_json", "corrupt", std::string("a complete tracker state (") + e.what() + ")");
  }
}

}  // namespace

double Session::now_s() {
  using namespace std::chrono;
  const auto since_epoch = duration<double>(system_clock::now().time_since_epoch()).count();
  return since_epoch - 1577836800.0;  // 2020-01-01T00:00:00Z
}

void Session::create(const std::string& project_path, const TrackPlan& plan, bool overwrite) {
  validate_plan(plan, project_path);
  if (!overwrite && std::filesystem::exists(project_path))
    throw cspt::ConfigError(project_path, "project", "exists", "a new file (or --force to replace it)");
  Tracker t(plan);
  ImageLayer images(plan, project_path + ".refs");
  std::error_code ec;
  std::filesystem::remove_all(project_path + ".refs", ec);
  cspt::Project p = t.project_view();
  p.acquisition->plan_json = plan_to_json(plan).dump();
  p.acquisition->state_json = nlohmann::json{{"tracker", t.state_json()}, {"images", images.state()}}.dump();
  cspt::io::write_project(project_path, p);
}

Session::Session(std::string project_path)
    : path_(std::move(project_path)),
      tracker_(load_tracker(path_, cspt::io::read_project(path_))),
      images_(tracker_.plan(), path_ + ".refs") {
  const cspt::Project p = cspt::io::read_project(path_);
  const nlohmann::json state = nlohmann::json::parse(p.acquisition->state_json);
  images_.restore(state.at("images"));
}

nlohmann::json Session::start() {
  if (tracker_.pending_action().value("action", std::string()) == "begin")
    return handle(nlohmann::json{{"event", "begin"}});
  return tracker_.pending_action();
}

nlohmann::json Session::handle(const nlohmann::json& event) {
  // "begin" is idempotent: after a restart the microscope side asks where it is.
  if (event.is_object() && event.value("event", std::string()) == "begin" &&
      tracker_.pending_action().value("action", std::string()) != "begin")
    return tracker_.pending_action();
  nlohmann::json measured = event;
  ImageLayer images = images_;  // transactional, like the tracker
  // An image is measured against the references the tracker's pending action implies.
  if (event.is_object() && event.contains("image")) {
    if (!event.at("image").is_string())
      throw cspt::ConfigError("event", "image", event.at("image").dump(), "the path of an MRC image");
    const std::string kind = event.value("event", std::string());
    const std::string image = event.at("image").get<std::string>();
    const double tilt = tracker_.reported_tilt_deg();
    Measurement m;
    if (kind == "tracking_image") {
      const std::string mag = event.value("mag", std::string());
      if (mag != "low" && mag != "high") throw cspt::ConfigError("event 'tracking_image'", "mag", mag, "'low' or 'high'");
      const std::string reference = event.contains("reference") && event.at("reference").is_string()
                                        ? event.at("reference").get<std::string>() : std::string();
      m = images.measure_tracking(image, mag == "low" ? 0 : 1, tilt, reference);
    } else if (kind == "roi_image") {
      const std::string roi = event.value("roi", std::string());
      if (tracker_.plan().roi_index(roi) < 0) throw cspt::ConfigError("event 'roi_image'", "roi", "'" + roi + "'", "an ROI of the plan");
      const std::string reference = event.contains("reference") && event.at("reference").is_string()
                                        ? event.at("reference").get<std::string>() : std::string();
      m = images.measure_roi(roi, image, tilt, reference);
    } else {
      throw cspt::ConfigError("event '" + kind + "'", "image", image, "only on tracking_image or roi_image events");
    }
    measured["shift_nm"] = {m.x_nm, m.y_nm};
    measured["cc"] = m.cc;
    measured["psr"] = m.psr;
  }
  const Event e = parse_event(measured, now_s());
  Tracker next = tracker_;
  nlohmann::json action = next.step(e);
  const auto& update = next.reference_update();
  if (update.add) images.add_tracking(update.mag, update.tilt_deg, update.measurement);
  images.commit_files();
  save(next, images);
  images.remove_superseded_files();
  tracker_ = std::move(next);
  images_ = std::move(images);
  return action;
}

void Session::save(const Tracker& t, const ImageLayer& images) {
  cspt::Project p = t.project_view();
  p.acquisition->plan_json = plan_to_json(t.plan()).dump();
  p.acquisition->state_json = nlohmann::json{{"tracker", t.state_json()}, {"images", images.state()}}.dump();
  cspt::io::write_project(path_, p);
}

}  // namespace bisect
