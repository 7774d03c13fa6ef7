// Softmax over a segment's rows [rows, H] (a destination's incoming edges), per head, and its
// backward. Shared by segment_softmax and the fused attention, so both give the same bits.
//   a[r,h] = exp(a[r,h] - m_h) / Σ_r' exp(a[r',h] - m_h),   m_h = max_r a[r,h] (stability only)
//   backward, y = α, g = dL/dα:  de[r,h] = y[r,h] (g[r,h] - Σ_r' y[r',h] g[r',h])
// The sums are fixed in logical lanes, by H alone:
//  - H in {1, 2, 4, 8} ("flat"): the segment is one run of rows·H values in chunks of 16; lane l
//    of every chunk holds head l % H; the lanes add their chunks in order from 0, and the halving
//    tree stopped at stride H folds each head's lanes (simd::fold_lanes);
//  - any other H: 16 heads per Vec (the last Vec on its first lanes), each lane adding its head's
//    rows in order from 0.
// Private to the units.
#pragma once
#include <limits>

#include "graph/kernels/rows.hpp"

namespace gatgrad::GATGRAD_ISA_NS::graph {

inline bool flat_heads(int64_t H) { return H == 1 || H == 2 || H == 4 || H == 8; }

template <class T>
inline void softmax_rows(T* a, int64_t rows, int64_t H) {
  if (rows == 0) return;
  using V = Vec<T, kLanes>;
  const V lowest = V::splat(-std::numeric_limits<T>::infinity());
  if (flat_heads(H)) {
    const int64_t n = rows * H;
    V m = lowest;
    for_chunks(n, [&](int64_t k, int64_t c) {
      m = simd::max(m, c == kLanes ? V::load(a + k) : simd::select(simd::first_lanes<T, kLanes>(c), V::load_first(a + k, c), lowest));
    });
    m = simd::fold_lanes_max(m, H);
    V total = V::zero();
    for_chunks(n, [&](int64_t k, int64_t c) {
      const V p = simd::exp_nonpositive(load_n<T, kLanes>(a + k, c) - m);
      store_n(p, a + k, c);
      total = total + (c == kLanes ? p : simd::select(simd::first_lanes<T, kLanes>(c), p, V::zero()));
    });
    const V inv = V::splat(T(1)) / simd::fold_lanes(total, H);
    for_chunks(n, [&](int64_t k, int64_t c) { store_n(load_n<T, kLanes>(a + k, c) * inv, a + k, c); });
    return;
  }
  for (int64_t h0 = 0; h0 < H; h0 += kLanes) {
    const int64_t c = imin(kLanes, H - h0);
    V m = load_n<T, kLanes>(a + h0, c);
    for (int64_t r = 1; r < rows; ++r) m = simd::max(m, load_n<T, kLanes>(a + r * H + h0, c));
    V total = V::zero();
    for (int64_t r = 0; r < rows; ++r) {
      const V p = simd::exp_nonpositive(load_n<T, kLanes>(a + r * H + h0, c) - m);
      store_n(p, a + r * H + h0, c);
      total = total + p;
    }
    const V inv = V::splat(T(1)) / total;
    for (int64_t r = 0; r < rows; ++r) store_n(load_n<T, kLanes>(a + r * H + h0, c) * inv, a + r * H + h0, c);
  }
}

// out = de (Accumulate: out += de); out may alias g.
template <bool Accumulate, class T>
inline void softmax_backward_rows(const T* y, const T* g, T* out, int64_t rows, int64_t H) {
  if (rows == 0) return;
  using V = Vec<T, kLanes>;
  if (flat_heads(H)) {
    const int64_t n = rows * H;
    V s = V::zero();
    for_chunks(n, [&](int64_t k, int64_t c) { s = simd::fma(load_n<T, kLanes>(y + k, c), load_n<T, kLanes>(g + k, c), s); });
    s = simd::fold_lanes(s, H);
    for_chunks(n, [&](int64_t k, int64_t c) {
      V de = load_n<T, kLanes>(y + k, c) * (load_n<T, kLanes>(g + k, c) - s);
      if constexpr (Accumulate) de = de + load_n<T, kLanes>(out + k, c);
      store_n(de, out + k, c);
    });
    return;
  }
  for (int64_t h0 = 0; h0 < H; h0 += kLanes) {
    const int64_t c = imin(kLanes, H - h0);
    V s = V::zero();
    for (int64_t r = 0; r < rows; ++r) s = simd::fma(load_n<T, kLanes>(y + r * H + h0, c), load_n<T, kLanes>(g + r * H + h0, c), s);
    for (int64_t r = 0; r < rows; ++r) {
      V de = load_n<T, kLanes>(y + r * H + h0, c) * (load_n<T, kLanes>(g + r * H + h0, c) - s);
      if constexpr (Accumulate) de = de + load_n<T, kLanes>(out + r * H + h0, c);
      store_n(de, out + r * H + h0, c);
    }
  }
}

}  // namespace gatgrad::GATGRAD_ISA_NS::graph
