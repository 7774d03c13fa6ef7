// Dot products over a head's F features: the scores s = <W h, a> (head_dot, the att form of
// gat_attention) and the attention gradient dα' = <dout_i, W h_j>. One definition, in logical
// lanes: the products fma(a_f, b_f, 0) go into 16 lanes (f mod 16), each lane adding its own
// products in order, and the 16 lanes are summed by the halving tree (simd/reduce.hpp). For
// F <= 8 that is the tree over 8 lanes, which is what the fast forms below compute, 8 dots at a
// time (tree_sum_rows8): 8 heads of 8 features, or one head's 8 rows. Private to the units.
#pragma once
#include "graph/kernels/rows.hpp"

namespace gatgrad::GATGRAD_ISA_NS::graph {

// Σ_f a[f] b[f] for f < F.
template <class T>
inline T dot_row(const T* a, const T* b, int64_t F) {
  if (F <= 8) {
    using V = Vec<T, 8>;
    return simd::tree_sum(simd::fma(load_n<T, 8>(a, F), load_n<T, 8>(b, F), V::zero()));
  }
  using V = Vec<T, kLanes>;
  V acc = V::zero();
  for_chunks(F, [&](int64_t k, int64_t m) { acc = simd::fma(load_n<T, kLanes>(a + k, m), load_n<T, kLanes>(b + k, m), acc); });
  return simd::tree_sum(acc);
}

// out[h] = Σ_f a[h,f] b[h,f] for h < H (rows [H, F]).
template <class T>
inline void dot_heads(const T* a, const T* b, int64_t H, int64_t F, T* out) {
  if (F == 8) {  // 8 heads at a time
    using V = Vec<T, 8>;
    int64_t h = 0;
    for (; h + 8 <= H; h += 8) {
      V prod[8];
      for (int k = 0; k < 8; ++k) prod[k] = simd::fma(V::load(a + (h + k) * 8), V::load(b + (h + k) * 8), V::zero());
      simd::tree_sum_rows8(prod).store(out + h);
    }
    for (; h < H; ++h) out[h] = dot_row(a + h * 8, b + h * 8, 8);
    return;
  }
  for (int64_t h = 0; h < H; ++h) out[h] = dot_row(a + h * F, b + h * F, F);
}

// s[n, h] = Σ_f w[n,h,f] a[h,f] for the rows n of [n0, n1) of w [N, H, F].
template <class T>
inline void dot_heads_rows(const T* w, const T* a, int64_t H, int64_t F, T* s, int64_t n0, int64_t n1) {
  if (H == 1 && F <= 8) {  // one head of few features (GAT's output layer): 8 rows at a time
    using V = Vec<T, 8>;
    const V av = load_n<T, 8>(a, F);
    const auto in = simd::first_lanes<T, 8>(F);
    int64_t n = n0;
    for (; n + 8 <= n1; n += 8) {
      V prod[8];
      for (int k = 0; k < 8; ++k) {
        const T* row = w + (n + k) * F;
        // the lanes past F read the next row (or are zero at the array's end): masked off
        const V x = load_upto<T, 8>(row, F, w + n1 * F);
        prod[k] = simd::select(in, simd::fma(x, av, V::zero()), V::zero());
      }
      simd::tree_sum_rows8(prod).store(s + n);
    }
    for (; n < n1; ++n) s[n] = dot_row(w + n * F, a, F);
    return;
  }
  if (H == 8 && F == 8) {  // 8 heads of 8 features (GAT's hidden layer): a in registers
    using V = Vec<T, 8>;
    V av[8];
    for (int k = 0; k < 8; ++k) av[k] = V::load(a + k * 8);
    for (int64_t n = n0; n < n1; ++n) {
      V prod[8];
      for (int k = 0; k < 8; ++k) prod[k] = simd::fma(V::load(w + n * 64 + k * 8), av[k], V::zero());
      simd::tree_sum_rows8(prod).store(s + n * 8);
    }
    return;
  }
  for (int64_t n = n0; n < n1; ++n) dot_heads(w + n * H * F, a, H, F, s + n * H);
}

}  // namespace gatgrad::GATGRAD_ISA_NS::graph
