// The negative control of the TSan stage (scripts/test-hardening tsan): an OpenMP loop that races on
// a sum (no reduction). Built and run with the same libomp, Archer and suppressions as the kernels'
// tests, it must be reported; otherwise the setup could not see a race in a kernel either.
#include <cstdio>
#include <vector>

int main() {
  const std::vector<double> v(100000, 1.0);
  double sum = 0;
#pragma omp parallel for
  for (int i = 0; i < int(v.size()); ++i) sum += v[std::size_t(i)];
  std::printf("%f\n", sum);
  return 0;
}
