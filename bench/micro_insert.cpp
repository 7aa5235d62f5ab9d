// Micro-benchmark of the reconstruction's stages on synthetic data (no I/O): slice insertion into
// the padded grid, the CTF half-plane, and the 2D FFT, per image. Prints ns per image for each.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>
#include <complex>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "cspt/core/ctf.hpp"
#include "cspt/core/euler.hpp"
#include "cspt/fft/plan.hpp"
#include "cspt/recon/fourier_accumulator.hpp"

int main(int argc, char** argv) {
  const int box = argc > 1 ? std::atoi(argv[1]) : 128;
  const int pad = argc > 2 ? std::atoi(argv[2]) : 2;
  const int n = argc > 3 ? std::atoi(argv[3]) : 5000;
  using clock = std::chrono::steady_clock;
  const int nxh = box / 2 + 1;
  std::vector<std::complex<float>> values(std::size_t(box) * nxh, {1.0f, 0.5f});
  std::vector<float> weights(std::size_t(box) * nxh, 1.0f);
  cspt::FourierAccumulator acc(box * pad);
  std::mt19937 rng(1);
  std::uniform_real_distribution<double> u(0, 360);
  std::vector<Eigen::Matrix3d> mats;
  for (int i = 0; i < n; ++i) {
    const double c = 2.0 * (u(rng) / 360.0) - 1.0;  // uniform on the sphere
    mats.push_back(cspt::matrix_from_euler_zyz({u(rng), std::acos(c) * 57.29577951308232, u(rng)}));
  }
  if (argc > 4 && std::string(argv[4]) == "sorted") {  // as reconstruct orders them: by plane normal
    std::sort(mats.begin(), mats.end(), [](const Eigen::Matrix3d& a, const Eigen::Matrix3d& b) {
      const auto key = [](const Eigen::Matrix3d& m) {
        Eigen::Vector3d nrm = m.row(2);
        if (nrm.z() < 0) nrm = -nrm;
        const int band = int(std::acos(nrm.z()) * 57.29577951308232 / 3.0);
        const double phi = std::atan2(nrm.y(), nrm.x()) * 57.29577951308232 + 180;
        return band * 1000.0 + (band % 2 ? 360 - phi : phi);
      };
      return key(a) < key(b);
    });
  }
  auto t = clock::now();
  for (int i = 0; i < n; ++i) acc.insert_slice(values.data(), weights.data(), box, mats[i], box / 2.0 - 1);
  const double insert_ns = std::chrono::duration<double, std::nano>(clock::now() - t).count() / n;
  t = clock::now();
  {
    cspt::BatchedInserter batch(acc);
    for (int i = 0; i < n; ++i) batch.add_slice(values.data(), weights.data(), box, mats[i], box / 2.0 - 1);
    batch.flush();
  }
  const double batched_ns = std::chrono::duration<double, std::nano>(clock::now() - t).count() / n;

  cspt::CtfParams p;
  std::vector<float> ctf(std::size_t(box) * nxh);
  t = clock::now();
  for (int i = 0; i < n; ++i) {
    p.defocus_u_A = 15000 + i;
    cspt::CtfEvaluator(p).evaluate_half_plane(box, 1.5, ctf.data());
  }
  const double ctf_ns = std::chrono::duration<double, std::nano>(clock::now() - t).count() / n;

  cspt::fft::AlignedBuffer<float> img(std::size_t(box) * box);
  cspt::fft::AlignedBuffer<std::complex<float>> spec(std::size_t(box) * nxh);
  for (std::size_t i = 0; i < img.size(); ++i) img[i] = float(i % 7);
  cspt::fft::RealToComplex plan(box, box);
  t = clock::now();
  for (int i = 0; i < n; ++i) plan.execute(img.data(), spec.data());
  const double fft_ns = std::chrono::duration<double, std::nano>(clock::now() - t).count() / n;
  std::printf("box %d pad %d: insert %.0f ns/image (batched %.0f), ctf %.0f ns/image, fft %.0f ns/image\n", box, pad, insert_ns,
              batched_ns, ctf_ns, fft_ns);
  return 0;
}
