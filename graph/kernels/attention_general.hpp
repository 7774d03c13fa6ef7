// gat_attention for any H and F: the forward and the two backward sweeps of one node
// (equations in graph/gat_attention.hpp). The specialised paths (attention_one_head.hpp,
// attention_heads8.hpp) compute the same values in the same order. Private to the units.
// Legend: i destination, j source, e edge, seg(i) = [b, b + deg) the incoming edges of i,
// k = e·H + h the dropout counter.
#pragma once
#include <limits>

#include "graph/kernels/dot.hpp"
#include "graph/kernels/segment_softmax.hpp"
#include "graph/kernels/signs_epilogue.hpp"
#include "graph/kernels/weighted_sum.hpp"

namespace gatgrad::GATGRAD_ISA_NS::graph {

// Node rows of at least this many bytes (half of L2) are prefetched kAheadEdges edges ahead;
// smaller ones (the 2708×7 logits of Cora's second layer) stay in L2.
template <class T>
inline void prefetch_edges(const gk::Prefetch& pf, const int32_t* nodes, int64_t p0, int64_t p1, int64_t E, const T* rows,
                           int64_t row_width, const T* scores, int64_t H) {
  if (!pf.rows) return;
  const int64_t end = imin(p1 + kAheadEdges, E);
  for (int64_t p = p0 + kAheadEdges; p < end; ++p) {
    const int64_t j = nodes[p];
    if (pf.scores && scores) prefetch_bytes(scores + j * H, H * static_cast<int64_t>(sizeof(T)));
    prefetch_bytes(rows + j * row_width, row_width * static_cast<int64_t>(sizeof(T)));
  }
}

// α'[r, h] = α[r, h] · coef(k0 + r·H + h) for the deg·H values of a segment, into w.
template <class T>
inline void dropped_weights(const kernels::DropoutRule& mask, int64_t k0, const T* a, int64_t n, T* w) {
  for_chunks(n, [&](int64_t k, int64_t m) {
    store_n(load_n<T, kLanes>(a + k, m) * element::dropout_coefficients<T, kLanes>(mask, k0 + k), w + k, m);
  });
}

// Forward for destination i: e = LeakyReLU(s_dst[i] + s_src[j] (+ s_edge[e])) into i's α rows (signs kept),
// α = softmax, out_i = epilogue(Σ_j α'_ij wh_j).
template <class T>
void forward_general(const gk::AttentionForward<T>& a, int64_t i) {
  using V = Vec<T, kLanes>;
  const gk::GraphArrays& g = a.g;
  const int64_t H = a.H, F = a.F, HF = H * F, SB = gk::sign_bytes(H);
  const int64_t b = g.dst_ptr[i], deg = g.dst_ptr[i + 1] - b;
  T* row = a.out + i * HF;
  if (deg == 0) {
    zero_row(row, HF);
    epilogue_row(row, HF, a.epilogue);
    return;
  }
  prefetch_edges(a.prefetch, g.src, b, b + deg, g.num_edges, a.wh, HF, a.s_src, H);
  T* al = a.alpha + b * H;
  for (int64_t r = 0; r < deg; ++r) {
    const T* sj = a.s_src + int64_t{g.src[b + r]} * H;
    for (int64_t h0 = 0; h0 < H; h0 += kLanes) {
      const int64_t n = imin(kLanes, H - h0);
      V z = load_n<T, kLanes>(a.s_dst + i * H + h0, n) + load_n<T, kLanes>(sj + h0, n);
      if (a.s_edge) z = z + load_n<T, kLanes>(a.s_edge + (b + r) * H + h0, n);
      store_n(element::leaky_relu(z, a.slope), al + r * H + h0, n);
      if (a.signs) store_signs(z, n, a.signs + (b + r) * SB, h0);
    }
  }
  softmax_rows(al, deg, H);  // α_ij, in place
  const T* weights = al;
  if (a.dropout) {
    T* w = scratch_of<T>(a.scratch, 0, deg * H);
    dropped_weights(a.mask, b * H, al, deg * H, w);
    weights = w;
  }
  weighted_sum_rows(row, weights, H, g.src + b, deg, a.wh, a.wh + g.num_src * HF, H, F);  // Σ_j α'_ij wh_j
  epilogue_row(row, HF, a.epilogue);
}

// Sweep 1 for destination i (after the caller's ELU backward and bias sums): pair[e] = [α'[e] | dz[e]]
// and ds_dst[i] (+)= Σ dz:  dα'[e,h] = <dout[i,h,:], wh[j,h,:]>, dα = dα' · coef,
// de = α (dα - Σ α dα), dz = de · LeakyReLU'(z) from the sign bits.
template <class T>
void targets_general(const gk::AttentionTargets<T>& a, int64_t i) {
  using V = Vec<T, kLanes>;
  const gk::GraphArrays& g = a.g;
  const int64_t H = a.H, F = a.F, HF = H * F, SB = gk::sign_bytes(H);
  const int64_t b = g.dst_ptr[i], deg = g.dst_ptr[i + 1] - b;
  if (deg == 0) {
    if (a.ds_dst && a.ds_dst_fresh) zero_row(a.ds_dst + i * H, H);
    return;
  }
  if (a.scores) prefetch_edges(a.prefetch, g.src, b, b + deg, g.num_edges, a.wh, HF, static_cast<const T*>(nullptr), H);
  const T* al = a.alpha + b * H;
  T* coef = nullptr;
  if (a.dropout) {  // α' = α · coef, the weights of sweep 2
    coef = scratch_of<T>(a.scratch, 1, deg * H);
    for_chunks(deg * H, [&](int64_t k, int64_t m) { store_n(element::dropout_coefficients<T, kLanes>(a.mask, b * H + k), coef + k, m); });
    for (int64_t r = 0; r < deg; ++r) mul_row(a.pair + (b + r) * 2 * H, al + r * H, coef + r * H, H);
  } else {
    for (int64_t r = 0; r < deg; ++r) copy_row(a.pair + (b + r) * 2 * H, al + r * H, H);
  }
  if (!a.scores) return;
  T* gz = scratch_of<T>(a.scratch, 0, deg * H);
  for (int64_t r = 0; r < deg; ++r) dot_heads(a.dout + i * HF, a.wh + int64_t{g.src[b + r]} * HF, H, F, gz + r * H);
  if (a.dropout) mul_row(gz, gz, coef, deg * H);
  softmax_backward_rows<false>(al, gz, gz, deg, H);  // de
  // dz = de · LeakyReLU'(z);  ds_dst[i] (+)= Σ_r dz, in edge order from 0
  for (int64_t h0 = 0; h0 < H; h0 += kLanes) {
    const int64_t n = imin(kLanes, H - h0);
    V total = V::zero();
    for (int64_t r = 0; r < deg; ++r) {
      const V dz = element::leaky_relu_grad(positive_from_signs<T>(a.signs + (b + r) * SB, h0, n),
                                            load_n<T, kLanes>(gz + r * H + h0, n), a.slope);
      store_n(dz, a.pair + (b + r) * 2 * H + H + h0, n);
      total = total + dz;
    }
    if (a.ds_dst) {
      T* ds = a.ds_dst + i * H + h0;
      store_n(a.ds_dst_fresh ? total : load_n<T, kLanes>(ds, n) + total, ds, n);
    }
  }
}

// Sweep 2 for source j, through its outgoing edges p (e = src_perm[p], i = its destination):
// ds_src[j] (+)= Σ_p dz[e];  dwh[j,h,:] (+)= Σ_p α'[e,h] dout[i,h,:];  then the scores' backward.
template <class T>
void sources_general(const gk::AttentionSources<T>& a, int64_t j, T* part) {
  const gk::GraphArrays& g = a.g;
  const int64_t H = a.H, F = a.F, HF = H * F;
  const int64_t b = g.src_ptr[j], deg = g.src_ptr[j + 1] - b;
  const int32_t* perm = g.src_perm;
  const int32_t* target = g.src_grouped_dst;
  T* sum = scratch_of<T>(a.scratch, 1, H);
  zero_row(sum, H);
  if (deg == 0) {  // no outgoing edge: a zero gradient (written only into a fresh buffer)
    if (a.ds_src && a.ds_src_fresh) zero_row(a.ds_src + j * H, H);
    if (a.dwh && a.dwh_fresh) zero_row(a.dwh + j * HF, HF);
  } else {
    if (a.prefetch.rows)
      for (int64_t p = b + kAheadEdges; p < imin(b + deg + kAheadEdges, g.num_edges); ++p) {
        prefetch_bytes(a.pair + int64_t{perm[p]} * 2 * H, 2 * H * static_cast<int64_t>(sizeof(T)));
        if (a.dwh) prefetch_bytes(a.dout + int64_t{target[p]} * HF, HF * static_cast<int64_t>(sizeof(T)));
      }
    for (int64_t p = b; p < b + deg; ++p) add_row(sum, a.pair + int64_t{perm[p]} * 2 * H + H, H);
    if (a.ds_src) {
      if (a.ds_src_fresh)
        copy_row(a.ds_src + j * H, sum, H);
      else
        add_row(a.ds_src + j * H, sum, H);
    }
    if (a.dwh) {
      T* weights = scratch_of<T>(a.scratch, 2, deg * H);
      for (int64_t r = 0; r < deg; ++r) copy_row(weights + r * H, a.pair + int64_t{perm[b + r]} * 2 * H, H);  // α'
      const T* dout_end = a.dout + g.num_dst * HF;
      if (a.dwh_fresh) {  // the sum goes straight into the new gradient row
        weighted_sum_rows(a.dwh + j * HF, weights, H, target + b, deg, a.dout, dout_end, H, F);
      } else {
        T* acc = scratch_of<T>(a.scratch, 0, HF);
        weighted_sum_rows(acc, weights, H, target + b, deg, a.dout, dout_end, H, F);
        add_row(a.dwh + j * HF, acc, HF);
      }
    }
  }
  const gk::ScoreBackward<T>* sb = a.scores;
  if (!sb) return;
  // in the order of the two head_dot backwards of the composed layer: s_src's first
  const bool is_dst = j < g.num_dst;
  if (a.dwh) {
    axpy_heads(a.dwh + j * HF, sum, sb->a2, H, F);
    if (is_dst) axpy_heads(a.dwh + j * HF, sb->ds_dst + j * H, sb->a1, H, F);
  }
  if (part) {
    if (is_dst) axpy_heads(part, sb->ds_dst + j * H, sb->wh + j * HF, H, F);
    axpy_heads(part + HF, sum, sb->wh + j * HF, H, F);
  }
}

}  // namespace gatgrad::GATGRAD_ISA_NS::graph
