// Context helpers shared by the local and the MPI implementation.
#include "cspt/parallel/context.hpp"

namespace cspt::parallel {

int DistributedInverseFft::local_z0() const { return layout().z0[rank()]; }
int DistributedInverseFft::local_nz() const { return layout().nz[rank()]; }

std::string Context::label() const {
  return "rank " + std::to_string(rank()) + "/" + std::to_string(size());
}

}  // namespace cspt::parallel
