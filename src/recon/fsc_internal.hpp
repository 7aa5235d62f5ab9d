// What the serial and the distributed FSC share.
#pragma once

#include <cstdint>
#include <numbers>

namespace cspt::detail {

/// A phase in [0, 2 pi) that depends only on (seed, index): splitmix64 of their combination.
inline float random_phase(std::uint64_t seed, std::uint64_t index) {
  std::uint64_t z = seed * 0x9e3779b97f4a7c15ull + index + 0x632be59bd9b4e019ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return float(double(z >> 11) * 0x1.0p-53 * 2.0 * std::numbers::pi);
}

}  // namespace cspt::detail
