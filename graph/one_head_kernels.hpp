// gat_attention with one head (GAT's output layer): a segment's edges in the lanes, a segment of
// at most L edges in one batch (longer ones, in the forward, a batch of edges at a time).
// Private to graph/gat_attention.cpp: pulls in xsimd.
// With H = 1 the per-head loops of the general sweeps run once per edge on a single value, and
// the work per edge is a handful of flops: at Cora's ~5 edges per node the sweeps' fixed cost
// per node and per edge dominated. Here a node's logits, softmax, dropout coefficients and
// their backward each take a few batch operations.
// Every value is computed by the same operations in the same order as the general path (the
// same helpers of segment_kernels.hpp, one lane per edge instead of one loop step), so results
// are bit-identical to it and to the composed ops.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "graph/graph.hpp"
#include "graph/score_backward.hpp"
#include "graph/segment_kernels.hpp"

namespace gatgrad::graph_kernels::one_head {

// A node whose segment [b, b + deg) takes this path: one head and at most L edges.
template <class T>
inline bool applies(int64_t H, int64_t deg) {
  return H == 1 && deg <= lanes<T>();
}

// x[src[b + r]] for the lanes r < L; lanes past the edges of the graph (b + r >= E) read node 0.
// Lanes past the segment read other edges' sources: valid rows, masked off by the caller.
template <class T>
inline batch<T> gather_by_source(const T* x, const int32_t* src, int64_t b, int64_t E) {
  constexpr int64_t L = lanes<T>();
#if defined(__AVX2__)
  if constexpr (std::is_same_v<T, float> && L == 8) {
    alignas(32) int32_t tail[8] = {};
    const int32_t* at = src + b;
    if (E - b < 8) {
      std::copy(src + b, src + E, tail);
      at = tail;
    }
    return _mm256_i32gather_ps(x, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(at)), 4);
  }
#endif
  alignas(64) T v[L] = {};
  for (int64_t r = 0; r < std::min(L, E - b); ++r) v[r] = x[src[b + r]];
  return batch<T>::load_aligned(v);
}

// Bit l of the result is set iff lane l of z is > 0.
template <class T>
inline uint32_t positive_lanes(const batch<T>& z) {
#if defined(__AVX__)
  if constexpr (std::is_same_v<T, float> && lanes<T>() == 8)
    return static_cast<uint32_t>(_mm256_movemask_ps(z > batch<T>(T(0))));
#endif
  alignas(64) T v[lanes<T>()];
  z.store_aligned(v);
  uint32_t bits = 0;
  for (int64_t l = 0; l < lanes<T>(); ++l) bits |= static_cast<uint32_t>(v[l] > T(0)) << l;
  return bits;
}

// The batch whose lane r < deg is true iff signs[b + r] (one byte per edge when H = 1) is set.
template <class T>
inline auto positive_from_signs(const uint8_t* signs, int64_t deg) {
  alignas(64) T v[lanes<T>()] = {};
  for (int64_t r = 0; r < deg; ++r) v[r] = static_cast<T>(signs[r]);
  return batch<T>::load_aligned(v) > batch<T>(T(0));
}

// The logits z = s_dst[i] + s_src[j] of the n <= L edges from e, their sign bytes (one per edge
// when H = 1) written when `signs`.
template <class T>
inline batch<T> logits_batch(T s_dst_i, int64_t e, int64_t n, int64_t E, const int32_t* src, const T* ss,
                             uint8_t* signs) {
  const batch<T> z = batch<T>(s_dst_i) + gather_by_source(ss, src, e, E);
  if (signs) {
    const uint32_t bits = positive_lanes(z);
    for (int64_t r = 0; r < n; ++r) signs[e + r] = static_cast<uint8_t>((bits >> r) & 1u);
  }
  return z;
}

// The first n lanes of v into alpha[e..): a whole batch when that stays inside the block's edges
// (< edge_end), the lanes past the segment landing on later nodes' α, which the block writes
// afterwards.
template <class T>
inline void store_alpha(const batch<T>& v, int64_t e, int64_t n, int64_t edge_end, T* alpha) {
  if (edge_end - e >= lanes<T>())
    v.store_unaligned(alpha + e);
  else
    store_n(v, alpha + e, n);
}

// Forward, first part, for target i with incoming edges [b, b + deg), deg >= 1: the logits,
// e = LeakyReLU(z) and α = softmax(e) into alpha[b..), the sign bytes when `signs`. A segment of
// at most L edges stays in one register throughout; a longer one goes a batch of edges at a
// time, then through softmax_rows. A block runs this for all its nodes before aggregating: the
// nodes' chains of dependent steps (gather, exp, sum, divide) then overlap in the core.
template <class T>
inline void attention(int64_t i, int64_t b, int64_t deg, int64_t E, int64_t edge_end, const int32_t* src,
                      const T* sd, const T* ss, T slope, T* alpha, uint8_t* signs) {
  constexpr int64_t L = lanes<T>();
  if (deg <= L) {
    const batch<T> z = logits_batch(sd[i], b, deg, E, src, ss, signs);
    store_alpha(softmax_one_batch(leaky(z, slope), first_lanes<T>(deg)), b, deg, edge_end, alpha);
    return;
  }
  for (int64_t t = 0; t < deg; t += L) {
    const int64_t n = std::min(L, deg - t);
    store_alpha(leaky(logits_batch(sd[i], b + t, n, E, src, ss, signs), slope), b + t, n, edge_end, alpha);
  }
  softmax_rows(alpha + b, deg, 1, edge_end - b);
}

// Whether aggregate serves a segment of deg edges with rows of F features.
template <class T>
inline bool aggregates(int64_t H, int64_t F, int64_t deg) {
  return H == 1 && (deg <= lanes<T>() || F <= lanes<T>());
}

// Forward, second part: out_i = epilogue(Σ_j α'_ij wh[j]) with α' = α · mask/(1-p)
// (weighted_sum_rows's arithmetic). A row of F <= L features is summed in one register and stored as a whole batch
// when it is not the block's last (the lanes past it land on the next row, written afterwards).
template <class T>
[[gnu::always_inline]] inline void aggregate(int64_t i, int64_t i1, int64_t b, int64_t deg, int64_t E, int64_t N,
                                             int64_t F, const int32_t* src, const T* wh, const DropoutMask& mask,
                                             const T* alpha, const RowEpilogue<T>& ep, T* out) {
  constexpr int64_t L = lanes<T>();
  const T* wh_end = wh + N * F;
  alignas(64) T dropped[L];
  // the weights α'[b + t ..] of up to L edges from t
  auto weights = [&](int64_t t, int64_t n) {
    if (!mask.active) return alpha + b + t;
    const batch<T> a = E - (b + t) >= L ? batch<T>::load_unaligned(alpha + b + t) : load_n(alpha + b + t, n);
    (a * dropout_batch<T>(mask, b + t)).store_aligned(dropped);
    return static_cast<const T*>(dropped);
  };
  if (F > L) {  // (deg <= L here)
    weighted_sum_rows(out + i * F, weights(0, deg), 1, src + b, deg, wh, wh_end, 1, F);
    epilogue_row(out + i * F, F, ep);
    return;
  }
  batch<T> acc(T(0));
  for (int64_t t = 0; t < deg; t += L) {
    const int64_t n = std::min(L, deg - t);
    const T* w = weights(t, n);
    for (int64_t r = 0; r < n; ++r)
      acc = xsimd::fma(batch<T>(w[r]), load_upto(wh + int64_t{src[b + t + r]} * F, F, wh_end), acc);
  }
  if (ep.active()) acc = epilogue_batch(acc, ep, ep.bias ? load_n(ep.bias, F) : acc);
  if (F == L || i + 1 < i1)
    acc.store_unaligned(out + i * F);
  else
    store_n(acc, out + i * F, F);
}

// Sweep 1 for target i (as backward_targets): pair[e] = [α'[e] | dz[e]] for its edges and
// ds_dst[i] (+)= Σ dz.
template <class T>
inline void backward_target(int64_t i, int64_t b, int64_t deg, int64_t E, int64_t N, int64_t F, const int32_t* src,
                            const T* wh, T slope, const DropoutMask& mask, const T* alpha, const uint8_t* signs,
                            const T* dout, T* ds_dst, bool ds_dst_fresh, T* pair) {
  constexpr int64_t L = lanes<T>();
  const auto in = first_lanes<T>(deg);
  const batch<T> zero(T(0));
  const batch<T> y = xsimd::select(in, E - b >= L ? batch<T>::load_unaligned(alpha + b) : load_n(alpha + b, deg), zero);
  const batch<T> coef = mask.active ? dropout_batch<T>(mask, b) : batch<T>(T(1));
  alignas(64) T v[L] = {};
  (mask.active ? y * coef : y).store_aligned(v);
  for (int64_t r = 0; r < deg; ++r) pair[(b + r) * 2] = v[r];
  // dα'[e] = <dout[i], wh[j]>, dα = dα' · mask/(1-p), de = α (dα - Σ α dα), dz = de · LeakyReLU'(z)
  alignas(64) T g[L] = {};
  if (F < L) {  // dot_row's arithmetic, dout[i]'s batch loaded once
    const batch<T> di = load_upto(dout + i * F, F, dout + N * F);
    const auto in_f = first_lanes<T>(F);
    for (int64_t r = 0; r < deg; ++r)
      g[r] = xsimd::hadd(zero + xsimd::select(in_f, di * load_upto(wh + int64_t{src[b + r]} * F, F, wh + N * F), zero));
  } else {
    for (int64_t r = 0; r < deg; ++r)
      g[r] = dot_row(dout + i * F, wh + int64_t{src[b + r]} * F, F, dout + N * F, wh + N * F);
  }
  batch<T> dalpha = batch<T>::load_aligned(g);
  if (mask.active) dalpha = dalpha * coef;
  const batch<T> de = softmax_backward_one_batch(y, xsimd::select(in, dalpha, zero));
  xsimd::select(positive_from_signs<T>(signs + b, deg), de, de * batch<T>(slope)).store_aligned(v);
  T total(0);
  for (int64_t r = 0; r < deg; ++r) {
    pair[(b + r) * 2 + 1] = v[r];
    total += v[r];
  }
  if (ds_dst) ds_dst[i] = ds_dst_fresh ? total : ds_dst[i] + total;
}

// Sweep 2 with one head and rows of F <= L features (GAT's output layer): each node's gradient
// row is one batch, summed in a register through its edges and the scores' backward and stored
// once; the block's partial sums of datt stay in registers until the block ends. The same
// operations in the same order as gat_attention.cpp's backward_sources, so the same values.
// (N nodes, E edges; `prefetch` as gat_attention's Dims.)
template <class T>
void backward_sources(int64_t j0, int64_t j1, int64_t N, int64_t E, int64_t F, bool prefetch, const Graph& g,
                      const T* pair, const T* dout, T* ds_src, bool ds_src_fresh, T* dwh, bool dwh_fresh,
                      const ScoreBackward<T>* sb) {
  const int64_t* ptr = g.src_ptr().data();
  const int32_t* perm = g.src_perm().data();
  const int32_t* target = g.src_grouped_dst().data();
  const T* dout_end = dout + N * F;
  const batch<T> zero(T(0));
  const batch<T> a1 = sb ? load_n(sb->a1, F) : zero, a2 = sb ? load_n(sb->a2, F) : zero;
  T* part = sb && sb->part ? sb->part + (j0 / kNodeBlock) * sb->stride : nullptr;
  batch<T> da1 = zero, da2 = zero;  // Σ_j ds_dst[j] wh[j] and Σ_j ds_src[j] wh[j] over the block
  for (int64_t j = j0; j < j1; ++j) {
    const int64_t b = ptr[j], deg = ptr[j + 1] - b;
    for (int64_t p = b + kAheadEdges; prefetch && p < std::min(b + deg + kAheadEdges, E); ++p) {
      prefetch_bytes(pair + int64_t{perm[p]} * 2, 2 * sizeof(T));
      if (dwh) prefetch_bytes(dout + int64_t{target[p]} * F, F * sizeof(T));
    }
    T sum(0);  // ds_src[j] = Σ_p dz[e]
    batch<T> row = zero;  // dwh[j] = Σ_p α'[e] dout[i]
    for (int64_t p = b; p < b + deg; ++p) {
      const T* pe = pair + int64_t{perm[p]} * 2;
      sum += pe[1];
      if (dwh) row = xsimd::fma(batch<T>(pe[0]), load_upto(dout + int64_t{target[p]} * F, F, dout_end), row);
    }
    if (ds_src && ds_src_fresh)
      ds_src[j] = sum;
    else if (ds_src && deg > 0)  // (a node without edges leaves an accumulated gradient as it is)
      ds_src[j] += sum;
    if (!dwh && !part) continue;
    if (dwh && !dwh_fresh) row = deg == 0 ? load_n(dwh + j * F, F) : load_n(dwh + j * F, F) + row;
    if (sb) {
      const T dsd = sb->ds_dst[j];
      if (dwh) row = xsimd::fma(batch<T>(dsd), a1, xsimd::fma(batch<T>(sum), a2, row));
      if (part) {
        const batch<T> whj = load_upto(sb->wh + j * F, F, sb->wh + N * F);
        da1 = xsimd::fma(batch<T>(dsd), whj, da1);
        da2 = xsimd::fma(batch<T>(sum), whj, da2);
      }
    }
    if (dwh) store_n(row, dwh + j * F, F);
  }
  if (part) {
    store_n(da1, part, F);
    store_n(da2, part + F, F);
  }
}

}  // namespace gatgrad::graph_kernels::one_head
