// Binning of camera images for correlation: sum-pooling in vectorisable row passes, and an MRC
// reader that bins uint16 data while streaming it (a 4096 x 4096 image never exists as floats).
#include "bisect/image_binning.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "cspt/io/mrc.hpp"
#include "cspt/util/error.hpp"

namespace bisect {

namespace {

std::string num(long long v) { return std::to_string(v); }

[[noreturn]] void config_fail(const std::string& where, const std::string& field, const std::string& value,
                              const std::string& expectation) {
  throw cspt::ConfigError(where, field, value, expectation);
}

void validate_bin(int nx, int ny, int factor) {
  if (factor < 1 || factor > 255) config_fail("bin_image", "factor", num(factor), "in [1, 255]");
  if (nx < factor || ny < factor)
    config_fail("bin_image", "nx, ny", num(nx) + "x" + num(ny), "at least the factor " + num(factor));
}

// ---- binning ---------------------------------------------------------------------------------

// One output row from factor input rows: column sums first (contiguous, vectorised), then pools.
template <class T, class Acc>
void bin_rows(const T* rows, int nx, int factor, int nbx, Acc* acc, float* out) {
  const int width = nbx * factor;
  std::fill(acc, acc + width, Acc(0));
  for (int r = 0; r < factor; ++r) {
    const T* src = rows + std::size_t(r) * std::size_t(nx);
    for (int x = 0; x < width; ++x) acc[x] += Acc(src[x]);
  }
  for (int i = 0; i < nbx; ++i) {
    Acc s = 0;
    for (int q = 0; q < factor; ++q) s += acc[i * factor + q];
    out[i] = float(s);
  }
}

// uint16 sums stay exact in uint32 up to factor 255 (255² · 65535 < 2³²).
template <class T>
using Accumulator = std::conditional_t<std::is_same_v<T, float>, float, std::uint32_t>;

template <class T>
cspt::Image bin_any(const T* pixels, int nx, int ny, int factor, double pixel_size_A) {
  validate_bin(nx, ny, factor);
  const int nbx = nx / factor, nby = ny / factor;
  cspt::Image out(nbx, nby, pixel_size_A * factor);
  std::vector<Accumulator<T>> acc(std::size_t(nbx) * std::size_t(factor));
  for (int j = 0; j < nby; ++j)
    bin_rows(pixels + std::size_t(j) * std::size_t(factor) * std::size_t(nx), nx, factor, nbx, acc.data(),
             out.data() + std::size_t(j) * std::size_t(nbx));
  return out;
}

class FileDescriptor {
 public:
  explicit FileDescriptor(const std::string& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    if (fd_ < 0) throw cspt::IoError(path, "file", std::strerror(errno), "a readable MRC file");
  }
  ~FileDescriptor() { ::close(fd_); }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

void pread_exact(int fd, void* buffer, std::size_t bytes, std::uint64_t offset, const std::string& path) {
  auto* p = static_cast<unsigned char*>(buffer);
  while (bytes > 0) {
    const ssize_t got = ::pread(fd, p, bytes, off_t(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) throw cspt::IoError(path, "data", got < 0 ? std::strerror(errno) : "end of file", "readable data");
    p += got, bytes -= std::size_t(got), offset += std::uint64_t(got);
  }
}

// Mode 6: reads blocks of whole binned rows (about 256 KB, so they stay in cache while binned).
cspt::Image read_binned_uint16(const std::string& path, const cspt::io::MrcHeader& h, int section, int factor) {
  const int nbx = h.nx / factor, nby = h.ny / factor;
  const std::size_t row_values = std::size_t(factor) * std::size_t(h.nx);  // one binned row
  const int rows_per_read = std::max(1, int((256u << 10) / (2 * row_values)));
  std::vector<std::uint16_t> raw(row_values * std::size_t(rows_per_read));
  std::vector<std::uint32_t> acc(std::size_t(nbx) * std::size_t(factor));
  cspt::Image out(nbx, nby, h.pixel_size_A() * factor);
  const FileDescriptor fd(path);
  const std::uint64_t base = h.data_offset() + h.section_bytes() * std::uint64_t(section);
  for (int j0 = 0; j0 < nby; j0 += rows_per_read) {
    const int rows = std::min(rows_per_read, nby - j0);
    pread_exact(fd.get(), raw.data(), 2 * row_values * rows, base + 2 * row_values * std::uint64_t(j0), path);
    if (h.byte_swapped)
      for (std::size_t i = 0; i < row_values * rows; ++i) raw[i] = std::uint16_t((raw[i] >> 8) | (raw[i] << 8));
    for (int r = 0; r < rows; ++r)
      bin_rows(raw.data() + row_values * r, h.nx, factor, nbx, acc.data(), out.data() + std::size_t(j0 + r) * nbx);
  }
  return out;
}

}  // namespace

int binning_factor(int nx, int ny, int max_size_px) {
  if (nx < 1 || ny < 1) config_fail("binning_factor", "nx, ny", num(nx) + "x" + num(ny), "positive");
  if (max_size_px < 1) config_fail("binning_factor", "max_size_px", num(max_size_px), ">= 1");
  const int n = std::max(nx, ny);
  return (n + max_size_px - 1) / max_size_px;
}

cspt::Image bin_image(const float* pixels, int nx, int ny, int factor, double pixel_size_A) {
  return bin_any(pixels, nx, ny, factor, pixel_size_A);
}

cspt::Image bin_image(const std::uint16_t* pixels, int nx, int ny, int factor, double pixel_size_A) {
  return bin_any(pixels, nx, ny, factor, pixel_size_A);
}

cspt::Image read_binned_mrc_section(const std::string& path, int section, int factor) {
  const cspt::io::MrcHeader h = cspt::io::read_mrc_header(path);
  if (section < 0 || section >= h.nz)
    throw cspt::IoError(path, "section", num(section), "an index in [0, " + num(h.nz) + ")");
  validate_bin(h.nx, h.ny, factor);
  if (h.mode == 6 && h.has_standard_axes()) return read_binned_uint16(path, h, section, factor);
  const cspt::io::MrcReader reader(path);
  const cspt::Image full = reader.read_section(section);
  return bin_image(full.data(), full.nx(), full.ny(), factor, full.pixel_size_A());
}

}  // namespace bisect
