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
  T* al = a.alpha + b * 8;
  const V si = V::load(a.s_dst + i * 8);
  V m = V::zero();
  for (int64_t r = 0; r < deg; ++r) {  // e = LeakyReLU(s_dst[i] + s_src[j] (+ s_edge[e])), its sign bits, the running max
    prefetch_row8(a.prefetch, b + r, g.num_edges, g.src, a.wh, a.s_src);
    V z = si + V::load(a.s_src + int64_t{g.src[b + r]} * 8);
    if (a.s_edge) z = z + V::load(a.s_edge + (b + r) * 8);
    const V e = element::leaky_relu(z, a.slope);
    e.store(al + r * 8);
    if (a.signs) a.signs[b + r] = static_cast<uint8_t>((z > V::zero()).bits());
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
  V acc[8];
  for (int k = 0; k < 8; ++k) acc[k] = V::zero();
  alignas(64) T w[8];
  for (int64_t r = 0; r < deg; ++r) {
    const V alpha_r = V::load(al + r * 8) * inv;  // α
    alpha_r.store(al + r * 8);
    (a.dropout ? alpha_r * element::dropout_coefficients<T, 8>(a.mask, (b + r) * 8) : alpha_r).store(w);  // α'
    const T* xr = a.wh + int64_t{g.src[b + r]} * 64;
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
  const gk::GraphArrays& g = a.g;
  const int64_t b = g.dst_ptr[i], deg = g.dst_ptr[i + 1] - b;
  if (deg == 0) {
    if (a.ds_dst && a.ds_dst_fresh) V::zero().store(a.ds_dst + i * 8);
    return;
  }
  if (!a.scores) {  // α' only
    for (int64_t r = 0; r < deg; ++r) {
      const int64_t e = b + r;
      const V y = V::load(a.alpha + e * 8);
      (a.dropout ? y * element::dropout_coefficients<T, 8>(a.mask, e * 8) : y).store(a.pair + e * 16);
    }
    return;
  }
  V di[8];
  for (int k = 0; k < 8; ++k) di[k] = V::load(a.dout + i * 64 + k * 8);
  V s_even = V::zero(), s_odd = V::zero();
  for (int64_t r = 0; r < deg; ++r) {
    const int64_t e = b + r;
    prefetch_row8(a.prefetch, e, g.num_edges, g.src, a.wh, static_cast<const T*>(nullptr));
    const V y = V::load(a.alpha + e * 8);
    const V coef = a.dropout ? element::dropout_coefficients<T, 8>(a.mask, e * 8) : V::splat(T(1));
    (a.dropout ? y * coef : y).store(a.pair + e * 16);  // α'
    const T* xj = a.wh + int64_t{g.src[e]} * 64;
    V prod[8];
    for (int k = 0; k < 8; ++k) prod[k] = simd::fma(di[k], V::load(xj + k * 8), V::zero());
    V da = simd::tree_sum_rows8(prod);  // dα'[e, h] = <dout[i, h, :], wh[j, h, :]>
    if (a.dropout) da = da * coef;      // dα
    da.store(a.pair + e * 16 + 8);      // (kept in the dz slot until Σ α dα is complete)
    if (r % 2 == 0)
      s_even = simd::fma(y, da, s_even);
    else
      s_odd = simd::fma(y, da, s_odd);
  }
  const V s = s_even + s_odd;
  V sum_dz = V::zero();
  for (int64_t r = 0; r < deg; ++r) {
    const int64_t e = b + r;
    const V de = V::load(a.alpha + e * 8) * (V::load(a.pair + e * 16 + 8) - s);
    const V dz = element::leaky_relu_grad(simd::mask_from_bits<T, 8>(a.signs[e]), de, a.slope);
    dz.store(a.pair + e * 16 + 8);
    sum_dz = sum_dz + dz;
  }
  if (!a.ds_dst) return;
  (a.ds_dst_fresh ? sum_dz : V::load(a.ds_dst + i * 8) + sum_dz).store(a.ds_dst + i * 8);
}

template <class T>
void sources_heads8(const gk::AttentionSources<T>& a, int64_t j, T* part) {
  using V = Vec<T, 8>;
  const gk::GraphArrays& g = a.g;
  const int64_t b = g.src_ptr[j], deg = g.src_ptr[j + 1] - b;
  const int32_t* perm = g.src_perm;
  const int32_t* target = g.src_grouped_dst;
  if (a.prefetch.rows)
    for (int64_t p = b + kAheadEdges; p < imin(b + deg + kAheadEdges, g.num_edges); ++p) {
      prefetch_bytes(a.pair + int64_t{perm[p]} * 16, 16 * static_cast<int64_t>(sizeof(T)));
      if (a.dwh) prefetch_bytes(a.dout + int64_t{target[p]} * 64, 64 * static_cast<int64_t>(sizeof(T)));
    }
  // ds_src[j] = Σ_p dz[e] and dwh[j, h, :] = Σ_p α'[e, h] dout[i, h, :]
  V s = V::zero(), acc[8];
  for (int k = 0; k < 8; ++k) acc[k] = V::zero();
  if (a.dwh) {
    for (int64_t p = b; p < b + deg; ++p) {
      const T* pe = a.pair + int64_t{perm[p]} * 16;
      s = s + V::load(pe + 8);
      const T* xi = a.dout + int64_t{target[p]} * 64;
      // (each α'[e, k] broadcast straight from the pair row: one load each, no shuffles)
      for (int k = 0; k < 8; ++k) acc[k] = simd::fma(V::splat(pe[k]), V::load(xi + k * 8), acc[k]);
    }
  } else {
    for (int64_t p = b; p < b + deg; ++p) s = s + V::load(a.pair + int64_t{perm[p]} * 16 + 8);
  }
  if (a.ds_src && a.ds_src_fresh)
    s.store(a.ds_src + j * 8);
  else if (a.ds_src && deg > 0)
    (V::load(a.ds_src + j * 8) + s).store(a.ds_src + j * 8);
  T* row = a.dwh ? a.dwh + j * 64 : nullptr;
  if (row && !a.dwh_fresh)
    for (int k = 0; k < 8; ++k) acc[k] = deg == 0 ? V::load(row + k * 8) : V::load(row + k * 8) + acc[k];
  const gk::ScoreBackward<T>* sb = a.scores;
  if (sb) {  // the scores' backward, as sources_general's (axpy_heads)
    const bool is_dst = j < g.num_dst;
    alignas(64) T sum[8], dsd[8] = {};
    s.store(sum);
    if (is_dst) V::load(sb->ds_dst + j * 8).store(dsd);
    if (row)
      for (int k = 0; k < 8; ++k) {
        acc[k] = simd::fma(V::splat(sum[k]), V::load(sb->a2 + k * 8), acc[k]);
        if (is_dst) acc[k] = simd::fma(V::splat(dsd[k]), V::load(sb->a1 + k * 8), acc[k]);
      }
    if (part) {
      const T* whj = sb->wh + j * 64;
      for (int k = 0; k < 8; ++k) {
        const V x = V::load(whj + k * 8);
        if (is_dst) simd::fma(V::splat(dsd[k]), x, V::load(part + k * 8)).store(part + k * 8);
        simd::fma(V::splat(sum[k]), x, V::load(part + 64 + k * 8)).store(part + 64 + k * 8);
      }
    }
  }
  if (row)
    for (int k = 0; k < 8; ++k) acc[k].store(row + k * 8);
}

}  // namespace gatgrad::GATGRAD_ISA_NS::graph
