// The numbers of the instruction-set levels, as the build passes them to each kernel unit in
// GATGRAD_ISA_LEVEL (see cmake/GatgradIsa.cmake). Plain macros: the units test them in #if.
#pragma once

#define GATGRAD_ISA_SSE2 1    // x86-64 baseline: SSE2, no FMA
#define GATGRAD_ISA_AVX2 2    // AVX2 + FMA
#define GATGRAD_ISA_AVX512 3  // AVX-512 F, BW, DQ, VL (+ AVX2, FMA)
#define GATGRAD_ISA_NEON 4    // aarch64 Advanced SIMD (with FMA)

// The name of the unit's level as a string literal ("isa_avx2"), for the kernel tables.
#define GATGRAD_STRINGIFY2(x) #x
#define GATGRAD_STRINGIFY(x) GATGRAD_STRINGIFY2(x)
