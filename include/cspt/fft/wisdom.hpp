// FFTW wisdom for the large 3D transforms: measured plans that stay the same from run to run.
#pragma once

#include <string>

namespace cspt::fft {

/// The file named by CSPT_FFTW_WISDOM, or empty. With it, the large 3D transforms (reconstruction's
/// padded grid, the FSC's) are planned with FFTW_MEASURE: plans found by measuring are written to the
/// file at the end of the run, and every later run with the same file uses exactly those plans and
/// never measures, so a given file fixes the bits as FFTW_ESTIMATE does (the run that measured may
/// differ from them in the last bits). Without it, FFTW_ESTIMATE (2.5x slower at 256^3,
/// docs/performance.md).
const std::string& wisdom_path();

/// Read the wisdom file if it exists (call once, on every rank, before planning).
void import_wisdom();

/// Planner flags for a large 3D transform: FFTW_ESTIMATE without a wisdom file; FFTW_MEASURE in the
/// run that makes the file; FFTW_MEASURE | FFTW_WISDOM_ONLY once the file was read (never measuring:
/// a problem the file lacks fails to plan, and the caller falls back to FFTW_ESTIMATE).
unsigned large_transform_flags();

/// True when a wisdom file was read at start-up.
bool wisdom_imported();

/// Write this process's wisdom to the file (atomically: a temporary file renamed over it), unless the
/// file was read at start-up. Under MPI the caller gathers every rank's wisdom first and only the root
/// writes.
void export_wisdom();

}  // namespace cspt::fft
