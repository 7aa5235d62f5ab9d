# Sanitizer and fuzzing builds (scripts/test-hardening). Applied to every target of the tree, so
# the library, programs and tests are all instrumented alike.
#   CSPT_SANITIZE=address,undefined   the whole suite under ASan + UBSan (any UB is fatal)
#   CSPT_SANITIZE=thread              the OpenMP kernels under TSan (clang, with LLVM's libomp and
#                                     its Archer tool, so OpenMP's own synchronisation is seen)
#   CSPT_FUZZ=ON                      libFuzzer harnesses in tests/fuzz (clang only), with coverage
#                                     instrumentation of the readers they fuzz
set(CSPT_SANITIZE "" CACHE STRING "Sanitizers for every target: address,undefined | thread | empty")
option(CSPT_FUZZ "Build the libFuzzer harnesses (tests/fuzz; needs clang)" OFF)

if(CSPT_SANITIZE)
  add_compile_options(-fsanitize=${CSPT_SANITIZE} -fno-omit-frame-pointer -g1)
  add_link_options(-fsanitize=${CSPT_SANITIZE})
  if(CSPT_SANITIZE MATCHES "undefined")
    # Every finding stops the program: a test cannot pass with undefined behaviour in it.
    add_compile_options(-fno-sanitize-recover=undefined)
  endif()
endif()

if(CSPT_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "CSPT_FUZZ needs clang (libFuzzer): configure with -DCMAKE_CXX_COMPILER=clang++")
  endif()
endif()

# Coverage guidance for libFuzzer, only where the fuzzed readers live (src/io, src/config and the
# harnesses): instrumenting the numerical kernels as well would slow the sanitized suite several
# times over for coverage no harness reaches.
function(cspt_fuzz_instrument_sources)
  if(CSPT_FUZZ)
    foreach(source ${ARGN})
      if(source MATCHES "/src/(io|config)/|/tests/fuzz/")
        set_property(SOURCE ${source} APPEND PROPERTY COMPILE_OPTIONS -fsanitize=fuzzer-no-link)
      endif()
    endforeach()
  endif()
endfunction()
