# Instruction-set units: the kernels of a library compiled once per level, each with its own
# flags, all linked in; the library picks one at run time (autograd/isa.hpp).
#
#   gatgrad_isa_units(<library> <unit source>)
#
# compiles <unit source> once per level of GATGRAD_ISA_LEVELS with that level's -m flags and
# GATGRAD_ISA_LEVEL / GATGRAD_ISA_NS defined, and adds the objects to <library>. The units are
# always optimised (-O2 at least, in every configuration), so that the inline functions of the
# headers they share are inlined, never emitted as copies another level could link: the CTest
# test isa_units_self_contained checks the object files for that.

if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  set(GATGRAD_ISA_LEVELS sse2 avx2 avx512)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64|ARM64)$")
  set(GATGRAD_ISA_LEVELS neon)
else()
  message(FATAL_ERROR "gatgrad's kernels are built for x86-64 and aarch64, not ${CMAKE_SYSTEM_PROCESSOR}")
endif()

# A sanitizer build (GATGRAD_SANITIZE) instruments the units of these levels only; the others are
# compiled plain. An instrumented unit compiles about fifteen times slower (-O2, ASan + UBSan:
# 210 s of CPU for autograd's avx2 unit instead of 14 s), and a unit of a level the CPU cannot
# run is never executed by the sanitizer run, so scripts/ci-sanitize.sh names the ones it runs.
set(GATGRAD_SANITIZE_ISA_LEVELS "${GATGRAD_ISA_LEVELS}" CACHE STRING
    "In a GATGRAD_SANITIZE build, the instruction-set levels whose kernel units are instrumented")

set(GATGRAD_ISA_ID_sse2 1)
set(GATGRAD_ISA_ID_avx2 2)
set(GATGRAD_ISA_ID_avx512 3)
set(GATGRAD_ISA_ID_neon 4)
set(GATGRAD_ISA_FLAGS_sse2 "")
set(GATGRAD_ISA_FLAGS_avx2 -mavx2 -mfma)
set(GATGRAD_ISA_FLAGS_avx512 -mavx512f -mavx512bw -mavx512dq -mavx512vl -mavx2 -mfma)
set(GATGRAD_ISA_FLAGS_neon "")

function(gatgrad_isa_units library source)
  foreach(level ${GATGRAD_ISA_LEVELS})
    set(unit ${library}_isa_${level})
    add_library(${unit} OBJECT ${source})
    target_compile_definitions(${unit} PRIVATE GATGRAD_ISA_LEVEL=${GATGRAD_ISA_ID_${level}} GATGRAD_ISA_NS=isa_${level})
    # (GCC turns the kernels' short row copies, a few floats each, into calls of libc's memmove
    # otherwise: 1% of a Cora epoch in the GEMM's narrow rows alone.)
    target_compile_options(${unit} PRIVATE ${GATGRAD_ISA_FLAGS_${level}} $<$<NOT:$<CONFIG:Release>>:-O2>
                           $<$<CXX_COMPILER_ID:GNU>:-fno-tree-loop-distribute-patterns>)
    target_include_directories(${unit} PRIVATE ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/..)
    target_link_libraries(${unit} PRIVATE xsimd gatgrad_flags)
    target_compile_features(${unit} PRIVATE cxx_std_20)
    target_sources(${library} PRIVATE $<TARGET_OBJECTS:${unit}>)
    set_property(GLOBAL APPEND PROPERTY GATGRAD_ISA_UNIT_TARGETS ${unit})
    if(NOT level IN_LIST GATGRAD_SANITIZE_ISA_LEVELS)
      set_property(TARGET ${unit} PROPERTY GATGRAD_UNINSTRUMENTED ON)
    endif()
  endforeach()
endfunction()
