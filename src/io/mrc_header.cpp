// MRC2014 header codec: byte order detection, validation with clear errors, encoding, statistics.
#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>

#include "cspt/util/error.hpp"
#include "io/mrc_internal.hpp"

namespace cspt::io {

namespace {

// Byte offsets of header words (MRC2014 word n starts at 4 * (n - 1)).
constexpr std::size_t kNx = 0, kMode = 12, kNxStart = 16, kMx = 28, kCell = 40, kCellAngles = 52;
constexpr std::size_t kMapc = 64, kDmin = 76, kDmax = 80, kDmean = 84, kIspg = 88, kNsymbt = 92;
constexpr std::size_t kExttyp = 104, kNversion = 108, kOrigin = 196, kMap = 208, kMachst = 212;
constexpr std::size_t kRms = 216, kNlabl = 220, kLabels = 224, kLabelBytes = 80, kMaxLabels = 10;

std::uint32_t load_u32(const unsigned char* p, bool big_endian) {
  if (big_endian)
    return std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8 | p[3];
  return std::uint32_t(p[3]) << 24 | std::uint32_t(p[2]) << 16 | std::uint32_t(p[1]) << 8 | p[0];
}
int load_i32(const unsigned char* h, std::size_t offset, bool big) {
  return std::bit_cast<std::int32_t>(load_u32(h + offset, big));
}
double load_f32(const unsigned char* h, std::size_t offset, bool big) {
  return std::bit_cast<float>(load_u32(h + offset, big));
}
void store_u32(unsigned char* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}
void store_i32(unsigned char* h, std::size_t offset, int v) {
  store_u32(h + offset, std::bit_cast<std::uint32_t>(v));
}
void store_f32(unsigned char* h, std::size_t offset, double v) {
  store_u32(h + offset, std::bit_cast<std::uint32_t>(static_cast<float>(v)));
}

// Whether the size and mode words look like an MRC header when read in this byte order. A wrong
// order turns small positive numbers into huge or negative ones (64 becomes 2^30).
bool plausible(const unsigned char* h, bool big) {
  constexpr int kMaxDim = 1 << 24;
  for (int i = 0; i < 3; ++i) {
    const int n = load_i32(h, kNx + 4 * i, big);
    if (n <= 0 || n > kMaxDim) return false;
  }
  const int mode = load_i32(h, kMode, big);
  const int nsymbt = load_i32(h, kNsymbt, big);
  return mode >= 0 && mode <= 1024 && nsymbt >= 0;
}

bool choose_big_endian(const unsigned char* h) {
  const bool le_ok = plausible(h, false), be_ok = plausible(h, true);
  const unsigned char m0 = h[kMachst], m1 = h[kMachst + 1];
  if (m0 == 0x11 && m1 == 0x11) return be_ok || !le_ok;  // stamp says big; trust it unless absurd
  if (m0 == 0x44) return !le_ok && be_ok;                // 0x44 0x41 or 0x44 0x44: little
  return !le_ok && be_ok;                                // no stamp (zero or junk): plausibility
}

// Four header bytes as readable text, non-printable bytes as \xNN.
std::string printable(const unsigned char* p, std::size_t n) {
  std::string s = "\"";
  for (std::size_t i = 0; i < n; ++i) {
    if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\') {
      s += static_cast<char>(p[i]);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", p[i]);
      s += buf;
    }
  }
  return s + "\"";
}

std::string trim_right(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}

void validate(const MrcHeader& h, const std::string& path) {
  const std::array<std::pair<const char*, int>, 3> dims{{{"nx", h.nx}, {"ny", h.ny}, {"nz", h.nz}}};
  for (const auto& [name, n] : dims)
    if (n <= 0) throw IoError(path, name, std::to_string(n), "a positive map dimension");
  if (mrc_detail::bytes_per_voxel(h.mode) == 0)
    throw IoError(path, "mode", std::to_string(h.mode),
                  std::string("unsupported MRC mode (supported: ") + mrc_detail::kSupportedModes + ")");
  std::array<int, 3> axes{h.mapc, h.mapr, h.maps};
  std::sort(axes.begin(), axes.end());
  if (axes != std::array<int, 3>{1, 2, 3})
    throw IoError(path, "MAPC/MAPR/MAPS",
                  std::to_string(h.mapc) + " " + std::to_string(h.mapr) + " " + std::to_string(h.maps),
                  "a permutation of 1, 2, 3");
  if (h.nsymbt < 0)
    throw IoError(path, "NSYMBT", std::to_string(h.nsymbt), "a non-negative extended header length in bytes");
}

MrcHeader decode_fields(const unsigned char* b, bool big) {
  MrcHeader h;
  h.nx = load_i32(b, kNx, big);
  h.ny = load_i32(b, kNx + 4, big);
  h.nz = load_i32(b, kNx + 8, big);
  h.mode = load_i32(b, kMode, big);
  h.nxstart = load_i32(b, kNxStart, big);
  h.nystart = load_i32(b, kNxStart + 4, big);
  h.nzstart = load_i32(b, kNxStart + 8, big);
  h.mx = load_i32(b, kMx, big);
  h.my = load_i32(b, kMx + 4, big);
  h.mz = load_i32(b, kMx + 8, big);
  for (int i = 0; i < 3; ++i) {
    h.cell_A[i] = load_f32(b, kCell + 4 * i, big);
    h.cell_angles_deg[i] = load_f32(b, kCellAngles + 4 * i, big);
    h.origin_A[i] = load_f32(b, kOrigin + 4 * i, big);
  }
  h.mapc = load_i32(b, kMapc, big);
  h.mapr = load_i32(b, kMapc + 4, big);
  h.maps = load_i32(b, kMapc + 8, big);
  h.dmin = load_f32(b, kDmin, big);
  h.dmax = load_f32(b, kDmax, big);
  h.dmean = load_f32(b, kDmean, big);
  h.rms = load_f32(b, kRms, big);
  h.ispg = load_i32(b, kIspg, big);
  h.nsymbt = load_i32(b, kNsymbt, big);
  h.nversion = load_i32(b, kNversion, big);
  h.exttyp = trim_right(std::string(reinterpret_cast<const char*>(b + kExttyp), 4));
  const int nlabl = std::clamp(load_i32(b, kNlabl, big), 0, int(kMaxLabels));
  for (int i = 0; i < nlabl; ++i)
    h.labels.push_back(
        trim_right(std::string(reinterpret_cast<const char*>(b + kLabels + kLabelBytes * i), kLabelBytes)));
  return h;
}

}  // namespace

std::size_t MrcHeader::bytes_per_voxel() const {
  return mrc_detail::bytes_per_voxel(mode);
}

std::uint64_t MrcHeader::section_bytes() const {
  return std::uint64_t(std::max(nx, 0)) * std::uint64_t(std::max(ny, 0)) * bytes_per_voxel();
}

void MrcStats::add(const float* values, std::size_t n) {
  if (n == 0) return;
  double sum = 0.0;
  float lo = values[0], hi = values[0];
  for (std::size_t i = 0; i < n; ++i) {
    sum += values[i];
    lo = std::min(lo, values[i]);
    hi = std::max(hi, values[i]);
  }
  const double block_mean = sum / double(n);
  double block_m2 = 0.0;
  for (std::size_t i = 0; i < n; ++i) block_m2 += (values[i] - block_mean) * (values[i] - block_mean);
  if (count == 0) {
    count = n, dmin = lo, dmax = hi, dmean = block_mean, m2 = block_m2;
    return;
  }
  // Chan, Golub and LeVeque's pairwise update: exact merge of two (mean, M2) summaries.
  const double na = double(count), nb = double(n), total = na + nb;
  const double delta = block_mean - dmean;
  dmean += delta * nb / total;
  m2 += block_m2 + delta * delta * na * nb / total;
  dmin = std::min(dmin, double(lo));
  dmax = std::max(dmax, double(hi));
  count += n;
}

double MrcStats::rms() const {
  return count == 0 ? 0.0 : std::sqrt(m2 / double(count));
}

namespace mrc_detail {

std::size_t bytes_per_voxel(int mode) {
  switch (mode) {
    case 0:
      return 1;
    case 1:
    case 6:
    case 12:
      return 2;
    case 2:
      return 4;
    default:
      return 0;
  }
}

MrcHeader decode_header(const unsigned char* bytes, const std::string& path) {
  const bool big = choose_big_endian(bytes);
  const bool stamp = std::memcmp(bytes + kMap, "MAP", 3) == 0;  // "MAP " (some writers: "MAP\0")
  if (!stamp && !plausible(bytes, big))
    throw IoError(path, "MAP", printable(bytes + kMap, 4),
                  "not an MRC file: no \"MAP \" stamp at byte 208 and the header numbers are implausible");
  MrcHeader h = decode_fields(bytes, big);
  h.has_map_stamp = stamp;
  h.byte_swapped = big != (std::endian::native == std::endian::big);
  validate(h, path);
  return h;
}

void check_file_size(const MrcHeader& h, std::uint64_t file_size, const std::string& path) {
  std::uint64_t data = 0, expected = 0;
  const bool overflow = __builtin_mul_overflow(h.section_bytes(), std::uint64_t(h.nz), &data) ||
                        __builtin_add_overflow(h.data_offset(), data, &expected);
  if (!overflow && file_size >= expected) return;
  const std::string expect_text = overflow ? std::string("more than 2^64") : std::to_string(expected);
  throw IoError(path, "file size", std::to_string(file_size) + " bytes",
                "expected at least " + expect_text + " bytes (1024 header + " + std::to_string(h.nsymbt) +
                    " extended header + " + std::to_string(h.nx) + "x" + std::to_string(h.ny) + "x" +
                    std::to_string(h.nz) + " values of " + std::to_string(h.bytes_per_voxel()) +
                    " bytes); the file is truncated");
}

std::array<unsigned char, kHeaderBytes> encode_header(const MrcHeader& h) {
  std::array<unsigned char, kHeaderBytes> b{};
  unsigned char* p = b.data();
  const std::array<int, 3> n{h.nx, h.ny, h.nz}, start{h.nxstart, h.nystart, h.nzstart}, m{h.mx, h.my, h.mz};
  const std::array<int, 3> axes{h.mapc, h.mapr, h.maps};
  for (int i = 0; i < 3; ++i) {
    store_i32(p, kNx + 4 * i, n[i]);
    store_i32(p, kNxStart + 4 * i, start[i]);
    store_i32(p, kMx + 4 * i, m[i]);
    store_f32(p, kCell + 4 * i, h.cell_A[i]);
    store_f32(p, kCellAngles + 4 * i, h.cell_angles_deg[i]);
    store_i32(p, kMapc + 4 * i, axes[i]);
    store_f32(p, kOrigin + 4 * i, h.origin_A[i]);
  }
  store_i32(p, kMode, h.mode);
  store_f32(p, kDmin, h.dmin);
  store_f32(p, kDmax, h.dmax);
  store_f32(p, kDmean, h.dmean);
  store_i32(p, kIspg, h.ispg);
  store_i32(p, kNsymbt, h.nsymbt);
  std::memcpy(p + kExttyp, h.exttyp.data(), std::min<std::size_t>(h.exttyp.size(), 4));
  store_i32(p, kNversion, h.nversion);
  std::memcpy(p + kMap, "MAP ", 4);
  const unsigned char machst[4] = {0x44, 0x44, 0x00, 0x00};  // little endian, as MRC2014 asks
  std::memcpy(p + kMachst, machst, 4);
  store_f32(p, kRms, h.rms);
  const std::size_t nlabl = std::min(h.labels.size(), kMaxLabels);
  store_i32(p, kNlabl, int(nlabl));
  for (std::size_t i = 0; i < nlabl; ++i) {
    unsigned char* label = p + kLabels + kLabelBytes * i;
    std::memset(label, ' ', kLabelBytes);
    std::memcpy(label, h.labels[i].data(), std::min(h.labels[i].size(), kLabelBytes));
  }
  return b;
}

}  // namespace mrc_detail
}  // namespace cspt::io
