// gat_attention with 8 heads of 8 features (GAT's hidden layer): a node's 8 logits in one Vec of
// 8 lanes, each head's features in another, so a node's whole segment runs in registers: per
// edge one Vec of logits or gradients and 8 Vecs of features. The general path loops over heads
// and chunks whose counts are known only at run time and fills scratch rows per node; at ~5 edges
// per node that bookkeeping cost more than the arithmetic. Every value is
// attention_general.hpp's: the flat H = 8 softmax sums even and odd rows in lanes 0-7 and 8-15
// of its 16-lane chunks, then folds them (acc_even + acc_odd here), and the dots are the halving
// trees of 8 products (tree_sum_rows8). Private to the units.
#pragma once
#include "graph/kernels/attention_general.hpp"

namespace gatgrad::GATGRAD_ISA_NS::graph {

template <class T>
inline void prefetch_row8(const gk::Prefetch& pf, int64_t e, int64_t E, const int32_t* src, const T* x, const T* s) {
  if (!pf.rows || e + kAheadEdges >= E) return;
  const int64_t j = src[e + kAheadEdges];
  const char* row = reinterpret_cast<const char*>(x + j * 64);
  for (int64_t o = 0; o < 64 * static_cast<int64_t>(sizeof(T)); o += 64) __builtin_prefetch(row + o);
  if (pf.scores && s) __builtin_prefetch(s + j * 8);
}

template <class T>
void forward_heads8(const gk::AttentionForward<T>& a, int64_t i) {
  using V = Vec<T, 8>;
  const gk::GraphArrays& g = a.g;
  const int64_t b = g.dst_ptr[i], deg = g.dst_ptr[i + 1] - b;
  T* out = a.out + i * 64;
  if (deg == 0) {
    zero_row(out, 64);
    epilogue_row(out, 64, a.epilogue);
    return;
  }
  // The fields in locals (as in targets_heads8 below: a Vec store may alias any memory).
  const int32_t* src = g.src;
  const T* wh = a.wh;
  const T* s_src = a.s_src;
  const T* s_edge = a.s_edge;
  uint8_t* signs = a.signs;
  const gk::Prefetch prefetch = a.prefetch;
  const int64_t num_edges = g.num_edges;
  const T slope = a.slope;
  T* al = a.alpha + b * 8;
  const V si = V::load(a.s_dst + i * 8);
  V m = V::zero();
  for (int64_t r = 0; r < deg; ++r) {  // e = LeakyReLU(s_dst[i] + s_src[j] (+ s_edge[e])), its sign bits, the running max
    prefetch_row8(prefetch, b + r, num_edges, src, wh, s_src);
    V z = si + V::load(s_src + int64_t{src[b + r]} * 8);
    if (s_edge) z = z + V::load(s_edge + (b + r) * 8);
    const V e = element::leaky_relu(z, slope);
    e.store(al + r * 8);
    if (signs) signs[b + r] = static_cast<uint8_t>((z > V::zero()).bits());
    m = r == 0 ? e : simd::max(m, e);
  }
  V even = V::zero(), odd = V::zero();
  for (int64_t r = 0; r < deg; ++r) {
    const V p = simd::exp_nonpositive(V::load(al + r * 8) - m);
    p.store(al + r * 8);
    if (r % 2 == 0)
      even = even + p;
    else
      odd = odd + p;
  }
  const V inv = V::splat(T(1)) / (even + odd);
  const bool dropout = a.dropout;
  const element::DropoutLanes<T, 8> mask(a.mask);
  V acc[8];
  for (int k = 0; k < 8; ++k) acc[k] = V::zero();
  alignas(64) T w[8];
  for (int64_t r = 0; r < deg; ++r) {
    const V alpha_r = V::load(al + r * 8) * inv;  // α
    alpha_r.store(al + r * 8);
    (dropout ? alpha_r * mask.coefficients((b + r) * 8) : alpha_r).store(w);  // α'
    const T* xr = wh + int64_t{src[b + r]} * 64;
    for (int k = 0; k < 8; ++k) acc[k] = simd::fma(V::splat(w[k]), V::load(xr + k * 8), acc[k]);
  }
  for (int k = 0; k < 8; ++k) {
    const V bias = a.epilogue.bias ? V::load(a.epilogue.bias + k * 8) : V::zero();
    epilogue_vec(acc[k], a.epilogue, bias).store(out + k * 8);
  }
}

template <class T>
void targets_heads8(const gk::AttentionTargets<T>& a, int64_t i) {
  using V = Vec<T, 8>;
  // The fields in locals: every Vec store may alias any memory (the intrinsics' types do), so
  // read through `a` they would be loaded again after each store of the edge loops.
  const int64_t b = a.g.dst_ptr[i], deg = a.g.dst_ptr[i + 1] - b;
  const bool dropout = a.dropout;
  const element::DropoutLanes<T, 8> mask(a.mask);
  const T* alpha = a.alpha;
  T* pair = a.pair;
  if (deg == 0) {
    if (a.ds_dst && a.ds_dst_fresh) V::zero().store(a.ds_dst + i * 8);
    return;
  }
  if (!a.scores) {  // α' only
    for (int64_t r = 0; r < deg; ++r) {
      const int64_t e = b + r;
      const V y = V::load(alpha + e * 8);
      (dropout ? y * mask.coefficients(e * 8) : y).store(pair + e * 16);
    }
    return;
  }
  const int32_t* src = a.g.src;
  const T* wh = a.wh;
  const gk::Prefetch prefetch = a.prefetch;
  const int64_t num_edges = a.g.num_edges;
  V di[8];
  for (int k = 0; k < 8; ++k) di[k] = V::load(a.dout + i * 64 + k * 8);
  V s_even = V::zero(), s_odd = V::zero();
  for (int64_t r = 0; r < deg; ++r) {
    const int64_t e = b + r;
    prefetch_row8(prefetch, e, num_edges, src, wh, static_cast<const T*>(nullptr));
    const V y = V::load(alpha + e * 8);
    const V coef = dropout ? mask.coefficients(e * 8) : V::splat(T(1));
    (dropout ? y * coef : y).store(pair + e * 16);  // α'
    const T* xj = wh + int64_t{src[e]} * 64;
    V prod[8];
    for (int k = 0; k < 8; ++k) prod[k] = simd::fma(di[k], V::load(xj + k * 8), V::zero());
    V da = simd::tree_sum_rows8(prod);  // dα'[e, h] = <dout[i, h, :], wh[j, h, :]>
    if (dropout) da = da * coef;        // dα
    da.store(pair + e * 16 + 8);        // (kept in the dz slot until Σ α dα is complete)
    if (r % 2 == 0)
      s_even = simd::fma(y, da, s_even);
    else
      s_odd = simd::fma(y, da, s_odd);
  }
  const V s = s_even + s_odd;
  const uint8_t* signs = a.signs;
  const T slope = a.slope;
  V sum_dz = V::zero();
  for (int64_t r = 0; r < deg; ++r) {
    const int64_t e = b + r;
    const V de = V::load(alpha + e * 8) * (V::load(pair + e * 16 + 8) - s);
    const V dz = element::leaky_relu_grad(simd::mask_from_bits<T, 8>(signs[e]), de, slope);
    dz.store(pair + e * 16 + 8);
    sum_dz = sum_dz + dz;
  }
  if (!a.ds_dst) return;
  (a.ds_dst_fresh ? sum_dz : V::load(a.ds_dst + i * 8) + sum_dz).store(a.ds_dst + i * 8);
}

// Sweep 2 for the sources [j0, j1) (part: the block's datt sums, or null).
template <class T>
void sources_heads8(const gk::AttentionSources<T>& a, int64_t j0, int64_t j1, T* part) {
  using V = Vec<T, 8>;
  // The fields in locals, once per block (as in targets_heads8: a Vec store may alias anything).
  const int64_t* src_ptr = a.g.src_ptr;
  const int32_t* perm = a.g.src_perm;
  const int32_t* target = a.g.src_grouped_dst;
  const int64_t num_edges = a.g.num_edges, num_dst = a.g.num_dst;
  const T* pair = a.pair;
  const T* dout = a.dout;
  T* ds_src = a.ds_src;
  T* dwh = a.dwh;
  const bool ds_src_fresh = a.ds_src_fresh, dwh_fresh = a.dwh_fresh, prefetch = a.prefetch.rows;
  const gk::ScoreBackward<T>* sb = a.scores;
  const T* a1 = sb ? sb->a1 : nullptr;
  const T* a2 = sb ? sb->a2 : nullptr;
  const T* ds_dst = sb ? sb->ds_dst : nullptr;
  const T* wh = sb ? sb->wh : nullptr;
  for (int64_t j = j0; j < j1; ++j) {
    const int64_t b = src_ptr[j], deg = src_ptr[j + 1] - b;
    if (prefetch)
      for (int64_t p = b + kAheadEdges; p < imin(b + deg + kAheadEdges, num_edges); ++p) {
        prefetch_bytes(pair + int64_t{perm[p]} * 16, 16 * static_cast<int64_t>(sizeof(T)));
        if (dwh) prefetch_bytes(dout + int64_t{target[p]} * 64, 64 * static_cast<int64_t>(sizeof(T)));
      }
    // ds_src[j] = Σ_p dz[e] and dwh[j, h, :] = Σ_p α'[e, h] dout[i, h, :]
    V s = V::zero(), acc[8];
    #pragma GCC unroll 8
    for (int k = 0; k < 8; ++k) acc[k] = V::zero();
    if (dwh) {
      for (int64_t p = b; p < b + deg; ++p) {
        const T* pe = pair + int64_t{perm[p]} * 16;
        s = s + V::load(pe + 8);
        const T* xi = dout + int64_t{target[p]} * 64;
        // (each α'[e, k] broadcast straight from the pair row: one load each, no shuffles)
        #pragma GCC unroll 8
        for (int k = 0; k < 8; ++k) acc[k] = simd::fma(V::splat(pe[k]), V::load(xi + k * 8), acc[k]);
      }
    } else {
      for (int64_t p = b; p < b + deg; ++p) s = s + V::load(pair + int64_t{perm[p]} * 16 + 8);
    }
    if (ds_src && ds_src_fresh)
      s.store(ds_src + j * 8);
    else if (ds_src && deg > 0)
      (V::load(ds_src + j * 8) + s).store(ds_src + j * 8);
    T* row = dwh ? dwh + j * 64 : nullptr;
    if (row && !dwh_fresh)
      #pragma GCC unroll 8
      for (int k = 0; k < 8; ++k) acc[k] = deg == 0 ? V::load(row + k * 8) : V::load(row + k * 8) + acc[k];
    if (sb) {  // the scores' backward, as sources_general's (axpy_heads)
      alignas(64) T sum[8];
      s.store(sum);
      const T* dsd = j < num_dst ? ds_dst + j * 8 : nullptr;  // (a source that is no destination has none)
      if (row) {
        if (dsd)
          #pragma GCC unroll 8
          for (int k = 0; k < 8; ++k)
            acc[k] = simd::fma(V::splat(dsd[k]), V::load(a1 + k * 8), simd::fma(V::splat(sum[k]), V::load(a2 + k * 8), acc[k]));
        else
          #pragma GCC unroll 8
          for (int k = 0; k < 8; ++k) acc[k] = simd::fma(V::splat(sum[k]), V::load(a2 + k * 8), acc[k]);
      }
      if (part) {
        const T* whj = wh + j * 64;
        #pragma GCC unroll 8
        for (int k = 0; k < 8; ++k) {
          const V x = V::load(whj + k * 8);
          if (dsd) simd::fma(V::splat(dsd[k]), x, V::load(part + k * 8)).store(part + k * 8);
          simd::fma(V::splat(sum[k]), x, V::load(part + 64 + k * 8)).store(part + 64 + k * 8);
        }
      }
    }
    if (row)
      #pragma GCC unroll 8
      for (int k = 0; k < 8; ++k) acc[k].store(row + k * 8);
  }
}

}  // namespace gatgrad::GATGRAD_ISA_NS::graph
