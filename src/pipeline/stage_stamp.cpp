// Stage stamps of `cspt run`: signatures, digests, the up-to-date rule.
#include "cspt/pipeline/stage_stamp.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include <sys/stat.h>

#include "cspt/io/atomic_file.hpp"
#include "cspt/util/error.hpp"

namespace cspt::pipeline {
namespace fs = std::filesystem;

namespace {
/// Modification time in nanoseconds since the Unix epoch (0 if it cannot be read).
std::int64_t mtime_ns_of(const fs::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return 0;
  return std::int64_t(st.st_mtim.tv_sec) * 1000000000LL + std::int64_t(st.st_mtim.tv_nsec);
}
}  // namespace

FileSignature signature_of(const std::string& path) {
  FileSignature s;
  s.path = path;
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) return s;
  s.exists = true;
  if (fs::is_directory(status)) {
    s.mtime_ns = mtime_ns_of(path);
    for (fs::recursive_directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
      if (!it->is_regular_file()) continue;
      s.size_bytes += it->file_size();
      s.mtime_ns = std::max(s.mtime_ns, mtime_ns_of(it->path()));
    }
  } else {
    s.size_bytes = fs::file_size(path);
    s.mtime_ns = mtime_ns_of(path);
  }
  return s;
}

std::string digest_of(const std::string& text) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::optional<StageStamp> read_stamp(const std::string& path) {
  if (!fs::exists(path)) return std::nullopt;
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  try {
    const auto j = nlohmann::json::parse(text.str());
    StageStamp s;
    s.stage = j.at("stage").get<std::string>();
    s.config_digest = j.at("config_digest").get<std::string>();
    for (const auto& f : j.at("inputs"))
      s.inputs.push_back({f.at("path").get<std::string>(), f.at("exists").get<bool>(), f.at("size_bytes").get<std::uintmax_t>(),
                          f.at("mtime_ns").get<std::int64_t>()});
    s.outputs = j.at("outputs").get<std::vector<std::string>>();
    s.wall_s = j.value("wall_s", 0.0);
    s.finished_utc = j.value("finished_utc", "");
    return s;
  } catch (const nlohmann::json::exception& e) {
    throw IoError(path, "stage stamp", "unreadable", std::string("JSON written by cspt run (") + e.what() +
                                                          "); delete it to run the stage again");
  }
}

void write_stamp(const std::string& path, const StageStamp& s) {
  nlohmann::ordered_json j;
  j["stage"] = s.stage;
  j["config_digest"] = s.config_digest;
  j["inputs"] = nlohmann::json::array();
  for (const auto& f : s.inputs)
    j["inputs"].push_back({{"path", f.path}, {"exists", f.exists}, {"size_bytes", f.size_bytes}, {"mtime_ns", f.mtime_ns}});
  j["outputs"] = s.outputs;
  j["wall_s"] = s.wall_s;
  j["finished_utc"] = s.finished_utc;
  fs::create_directories(fs::path(path).parent_path());
  io::write_file_atomically(path, j.dump(2) + "\n");
}

StageDecision decide_stage(const std::optional<StageStamp>& done, const std::optional<StageStamp>& started,
                           const std::string& config_digest, const std::vector<std::string>& inputs,
                           const std::vector<std::string>& outputs) {
  std::vector<FileSignature> now;
  for (const auto& p : inputs) now.push_back(signature_of(p));
  const auto same_inputs = [&](const StageStamp& s, std::string* why) {
    if (s.config_digest != config_digest) {
      if (why) *why = "config changed";
      return false;
    }
    for (const auto& cur : now) {
      const auto it = std::find_if(s.inputs.begin(), s.inputs.end(), [&](const FileSignature& f) { return f.path == cur.path; });
      if (it == s.inputs.end() || !(*it == cur)) {
        if (why) *why = "input " + cur.path + " changed";
        return false;
      }
    }
    if (s.inputs.size() != now.size()) {
      if (why) *why = "inputs changed";
      return false;
    }
    return true;
  };
  std::string why = "never run";
  if (done) {
    bool ok = same_inputs(*done, &why);
    std::int64_t newest_input = std::numeric_limits<std::int64_t>::min();
    for (const auto& f : now) newest_input = std::max(newest_input, f.mtime_ns);
    for (std::size_t i = 0; ok && i < outputs.size(); ++i) {
      const FileSignature o = signature_of(outputs[i]);
      if (!o.exists) {
        why = "output " + outputs[i] + " missing";
        ok = false;
      } else if (o.mtime_ns < newest_input) {
        why = "output " + outputs[i] + " older than its inputs";
        ok = false;
      }
    }
    if (ok) return {StageState::up_to_date, "up to date"};
  }
  if (started && same_inputs(*started, nullptr)) return {StageState::resume, "resuming an interrupted run"};
  return {StageState::fresh, why};
}

}  // namespace cspt::pipeline
