// Internal pieces shared by the MRC reader and writer: header codec, value conversion, atomic files.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <string>

#include "cspt/io/mrc.hpp"

namespace cspt::io::mrc_detail {

inline constexpr std::size_t kHeaderBytes = 1024;
inline constexpr int kNVersion = 20140;
inline constexpr const char* kSupportedModes = "0, 1, 2, 6, 12";

/// Bytes per value of mode, or 0 if cspt does not read that mode.
std::size_t bytes_per_voxel(int mode);

/// Decodes a 1024-byte header: picks the byte order (MACHST, else plausibility of NX and MODE),
/// refuses non-MRC data, unsupported modes, nonpositive sizes, bad axis maps. Throws IoError(path...).
MrcHeader decode_header(const unsigned char* bytes, const std::string& path);
/// Throws IoError if file_size cannot hold header, extended header and all data.
void check_file_size(const MrcHeader& h, std::uint64_t file_size, const std::string& path);
/// Encodes h little endian, with "MAP ", MACHST 0x44 0x44 0 0 and h.nversion.
std::array<unsigned char, kHeaderBytes> encode_header(const MrcHeader& h);

/// IEEE 754 binary16 to float, exactly (every half value is a float).
inline float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = std::uint32_t(h & 0x8000u) << 16;
  const std::uint32_t exponent = (h >> 10) & 0x1fu;
  const std::uint32_t mantissa = h & 0x3ffu;
  std::uint32_t bits;
  if (exponent == 0) {
    // Zero or subnormal: mantissa * 2^-24 is exact in float.
    bits = sign | std::bit_cast<std::uint32_t>(float(mantissa) * 5.9604644775390625e-8f);
  } else if (exponent == 31) {
    bits = sign | 0x7f800000u | (mantissa << 13);  // Inf or NaN (payload kept)
  } else {
    bits = sign | ((exponent + 112u) << 23) | (mantissa << 13);  // rebias 15 -> 127
  }
  return std::bit_cast<float>(bits);
}

/// Converts n raw values of mode (in file byte order; swapped = differs from host) to float.
void convert_raw(int mode, bool swapped, const unsigned char* raw, float* out, std::size_t n);
/// Byte-swaps n 4-byte words in place.
void swap_words_in_place(float* values, std::size_t n);
/// Index of the first NaN or infinity in values, or n if all are finite.
std::size_t first_non_finite(const float* values, std::size_t n);
/// "NaN", "Inf" or "-Inf".
std::string describe_non_finite(float value);

/// A file written under "<path>.tmp-<pid>" and renamed to path by commit(). Destroying it
/// uncommitted removes the temporary file. Every failure throws IoError naming path.
class AtomicFile {
 public:
  explicit AtomicFile(const std::string& path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, std::size_t bytes);
  void pwrite(const void* data, std::size_t bytes, std::uint64_t offset);
  /// Writes floats little endian.
  void write_floats(const float* values, std::size_t n);
  void commit();
  /// Cuts the temporary file to `bytes` and goes on writing from there.
  void truncate(std::uint64_t bytes);
  /// Removes the temporary file now (used after a failure).
  void discard() noexcept;
  const std::string& path() const { return path_; }

 private:
  [[noreturn]] void fail(const std::string& field, int err);

  std::string path_, tmp_path_;
  int fd_ = -1;
};

}  // namespace cspt::io::mrc_detail
