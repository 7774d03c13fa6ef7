// Weighted sums of gathered rows, the aggregation of attention:
//   out[h, f] = Σ_{r < rows} c[r, h] · x[idx[r], h, f]        c [rows, H] (row r at c + r·cs)
// Every element is the chain acc = fma(c, x, acc) over r = 0, 1, ... from 0, whatever the
// grouping of its lanes below, so its value depends only on the data. Private to the units.
#pragma once
#include "graph/kernels/rows.hpp"

namespace gatgrad::GATGRAD_ISA_NS::graph {

// K chunks of 16 lanes of the [H, F] row from chunk q0, F a multiple of 16 (chunk q is in head
// q·16 / F), summed in registers over the rows.
template <int K, class T>
inline void wsum_chunks(T* out, const T* c, int64_t cs, const int32_t* idx, int64_t rows, const T* x, int64_t H,
                        int64_t F, int64_t q0) {
  using V = Vec<T, kLanes>;
  const int64_t HF = H * F, per_head = F / kLanes;
  int64_t head[K];
  for (int k = 0; k < K; ++k) head[k] = (q0 + k) / per_head;
  V acc[K];
  for (int k = 0; k < K; ++k) acc[k] = V::zero();
  for (int64_t e = 0; e < rows; ++e) {
    const T* xr = x + int64_t{idx[e]} * HF + q0 * kLanes;
    const T* cr = c + e * cs;
    for (int k = 0; k < K; ++k) acc[k] = simd::fma(V::splat(cr[head[k]]), V::load(xr + k * kLanes), acc[k]);
  }
  for (int k = 0; k < K; ++k) acc[k].store(out + (q0 + k) * kLanes);
}

// K heads of 8 features from head h0.
template <int K, class T>
inline void wsum_heads8(T* out, const T* c, int64_t cs, const int32_t* idx, int64_t rows, const T* x, int64_t H,
                        int64_t h0) {
  using V = Vec<T, 8>;
  const int64_t HF = H * 8;
  V acc[K];
  for (int k = 0; k < K; ++k) acc[k] = V::zero();
  for (int64_t e = 0; e < rows; ++e) {
    const T* xr = x + int64_t{idx[e]} * HF + h0 * 8;
    const T* cr = c + e * cs + h0;
    for (int k = 0; k < K; ++k) acc[k] = simd::fma(V::splat(cr[k]), V::load(xr + k * 8), acc[k]);
  }
  for (int k = 0; k < K; ++k) acc[k].store(out + (h0 + k) * 8);
}

template <class T>
inline void weighted_sum_rows(T* out, const T* c, int64_t cs, const int32_t* idx, int64_t rows, const T* x,
                              const T* x_end, int64_t H, int64_t F) {
  using V = Vec<T, kLanes>;
  if (F % kLanes == 0) {
    const int64_t nq = H * F / kLanes;
    int64_t q = 0;
    for (; q + 4 <= nq; q += 4) wsum_chunks<4>(out, c, cs, idx, rows, x, H, F, q);
    for (; q < nq; ++q) wsum_chunks<1>(out, c, cs, idx, rows, x, H, F, q);
    return;
  }
  if (F == 8) {
    int64_t h = 0;
    for (; h + 8 <= H; h += 8) wsum_heads8<8>(out, c, cs, idx, rows, x, H, h);
    for (; h < H; ++h) wsum_heads8<1>(out, c, cs, idx, rows, x, H, h);
    return;
  }
  // any F: each head's chunks of 16, the last on its first lanes (reading a whole Vec where it
  // stays inside x: the lanes past the head are never stored)
  const int64_t HF = H * F;
  for (int64_t h = 0; h < H; ++h)
    for_chunks(F, [&](int64_t k, int64_t m) {
      V acc = V::zero();
      for (int64_t r = 0; r < rows; ++r)
        acc = simd::fma(V::splat(c[r * cs + h]), load_upto<T, kLanes>(x + int64_t{idx[r]} * HF + h * F + k, m, x_end), acc);
      store_n(acc, out + h * F + k, m);
    });
}

// acc[h, :] = fma(c[h], x[h, :], acc[h, :]) for h < H (acc and x are [H, F]).
template <class T>
inline void axpy_heads(T* acc, const T* c, const T* x, int64_t H, int64_t F) {
  for (int64_t h = 0; h < H; ++h) axpy_row(acc + h * F, c[h], x + h * F, F);
}

}  // namespace gatgrad::GATGRAD_ISA_NS::graph
