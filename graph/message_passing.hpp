// Message passing: the differentiable primitives of graph networks.
// Vocabulary (DGL's): an edge e runs j = src(e) -> i = dst(e); N nodes, E edges, H heads,
// F features per head; "..." is any trailing shape (a row of D values). Edge-indexed tensors are
// in the graph's edge order (grouped by destination, graph/graph.hpp).
// On a bipartite graph (a sampled block: S sources, the first D of them the destinations) a
// tensor indexed by sources has S rows and one indexed by destinations D: gather(x, g, src)
// reads x [S, ...], gather(x, g, dst) and edge_add's s_dst read [D, ...], the scatters,
// segment_softmax's segments and aggregate's output are per destination [D, ...], aggregate's
// wh and edge_add's s_src are per source [S, ...]. A square graph is S = D = N.
//
// Every op runs in parallel over nodes in fixed blocks, each block owning the output rows of its
// nodes: a reduction onto targets walks the dst segments, one onto sources walks the source
// grouping (src_ptr / src_perm). No atomics, and the same bits on any number of threads.
// Every op keeps the graph (a cheap shared handle) for its backward, so the caller's Graph may go.
//
// The composed GAT attention (graph/gat_attention.hpp has the fused kernel that equals it):
//   e     = leaky_relu(gather(s_dst, g, Endpoint::dst) + gather(s_src, g, Endpoint::src), 0.2)
//   alpha = dropout(segment_softmax(e, g), p, key)                                   [E, H]
//   out   = aggregate(alpha, wh, g)                     out[i] = Σ_j alpha_ij W h_j  [N, H, F]
#pragma once
#include <cstdint>
#include <vector>

#include "autograd/ops.hpp"
#include "graph/graph.hpp"

namespace gatgrad {

class CheckRegistry;

enum class Endpoint { src, dst };

// ---- gather / scatter over a graph (graph/gather_scatter.cpp) ----

// gather: x [N, ...] -> [E, ...], row e = x[j] (Endpoint::src) or x[i] (Endpoint::dst).
//   backward: dx[v] += Σ_{edges e with that endpoint v} dy[e]  (a scatter_add onto v)
Tensor gather(const Tensor& x, const Graph& g, Endpoint end);

// scatter_add: messages [E, ...] -> [N, ...], out[i] = Σ_{e: j->i} m[e] (0 for no edge).
//   backward: dm[e] += dout[i]  (a gather)
Tensor scatter_add(const Tensor& messages, const Graph& g);
// scatter_mean: out[i] = Σ_{e: j->i} m[e] / deg(i) (0 for no edge).  dm[e] += dout[i] / deg(i)
Tensor scatter_mean(const Tensor& messages, const Graph& g);
// scatter_max: out[i, d] = max_{e: j->i} m[e, d] (0 for no edge).
//   backward: dm[e*, d] += dout[i, d] for the first e* reaching the max.
Tensor scatter_max(const Tensor& messages, const Graph& g);

// ---- the same with any index (each call groups the index with a counting sort, O(E + N)) ----

// gather: x [N, ...] -> [E, ...], row e = x[index[e]]. Throws DataError for an index outside [0, N).
Tensor gather(const Tensor& x, const std::vector<int32_t>& index);
// scatter_*: messages [E, ...] -> [num_nodes, ...], reducing the rows e with index[e] = v.
Tensor scatter_add(const Tensor& messages, const std::vector<int32_t>& index, int64_t num_nodes);
Tensor scatter_mean(const Tensor& messages, const std::vector<int32_t>& index, int64_t num_nodes);
Tensor scatter_max(const Tensor& messages, const std::vector<int32_t>& index, int64_t num_nodes);

// ---- softmax over each target's incoming edges (graph/segment_softmax.cpp) ----

// segment_softmax: scores [E, H] (or [E]) -> alpha, same shape:
//   alpha[e,h] = exp(s[e,h] - m[i,h]) / Σ_{e' -> i} exp(s[e',h] - m[i,h]),  m[i,h] = max_{e'->i} s[e',h]
//   backward (y = alpha, g = dL/dalpha): ds[e,h] += y[e,h] (g[e,h] - Σ_{e'->i} y[e',h] g[e',h])
Tensor segment_softmax(const Tensor& scores, const Graph& g);
// The same over any index: scores [E, H] (or [E]), the segment of row e is index[e] in
// [0, num_segments) (PyG's torch_geometric.utils.softmax(src, index)). A sorted index (a batch
// vector) is used in place; any other is grouped by a counting sort, and the rows put back.
// Throws DataError for an index outside [0, num_segments).
Tensor segment_softmax(const Tensor& scores, const std::vector<int32_t>& index, int64_t num_segments);

// ---- edge-wise helpers of attention (graph/edge_ops.cpp) ----

// head_dot: wh [N, H, F], a [H, F] -> [N, H], s[n,h] = Σ_f wh[n,h,f] a[h,f].
//   backward: dwh[n,h,f] += ds[n,h] a[h,f];   da[h,f] += Σ_n ds[n,h] wh[n,h,f]
Tensor head_dot(const Tensor& wh, const Tensor& a);

// edge_add: s_dst [N, H], s_src [N, H] -> [E, H], z[e] = s_dst[i] + s_src[j].
//   backward: ds_dst[i] += Σ_{e->i} dz[e];   ds_src[j] += Σ_{e: j->} dz[e]
Tensor edge_add(const Tensor& s_dst, const Tensor& s_src, const Graph& g);

// aggregate: alpha [E, H], wh [N, H, F] -> [N, H, F], out[i,h,:] = Σ_{e: j->i} alpha[e,h] wh[j,h,:].
//   backward: dalpha[e,h] += <dout[i,h,:], wh[j,h,:]>   (over targets)
//             dwh[j,h,:]  += Σ_{e: j->i} alpha[e,h] dout[i,h,:]   (over sources)
Tensor aggregate(const Tensor& alpha, const Tensor& wh, const Graph& g);

// scale_heads: m [E, H, F], alpha [E, H] -> [E, H, F], m[e,h,:] * alpha[e,h] (a broadcast mul).
inline Tensor scale_heads(const Tensor& m, const Tensor& alpha) {
  return mul(m, reshape(alpha, {alpha.size(0), alpha.size(1), 1}));
}

// The rows of an edge tensor [E, ...] put back in the order of the list the graph was built from
// (row k = the value of input edge k), e.g. to export attention. No gradient.
Tensor edges_in_input_order(const Tensor& per_edge, const Graph& g);

// The gradient checks of this folder (graph/checks.cpp).
void register_graph_checks(CheckRegistry& registry);

}  // namespace gatgrad
