// MRC2014 reading: open and validate once, then thread-safe pread() of sections and whole volumes.
#include "cspt/io/mrc.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "cspt/util/error.hpp"
#include "io/mrc_internal.hpp"

namespace cspt::io {

namespace mrc_detail {

namespace {

// Converts 2-byte integers (int16 or uint16) with optional byte swap; memcpy keeps it alias-safe
// and compiles to plain loads.
template <class T>
void convert_16(const unsigned char* raw, float* out, std::size_t n, bool swapped) {
  static_assert(sizeof(T) == 2);
  if (swapped) {
    for (std::size_t i = 0; i < n; ++i) {
      std::uint16_t u;
      std::memcpy(&u, raw + 2 * i, 2);
      out[i] = static_cast<float>(std::bit_cast<T>(static_cast<std::uint16_t>(__builtin_bswap16(u))));
    }
  } else {
    for (std::size_t i = 0; i < n; ++i) {
      T v;
      std::memcpy(&v, raw + 2 * i, 2);
      out[i] = static_cast<float>(v);
    }
  }
}

void convert_half(const unsigned char* raw, float* out, std::size_t n, bool swapped) {
  for (std::size_t i = 0; i < n; ++i) {
    std::uint16_t u;
    std::memcpy(&u, raw + 2 * i, 2);
    if (swapped) u = __builtin_bswap16(u);
    out[i] = half_to_float(u);
  }
}

}  // namespace

void convert_raw(int mode, bool swapped, const unsigned char* raw, float* out, std::size_t n) {
  switch (mode) {
    case 0:  // MRC2014: mode 0 is signed 8-bit.
      for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<float>(static_cast<std::int8_t>(raw[i]));
      return;
    case 1:
      convert_16<std::int16_t>(raw, out, n, swapped);
      return;
    case 6:
      convert_16<std::uint16_t>(raw, out, n, swapped);
      return;
    case 12:
      convert_half(raw, out, n, swapped);
      return;
    case 2:
      std::memcpy(out, raw, 4 * n);
      if (swapped) swap_words_in_place(out, n);
      return;
    default:
      throw InternalError("convert_raw: unsupported MRC mode " + std::to_string(mode));
  }
}

void swap_words_in_place(float* values, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    values[i] = std::bit_cast<float>(__builtin_bswap32(std::bit_cast<std::uint32_t>(values[i])));
}

std::size_t first_non_finite(const float* values, std::size_t n) {
  // Branch-free scan (vectorises); the exact position is searched only when something is wrong.
  std::uint32_t bad = 0;
  for (std::size_t i = 0; i < n; ++i)
    bad |= (std::bit_cast<std::uint32_t>(values[i]) & 0x7f800000u) == 0x7f800000u;
  if (bad == 0) return n;
  for (std::size_t i = 0; i < n; ++i)
    if ((std::bit_cast<std::uint32_t>(values[i]) & 0x7f800000u) == 0x7f800000u) return i;
  return n;
}

std::string describe_non_finite(float value) {
  if (value != value) return "NaN";
  return value < 0 ? "-Inf" : "Inf";
}

}  // namespace mrc_detail

namespace {

// Reads exactly bytes at offset, retrying short reads and EINTR. Returns errno, or -1 on early EOF.
int pread_all(int fd, void* buffer, std::size_t bytes, std::uint64_t offset) {
  auto* p = static_cast<unsigned char*>(buffer);
  while (bytes > 0) {
    const std::size_t chunk = std::min<std::size_t>(bytes, std::size_t(1) << 30);
    const ssize_t got = ::pread(fd, p, chunk, static_cast<off_t>(offset));
    if (got < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (got == 0) return -1;
    p += got, bytes -= std::size_t(got), offset += std::uint64_t(got);
  }
  return 0;
}

std::string errno_text(int err) {
  return err == -1 ? "unexpected end of file" : std::strerror(err);
}

}  // namespace

MrcReader::MrcReader(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw IoError(path, "file", std::strerror(errno), "an existing, readable MRC file");
  try {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) throw IoError(path, "file", std::strerror(errno), "a readable MRC file");
    if (!S_ISREG(st.st_mode)) throw IoError(path, "file", "not a regular file", "an MRC file");
    const auto size = static_cast<std::uint64_t>(st.st_size);
    if (size < mrc_detail::kHeaderBytes)
      throw IoError(path, "file size", std::to_string(size) + " bytes",
                    "at least 1024 bytes for an MRC header; this is not an MRC file");
    unsigned char bytes[mrc_detail::kHeaderBytes];
    if (const int err = pread_all(fd_, bytes, sizeof bytes, 0); err != 0)
      throw IoError(path, "header", errno_text(err), "a readable 1024-byte MRC header");
    header_ = mrc_detail::decode_header(bytes, path);
    mrc_detail::check_file_size(header_, size, path);
  } catch (...) {
    ::close(fd_);
    fd_ = -1;
    throw;
  }
}

MrcReader::~MrcReader() {
  if (fd_ >= 0) ::close(fd_);
}

MrcReader::MrcReader(MrcReader&& other) noexcept
    : path_(std::move(other.path_)), header_(std::move(other.header_)), fd_(std::exchange(other.fd_, -1)) {}

MrcReader& MrcReader::operator=(MrcReader&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    path_ = std::move(other.path_);
    header_ = std::move(other.header_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

void MrcReader::read_converted_section(int index, float* out) const {
  if (index < 0 || index >= header_.nz)
    throw IoError(path_, "section", std::to_string(index),
                  "an index in [0, " + std::to_string(header_.nz) + ")");
  const std::size_t n = std::size_t(header_.nx) * std::size_t(header_.ny);
  const std::uint64_t bytes = header_.section_bytes();
  const std::uint64_t offset = header_.data_offset() + bytes * std::uint64_t(index);
  const std::string field = "section " + std::to_string(index);
  if (header_.mode == 2) {  // float32: read straight into the output, swap in place if needed
    if (const int err = pread_all(fd_, out, bytes, offset); err != 0)
      throw IoError(path_, field, errno_text(err), "readable data");
    if (header_.byte_swapped) mrc_detail::swap_words_in_place(out, n);
    return;
  }
  // Narrower modes: one scratch buffer per thread, reused across calls.
  static thread_local std::vector<unsigned char> raw;
  raw.resize(bytes);
  if (const int err = pread_all(fd_, raw.data(), bytes, offset); err != 0)
    throw IoError(path_, field, errno_text(err), "readable data");
  mrc_detail::convert_raw(header_.mode, header_.byte_swapped, raw.data(), out, n);
}

void MrcReader::check_finite(int index, const float* values, std::size_t n) const {
  if (header_.mode != 2 && header_.mode != 12) return;  // integers are always finite
  const std::size_t bad = mrc_detail::first_non_finite(values, n);
  if (bad < n)
    throw IoError(path_, "section " + std::to_string(index), mrc_detail::describe_non_finite(values[bad]),
                  "finite pixel values");
}

void MrcReader::read_section_into(int index, float* out) const {
  if (!header_.has_standard_axes())
    throw IoError(path_, "MAPC/MAPR/MAPS",
                  std::to_string(header_.mapc) + " " + std::to_string(header_.mapr) + " " +
                      std::to_string(header_.maps),
                  "1 2 3 to read sections as images (read the file as a volume instead)");
  read_converted_section(index, out);
  check_finite(index, out, std::size_t(header_.nx) * std::size_t(header_.ny));
}

Image MrcReader::read_section(int index) const {
  Image image(header_.nx, header_.ny, header_.pixel_size_A());
  read_section_into(index, image.data());
  return image;
}

Volume MrcReader::read_volume() const {
  const MrcHeader& h = header_;
  const std::array<int, 3> file_n{h.nx, h.ny, h.nz};
  const std::array<int, 3> axis{h.mapc - 1, h.mapr - 1, h.maps - 1};  // x/y/z axis of column/row/section
  std::array<int, 3> n{};
  for (int i = 0; i < 3; ++i) n[axis[i]] = file_n[i];
  Volume v(n[0], n[1], n[2], h.pixel_size_A());
  v.set_origin_A(h.origin_A);
  const std::size_t per_section = std::size_t(h.nx) * std::size_t(h.ny);
  if (h.has_standard_axes()) {
    for (int s = 0; s < h.nz; ++s) {
      float* out = v.data() + per_section * std::size_t(s);
      read_converted_section(s, out);
      check_finite(s, out, per_section);
    }
    return v;
  }
  // Permuted axes: scatter each file section into x, y, z order with per-axis strides.
  const std::array<std::size_t, 3> xyz_stride{1, std::size_t(n[0]), std::size_t(n[0]) * std::size_t(n[1])};
  const std::size_t sc = xyz_stride[axis[0]], sr = xyz_stride[axis[1]], ss = xyz_stride[axis[2]];
  std::vector<float> section(per_section);
  for (int s = 0; s < h.nz; ++s) {
    read_converted_section(s, section.data());
    check_finite(s, section.data(), per_section);
    float* base = v.data() + ss * std::size_t(s);
    for (int r = 0; r < h.ny; ++r) {
      const float* row = section.data() + std::size_t(r) * std::size_t(h.nx);
      float* dst = base + sr * std::size_t(r);
      for (int c = 0; c < h.nx; ++c) dst[sc * std::size_t(c)] = row[c];
    }
  }
  return v;
}

MrcHeader read_mrc_header(const std::string& path) {
  return MrcReader(path).header();
}

Volume read_mrc_volume(const std::string& path) {
  return MrcReader(path).read_volume();
}

}  // namespace cspt::io
