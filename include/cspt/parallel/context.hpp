// The distribution context algorithms see: ranks, reductions and distributed FFTs in domain terms.
// No MPI type appears here; the MPI implementation lives in src/parallel/mpi_*.cpp only.
#pragma once

#include <complex>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace cspt::parallel {

/// Which rank owns which z-slabs of a distributed cubic grid: slab r covers z0[r] .. z0[r]+nz[r]-1.
struct SlabLayout {
  std::vector<int> z0, nz;
  int owner_count() const { return int(z0.size()); }
};

/// A real 3D FFT of an n^3 grid spread over the ranks in z-slabs, both directions on one buffer (as
/// FFTW's in-place transforms): the Fourier side is local_nz x n x (n/2+1) complex values (FFTW order
/// on kz and ky, kx in 0..n/2), the real side local_nz x n x 2*(n/2+1) floats (only the first n of
/// each row are data). Neither direction normalises (a round trip scales by n^3).
class DistributedRealFft {
 public:
  virtual ~DistributedRealFft() = default;
  virtual int n() const = 0;
  virtual const SlabLayout& layout() const = 0;
  int local_z0() const;
  int local_nz() const;
  std::size_t real_row_floats() const { return 2 * (std::size_t(n()) / 2 + 1); }
  virtual std::complex<float>* fourier_slab() = 0;
  virtual float* real_slab() = 0;
  /// Collective: real side -> Fourier side.
  virtual void forward() = 0;
  /// Collective: Fourier side -> real side.
  virtual void inverse() = 0;
  virtual int rank() const = 0;
};

/// What a distributed algorithm may ask of the ranks it runs on. Every method whose name ends in
/// _collective must be called by all ranks in the same order.
class Context {
 public:
  virtual ~Context() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  bool is_root() const { return rank() == 0; }
  /// How many ranks of this context share this rank's node (and so its memory).
  virtual int ranks_on_node() const = 0;
  /// A short label for messages, e.g. "rank 2/3".
  std::string label() const;

  virtual void barrier_collective() = 0;
  /// Element-wise sum over ranks; every rank receives the result.
  virtual void sum_collective(std::span<double> values) = 0;
  virtual void sum_collective(std::span<long long> values) = 0;
  /// Root's values replace everyone's (the vector is resized on the receivers).
  virtual void broadcast_collective(std::vector<double>& values) = 0;
  virtual void broadcast_collective(std::string& text) = 0;
  /// Logical OR of a flag over ranks (used to stop all ranks when one fails).
  virtual bool any_collective(bool flag) = 0;

  /// The slab layout this context uses for an n^3 grid of Fourier coefficients.
  virtual SlabLayout slab_layout(int n) const = 0;
  /// Sum a full grid held by every rank (z-major: z-slab k is floats_per_z contiguous floats) over
  /// the ranks, each rank receiving only the sum of its own slabs (layout.nz[rank] * floats_per_z).
  /// A rank may pass full = nullptr to contribute zeros without holding a grid.
  virtual void reduce_to_slabs_collective(const float* full, std::size_t floats_per_z,
                                          const SlabLayout& layout, float* my_slabs) = 0;
  /// Concatenate each rank's part (in rank order) on the root; other ranks get an empty vector.
  virtual std::vector<float> gather_to_root_collective(std::span<const float> mine) = 0;
  /// Each rank's text, in rank order, on the root; other ranks get an empty vector.
  virtual std::vector<std::string> gather_text_to_root_collective(const std::string& mine) = 0;
  /// All-to-all: `send` holds the floats for rank 0, then rank 1, ... (send_counts[r] of them for rank
  /// r). Returns what every rank sent to this one, in rank order, and how many floats came from each.
  struct Received {
    std::vector<float> values;
    std::vector<std::size_t> counts;
  };
  virtual Received exchange_collective(std::span<const float> send, std::span<const std::size_t> send_counts) = 0;
  /// Make a distributed real FFT of an n^3 grid using `threads` threads per rank.
  virtual std::unique_ptr<DistributedRealFft> make_real_fft_collective(int n, int threads) = 0;
};

/// One process, no MPI: the default for unit tests and single-core runs.
std::unique_ptr<Context> make_local_context();

/// True when this process was started by an MPI launcher (mpirun, mpiexec, srun with PMI/PMIx).
bool started_by_mpi_launcher();

/// Set up MPI (thread level FUNNELED) for the life of the returned object; created once in main().
class MpiEnvironment {
 public:
  MpiEnvironment(int* argc, char*** argv);
  ~MpiEnvironment();
  MpiEnvironment(const MpiEnvironment&) = delete;
  MpiEnvironment& operator=(const MpiEnvironment&) = delete;
  /// A context over all ranks of MPI_COMM_WORLD.
  std::unique_ptr<Context> world() const;
  /// Stop every rank after an unrecoverable error on this one.
  [[noreturn]] static void abort(int code);
};

}  // namespace cspt::parallel
