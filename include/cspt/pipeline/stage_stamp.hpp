// Make-like bookkeeping of the pipeline stages of `cspt run`: a stage is up to date when it finished
// with the same config and the same inputs, and its outputs are all there and newer than its
// inputs. A stage that started but did not finish, with the same config and inputs, may resume.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cspt::pipeline {

/// What identifies a file's version: size and modification time (for a folder: the sum of the
/// sizes and the newest time over everything inside it).
struct FileSignature {
  std::string path;
  bool exists = false;
  std::uintmax_t size_bytes = 0;
  std::int64_t mtime_ns = 0;
  friend bool operator==(const FileSignature&, const FileSignature&) = default;
};

FileSignature signature_of(const std::string& path);

/// The record a stage leaves in RUN/.stages/<stage>.{started,done}.json.
struct StageStamp {
  std::string stage;
  std::string config_digest;  ///< digest of the effective config the stage depends on
  std::vector<FileSignature> inputs;
  std::vector<std::string> outputs;
  double wall_s = 0.0;
  std::string finished_utc;   ///< ISO 8601, "" for a started stamp
};

/// A 16-hex-digit digest of `text` (FNV-1a, 64 bits): equal configs give equal digests.
std::string digest_of(const std::string& text);

/// The stamp at `path`, or nothing if there is none; IoError naming the file if it is corrupt.
std::optional<StageStamp> read_stamp(const std::string& path);
/// Write atomically (temporary file, then rename).
void write_stamp(const std::string& path, const StageStamp& s);

enum class StageState { up_to_date, resume, fresh };

struct StageDecision {
  StageState state = StageState::fresh;
  std::string reason;  ///< one phrase, for the log: "up to date", "config changed", ...
};

/// Decide what to do with a stage given its stamps (either may be missing), the digest of its
/// config, and its current inputs and outputs.
StageDecision decide_stage(const std::optional<StageStamp>& done, const std::optional<StageStamp>& started,
                           const std::string& config_digest, const std::vector<std::string>& inputs,
                           const std::vector<std::string>& outputs);

}  // namespace cspt::pipeline
