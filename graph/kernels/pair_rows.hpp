// pair_dot's and pair_mul's kernels (graph/pair_scores.cpp): node rows combined per pair, and
// their backward per node. Legend: h [N, D], pair k = (u, v), g the gradient of the output.
//   pair_dot_rows:  y[k] = Σ_d h[u,d] h[v,d]: products added into 8 lanes (lane d % 8), each
//                   product rounded before its addition (no FMA, as the baseline loop it replaces
//                   computed it), then the 8 lanes added in order from 0
//   pair_grad_rows: dh[n,:] += g_k h[partner,:] (pair_dot, one g per pair) or g[k,:] ⊙ h[partner,:]
//                   (pair_mul), for node n's endpoints in their grouped order; each term a
//                   product rounded, then added
// Both elementwise in lanes, so the same bits on every level (sse2 included) and as the plain
// loops. Private to the units.
#pragma once
#include "graph/kernels/rows.hpp"

namespace gatgrad::GATGRAD_ISA_NS::graph {

template <class T>
void pair_dot_rows(const T* h, int64_t D, const int32_t* src, const int32_t* dst, T* y, int64_t k0, int64_t k1) {
  using V = Vec<T, 8>;
  for (int64_t k = k0; k < k1; ++k) {
    const T* hu = h + int64_t{src[k]} * D;
    const T* hv = h + int64_t{dst[k]} * D;
    V lanes = V::zero();
    int64_t d = 0;
    for (; d + 8 <= D; d += 8) lanes = lanes + V::load(hu + d) * V::load(hv + d);
    // the tail's missing lanes add 0 · 0 = +0 to a lane that started at +0 and never became -0
    if (d < D) lanes = lanes + V::load_first(hu + d, D - d) * V::load_first(hv + d, D - d);
    alignas(64) T lane[8];
    lanes.store(lane);
    T sum = 0;
    for (int l = 0; l < 8; ++l) sum += lane[l];
    y[k] = sum;
  }
}

// Node n's terms are the endpoints perm[ptr[n] .. ptr[n+1]) of `ends` (endpoint 2k is u_k,
// 2k + 1 is v_k; the partner of endpoint e is e ^ 1); nodes [n0, n1).
template <class T>
void pair_grad_rows(const T* h, int64_t D, const int32_t* ends, const int64_t* ptr, const int32_t* perm, const T* g,
                    bool per_feature, T* dh, int64_t n0, int64_t n1) {
  using V = Vec<T, kLanes>;
  for (int64_t n = n0; n < n1; ++n) {
    T* out = dh + n * D;
    for (int64_t q = ptr[n]; q < ptr[n + 1]; ++q) {
      const int64_t e = perm[q], k = e / 2;
      const T* partner = h + int64_t{ends[e ^ 1]} * D;
      if (per_feature) {
        const T* gk = g + k * D;
        for_chunks(D, [&](int64_t d, int64_t m) {
          store_n(load_n<T, kLanes>(out + d, m) + load_n<T, kLanes>(gk + d, m) * load_n<T, kLanes>(partner + d, m), out + d, m);
        });
      } else {
        const V gk = V::splat(g[k]);
        for_chunks(D, [&](int64_t d, int64_t m) {
          store_n(load_n<T, kLanes>(out + d, m) + gk * load_n<T, kLanes>(partner + d, m), out + d, m);
        });
      }
    }
  }
}

}  // namespace gatgrad::GATGRAD_ISA_NS::graph
