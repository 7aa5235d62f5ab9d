// Context helpers shared by the local and the MPI implementation.
#include "cspt/parallel/context.hpp"

#include <cstdlib>

namespace cspt::parallel {

int DistributedRealFft::local_z0() const { return layout().z0[rank()]; }
int DistributedRealFft::local_nz() const { return layout().nz[rank()]; }

bool started_by_mpi_launcher() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE", "MPI_LOCALNRANKS",
                          "HYDRA_CONTROL_FD"}) {
    if (std::getenv(var)) return true;
  }
  return false;
}

std::string Context::label() const {
  return "rank " + std::to_string(rank()) + "/" + std::to_string(size());
}

}  // namespace cspt::parallel
