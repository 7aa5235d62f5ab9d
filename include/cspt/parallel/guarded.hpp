// Run one rank's local work so that a failure on any rank stops every rank at the same point.
#pragma once

#include <exception>
#include <utility>

#include "cspt/parallel/context.hpp"
#include "cspt/util/error.hpp"

namespace cspt::parallel {

/// Collective: every rank runs `work`; if it throws on any rank, the failing rank rethrows its
/// error (labelled with the rank when there are several) and the others throw PeerFailure.
template <class Work>
void run_guarded_collective(Context& ctx, Work&& work) {
  bool failed = false;
  std::exception_ptr error;
  try {
    std::forward<Work>(work)();
  } catch (const Error& e) {
    failed = true;
    error = ctx.size() > 1 ? std::make_exception_ptr(RankError(ctx.label(), e)) : std::current_exception();
  } catch (...) {
    failed = true;
    error = std::current_exception();
  }
  if (ctx.any_collective(failed)) {
    if (error) std::rethrow_exception(error);
    throw PeerFailure(ctx.label());
  }
}

}  // namespace cspt::parallel
