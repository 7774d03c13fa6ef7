// layerwise_logits: each layer over whole neighbourhoods, chunk by chunk (see layerwise.hpp).
#include "models/layerwise.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <vector>

#include "graph/edge_features.hpp"
#include "graph/neighbor_sampler.hpp"

namespace gatgrad {

namespace {

// out[k] = layer(x rows of ids[k]'s whole neighbourhood) for the destinations `ids`, in chunks:
// out [ids.size(), W].
// With edge features (attr [E, D] in the adjacency's edge order), each block's, its loops filled.
Tensor layer_over(AttentionLayer& layer, const InputFeatures& x, AdjacencySource& adjacency, NeighborSampler& sampler,
                  std::span<const int32_t> ids, int64_t chunk, bool add_self_loops, DType dtype, const Tensor& attr,
                  const EdgeFill& fill) {
  const int64_t n = static_cast<int64_t>(ids.size());
  Tensor out = Tensor::empty({n, layer.output_width()}, dtype);
  for (int64_t c0 = 0; c0 < n; c0 += chunk) {
    const int64_t c1 = std::min(n, c0 + chunk);
    std::vector<Block> blocks = sampler.sample(adjacency, ids.subspan(static_cast<size_t>(c0), static_cast<size_t>(c1 - c0)), {});
    Block& b = blocks.front();
    const Tensor block_attr = ready_block(b, add_self_loops, attr, fill);
    const Tensor h = layer(gather_rows(x, b.src_global), b.graph, block_attr);  // [c1 - c0, W]
    const size_t row_bytes = static_cast<size_t>(h.size(1) * dtype_size(h.dtype()));
    std::memcpy(static_cast<char*>(out.impl().storage->data()) + static_cast<size_t>(c0) * row_bytes,
                h.impl().storage->data(), static_cast<size_t>(c1 - c0) * row_bytes);
  }
  return out;
}

}  // namespace

Tensor layerwise_logits(GAT& model, const InputFeatures& x, AdjacencySource& adjacency, std::span<const int32_t> rows,
                        int64_t chunk, const Tensor& edge_attr) {
  if (chunk < 1) throw Error("layerwise_logits: chunk must be positive, got " + std::to_string(chunk));
  nn::EvalMode eval(model);
  NeighborSampler whole({-1});  // every incoming neighbour: the key draws nothing
  whole.record_edge_ids(edge_attr.defined());
  const EdgeFill fill = parse_edge_fill(model.config().edge_fill);
  const bool loops = model.config().add_self_loops;
  std::vector<int32_t> all(static_cast<size_t>(adjacency.num_nodes()));
  std::iota(all.begin(), all.end(), 0);
  const DType dtype = model.parameters().front().dtype();
  InputFeatures h = x;
  for (int64_t k = 0; k + 1 < model.num_layers(); ++k)
    h = layer_over(model.layer(k), h, adjacency, whole, all, chunk, loops, dtype, edge_attr, fill);  // h_{k+1} [N, K·F']
  const Tensor logits = layer_over(model.layer(model.num_layers() - 1), h, adjacency, whole, rows, chunk, loops, dtype,
                                   edge_attr, fill);  // [R, C]
  return logits;
}

}  // namespace gatgrad
