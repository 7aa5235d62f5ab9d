# Finds single-precision FFTW3 with its threads and MPI flavours (Debian: libfftw3-dev, libfftw3-mpi-dev).
# Defines imported targets FFTW3::fftw3f, FFTW3::fftw3f_threads and FFTW3::fftw3f_mpi.
find_path(FFTW3_INCLUDE_DIR fftw3.h)
find_path(FFTW3_MPI_INCLUDE_DIR fftw3-mpi.h)
find_library(FFTW3F_LIBRARY fftw3f)
find_library(FFTW3F_THREADS_LIBRARY fftw3f_threads)
find_library(FFTW3F_MPI_LIBRARY fftw3f_mpi)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(FFTW3 REQUIRED_VARS FFTW3_INCLUDE_DIR FFTW3_MPI_INCLUDE_DIR
                                  FFTW3F_LIBRARY FFTW3F_THREADS_LIBRARY FFTW3F_MPI_LIBRARY)
if(FFTW3_FOUND AND NOT TARGET FFTW3::fftw3f)
  add_library(FFTW3::fftw3f UNKNOWN IMPORTED)
  set_target_properties(FFTW3::fftw3f PROPERTIES IMPORTED_LOCATION ${FFTW3F_LIBRARY}
                        INTERFACE_INCLUDE_DIRECTORIES ${FFTW3_INCLUDE_DIR})
  add_library(FFTW3::fftw3f_threads UNKNOWN IMPORTED)
  set_target_properties(FFTW3::fftw3f_threads PROPERTIES IMPORTED_LOCATION ${FFTW3F_THREADS_LIBRARY}
                        INTERFACE_LINK_LIBRARIES FFTW3::fftw3f)
  add_library(FFTW3::fftw3f_mpi UNKNOWN IMPORTED)
  set_target_properties(FFTW3::fftw3f_mpi PROPERTIES IMPORTED_LOCATION ${FFTW3F_MPI_LIBRARY}
                        INTERFACE_INCLUDE_DIRECTORIES ${FFTW3_MPI_INCLUDE_DIR}
                        INTERFACE_LINK_LIBRARIES FFTW3::fftw3f)
endif()
