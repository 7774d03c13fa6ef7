// gat_attention with H = F = L: a node's H heads fill one batch and each head's F features fill
// one batch (8 heads of 8 features in float: GAT's hidden layer). Private to graph/gat_attention.cpp.
// The general sweeps loop over heads and batches whose counts are only known at run time, fill
// scratch vectors per node and call the row helpers of segment_kernels.hpp per edge; at ~5
// edges per node that bookkeeping cost more than the arithmetic. Here a node's whole segment
// runs in registers: per edge, one batch of logits or gradients and L batches of features.
// Every value comes from the same operations in the same order as the general path (the
// comments name the step each line mirrors), so results stay bit-identical to it and to the
// composed ops.
#pragma once
#include <algorithm>
#include <cstdint>

#include "graph/graph.hpp"
#include "graph/score_backward.hpp"
#include "graph/segment_kernels.hpp"

namespace gatgrad::graph_kernels::full_batch {

template <class T>
inline bool applies(int64_t H, int64_t F) {
  return H == lanes<T>() && F == lanes<T>();
}

// On graphs whose rows outgrow the caches, the loops over a node's edges ask for the [L, L] row
// of the source kAheadEdges edges further on (exactly its cache lines: buffers and rows are
// line-aligned), and, with `scores` too, for its row of scores.
struct Prefetch {
  bool rows = false, scores = false;
  int64_t E = 0;
};

template <class T>
inline void prefetch_ahead(const Prefetch& pf, int64_t e, const int32_t* src, const T* x, const T* s) {
  constexpr int64_t L = lanes<T>();
  if (!pf.rows || e + kAheadEdges >= pf.E) return;
  const int64_t j = src[e + kAheadEdges];
  const char* row = reinterpret_cast<const char*>(x + j * L * L);
  for (int64_t o = 0; o < L * L * static_cast<int64_t>(sizeof(T)); o += 64) __builtin_prefetch(row + o);
  if (pf.scores) __builtin_prefetch(s + j * L);
}

// out_i = epilogue(Σ_r w[r, k] · x[idx[r], k, :]) for the L heads k (wsum_full<L>'s chains), with
// w[r] = α'[e] computed by `weight(r)` as a batch.
template <class T, class Weight>
inline void weighted_heads(const int32_t* idx, int64_t rows, const T* x, const RowEpilogue<T>& ep, T* out,
                           Weight&& weight) {
  constexpr int64_t L = lanes<T>();
  const bool epilogue = ep.active();
  batch<T> acc[L];
  for (int64_t k = 0; k < L; ++k) acc[k] = batch<T>(T(0));
  alignas(64) T w[L];
  for (int64_t r = 0; r < rows; ++r) {
    weight(r).store_aligned(w);
    const T* xr = x + int64_t{idx[r]} * L * L;
    for (int64_t k = 0; k < L; ++k) acc[k] = xsimd::fma(batch<T>(w[k]), batch<T>::load_unaligned(xr + k * L), acc[k]);
  }
  for (int64_t k = 0; k < L; ++k) {
    if (epilogue) acc[k] = epilogue_batch(acc[k], ep, ep.bias ? batch<T>::load_unaligned(ep.bias + k * L) : acc[k]);
    acc[k].store_unaligned(out + k * L);
  }
}

// Forward for target i with incoming edges [b, b + deg), deg >= 1 (as forward_block): logits,
// their signs, the softmax in i's α rows, and out_i = epilogue(Σ α' wh[j]).
template <class T>
inline void forward(int64_t i, int64_t b, int64_t deg, const int32_t* src, const T* wh, const T* sd, const T* ss,
                    T slope, const DropoutMask& mask, T* alpha, uint8_t* signs, const RowEpilogue<T>& ep, T* out,
                    const Prefetch& pf) {
  constexpr int64_t L = lanes<T>();
  T* a = alpha + b * L;
  const batch<T> si = batch<T>::load_unaligned(sd + i * L);
  batch<T> m(T(0));
  for (int64_t r = 0; r < deg; ++r) {  // e = LeakyReLU(s_dst[i] + s_src[j]) and its sign bits
    prefetch_ahead(pf, b + r, src, wh, ss);
    const batch<T> z = si + batch<T>::load_unaligned(ss + int64_t{src[b + r]} * L);
    const batch<T> e = leaky(z, slope);
    e.store_unaligned(a + r * L);
    if (signs) {
      signs[b + r] = 0;
      set_positive_bits(z, signs + b + r, 0);
    }
    m = r == 0 ? e : xsimd::max(m, e);  // softmax_rows: the running max from row 0
  }
  batch<T> total(T(0));
  for (int64_t r = 0; r < deg; ++r) {
    const batch<T> p = xsimd::exp(batch<T>::load_unaligned(a + r * L) - m);
    p.store_unaligned(a + r * L);
    total += p;
  }
  const batch<T> inv = batch<T>(T(1)) / total;
  weighted_heads(src + b, deg, wh, ep, out + i * L * L, [&](int64_t r) {
    const batch<T> alpha_r = batch<T>::load_unaligned(a + r * L) * inv;  // α
    alpha_r.store_unaligned(a + r * L);
    return mask.active ? dropout_batch<T>(mask, (b + r) * L) * alpha_r : alpha_r;  // α' = coef · α
  });
}

// Sweep 1 for target i (as backward_targets with scores): pair[e] = [α'[e] | dz[e]] and
// ds_dst[i] (+)= Σ dz. `g` holds deg batches of scratch.
template <class T>
inline void backward_target(int64_t i, int64_t b, int64_t deg, const int32_t* src, const T* wh, T slope,
                            const DropoutMask& mask, const T* alpha, const uint8_t* signs, const T* dout, T* ds_dst,
                            bool ds_dst_fresh, T* pair, T* g, const Prefetch& pf) {
  constexpr int64_t L = lanes<T>();
  batch<T> di[L];
  for (int64_t k = 0; k < L; ++k) di[k] = batch<T>::load_unaligned(dout + i * L * L + k * L);
  batch<T> s(T(0));
  for (int64_t r = 0; r < deg; ++r) {
    const int64_t e = b + r;
    prefetch_ahead(pf, e, src, wh, static_cast<const T*>(nullptr));
    const batch<T> y = batch<T>::load_unaligned(alpha + e * L);
    const batch<T> coef = mask.active ? dropout_batch<T>(mask, e * L) : batch<T>(T(1));
    (mask.active ? y * coef : y).store_unaligned(pair + e * 2 * L);  // α' (mul_row / copy_row)
    // dα'[e, h] = <dout[i, h, :], wh[j, h, :]> (dot_heads), dα = dα' · coef
    const T* xj = wh + int64_t{src[e]} * L * L;
    batch<T> rows[L];
    for (int64_t k = 0; k < L; ++k) rows[k] = di[k] * batch<T>::load_unaligned(xj + k * L);
    batch<T> da = xsimd::haddp(rows);
    if (mask.active) da = da * coef;
    da.store_unaligned(g + r * L);
    s = xsimd::fma(y, da, s);  // Σ α dα (softmax_backward_rows)
  }
  batch<T> sum_dz(T(0));
  for (int64_t r = 0; r < deg; ++r) {
    const int64_t e = b + r;
    const batch<T> de = batch<T>::load_unaligned(alpha + e * L) * (batch<T>::load_unaligned(g + r * L) - s);
    const batch<T> dz = leaky_backward_bits(signs + e, 0, de, slope);
    dz.store_unaligned(pair + e * 2 * L + L);
    sum_dz += dz;
  }
  if (!ds_dst) return;
  if (!ds_dst_fresh) sum_dz += batch<T>::load_unaligned(ds_dst + i * L);
  sum_dz.store_unaligned(ds_dst + i * L);
}

// Sweep 2 for the sources j of [j0, j1): a node's sums in registers, the same operations in the
// same order as gat_attention.cpp's backward_sources.
// (E edges; `prefetch` as gat_attention's Dims.)
template <class T>
void backward_sources(int64_t j0, int64_t j1, int64_t E, bool prefetch, const Graph& g, const T* pair, const T* dout,
                      T* ds_src, bool ds_src_fresh, T* dwh, bool dwh_fresh, const ScoreBackward<T>* sb) {
  constexpr int64_t L = lanes<T>(), HF = L * L;
  const int64_t* ptr = g.src_ptr().data();
  const int32_t* perm = g.src_perm().data();
  const int32_t* target = g.src_grouped_dst().data();
  T* part = sb && sb->part ? sb->part + (j0 / kNodeBlock) * sb->stride : nullptr;
  if (part) std::fill(part, part + 2 * HF, T(0));
  alignas(64) T sum[L];
  for (int64_t j = j0; j < j1; ++j) {
    const int64_t b = ptr[j], deg = ptr[j + 1] - b;
    for (int64_t p = b + kAheadEdges; prefetch && p < std::min(b + deg + kAheadEdges, E); ++p) {
      prefetch_bytes(pair + int64_t{perm[p]} * 2 * L, 2 * L * sizeof(T));
      if (dwh) prefetch_bytes(dout + int64_t{target[p]} * HF, HF * sizeof(T));
    }
    // ds_src[j] = Σ_p dz[e] and dwh[j, h, :] = Σ_p α'[e, h] dout[i, h, :]
    batch<T> s(T(0)), acc[L];
    for (int64_t k = 0; k < L; ++k) acc[k] = batch<T>(T(0));
    for (int64_t p = b; p < b + deg; ++p) {
      const T* pe = pair + int64_t{perm[p]} * 2 * L;
      s = s + batch<T>::load_unaligned(pe + L);
      if (!dwh) continue;
      const T* xi = dout + int64_t{target[p]} * HF;
      for (int64_t k = 0; k < L; ++k) acc[k] = xsimd::fma(batch<T>(pe[k]), batch<T>::load_unaligned(xi + k * L), acc[k]);
    }
    if (ds_src && ds_src_fresh)
      s.store_unaligned(ds_src + j * L);
    else if (ds_src && deg > 0)
      (batch<T>::load_unaligned(ds_src + j * L) + s).store_unaligned(ds_src + j * L);
    s.store_aligned(sum);
    T* row = dwh ? dwh + j * HF : nullptr;
    if (row)
      for (int64_t k = 0; k < L; ++k) {
        if (!dwh_fresh) acc[k] = deg == 0 ? batch<T>::load_unaligned(row + k * L) : batch<T>::load_unaligned(row + k * L) + acc[k];
      }
    if (sb) {  // the scores' backward, as backward_sources's scores_backward (axpy_heads)
      const T* dsd = sb->ds_dst + j * L;
      if (row)
        for (int64_t k = 0; k < L; ++k) {
          acc[k] = xsimd::fma(batch<T>(sum[k]), batch<T>::load_unaligned(sb->a2 + k * L), acc[k]);
          acc[k] = xsimd::fma(batch<T>(dsd[k]), batch<T>::load_unaligned(sb->a1 + k * L), acc[k]);
        }
      if (part) {
        const T* whj = sb->wh + j * HF;
        for (int64_t k = 0; k < L; ++k) {
          const batch<T> x = batch<T>::load_unaligned(whj + k * L);
          xsimd::fma(batch<T>(dsd[k]), x, batch<T>::load_unaligned(part + k * L)).store_unaligned(part + k * L);
          xsimd::fma(batch<T>(sum[k]), x, batch<T>::load_unaligned(part + HF + k * L)).store_unaligned(part + HF + k * L);
        }
      }
    }
    if (row)
      for (int64_t k = 0; k < L; ++k) acc[k].store_unaligned(row + k * L);
  }
}

}  // namespace gatgrad::graph_kernels::full_batch
