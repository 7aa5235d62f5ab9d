// LeakSanitizer and MPI: Open MPI dlcloses its components (during MPI_Init those it does not
// select, the others in MPI_Finalize), leaving allocations no sanitizer can attribute to a library
// (and so cannot suppress). In ASan builds (scripts/test-hardening) what MPI allocates inside
// MPI_Init is therefore not tracked for leaks, and the leak check runs just before MPI_Finalize,
// while the MPI library's memory is still reachable from its globals: what is unreachable then is
// ours. The check runs once (the usual check at exit is skipped after it). Elsewhere both do nothing.
#pragma once

#if defined(__SANITIZE_ADDRESS__)
#define CSPT_HAVE_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CSPT_HAVE_LSAN 1
#endif
#endif

#ifdef CSPT_HAVE_LSAN
#include <sanitizer/lsan_interface.h>
#endif

namespace cspt::parallel {

/// While alive, this thread's allocations are not leak-checked (put around MPI_Init only).
class MpiInitLeakPause {
 public:
#ifdef CSPT_HAVE_LSAN
  MpiInitLeakPause() { __lsan_disable(); }
  ~MpiInitLeakPause() { __lsan_enable(); }
#else
  MpiInitLeakPause() = default;
#endif
  MpiInitLeakPause(const MpiInitLeakPause&) = delete;
  MpiInitLeakPause& operator=(const MpiInitLeakPause&) = delete;
};

inline void leak_check_before_mpi_finalize() {
#ifdef CSPT_HAVE_LSAN
  __lsan_do_leak_check();
#endif
}

}  // namespace cspt::parallel
