// FEI1/FEI2 extended-header fields (Thermo Fisher's "MRC2014 file format" metadata block, one per
// image; little-endian doubles at fixed byte offsets from the start of the record).
#include "cspt/io/mrc_fei.hpp"

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>

#include "cspt/io/mrc.hpp"
#include "cspt/util/error.hpp"

namespace cspt::io {
namespace {

constexpr std::size_t kHt = 84, kPixelX = 156, kDefocus = 220, kAppliedDefocus = 236, kFieldsEnd = 244;

double load_f64(const unsigned char* p, bool swap) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  if (swap) v = __builtin_bswap64(v);
  return std::bit_cast<double>(v);
}

/// `v` scaled by `scale` when finite, non-zero and within (0, limit] in magnitude; else 0.
double plausible(double v, double scale, double limit) {
  const double s = v * scale;
  return std::isfinite(s) && s != 0.0 && std::abs(s) <= limit ? s : 0.0;
}

}  // namespace

std::optional<FeiMetadata> read_fei_metadata(const std::string& path) {
  return read_fei_metadata(path, read_mrc_header(path));
}

std::optional<FeiMetadata> read_fei_metadata(const std::string& path, const MrcHeader& h) {
  if ((h.exttyp != "FEI1" && h.exttyp != "FEI2") || h.nsymbt < int(kFieldsEnd)) return std::nullopt;
  unsigned char rec[kFieldsEnd];
  std::ifstream in(path, std::ios::binary);
  if (!in.seekg(1024) || !in.read(reinterpret_cast<char*>(rec), kFieldsEnd))
    throw IoError(path, "extended header", "unreadable", std::to_string(kFieldsEnd) + " bytes of FEI metadata");
  // The record is written in the file's byte order.
  const bool swap = h.byte_swapped;
  FeiMetadata m;
  m.voltage_kV = plausible(load_f64(rec + kHt, swap), 1e-3, 1e4);
  m.pixel_size_A = plausible(load_f64(rec + kPixelX, swap), 1e10, 1e4);
  m.lens_defocus_A = plausible(load_f64(rec + kDefocus, swap), 1e10, 1e7);
  m.applied_underfocus_A = plausible(load_f64(rec + kAppliedDefocus, swap), -1e10, 1e7);
  return m;
}

}  // namespace cspt::io
