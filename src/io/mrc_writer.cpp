// MRC2014 writing: float32 maps and stacks, whole or streamed, always via a renamed temporary file.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "cspt/io/mrc.hpp"
#include "cspt/util/error.hpp"
#include "io/mrc_internal.hpp"

namespace cspt::io {

namespace mrc_detail {

AtomicFile::AtomicFile(const std::string& path)
    : path_(path), tmp_path_(path + ".tmp-" + std::to_string(::getpid())) {
  fd_ = ::open(tmp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0)
    throw IoError(path, "file", std::strerror(errno),
                  "a writable location (temporary file " + tmp_path_ + ")");
}

AtomicFile::~AtomicFile() {
  discard();
}

void AtomicFile::discard() noexcept {
  if (fd_ < 0) return;
  ::close(fd_);
  fd_ = -1;
  ::unlink(tmp_path_.c_str());
}

void AtomicFile::fail(const std::string& field, int err) {
  discard();
  throw IoError(path_, field, std::strerror(err), "a writable location with enough free space");
}

void AtomicFile::write(const void* data, std::size_t bytes) {
  if (fd_ < 0) throw IoError(path_, "write", "file already closed or failed", "an open output file");
  const auto* p = static_cast<const unsigned char*>(data);
  while (bytes > 0) {
    const ssize_t put = ::write(fd_, p, std::min<std::size_t>(bytes, std::size_t(1) << 30));
    if (put < 0) {
      if (errno == EINTR) continue;
      fail("write", errno);
    }
    p += put, bytes -= std::size_t(put);
  }
}

void AtomicFile::pwrite(const void* data, std::size_t bytes, std::uint64_t offset) {
  if (fd_ < 0) throw IoError(path_, "write", "file already closed or failed", "an open output file");
  const auto* p = static_cast<const unsigned char*>(data);
  while (bytes > 0) {
    const ssize_t put = ::pwrite(fd_, p, bytes, static_cast<off_t>(offset));
    if (put < 0) {
      if (errno == EINTR) continue;
      fail("write", errno);
    }
    p += put, bytes -= std::size_t(put), offset += std::uint64_t(put);
  }
}

void AtomicFile::write_floats(const float* values, std::size_t n) {
  if constexpr (std::endian::native == std::endian::little) {
    write(values, n * sizeof(float));
  } else {  // MRC files from cspt are always little endian
    std::vector<float> chunk;
    for (std::size_t start = 0; start < n; start += 1 << 20) {
      const std::size_t count = std::min<std::size_t>(n - start, 1 << 20);
      chunk.assign(values + start, values + start + count);
      swap_words_in_place(chunk.data(), count);
      write(chunk.data(), count * sizeof(float));
    }
  }
}

void AtomicFile::truncate(std::uint64_t bytes) {
  if (fd_ < 0) throw IoError(path_, "write", "file already closed or failed", "an open output file");
  if (::ftruncate(fd_, static_cast<off_t>(bytes)) != 0) fail("truncate", errno);
  if (::lseek(fd_, static_cast<off_t>(bytes), SEEK_SET) < 0) fail("seek", errno);
}

void AtomicFile::commit() {
  if (fd_ < 0) throw IoError(path_, "write", "file already closed or failed", "an open output file");
  const int rc = ::close(fd_);
  fd_ = -1;
  if (rc != 0) {
    const int err = errno;
    ::unlink(tmp_path_.c_str());
    throw IoError(path_, "close", std::strerror(err), "a writable location with enough free space");
  }
  std::error_code ec;
  std::filesystem::rename(tmp_path_, path_, ec);
  if (ec) {
    ::unlink(tmp_path_.c_str());
    throw IoError(path_, "rename", ec.message(), "a replaceable destination for " + tmp_path_);
  }
}

}  // namespace mrc_detail

namespace {

using mrc_detail::AtomicFile;

// The header of a cspt float32 file. Stacks are ISPG 0 with MZ 1 (each section one image);
// volumes are ISPG 1 with MZ = NZ. Cell = sampling * pixel size along each axis.
MrcHeader float_header(int nx, int ny, int nz, double pixel_size_A, const std::array<double, 3>& origin_A,
                       bool stack, const MrcStats& stats) {
  MrcHeader h;
  h.nx = nx, h.ny = ny, h.nz = nz;
  h.mode = 2;
  h.mx = nx, h.my = ny, h.mz = stack ? 1 : nz;
  h.cell_A = {h.mx * pixel_size_A, h.my * pixel_size_A, h.mz * pixel_size_A};
  h.origin_A = origin_A;
  h.ispg = stack ? 0 : 1;
  h.dmin = stats.dmin, h.dmax = stats.dmax, h.dmean = stats.dmean, h.rms = stats.rms();
  h.nversion = mrc_detail::kNVersion;
  h.has_map_stamp = true;
  h.labels = {stack ? "cspt: MRC2014 float32 image stack" : "cspt: MRC2014 float32 map"};
  return h;
}

void require_finite(const std::string& path, const float* values, std::size_t n, std::size_t per_section,
                    std::size_t first_section) {
  const std::size_t bad = mrc_detail::first_non_finite(values, n);
  if (bad < n)
    throw IoError(path, "section " + std::to_string(first_section + bad / per_section),
                  mrc_detail::describe_non_finite(values[bad]), "finite pixel values");
}

std::string size_text(int nx, int ny) {
  return std::to_string(nx) + "x" + std::to_string(ny);
}

}  // namespace

void write_mrc_volume(const std::string& path, const Volume& v) {
  if (v.nx() <= 0 || v.ny() <= 0 || v.nz() <= 0)
    throw IoError(path, "volume size", size_text(v.nx(), v.ny()) + "x" + std::to_string(v.nz()),
                  "positive dimensions");
  const std::size_t per_section = std::size_t(v.nx()) * std::size_t(v.ny());
  require_finite(path, v.data(), v.size(), per_section, 0);
  MrcStats stats;
  stats.add(v.data(), v.size());
  const auto header = mrc_detail::encode_header(
      float_header(v.nx(), v.ny(), v.nz(), v.pixel_size_A(), v.origin_A(), false, stats));
  AtomicFile file(path);
  file.write(header.data(), header.size());
  file.write_floats(v.data(), v.size());
  file.commit();
}

void write_mrc_image_uint16(const std::string& path, const std::uint16_t* pixels, int nx, int ny, double pixel_size_A) {
  if (nx <= 0 || ny <= 0)
    throw IoError(path, "image size", std::to_string(nx) + "x" + std::to_string(ny), "positive nx and ny");
  const std::size_t n = std::size_t(nx) * std::size_t(ny);
  std::vector<float> values(pixels, pixels + n);
  MrcStats stats;
  stats.add(values.data(), n);
  MrcHeader h;
  h.nx = nx, h.ny = ny, h.nz = 1, h.mode = 6;
  h.mx = nx, h.my = ny, h.mz = 1;
  h.cell_A = {nx * pixel_size_A, ny * pixel_size_A, pixel_size_A};
  h.dmin = stats.dmin, h.dmax = stats.dmax, h.dmean = stats.dmean, h.rms = stats.rms();
  h.nversion = mrc_detail::kNVersion;
  h.has_map_stamp = true;
  h.labels = {"cspt: uint16 image"};
  const auto header = mrc_detail::encode_header(h);
  mrc_detail::AtomicFile file(path);
  file.write(header.data(), header.size());
  if constexpr (std::endian::native == std::endian::little) {
    file.write(pixels, n * sizeof(std::uint16_t));
  } else {  // MRC files written here are little endian, as encode_header declares
    std::vector<std::uint16_t> swapped(pixels, pixels + n);
    for (auto& v : swapped) v = std::uint16_t((v >> 8) | (v << 8));
    file.write(swapped.data(), n * sizeof(std::uint16_t));
  }
  file.commit();
}

void write_mrc_stack(const std::string& path, const std::vector<Image>& images) {
  if (images.empty()) throw IoError(path, "images", "0", "at least one image in a stack");
  MrcStackWriter writer(path, images.front().nx(), images.front().ny(), images.front().pixel_size_A());
  for (const Image& image : images) writer.append(image);
  writer.close();
}

struct MrcStackWriter::Impl {
  Impl(const std::string& p, int x, int y, double pixel) : file(p), nx(x), ny(y), pixel_size_A(pixel) {}
  AtomicFile file;
  int nx, ny;
  double pixel_size_A;
  int count = 0;
  bool closed = false;
  MrcStats stats;
};

MrcStackWriter::MrcStackWriter(const std::string& path, int nx, int ny, double pixel_size_A) {
  if (nx <= 0 || ny <= 0) throw IoError(path, "image size", size_text(nx, ny), "positive nx and ny");
  impl_ = std::make_unique<Impl>(path, nx, ny, pixel_size_A);
  const std::array<unsigned char, mrc_detail::kHeaderBytes> blank_header{};  // rewritten by close()
  impl_->file.write(blank_header.data(), blank_header.size());
}

MrcStackWriter::~MrcStackWriter() = default;  // Impl's AtomicFile removes an uncommitted temp file
MrcStackWriter::MrcStackWriter(MrcStackWriter&&) noexcept = default;
MrcStackWriter& MrcStackWriter::operator=(MrcStackWriter&&) noexcept = default;

void MrcStackWriter::append(const Image& image) {
  if (!impl_) throw InternalError("MrcStackWriter::append on a moved-from writer");
  if (image.nx() != impl_->nx || image.ny() != impl_->ny)
    throw IoError(path(), "image " + std::to_string(impl_->count), size_text(image.nx(), image.ny()),
                  "the stack's size " + size_text(impl_->nx, impl_->ny));
  append(image.data());
}

void MrcStackWriter::append(const float* pixels) {
  if (!impl_ || impl_->closed) throw InternalError("MrcStackWriter::append after close()");
  const std::size_t n = std::size_t(impl_->nx) * std::size_t(impl_->ny);
  require_finite(path(), pixels, n, n, std::size_t(impl_->count));
  impl_->file.write_floats(pixels, n);
  impl_->stats.add(pixels, n);
  ++impl_->count;
}

void MrcStackWriter::close() {
  if (!impl_ || impl_->closed) throw InternalError("MrcStackWriter::close called twice");
  if (impl_->count == 0) {
    impl_->file.discard();
    impl_->closed = true;
    throw IoError(path(), "images", "0", "at least one image in a stack");
  }
  const auto header = mrc_detail::encode_header(float_header(
      impl_->nx, impl_->ny, impl_->count, impl_->pixel_size_A, {0.0, 0.0, 0.0}, true, impl_->stats));
  impl_->file.pwrite(header.data(), header.size(), 0);
  impl_->closed = true;
  impl_->file.commit();
}

MrcStackWriter::Mark MrcStackWriter::mark() const {
  if (!impl_) throw InternalError("MrcStackWriter::mark on a moved-from writer");
  return {impl_->count, impl_->stats};
}

void MrcStackWriter::rewind(const Mark& m) {
  if (!impl_ || impl_->closed) throw InternalError("MrcStackWriter::rewind after close()");
  if (m.count < 0 || m.count > impl_->count) throw InternalError("MrcStackWriter::rewind past the end");
  const std::uint64_t per_image = std::uint64_t(impl_->nx) * std::uint64_t(impl_->ny) * sizeof(float);
  impl_->file.truncate(mrc_detail::kHeaderBytes + per_image * std::uint64_t(m.count));
  impl_->count = m.count;
  impl_->stats = m.stats;
}

int MrcStackWriter::count() const {
  return impl_ ? impl_->count : 0;
}

const std::string& MrcStackWriter::path() const {
  static const std::string empty;
  return impl_ ? impl_->file.path() : empty;
}

}  // namespace cspt::io
