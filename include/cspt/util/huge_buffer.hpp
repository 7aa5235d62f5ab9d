// A zero-initialised array backed by transparent huge pages where the kernel offers them.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>

namespace cspt {

/// Large grids are touched at random (a slice cuts through every z-plane), so with 4 KiB pages
/// nearly every access misses the TLB. Backing them with 2 MiB pages removes most of those misses.
template <class T>
class HugeBuffer {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  HugeBuffer() = default;
  explicit HugeBuffer(std::size_t n) : n_(n) {
    if (n == 0) return;
    constexpr std::size_t kHuge = std::size_t(2) << 20;
    const std::size_t bytes = (n * sizeof(T) + kHuge - 1) / kHuge * kHuge;
    p_ = static_cast<T*>(std::aligned_alloc(kHuge, bytes));
    if (!p_) throw std::bad_alloc();
    advise_huge_pages(p_, bytes);
    std::memset(static_cast<void*>(p_), 0, bytes);
  }
  HugeBuffer(HugeBuffer&& o) noexcept : n_(std::exchange(o.n_, 0)), p_(std::exchange(o.p_, nullptr)) {}
  HugeBuffer& operator=(HugeBuffer&& o) noexcept {
    std::swap(n_, o.n_);
    std::swap(p_, o.p_);
    return *this;
  }
  HugeBuffer(const HugeBuffer&) = delete;
  HugeBuffer& operator=(const HugeBuffer&) = delete;
  ~HugeBuffer() { std::free(p_); }

  std::size_t size() const { return n_; }
  T* data() { return p_; }
  const T* data() const { return p_; }
  T& operator[](std::size_t i) { return p_[i]; }
  const T& operator[](std::size_t i) const { return p_[i]; }
  T* begin() { return p_; }
  T* end() { return p_ + n_; }

 private:
  static void advise_huge_pages(void* p, std::size_t bytes);
  std::size_t n_ = 0;
  T* p_ = nullptr;
};

void advise_huge_pages_impl(void* p, std::size_t bytes);

template <class T>
void HugeBuffer<T>::advise_huge_pages(void* p, std::size_t bytes) {
  advise_huge_pages_impl(p, bytes);
}

}  // namespace cspt
