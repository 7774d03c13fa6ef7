// gat_attention with one head of F <= 16 features (GAT's output layer): a segment's edges in the
// 16 lanes of a Vec (a segment of up to 16 edges stays in registers), and a node's row of
// features in one Vec of FV = 8 or 16 lanes. With H = 1 the general path runs its per-head loops
// once per edge on a single value; here a node's logits, softmax, dropout coefficients and their
// backward each take a few vector operations. Every value is attention_general.hpp's: the same
// helpers and sums (the flat H = 1 softmax is one chunk of 16 lanes and its halving tree), one
// lane per edge instead of one loop step. Private to the units.
#pragma once
#include "graph/kernels/attention_general.hpp"

namespace gatgrad::GATGRAD_ISA_NS::graph {

// The logits z = s_dst[i] + s_src[j] (+ s_edge[e] when se) of the n <= EV edges from e (lanes
// past n are never read), their sign bytes (one per edge when H = 1) written when `signs`.
template <class T, int EV>
inline Vec<T, EV> one_head_logits(T s_dst_i, int64_t e, int64_t n, const int32_t* src, const T* ss, const T* se,
                                  uint8_t* signs) {
  using V = Vec<T, EV>;
  V z = V::splat(s_dst_i) + simd::gather<T, EV>(ss, src + e, n);
  if (se) z = z + V::load_first(se + e, n);
  if (signs) {
    const uint32_t bits = (z > V::zero()).bits();
    for (int64_t r = 0; r < n; ++r) signs[e + r] = static_cast<uint8_t>((bits >> r) & 1u);
  }
  return z;
}

// Forward, first part, for destination i: e = LeakyReLU(z) and α = softmax(e) into alpha[b..),
// the sign bytes when `signs`. A block runs this for all its nodes before aggregating: the
// nodes' chains of dependent steps (gather, exp, sum, divide) then overlap in the core.
template <class T>
void one_head_alpha(const gk::AttentionForward<T>& a, int64_t i) {
  const gk::GraphArrays& g = a.g;
  const int64_t b = g.dst_ptr[i], deg = g.dst_ptr[i + 1] - b;
  if (deg == 0) return;
  T* al = a.alpha + b;
  const T sd = a.s_dst[i];
  // The segment in one Vec: softmax in registers. 8 lanes when it fits them: the 16-lane tree of
  // a Vec whose top half is 0 is the 8-lane tree (simd/reduce.hpp).
  auto in_registers = [&]<int EV>() {
    using V = Vec<T, EV>;
    const auto in = simd::first_lanes<T, EV>(deg);
    const V e = element::leaky_relu(one_head_logits<T, EV>(sd, b, deg, g.src, a.s_src, a.s_edge, a.signs), a.slope);
    const V lowest = V::splat(-std::numeric_limits<T>::infinity());
    const V m = V::splat(simd::max_lane(simd::select(in, e, lowest)));
    const V p = simd::select(in, simd::exp_nonpositive(e - m), V::zero());
    (p * (V::splat(T(1)) / V::splat(simd::tree_sum(p)))).store_first(al, deg);
  };
  if (deg <= 8) return in_registers.template operator()<8>();
  if (deg <= kLanes) return in_registers.template operator()<kLanes>();
  for (int64_t t = 0; t < deg; t += kLanes) {  // a Vec of edges at a time, then softmax_rows
    const int64_t n = imin(kLanes, deg - t);
    element::leaky_relu(one_head_logits<T, kLanes>(sd, b + t, n, g.src, a.s_src, a.s_edge, a.signs), a.slope).store_first(al + t, n);
  }
  softmax_rows(al, deg, 1);
}

// Forward, second part: out_i = epilogue(Σ_j α'_ij wh[j]), α' = α · coef, in one Vec of FV lanes.
template <class T, int FV>
void one_head_aggregate(const gk::AttentionForward<T>& a, int64_t i, int64_t i1) {
  using V = Vec<T, kLanes>;
  using R = Vec<T, FV>;  // a row of features
  const gk::GraphArrays& g = a.g;
  const int64_t F = a.F;
  const int64_t b = g.dst_ptr[i], deg = g.dst_ptr[i + 1] - b;
  T* out = a.out + i * F;
  const R bias = a.epilogue.bias ? R::load_first(a.epilogue.bias, F) : R::zero();
  prefetch_edges(a.prefetch, g.src, b, b + deg, g.num_edges, a.wh, F, static_cast<const T*>(nullptr), 1);
  const T* al = a.alpha + b;
  const T* wh_end = a.wh + g.num_src * F;
  R acc = R::zero();
  alignas(64) T w[kLanes];
  for (int64_t t = 0; t < deg; t += kLanes) {
    const int64_t n = imin(kLanes, deg - t);
    if (n <= 8) {  // (the coefficients of 8 edges: one register fewer)
      Vec<T, 8> wv = Vec<T, 8>::load_first(al + t, n);
      if (a.dropout) wv = wv * element::dropout_coefficients<T, 8>(a.mask, b + t);
      wv.store(w);
    } else {
      V wv = V::load_first(al + t, n);
      if (a.dropout) wv = wv * element::dropout_coefficients<T, kLanes>(a.mask, b + t);
      wv.store(w);
    }
    for (int64_t r = 0; r < n; ++r)
      acc = simd::fma(R::splat(w[r]), load_upto<T, FV>(a.wh + int64_t{g.src[b + t + r]} * F, F, wh_end), acc);
  }
  acc = epilogue_vec(acc, a.epilogue, bias);
  // A whole Vec of FV lanes covers out[i·F, i·F + FV): stored whole only when every lane past
  // the row falls on rows of this block written after it (F = 1 reaches FV - 1 rows on).
  if (F == FV || i * F + FV <= i1 * F)
    acc.store(out);
  else
    acc.store_first(out, F);
}

// dα'[r] = <dout_i, wh[src[e0 + r]]> for the n <= EV edges from e0, into lanes r.
template <class T, int FV, int EV>
inline Vec<T, EV> one_head_dots(const T* dout_i, const gk::GraphArrays& g, const T* wh, int64_t F, int64_t e0, int64_t n) {
  alignas(64) T dots[kLanes] = {};
  const T* wh_end = wh + g.num_src * F;
  if (F <= 8) {  // 8 edges at a time: their products' halving trees side by side
    using R = Vec<T, 8>;
    const R di = R::load_first(dout_i, F);
    const auto in = simd::first_lanes<T, 8>(F);
    for (int64_t r0 = 0; r0 < n; r0 += 8) {
      R prod[8];
      for (int64_t k = 0; k < 8; ++k) {
        if (r0 + k >= n) {
          prod[k] = R::zero();
          continue;
        }
        const R x = load_upto<T, 8>(wh + int64_t{g.src[e0 + r0 + k]} * F, F, wh_end);
        prod[k] = simd::select(in, simd::fma(di, x, R::zero()), R::zero());
      }
      simd::tree_sum_rows8(prod).store(dots + r0);
    }
  } else {
    for (int64_t r = 0; r < n; ++r) dots[r] = dot_row(dout_i, wh + int64_t{g.src[e0 + r]} * F, F);
  }
  return Vec<T, EV>::load(dots);
}

template <class T, int FV>
void targets_one_head(const gk::AttentionTargets<T>& a, int64_t i) {
  const gk::GraphArrays& g = a.g;
  const int64_t F = a.F;
  const int64_t b = g.dst_ptr[i], deg = g.dst_ptr[i + 1] - b;
  if (deg == 0) {
    if (a.ds_dst && a.ds_dst_fresh) a.ds_dst[i] = T(0);
    return;
  }
  if (a.scores) prefetch_edges(a.prefetch, g.src, b, b + deg, g.num_edges, a.wh, F, static_cast<const T*>(nullptr), 1);
  // Chunks of EV edges: 8 lanes when the segment fits them (their tree is the 16-lane one).
  auto sweep = [&]<int EV>() {
    using V = Vec<T, EV>;
    alignas(64) T lane[kLanes];
    // pass 1, per chunk: α' into pair; dα = dα' · coef (kept in the dz slots); Σ α dα
    V s = V::zero();
    for (int64_t t = 0; t < deg; t += EV) {
      const int64_t n = imin(EV, deg - t);
      const V y = V::load_first(a.alpha + b + t, n);
      const V coef = a.dropout ? element::dropout_coefficients<T, EV>(a.mask, b + t) : V::splat(T(1));
      (a.dropout ? y * coef : y).store(lane);
      for (int64_t r = 0; r < n; ++r) a.pair[(b + t + r) * 2] = lane[r];
      if (!a.scores) continue;
      V da = one_head_dots<T, FV, EV>(a.dout + i * F, g, a.wh, F, b + t, n);
      if (a.dropout) da = da * coef;
      s = simd::fma(y, da, s);
      da.store(lane);
      for (int64_t r = 0; r < n; ++r) a.pair[(b + t + r) * 2 + 1] = lane[r];
    }
    if (!a.scores) return;
    const V sum = V::splat(simd::tree_sum(s));  // the flat H = 1 fold
    // pass 2: de = α (dα - Σ α dα), dz = de · LeakyReLU'(z);  ds_dst[i] (+)= Σ_r dz in edge order
    T total = T(0);
    for (int64_t t = 0; t < deg; t += EV) {
      const int64_t n = imin(EV, deg - t);
      for (int64_t r = 0; r < n; ++r) lane[r] = a.pair[(b + t + r) * 2 + 1];
      const V y = V::load_first(a.alpha + b + t, n);
      const V de = y * (V::load_first(lane, n) - sum);
      uint32_t bits = 0;
      for (int64_t r = 0; r < n; ++r) bits |= static_cast<uint32_t>(a.signs[b + t + r] != 0) << r;
      element::leaky_relu_grad(simd::mask_from_bits<T, EV>(bits), de, a.slope).store(lane);
      for (int64_t r = 0; r < n; ++r) {
        a.pair[(b + t + r) * 2 + 1] = lane[r];
        total = total + lane[r];
      }
    }
    if (a.ds_dst) a.ds_dst[i] = a.ds_dst_fresh ? total : a.ds_dst[i] + total;
  };
  if (deg <= 8)
    sweep.template operator()<8>();
  else
    sweep.template operator()<kLanes>();
}

// Sweep 2 with one head: each source's gradient row is one Vec, summed through its edges and the
// scores' backward and stored once; the block's partial sums of datt stay in registers.
template <class T, int FV>
void sources_one_head(const gk::AttentionSources<T>& a, int64_t j0, int64_t j1, T* part) {
  using R = Vec<T, FV>;
  const gk::GraphArrays& g = a.g;
  const int64_t F = a.F;
  const int32_t* perm = g.src_perm;
  const int32_t* target = g.src_grouped_dst;
  const T* dout_end = a.dout + g.num_dst * F;
  const gk::ScoreBackward<T>* sb = a.scores;
  const R a1 = sb ? R::load_first(sb->a1, F) : R::zero(), a2 = sb ? R::load_first(sb->a2, F) : R::zero();
  R da1 = R::zero(), da2 = R::zero();  // Σ_j ds_dst[j] wh[j] and Σ_j ds_src[j] wh[j] over the block
  for (int64_t j = j0; j < j1; ++j) {
    const int64_t b = g.src_ptr[j], deg = g.src_ptr[j + 1] - b;
    if (a.prefetch.rows)
      for (int64_t p = b + kAheadEdges; p < imin(b + deg + kAheadEdges, g.num_edges); ++p) {
        prefetch_bytes(a.pair + int64_t{perm[p]} * 2, 2 * static_cast<int64_t>(sizeof(T)));
        if (a.dwh) prefetch_bytes(a.dout + int64_t{target[p]} * F, F * static_cast<int64_t>(sizeof(T)));
      }
    T sum = T(0);      // ds_src[j] = Σ_p dz[e]
    R row = R::zero();  // dwh[j] = Σ_p α'[e] dout[i]
    for (int64_t p = b; p < b + deg; ++p) {
      const T* pe = a.pair + int64_t{perm[p]} * 2;
      sum = sum + pe[1];
      if (a.dwh) row = simd::fma(R::splat(pe[0]), load_upto<T, FV>(a.dout + int64_t{target[p]} * F, F, dout_end), row);
    }
    if (a.ds_src && a.ds_src_fresh)
      a.ds_src[j] = sum;
    else if (a.ds_src && deg > 0)  // (a node without edges leaves an accumulated gradient as it is)
      a.ds_src[j] = a.ds_src[j] + sum;
    if (!a.dwh && !part) continue;
    if (a.dwh && !a.dwh_fresh) {
      const R old = R::load_first(a.dwh + j * F, F);
      row = deg == 0 ? old : old + row;
    }
    if (sb) {
      const bool is_dst = j < g.num_dst;
      const T dsd = is_dst ? sb->ds_dst[j] : T(0);
      if (a.dwh) {
        row = simd::fma(R::splat(sum), a2, row);
        if (is_dst) row = simd::fma(R::splat(dsd), a1, row);
      }
      if (part) {
        const R whj = load_upto<T, FV>(sb->wh + j * F, F, sb->wh + g.num_src * F);
        if (is_dst) da1 = simd::fma(R::splat(dsd), whj, da1);
        da2 = simd::fma(R::splat(sum), whj, da2);
      }
    }
    if (a.dwh) row.store_first(a.dwh + j * F, F);
  }
  if (part) {
    da1.store_first(part, F);
    da2.store_first(part + F, F);
  }
}

}  // namespace gatgrad::GATGRAD_ISA_NS::graph
