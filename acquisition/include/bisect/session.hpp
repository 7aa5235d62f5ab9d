// A tracking session on a project file: the tracker plus persistence after every event, and the
// image layer that turns image events into measurements. `plan`, `step`, `serve` and `simulate`
// all go through it, so a simulated run and a real one write the same file.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "bisect/image_measure.hpp"
#include "bisect/plan.hpp"
#include "bisect/tracker.hpp"

namespace bisect {

class Session {
 public:
  /// Writes a new project file holding the plan and a fresh state (atomically). Refuses to replace
  /// an existing file unless `overwrite`.
  static void create(const std::string& project_path, const TrackPlan& plan, bool overwrite);

  /// Opens a project written by create() or by earlier events; the state resumes exactly.
  explicit Session(std::string project_path);

  /// The action pending: "begin" answered if acquisition has not started, else the last action
  /// again (a restarted bridge asks this to know where it is).
  nlohmann::json start();

  /// One event (JSON per docs/tracker-protocol.md): images are measured, the tracker steps, and
  /// the project file is rewritten atomically. A refused event throws cspt::Error and changes
  /// nothing, on disk or in memory.
  nlohmann::json handle(const nlohmann::json& event);

  const Tracker& tracker() const { return tracker_; }
  const std::string& path() const { return path_; }
  /// Folder beside the project holding reference images ("<project>.refs").
  std::string refs_dir() const { return path_ + ".refs"; }

  /// Seconds since 2020-01-01 UTC from the system clock.
  static double now_s();

 private:
  struct Stored;  // what the file holds, parsed once (session.cpp)
  static Stored load(const std::string& project_path);
  Session(std::string project_path, const Stored& stored);

  std::string path_;
  Tracker tracker_;
  ImageLayer images_;
};

}  // namespace bisect
