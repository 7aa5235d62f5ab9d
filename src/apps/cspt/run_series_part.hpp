// One tilt series' share of a `cspt run` stage (a job-array task): its own project, its own stamp.
#pragma once

#include <functional>
#include <string>

#include "apps/cspt/run_settings.hpp"
#include "cspt/parallel/context.hpp"

namespace cspt::app {

/// Folder of one tilt series' share of a stage (RUN/<stage>/parts/<series name>).
std::string part_dir(const RunSettings& s, const std::string& stage, const std::string& series_name);

/// Collective: write tilt series `series` of `input` as its own project into a fresh part folder of
/// `stage`, run `work(part_dir)` on every rank, and stamp the part done (with `output`, relative to
/// the part folder) when it returns 0. Returns work's exit code.
int run_series_part(parallel::Context& ctx, const RunSettings& s, const std::string& stage, const std::string& input,
                    int series, const std::string& digest, const std::string& output,
                    const std::function<int(const std::string& part_dir)>& work);

/// True when the part in `dir` finished with this config from the current `input` and its `output`
/// (relative to `dir`) is there and newer.
bool series_part_up_to_date(const std::string& dir, const std::string& digest, const std::string& input,
                            const std::string& output);

}  // namespace cspt::app
