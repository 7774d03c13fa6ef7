// xsimd, included once for the kernel units. Its AVX-512 headers make GCC 12 report hundreds of
// -Wmaybe-uninitialized (and -Wuninitialized) false positives in code that is xsimd's, not ours:
// they are silenced here, around the include, and nowhere else.
#pragma once
#if defined(__clang__)
#include <xsimd/xsimd.hpp>
#else
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <xsimd/xsimd.hpp>
#pragma GCC diagnostic pop
#endif
