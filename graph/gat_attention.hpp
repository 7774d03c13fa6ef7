// gat_attention: GAT's attention and aggregation (Veličković et al., 2018) as one fused op.
// Edge e runs j = src(e) -> i = dst(e); N nodes, E edges, H heads, F features per head. On a
// bipartite block (graph/block.hpp) S source and D destination nodes, destination i being
// source i: every [N, ...] below is then [S, ...] for what sources send (wh, s_src) and
// [D, ...] for what destinations hold (s_dst, out); a square graph is S = D = N.
//
//   e_ij  = LeakyReLU(s_dst[i] + s_src[j] (+ s_edge[e]))     per head          [E, H]
//   α_ij  = exp(e_ij - m_i) / Σ_{k ∈ N(i)} exp(e_ik - m_i)   m_i = max_k e_ik  [E, H]
//   α'_ij = dropout(α_ij)   (mask bit of element edge*H + h, as dropout(α, p, key) on [E, H])
//   out_i = Σ_{j ∈ N(i)} α'_ij · wh_j                                          [N, H, F]
//
// Why per-node scores: the paper's logit is aᵀ [W h_i ‖ W h_j]; with a = [a_1 ‖ a_2] that is
// a_1ᵀ W h_i + a_2ᵀ W h_j, so s_dst = head_dot(wh, a_1) and s_src = head_dot(wh, a_2) are N×H
// tensors computed once per node, and an edge only adds two numbers per head.
//
// It equals, bit for bit in value and gradient, the composed path
//   aggregate(dropout(segment_softmax(leaky_relu(gather(s_dst, g, Endpoint::dst) +
//                                                gather(s_src, g, Endpoint::src), slope), g),
//                     p, key),
//             wh, g)
// (graph/message_passing.hpp): both run the same kernels (graph/kernels/) in the same
// order, and the dropout mask is the engine's rule keep(k) = (hash32(key, k) >> 8) >= p·2^24 at
// k = edge·H + h, edge the position in the graph's (dst-sorted) edge order (so the mask is
// regenerated, never stored). The fused op never builds the E×H×F messages nor the five E×H
// intermediates of the composed path: per target i, one pass over its incoming edges writes the
// logits into i's α rows, the softmax runs on those rows while they sit in L1, and a second pass
// sums α'_ij W h_j in registers. Kept for backward: α (E×H) and the signs z > 0 (one bit per
// edge and head), so that backward never reads s_src[j] again.
//
// The optional edge score s_edge [E, H] (graph edge order) is an edge's own term of the logit,
// a_edgeᵀ W_e x_ij for edge features x_ij (PyG's edge_dim): the layer computes it per edge as
// [E, H] (never [E, H, F]) and the kernels add it to z. Its gradient is dz, the logits'
// gradient before the LeakyReLU, which sweep 1 writes into pair anyway: d s_edge[e] = dz[e].
//
// Backward, in two sweeps (no atomics: each sweep writes only rows its node owns):
//   1. over targets i, in edge order:  α'[e] = α[e] · mask/(1-p);
//      dα'[e,h] = <dout[i,h,:], wh[j,h,:]>;  dα = dα' · mask/(1-p);
//      de = α (dα - Σ_{e'->i} α dα);  dz = de · (z > 0 ? 1 : slope) from the sign bits;
//      ds_dst[i] += Σ_{e->i} dz[e];  the row [α'[e] | dz[e]] (2H values) is written for sweep 2
//   2. over sources j (src_ptr / src_perm), reading edge e's row:  ds_src[j] += Σ_{e: j->} dz[e];
//      dwh[j,h,:] += Σ_{e: j->i} α'[e,h] dout[i,h,:]
// Sweep 1's accesses are sequential but for wh[j]; sweep 2 reads one row of 2H values and
// dout[i] per edge. On large graphs these random rows are what the time goes to.
//
// Kernels (graph/kernels/, one copy per instruction-set level): attention_general.hpp serves any
// H and F; two shapes that GAT runs all the time have their own, which keep a node's whole
// segment in registers: attention_one_head.hpp (one head of at most 16 features: the output
// layer) and attention_heads8.hpp (8 heads of 8 features: the hidden layer). One predicate
// (attention.hpp) picks the path for the forward and both sweeps. They perform the same
// operations in the same order, so every path gives the same bits, on every level with FMA.
#pragma once
#include <cstdint>

#include "autograd/tensor.hpp"
#include "graph/graph.hpp"

namespace gatgrad {

// wh [S, H, F], s_dst [D, H], s_src [S, H] (one dtype) -> out [D, H, F]; a node without incoming
// edges gets a zero row. attn_dropout in [0, 1): 0 means no dropout (what evaluation passes).
// alpha_out, if given, receives the attention before dropout, α [E, H] in the graph's edge order
// (edges_in_input_order turns it into the input order), without gradient; it shares its data with
// what backward uses, so read it but do not write to it.
// s_edge, when defined: [E, H] of wh's dtype, added to each edge's logit before the LeakyReLU.
Tensor gat_attention(const Tensor& wh, const Tensor& s_dst, const Tensor& s_src, const Graph& g,
                     double negative_slope, double attn_dropout, uint64_t key,
                     Tensor* alpha_out = nullptr, const Tensor& s_edge = Tensor());

// The same with the scores computed inside from the attention vectors: att [H, 2F] holds
// a = [a_1 ‖ a_2] per head, and s_dst = head_dot(wh[:D], a_1) (the destinations are the first D
// sources, so their W h_i are the first D rows of wh), s_src = head_dot(wh, a_2) are formed
// here, so the layer is one op: e_ij = LeakyReLU(aᵀ [W h_i ‖ W h_j]), α = softmax_j(e), out_i =
// Σ_j α'_ij W h_j. Backward folds the scores' gradient into sweep 2 (dwh[j] += ds_src[j] a_2 +
// ds_dst[j] a_1; datt by per-block sums added in block order): two passes over wh fewer than
// head_dot + gat_attention, and the same values up to rounding (datt sums in other blocks).
// The epilogue runs on each output row while it is in registers or cache, instead of as ops
// with a pass over the output each: out_i + bias, then ELU when asked (the value of
// elu(reshape(out, {N, H·F}) + bias), bit for bit). Backward: dbias = Σ_i dout[i] is summed per
// node block in the first sweep (the blocks added in order), and ELU's backward, from the
// output y, runs on each dout row as that sweep reaches it.
struct AttentionEpilogue {
  Tensor bias;              // [H·F], added first; undefined: no bias
  bool elu = false;         // then y = x > 0 ? x : α (eˣ - 1)
  double elu_alpha = 1.0;   // α, positive
};
Tensor gat_attention(const Tensor& wh, const Tensor& att, const Graph& g, double negative_slope,
                     double attn_dropout, uint64_t key, Tensor* alpha_out = nullptr,
                     const AttentionEpilogue& epilogue = {}, const Tensor& s_edge = Tensor());

}  // namespace gatgrad
