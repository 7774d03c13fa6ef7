// Edge features in a graph's edge order, the self-loops' rows filled (see edge_features.hpp).
// Legend: k a position in the input edge list, e an edge of the graph, D features per edge.
#include "graph/edge_features.hpp"

#include <algorithm>
#include <cmath>

#include "autograd/error.hpp"
#include "autograd/ops.hpp"

namespace gatgrad {

Tensor edge_features_in_graph_order(const Graph& g, bool looped, const std::vector<int32_t>& src,
                                    const std::vector<int32_t>& dst, std::span<const float> attr, int64_t D,
                                    const EdgeFill& fill, DType dtype) {
  const int64_t E_in = static_cast<int64_t>(src.size()), N = g.num_dst_nodes();
  if (D <= 0 || static_cast<int64_t>(attr.size()) != E_in * D)
    throw Error("edge_features_in_graph_order: " + std::to_string(attr.size()) + " values for " + std::to_string(E_in) +
                " edges of " + std::to_string(D) + " features");
  // The input list as the graph's edge_origin counts it: all of it, or (looped) its non-loops.
  std::vector<int64_t> row;  // input position of each counted edge
  for (int64_t k = 0; k < E_in; ++k)
    if (!looped || src[k] != dst[k]) row.push_back(k);
  const int64_t kept = static_cast<int64_t>(row.size()), E = g.num_edges();
  if (E != kept + (looped ? N : 0))
    throw Error("edge_features_in_graph_order: the graph has " + std::to_string(E) + " edges, the edge list makes " +
                std::to_string(kept + (looped ? N : 0)));
  // The loops' rows [N, D]: 'mean' over each node's incoming non-loop edges in list order, or the constant.
  std::vector<double> loop;
  if (looped) {
    loop.assign(static_cast<size_t>(N * D), fill.mean ? 0.0 : fill.value);
    if (fill.mean) {
      std::vector<int64_t> count(static_cast<size_t>(N), 0);
      for (int64_t k : row) {
        ++count[dst[k]];
        for (int64_t c = 0; c < D; ++c) loop[dst[k] * D + c] += attr[k * D + c];
      }
      for (int64_t i = 0; i < N; ++i)
        for (int64_t c = 0; c < D; ++c)
          if (count[i] > 0) loop[i * D + c] = static_cast<float>(loop[i * D + c] / static_cast<double>(count[i]));
    }
  }
  std::vector<double> out(static_cast<size_t>(E * D));
  const std::span<const int32_t> origin = g.edge_origin();
  for (int64_t e = 0; e < E; ++e) {
    const int64_t o = origin[e];
    for (int64_t c = 0; c < D; ++c)
      out[e * D + c] = o < kept ? attr[row[o] * D + c] : loop[(o - kept) * D + c];
  }
  return Tensor::from_vector(out, {E, D}, dtype);
}

Tensor edge_features_with_self_loops(const Graph& g, const Graph& looped, const Tensor& attr, const EdgeFill& fill) {
  const int64_t E = g.num_edges();
  if (attr.dim() != 2 || attr.size(0) != E)
    throw Error("edge_features_with_self_loops: features " + attr.describe() + " for a graph of " + std::to_string(E) +
                " edges");
  const int64_t D = attr.size(1);
  // g's input list (what looped's edge_origin counts): edge e of g is item origin[e] of it.
  std::vector<int32_t> src(static_cast<size_t>(E)), dst(static_cast<size_t>(E));
  std::vector<float> rows(static_cast<size_t>(E * D));
  const std::span<const int32_t> origin = g.edge_origin(), gs = g.src(), gd = g.dst();
  const Tensor values = attr.dtype() == DType::f32 ? attr : attr.to(DType::f32);
  const float* a = values.data<float>();
  for (int64_t e = 0; e < E; ++e) {
    const int64_t k = origin[e];
    src[k] = gs[e];
    dst[k] = gd[e];
    std::copy(a + e * D, a + (e + 1) * D, rows.begin() + k * D);
  }
  return edge_features_in_graph_order(looped, true, src, dst, rows, D, fill, attr.dtype());
}

Tensor ready_block(Block& block, bool add_self_loops, const Tensor& attr, const EdgeFill& fill) {
  if (!attr.defined()) {
    if (add_self_loops) block = block.add_self_loops();
    return Tensor();
  }
  if (static_cast<int64_t>(block.edge_global.size()) != block.num_edges())
    throw Error("ready_block: the block's " + std::to_string(block.num_edges()) + " edges have " +
                std::to_string(block.edge_global.size()) + " edge ids (sample with NeighborSampler::record_edge_ids)");
  return ready_block_gathered(block, add_self_loops, index_select(attr, block.edge_global), fill);  // [E_b, D]
}

Tensor ready_block_gathered(Block& block, bool add_self_loops, const Tensor& sampled, const EdgeFill& fill) {
  if (sampled.dim() != 2 || sampled.size(0) != block.num_edges())
    throw Error("ready_block: features " + sampled.describe() + " for a block of " + std::to_string(block.num_edges()) +
                " edges");
  if (!add_self_loops) return sampled;
  const Block looped = block.add_self_loops();
  Tensor out = edge_features_with_self_loops(block.graph, looped.graph, sampled, fill);
  block = looped;
  return out;
}

}  // namespace gatgrad
