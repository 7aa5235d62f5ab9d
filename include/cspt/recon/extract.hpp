// Particle projections cut from raw tilt images: one box per particle and tilt, at the position
// the tilt geometry predicts, with the sub-pixel remainder kept as the projection's shift.
#pragma once

#include <string>
#include <vector>

#include "cspt/core/image.hpp"
#include "cspt/project/project.hpp"
#include "cspt/recon/particle_set.hpp"

namespace cspt {

/// What extraction does with a tilt series whose raw stack cannot be read (missing, truncated, a
/// bad header, a non-finite pixel): stop with an error naming it, or leave the series out.
enum class UnreadableSeries { stop, skip };

/// A tilt series left out under UnreadableSeries::skip: its name, its stack and why.
struct SkippedSeries {
  std::string name, stack_path, reason;
};

/// Which geometry to cut with: the project's own (refined) records, or the simulation's truth.
enum class GeometrySource { project, truth };

/// Per-projection defocus for every particle in every tilt of its series: the tilt's defocus (its
/// fitted or true CTF, which refers to the tomogram origin) corrected by the particle's height after
/// tilting, Delta f = Delta f_tilt - handedness * height (docs/conventions.md). `handedness` 0 takes
/// each series' own `defocus_handedness` (+1 when undetermined).
std::vector<ProjectionRecord> projections_from_tilt_ctf(const Project& project, GeometrySource geometry,
                                                        double handedness = 0.0);

/// How extract_particles cuts.
struct ExtractOptions {
  int box_px = 0;  ///< the output box, in output (binned) pixels
  /// Binning: each box is cut as box_px * bin raw pixels and Fourier-cropped to box_px, so the
  /// output pixel is bin times the raw one and nothing aliases. 1: the raw pixels as they are.
  int bin = 1;
  GeometrySource geometry = GeometrySource::project;
  /// Boxes written with inverted contrast (protein white) and the set carrying RELION's CTF sign.
  bool relion_contrast = false;
  UnreadableSeries on_unreadable = UnreadableSeries::stop;
};

/// Cut every projection of every particle of `project` (files resolved relative to `project_dir`)
/// into boxes of `opts.box_px`, normalised to contrast (image / its mean - 1), and write them as one
/// MRC stack at `stack_path`. Returns the particle set (our CTF sign: raw images, protein dark),
/// with per-projection orientation = particle orientation composed with the tilt geometry, the
/// sub-pixel remainder of each box position as its shift (Angstrom), and per-projection defocus
/// from the projection records; its pixel size (and the stack's) is the raw one times opts.bin.
/// A box whose box_px * bin raw pixels reach outside its image is left out (the particle keeps its
/// other tilts; `skipped` counts them); a particle outside every tilt is an error naming it; a box
/// larger than a tilt image is a ConfigError naming the stack.
/// With an empty `stack_path` nothing is written and no pixel is read (only the stacks' headers):
/// the set's image references are the sections the stack would have (on-the-fly extraction), and
/// its raw_cuts / raw_stack_paths say where each box is cut from the raw tilt series (raw stack
/// paths as `project_dir` / the series' stack path).
/// A raw stack that cannot be read throws IoError naming the stack, the tilt series and the section
/// (`on_unreadable` stop), or leaves that series out whole, its boxes taken back from the stack,
/// and lists it in `skipped_series` (skip).
ParticleSet extract_particles(const Project& project, const std::string& project_dir, const ExtractOptions& opts,
                              const std::string& stack_path, std::size_t* skipped = nullptr,
                              std::vector<SkippedSeries>* skipped_series = nullptr);

/// The same, unbinned (bin 1), with the options as arguments.
ParticleSet extract_particles(const Project& project, const std::string& project_dir, int box_px,
                              const std::string& stack_path, GeometrySource geometry = GeometrySource::project,
                              bool relion_contrast = false, std::size_t* skipped = nullptr,
                              UnreadableSeries on_unreadable = UnreadableSeries::stop,
                              std::vector<SkippedSeries>* skipped_series = nullptr);

}  // namespace cspt
