// The body of each `cspt run` stage (run_stages.cpp lists them). All are collective.
#pragma once

#include <string>

#include "apps/cspt/run_settings.hpp"
#include "cspt/parallel/context.hpp"

namespace cspt::app {

int run_track_stage(parallel::Context& ctx, const RunSettings& s);
int run_simulate_stage(parallel::Context& ctx, const RunSettings& s, int threads, bool after_track);
int run_ctf_stage(parallel::Context& ctx, const RunSettings& s, int threads, const std::string& digest);
int run_ctf_part(parallel::Context& ctx, const RunSettings& s, int threads, const std::string& digest, int series);
int run_extract_stage(parallel::Context& ctx, const RunSettings& s, const std::string& digest);
int run_extract_part(parallel::Context& ctx, const RunSettings& s, const std::string& digest, int series);
int run_refine_stage(parallel::Context& ctx, const RunSettings& s, int threads);
int run_report_stage(parallel::Context& ctx, const RunSettings& s);

/// The particle box the extract stage uses: extract.box, else refine.box, else 128.
std::string extract_box(const RunSettings& s);

}  // namespace cspt::app
