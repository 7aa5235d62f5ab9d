// MRC2014 maps and image stacks: validated, thread-safe reading and atomic float32 writing.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cspt/core/image.hpp"
#include "cspt/core/volume.hpp"

namespace cspt::io {

/// The fields of a 1024-byte MRC2014 header that cspt uses, in host byte order. NX/NY/NZ count
/// columns, rows and sections; MAPC/MAPR/MAPS say which of x, y, z (1, 2, 3) each of those runs
/// along. Cell, sampling (MX/MY/MZ) and origin are given along x, y, z.
struct MrcHeader {
  int nx = 0, ny = 0, nz = 0;
  int mode = 2;
  int nxstart = 0, nystart = 0, nzstart = 0;
  int mapc = 1, mapr = 2, maps = 3;
  int ispg = 0;
  int nsymbt = 0;  ///< Extended header length in bytes; data start at 1024 + nsymbt.
  int mx = 0, my = 0, mz = 0;
  std::array<double, 3> cell_A{0.0, 0.0, 0.0};
  std::array<double, 3> cell_angles_deg{90.0, 90.0, 90.0};
  std::array<double, 3> origin_A{0.0, 0.0, 0.0};  ///< Words 50-52.
  double dmin = 0.0, dmax = 0.0, dmean = 0.0;
  double rms = 0.0;  ///< Standard deviation of the densities about DMEAN.
  int nversion = 0;
  std::string exttyp;               ///< Four characters, e.g. "FEI1"; empty when unset.
  bool has_map_stamp = false;       ///< Whether "MAP " was present at byte 208.
  bool byte_swapped = false;        ///< The file's byte order differs from this machine's.
  std::vector<std::string> labels;  ///< The NLABL labels, trailing blanks removed.

  /// Angstrom per pixel along x: cell_A[0] / mx, or 0 when mx is 0 (sampling unknown).
  double pixel_size_A() const { return mx == 0 ? 0.0 : cell_A[0] / mx; }
  /// Bytes per stored value for mode (1, 2 or 4).
  std::size_t bytes_per_voxel() const;
  /// Bytes of one nx by ny section.
  std::uint64_t section_bytes() const;
  /// File offset of the first data byte.
  std::uint64_t data_offset() const { return 1024u + std::uint64_t(nsymbt); }
  /// Whether MAPC/MAPR/MAPS are 1 2 3, i.e. sections are plain x-y images.
  bool has_standard_axes() const { return mapc == 1 && mapr == 2 && maps == 3; }
};

/// Density statistics as the MRC header stores them, accumulated block by block.
struct MrcStats {
  std::uint64_t count = 0;
  double dmin = 0.0, dmax = 0.0, dmean = 0.0;
  double m2 = 0.0;  ///< Sum of squared deviations from dmean.

  /// Adds n values; combines blocks with Chan's formula so streaming equals one pass.
  void add(const float* values, std::size_t n);
  /// Standard deviation about the mean (numpy's std, ddof 0).
  double rms() const;
};

/// An open MRC file. Modes 0 (int8, signed as MRC2014 says), 1 (int16), 2 (float32), 6 (uint16)
/// and 12 (IEEE half) are read and converted to float. The header is validated on opening.
/// Section reads use pread() on one descriptor, so they may run concurrently from many threads.
class MrcReader {
 public:
  /// Opens path and validates its header and size; throws IoError if it is not a usable MRC file.
  explicit MrcReader(const std::string& path);
  ~MrcReader();
  MrcReader(const MrcReader&) = delete;
  MrcReader& operator=(const MrcReader&) = delete;
  MrcReader(MrcReader&& other) noexcept;
  MrcReader& operator=(MrcReader&& other) noexcept;

  const MrcHeader& header() const { return header_; }
  const std::string& path() const { return path_; }
  /// Number of 2D sections (images of a stack): NZ.
  int n_sections() const { return header_.nz; }

  /// Section index (0-based) as an image with the header's pixel size. Needs MAPC/MAPR/MAPS 1 2 3.
  Image read_section(int index) const;
  /// As read_section, into out, which holds nx * ny floats.
  void read_section_into(int index, float* out) const;
  /// The whole file as a volume in x, y, z order (reordered by MAPC/MAPR/MAPS), with the
  /// header's pixel size and origin.
  Volume read_volume() const;

 private:
  void read_converted_section(int index, float* out) const;
  void check_finite(int index, const float* values, std::size_t n) const;

  std::string path_;
  MrcHeader header_;
  int fd_ = -1;
};

/// Reads and validates only the header of path.
MrcHeader read_mrc_header(const std::string& path);
/// Reads a whole MRC file as a volume (see MrcReader::read_volume).
Volume read_mrc_volume(const std::string& path);

/// Writes v as an MRC2014 mode-2 map (ISPG 1, MZ = nz, ORIGIN from v), atomically.
void write_mrc_volume(const std::string& path, const Volume& v);
/// Writes equally sized images as an MRC2014 mode-2 stack (ISPG 0, MZ 1), atomically.
void write_mrc_stack(const std::string& path, const std::vector<Image>& images);
/// Writes one nx by ny image of counts as an MRC2014 mode-6 (uint16) file, atomically, as cameras
/// save them.
void write_mrc_image_uint16(const std::string& path, const std::uint16_t* pixels, int nx, int ny,
                            double pixel_size_A);

/// Streams a mode-2 stack that need not fit in memory. Data go to "<path>.tmp-<pid>"; close()
/// writes the final header and renames it into place. Destroying an unclosed writer removes the
/// temporary file, so a failed job never leaves a half-written stack at path.
class MrcStackWriter {
 public:
  MrcStackWriter(const std::string& path, int nx, int ny, double pixel_size_A);
  ~MrcStackWriter();
  MrcStackWriter(const MrcStackWriter&) = delete;
  MrcStackWriter& operator=(const MrcStackWriter&) = delete;
  MrcStackWriter(MrcStackWriter&&) noexcept;
  MrcStackWriter& operator=(MrcStackWriter&&) noexcept;

  /// Appends one nx by ny image.
  void append(const Image& image);
  /// Appends nx * ny floats, x fastest.
  void append(const float* pixels);
  /// Finishes the file; at least one image must have been appended.
  void close();
  /// Images appended so far.
  int count() const;
  const std::string& path() const;

  /// A point to come back to: the images appended so far and their statistics.
  struct Mark {
    int count = 0;
    MrcStats stats;
  };
  Mark mark() const;
  /// Drops every image appended after `m` (the temporary file is truncated), as if they had never
  /// been appended: used to take back a tilt series that failed half-way.
  void rewind(const Mark& m);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cspt::io
