// The dropout mask, shared by every op that drops values (dropout, sparse_dropout):
//   keep element k  iff  (hash32(key, k) >> 8) >= ⌊p · 2²⁴⌋, kept values scaled by 1/(1-p).
// A pure function of (key, k): thread-independent, and backward regenerates it exactly.
// The 24-bit draws are exact in float and double, so both dtypes keep the same elements.
#pragma once
#include <algorithm>
#include <cstdint>

#include "autograd/kernels/simd.hpp"
#include "autograd/random.hpp"

namespace gatgrad::kernels {

constexpr int64_t kDropoutChunk = 256;  // elements hashed at a time, into a stack buffer

// y[k] = x[k] · mask(key, k) / (1 - p) for k in [0, n), in parallel over fixed blocks.
template <class T>
void dropout_apply(const T* x, T* y, int64_t n, double p, uint64_t key) {
  const T limit = static_cast<T>(static_cast<uint32_t>(p * 16777216.0));
  const T scale = static_cast<T>(1.0 / (1.0 - p));
  parallel_blocks(n, kBlock, [x, y, key, limit, scale](int64_t b, int64_t e) {
    alignas(64) T draw[kDropoutChunk];  // two plain loops, so both vectorise: hashes, then one SIMD select
    for (int64_t c = b; c < e; c += kDropoutChunk) {
      const int64_t m = std::min(kDropoutChunk, e - c);
      for (int64_t k = 0; k < m; ++k)
        draw[k] = static_cast<T>(static_cast<int32_t>(hash32(key, static_cast<uint32_t>(c + k)) >> 8));
      map2_serial(x + c, draw, y + c, m, [limit, scale](auto v, auto u) {
        using B = decltype(v);
        return xsimd::select(u >= B(limit), v * B(scale), B(0));
      });
    }
  });
}

}  // namespace gatgrad::kernels
