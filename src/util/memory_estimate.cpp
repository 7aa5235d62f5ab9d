// Summing and describing a memory estimate.
#include "cspt/util/memory_estimate.hpp"

#include <cstdio>

namespace cspt {

double MemoryEstimate::peak_bytes() const {
  double sum = 0;
  for (const auto& part : parts) sum += part.second;
  return sum;
}

std::string format_gigabytes(double bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f GB", bytes / 1e9);
  return text;
}

std::string MemoryEstimate::describe() const {
  std::string s = format_gigabytes(peak_bytes()) + " at " + phase + " (";
  for (std::size_t i = 0; i < parts.size(); ++i) s += (i ? ", " : "") + parts[i].first + " " + format_gigabytes(parts[i].second);
  return s + ")";
}

}  // namespace cspt
