// Sessions: load, step, save.
#include "bisect/session.hpp"

#include <chrono>
#include <filesystem>

#include "cspt/io/project_file.hpp"
#include "cspt/util/error.hpp"

namespace bisect {

namespace {

Tracker restore_tracker(const std::string& path, const TrackPlan& plan, const nlohmann::json& state,
                        const cspt::AcquisitionRecord& record) {
  try {
    return Tracker(plan, state.at("tracker"), record);
  } catch (const nlohmann::json::exception& e) {
    throw cspt::IoError(path, "/acquisition/state_json", "corrupt", std::string("a complete tracker state (") + e.what() + ")");
  }
}

// The project file of a tracker: its cspt view plus plan and state, written atomically.
void write_session(const std::string& path, const Tracker& t, const ImageLayer& images) {
  cspt::Project p = t.project_view();
  p.acquisition->plan_json = plan_to_json(t.plan()).dump();
  p.acquisition->state_json = nlohmann::json{{"tracker", t.state_json()}, {"images", images.state()}}.dump();
  cspt::io::write_project(path, p);
}

// A text field of an event, or "" when it is missing or not text (parse_event refuses those,
// naming the field; json::value() would throw a type error instead and end the serve loop).
std::string text_of(const nlohmann::json& event, const char* key) {
  const auto it = event.find(key);
  return it != event.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

// What a project file holds for the tracker, parsed once.
struct Session::Stored {
  TrackPlan plan;
  nlohmann::json state;
  cspt::AcquisitionRecord record;
};

Session::Stored Session::load(const std::string& path) {
  cspt::Project p = cspt::io::read_project(path);
  if (!p.acquisition)
    throw cspt::IoError(path, "/acquisition", "missing", "a project written by 'bisect-track plan'");
  Stored s;
  try {
    s.plan = plan_from_json(nlohmann::json::parse(p.acquisition->plan_json));
    s.state = nlohmann::json::parse(p.acquisition->state_json);
  } catch (const nlohmann::json::exception& e) {
    throw cspt::IoError(path, "/acquisition/state_json", "corrupt", std::string("valid JSON (") + e.what() + ")");
  }
  s.record = std::move(*p.acquisition);
  return s;
}

double Session::now_s() {
  using namespace std::chrono;
  const auto since_epoch = duration<double>(system_clock::now().time_since_epoch()).count();
  return since_epoch - 1577836800.0;  // 2020-01-01T00:00:00Z
}

void Session::create(const std::string& project_path, const TrackPlan& plan, bool overwrite) {
  validate_plan(plan, project_path);
  if (!overwrite && std::filesystem::exists(project_path))
    throw cspt::ConfigError(project_path, "project", "exists", "a new file (or --force to replace it)");
  std::error_code ec;
  std::filesystem::remove_all(project_path + ".refs", ec);
  write_session(project_path, Tracker(plan), ImageLayer(plan, project_path + ".refs"));
}

Session::Session(std::string project_path) : Session(project_path, load(project_path)) {}

Session::Session(std::string project_path, const Stored& stored)
    : path_(std::move(project_path)), tracker_(restore_tracker(path_, stored.plan, stored.state, stored.record)), images_(stored.plan, path_ + ".refs") {
  images_.restore(stored.state.at("images"));
}

nlohmann::json Session::start() {
  if (tracker_.pending_action().value("action", std::string()) == "begin")
    return handle(nlohmann::json{{"event", "begin"}});
  return tracker_.pending_action();
}

nlohmann::json Session::handle(const nlohmann::json& event) {
  // "begin" is idempotent: after a restart the microscope side asks where it is.
  if (event.is_object() && text_of(event, "event") == "begin" &&
      tracker_.pending_action().value("action", std::string()) != "begin")
    return tracker_.pending_action();
  nlohmann::json measured = event;
  ImageLayer images = images_;  // transactional, like the tracker
  // An image is measured against the references the tracker's pending action implies.
  if (event.is_object() && event.contains("image")) {
    if (!event.at("image").is_string())
      throw cspt::ConfigError("event", "image", event.at("image").dump(), "the path of an MRC image");
    if (text_of(event, "event").empty()) (void)parse_event(event, now_s());  // throws: names the event field
    const std::string kind = text_of(event, "event");
    const std::string image = event.at("image").get<std::string>();
    const double tilt = tracker_.reported_tilt_deg();
    Measurement m;
    if (kind == "tracking_image") {
      const std::string mag = text_of(event, "mag");
      if (mag != "low" && mag != "high") throw cspt::ConfigError("event 'tracking_image'", "mag", mag, "'low' or 'high'");
      const std::string reference = event.contains("reference") && event.at("reference").is_string()
                                        ? event.at("reference").get<std::string>() : std::string();
      m = images.measure_tracking(image, mag == "low" ? 0 : 1, tilt, reference);
    } else if (kind == "roi_image") {
      const std::string roi = text_of(event, "roi");
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
  write_session(path_, next, images);
  images.remove_superseded_files();
  tracker_ = std::move(next);
  images_ = std::move(images);
  return action;
}

}  // namespace bisect
