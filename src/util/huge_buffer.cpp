// madvise(MADV_HUGEPAGE) for large grids; a no-op where the kernel does not support it.
#include "cspt/util/huge_buffer.hpp"

#include <sys/mman.h>

namespace cspt {

void advise_huge_pages_impl(void* p, std::size_t bytes) {
#ifdef MADV_HUGEPAGE
  (void)::madvise(p, bytes, MADV_HUGEPAGE);  // advisory: failure only costs speed
#else
  (void)p;
  (void)bytes;
#endif
}

}  // namespace cspt
