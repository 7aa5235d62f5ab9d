// The MPI implementation of Context: the only place (with mpi_check.hpp) that speaks MPI and FFTW-MPI.
#include <fftw3-mpi.h>
#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "cspt/fft/plan.hpp"
#include "cspt/fft/wisdom.hpp"
#include "cspt/parallel/context.hpp"
#include "parallel/leak_check.hpp"
#include "parallel/mpi_check.hpp"

namespace cspt::parallel {
namespace {

// Messages are split so that no count exceeds what an int holds (large boxes).
constexpr std::size_t kMaxChunk = std::size_t(1) << 28;

class MpiRealFft final : public DistributedRealFft {
 public:
  MpiRealFft(MPI_Comm comm, int n, int threads) : comm_(comm), n_(n) {
    MPI_CHECK(MPI_Comm_rank, comm_, &rank_);
    int size = 0;
    MPI_CHECK(MPI_Comm_size, comm_, &size);
    ptrdiff_t local_n0 = 0, local_0_start = 0;
    const ptrdiff_t alloc = fftwf_mpi_local_size_3d(n, n, n / 2 + 1, comm_, &local_n0, &local_0_start);
    buffer_ = fft::AlignedBuffer<std::complex<float>>(std::size_t(std::max<ptrdiff_t>(alloc, 1)));
    fft::set_planner_threads(threads);
    auto* c = reinterpret_cast<fftwf_complex*>(buffer_.data());
    auto* r = reinterpret_cast<float*>(buffer_.data());
    // A problem missing from a wisdom file that was read is planned by estimate instead.
    inverse_ = fftwf_mpi_plan_dft_c2r_3d(n, n, n, c, r, comm_, fft::large_transform_flags());
    if (!inverse_) inverse_ = fftwf_mpi_plan_dft_c2r_3d(n, n, n, c, r, comm_, FFTW_ESTIMATE);
    forward_ = fftwf_mpi_plan_dft_r2c_3d(n, n, n, r, c, comm_, fft::large_transform_flags());
    if (!forward_) forward_ = fftwf_mpi_plan_dft_r2c_3d(n, n, n, r, c, comm_, FFTW_ESTIMATE);
    if (!inverse_ || !forward_) throw Error("FFTW-MPI", "n", std::to_string(n), "a plannable distributed 3D size");
    layout_.z0.assign(std::size_t(size), 0);
    layout_.nz.assign(std::size_t(size), 0);
    int mine[2] = {int(local_0_start), int(local_n0)};
    std::vector<int> all(2 * std::size_t(size));
    MPI_CHECK(MPI_Allgather, mine, 2, MPI_INT, all.data(), 2, MPI_INT, comm_);
    for (int k = 0; k < size; ++k) {
      layout_.z0[k] = all[2 * k];
      layout_.nz[k] = all[2 * k + 1];
    }
  }
  ~MpiRealFft() override {
    fftwf_destroy_plan(inverse_);
    fftwf_destroy_plan(forward_);
  }
  int n() const override { return n_; }
  const SlabLayout& layout() const override { return layout_; }
  std::complex<float>* fourier_slab() override { return buffer_.data(); }
  float* real_slab() override { return reinterpret_cast<float*>(buffer_.data()); }
  void forward() override { fftwf_execute(forward_); }
  void inverse() override { fftwf_execute(inverse_); }
  int rank() const override { return rank_; }

 private:
  MPI_Comm comm_;
  int n_, rank_ = 0;
  SlabLayout layout_;
  fft::AlignedBuffer<std::complex<float>> buffer_;
  fftwf_plan inverse_ = nullptr, forward_ = nullptr;
};

class MpiContext final : public Context {
 public:
  explicit MpiContext(MPI_Comm comm) : comm_(comm) {
    MPI_CHECK(MPI_Comm_rank, comm_, &rank_);
    MPI_CHECK(MPI_Comm_size, comm_, &size_);
    MPI_Comm node;
    MPI_CHECK(MPI_Comm_split_type, comm_, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node);
    MPI_CHECK(MPI_Comm_size, node, &on_node_);
    MPI_CHECK(MPI_Comm_free, &node);
  }
  int rank() const override { return rank_; }
  int ranks_on_node() const override { return on_node_; }
  int size() const override { return size_; }
  void barrier_collective() override { MPI_CHECK(MPI_Barrier, comm_); }

  void sum_collective(std::span<double> v) override {
    for (std::size_t i = 0; i < v.size(); i += kMaxChunk) {
      const int count = int(std::min(kMaxChunk, v.size() - i));
      MPI_CHECK(MPI_Allreduce, MPI_IN_PLACE, v.data() + i, count, MPI_DOUBLE, MPI_SUM, comm_);
    }
  }
  void sum_collective(std::span<long long> v) override {
    for (std::size_t i = 0; i < v.size(); i += kMaxChunk) {
      const int count = int(std::min(kMaxChunk, v.size() - i));
      MPI_CHECK(MPI_Allreduce, MPI_IN_PLACE, v.data() + i, count, MPI_LONG_LONG, MPI_SUM, comm_);
    }
  }
  void broadcast_collective(std::vector<double>& v) override {
    long long n = (long long)v.size();
    MPI_CHECK(MPI_Bcast, &n, 1, MPI_LONG_LONG, 0, comm_);
    v.resize(std::size_t(n));
    for (std::size_t i = 0; i < v.size(); i += kMaxChunk) {
      MPI_CHECK(MPI_Bcast, v.data() + i, int(std::min(kMaxChunk, v.size() - i)), MPI_DOUBLE, 0, comm_);
    }
  }
  void broadcast_collective(std::string& s) override {
    long long n = (long long)s.size();
    MPI_CHECK(MPI_Bcast, &n, 1, MPI_LONG_LONG, 0, comm_);
    s.resize(std::size_t(n));
    if (n > 0) MPI_CHECK(MPI_Bcast, s.data(), int(n), MPI_CHAR, 0, comm_);
  }
  bool any_collective(bool flag) override {
    int in = flag ? 1 : 0, out = 0;
    MPI_CHECK(MPI_Allreduce, &in, &out, 1, MPI_INT, MPI_LOR, comm_);
    return out != 0;
  }

  SlabLayout slab_layout(int n) const override {
    ptrdiff_t local_n0 = 0, local_0_start = 0;
    fftwf_mpi_local_size_3d(n, n, n / 2 + 1, comm_, &local_n0, &local_0_start);
    int mine[2] = {int(local_0_start), int(local_n0)};
    std::vector<int> all(2 * std::size_t(size_));
    MPI_CHECK(MPI_Allgather, mine, 2, MPI_INT, all.data(), 2, MPI_INT, comm_);
    SlabLayout layout;
    for (int r = 0; r < size_; ++r) {
      layout.z0.push_back(all[2 * r]);
      layout.nz.push_back(all[2 * r + 1]);
    }
    return layout;
  }

  // A reduce-scatter written as one MPI_Reduce per owner and chunk: counts stay below INT_MAX for any
  // box size, and no rank ever holds more than its own slabs of the sum. Ranks without a grid
  // (full == nullptr) contribute zeros; when exactly one rank holds a grid, its slabs are sent
  // directly to their owners instead of being reduced with zeros.
  void reduce_to_slabs_collective(const float* full, std::size_t floats_per_z, const SlabLayout& layout,
                                  float* my_slabs) override {
    std::vector<int> holds(static_cast<std::size_t>(size_));
    int mine = full ? 1 : 0;
    MPI_CHECK(MPI_Allgather, &mine, 1, MPI_INT, holds.data(), 1, MPI_INT, comm_);
    int n_holders = 0, holder = -1;
    for (int r = 0; r < size_; ++r)
      if (holds[r]) {
        ++n_holders;
        holder = r;
      }
    // A rank without a grid sends zeros: as many as the largest message, not a whole chunk's worth.
    std::vector<float> zeros;
    if (!full && n_holders > 1) {
      std::size_t largest = 0;
      for (int owner = 0; owner < size_; ++owner)
        largest = std::max(largest, std::min(kMaxChunk, std::size_t(layout.nz[owner]) * floats_per_z));
      zeros.assign(largest, 0.0f);
    }
    for (int owner = 0; owner < size_; ++owner) {
      const std::size_t begin = std::size_t(layout.z0[owner]) * floats_per_z;
      const std::size_t count = std::size_t(layout.nz[owner]) * floats_per_z;
      for (std::size_t i = 0; i < count; i += kMaxChunk) {
        const std::size_t c = std::min(kMaxChunk, count - i);
        float* recv = owner == rank_ ? my_slabs + i : nullptr;
        if (n_holders == 0) {
          if (recv) std::fill(recv, recv + c, 0.0f);
        } else if (n_holders == 1) {
          if (holder == owner && recv) std::copy(full + begin + i, full + begin + i + c, recv);
          else if (rank_ == holder) MPI_CHECK(MPI_Send, full + begin + i, int(c), MPI_FLOAT, owner, 11, comm_);
          else if (recv) MPI_CHECK(MPI_Recv, recv, int(c), MPI_FLOAT, holder, 11, comm_, MPI_STATUS_IGNORE);
        } else if (recv && !full) {
          std::fill(recv, recv + c, 0.0f);  // the owner's own contribution is zero
          MPI_CHECK(MPI_Reduce, MPI_IN_PLACE, recv, int(c), MPI_FLOAT, MPI_SUM, owner, comm_);
        } else {
          const float* send = full ? full + begin + i : zeros.data();
          MPI_CHECK(MPI_Reduce, send, recv, int(c), MPI_FLOAT, MPI_SUM, owner, comm_);
        }
      }
    }
  }

  std::vector<float> gather_to_root_collective(std::span<const float> mine) override {
    long long n_mine = (long long)mine.size();
    std::vector<long long> counts(static_cast<std::size_t>(size_));
    MPI_CHECK(MPI_Gather, &n_mine, 1, MPI_LONG_LONG, counts.data(), 1, MPI_LONG_LONG, 0, comm_);
    std::vector<float> out;
    if (rank_ == 0) {
      long long total = 0;
      for (auto c : counts) total += c;
      out.resize(std::size_t(total));
      std::copy(mine.begin(), mine.end(), out.begin());
      std::size_t offset = mine.size();
      for (int r = 1; r < size_; ++r) {
        for (long long i = 0; i < counts[r]; i += (long long)kMaxChunk) {
          const int c = int(std::min<long long>((long long)kMaxChunk, counts[r] - i));
          MPI_CHECK(MPI_Recv, out.data() + offset + i, c, MPI_FLOAT, r, 7, comm_, MPI_STATUS_IGNORE);
        }
        offset += std::size_t(counts[r]);
      }
    } else {
      for (std::size_t i = 0; i < mine.size(); i += kMaxChunk) {
        const int c = int(std::min(kMaxChunk, mine.size() - i));
        MPI_CHECK(MPI_Send, mine.data() + i, c, MPI_FLOAT, 0, 7, comm_);
      }
    }
    return out;
  }

  std::vector<std::string> gather_text_to_root_collective(const std::string& mine) override {
    std::vector<float> packed((mine.size() + 3) / 4 + 1, 0.0f);
    reinterpret_cast<std::uint32_t&>(packed[0]) = std::uint32_t(mine.size());
    std::memcpy(packed.data() + 1, mine.data(), mine.size());
    // Lengths travel in the first word of each part; the float gather moves the bytes untouched.
    const auto all = gather_to_root_collective(packed);
    std::vector<std::string> out;
    for (std::size_t i = 0; i < all.size();) {
      const std::uint32_t n = reinterpret_cast<const std::uint32_t&>(all[i]);
      out.emplace_back(reinterpret_cast<const char*>(all.data() + i + 1), n);
      i += (n + 3) / 4 + 1;
    }
    return out;
  }

  // Counts first (one MPI_Alltoall), then the values point to point in chunks, so no count exceeds
  // what an int holds however large the parts are.
  Received exchange_collective(std::span<const float> send, std::span<const std::size_t> send_counts) override {
    if (send_counts.size() != std::size_t(size_)) throw InternalError("exchange: one count per rank expected");
    std::vector<unsigned long long> out_counts(send_counts.begin(), send_counts.end()), in_counts(static_cast<std::size_t>(size_));
    MPI_CHECK(MPI_Alltoall, out_counts.data(), 1, MPI_UNSIGNED_LONG_LONG, in_counts.data(), 1,
              MPI_UNSIGNED_LONG_LONG, comm_);
    Received got;
    got.counts.assign(in_counts.begin(), in_counts.end());
    std::size_t total = 0;
    std::vector<std::size_t> in_offset(static_cast<std::size_t>(size_)), out_offset(static_cast<std::size_t>(size_));
    for (int r = 0; r < size_; ++r) {
      in_offset[r] = total;
      total += got.counts[r];
    }
    for (int r = 1; r < size_; ++r) out_offset[r] = out_offset[r - 1] + send_counts[r - 1];
    if (out_offset.back() + send_counts.back() != send.size()) throw InternalError("exchange: counts do not match");
    got.values.resize(total);
    std::vector<MPI_Request> requests;
    for (int r = 0; r < size_; ++r) {
      if (r == rank_) {
        std::copy_n(send.data() + out_offset[r], send_counts[r], got.values.data() + in_offset[r]);
        continue;
      }
      for (std::size_t i = 0; i < got.counts[r]; i += kMaxChunk) {
        requests.emplace_back();
        MPI_CHECK(MPI_Irecv, got.values.data() + in_offset[r] + i, int(std::min(kMaxChunk, got.counts[r] - i)),
                  MPI_FLOAT, r, 13, comm_, &requests.back());
      }
      for (std::size_t i = 0; i < send_counts[r]; i += kMaxChunk) {
        requests.emplace_back();
        MPI_CHECK(MPI_Isend, send.data() + out_offset[r] + i, int(std::min(kMaxChunk, send_counts[r] - i)),
                  MPI_FLOAT, r, 13, comm_, &requests.back());
      }
    }
    MPI_CHECK(MPI_Waitall, int(requests.size()), requests.data(), MPI_STATUSES_IGNORE);
    return got;
  }

  std::unique_ptr<DistributedRealFft> make_real_fft_collective(int n, int threads) override {
    return std::make_unique<MpiRealFft>(comm_, n, threads);
  }

 private:
  MPI_Comm comm_;
  int rank_ = 0, size_ = 1, on_node_ = 1;
};

}  // namespace

MpiEnvironment::MpiEnvironment(int* argc, char*** argv) {
  int provided = 0;
  {
    [[maybe_unused]] const MpiInitLeakPause pause;
    MPI_CHECK(MPI_Init_thread, argc, argv, MPI_THREAD_FUNNELED, &provided);
  }
  if (provided < MPI_THREAD_FUNNELED) {
    throw Error("MPI", "thread level", std::to_string(provided), "at least MPI_THREAD_FUNNELED");
  }
  fft::set_planner_threads(1);  // fftwf_init_threads must precede fftwf_mpi_init
  fftwf_mpi_init();
  fft::import_wisdom();  // every rank reads the same file, so every rank makes the same plans
}

MpiEnvironment::~MpiEnvironment() {
  if (!fft::wisdom_path().empty() && !fft::wisdom_imported()) {
    fftwf_mpi_gather_wisdom(MPI_COMM_WORLD);
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank == 0) fft::export_wisdom();
  }
  fftwf_mpi_cleanup();
  leak_check_before_mpi_finalize();
  MPI_Finalize();
}

std::unique_ptr<Context> MpiEnvironment::world() const { return std::make_unique<MpiContext>(MPI_COMM_WORLD); }

void MpiEnvironment::abort(int code) {
  MPI_Abort(MPI_COMM_WORLD, code);
  std::abort();
}

}  // namespace cspt::parallel
