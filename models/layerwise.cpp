// layerwise_logits: each layer over whole neighbourhoods, chunk by chunk (see layerwise.hpp).
#include "models/layerwise.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "autograd/ops.hpp"
#include "graph/edge_features.hpp"
#include "graph/neighbor_sampler.hpp"

namespace gatgrad {

std::vector<int32_t> LocalSource::below(std::span<const int32_t> above) {
  std::vector<uint8_t> read(static_cast<size_t>(adjacency_.num_nodes()), 0);
  const IncomingLists lists = adjacency_.incoming(above);
  for (size_t t = 0; t < above.size(); ++t) {
    const int64_t r = lists.rows.empty() ? above[t] : lists.rows[t];
    read[static_cast<size_t>(above[t])] = 1;
    for (int64_t e = lists.ptr[r]; e < lists.ptr[r + 1]; ++e) read[static_cast<size_t>(lists.neighbors[e])] = 1;
  }
  std::vector<int32_t> nodes;
  for (size_t v = 0; v < read.size(); ++v)
    if (read[v]) nodes.push_back(static_cast<int32_t>(v));
  return nodes;
}

InputFeatures LocalSource::input_rows(std::span<const int32_t> ids) { return gather_rows(x_, ids); }

Tensor LocalSource::hidden_rows(const Tensor& h, std::span<const int32_t> nodes, std::span<const int32_t> ids) {
  if (static_cast<int64_t>(nodes.size()) == adjacency_.num_nodes()) return gather_rows(h, ids).dense;  // row = id
  std::vector<int32_t> at(ids.size());  // each id's row of h: its position among the ascending nodes
  for (size_t i = 0; i < ids.size(); ++i) {
    const auto it = std::lower_bound(nodes.begin(), nodes.end(), ids[i]);
    if (it == nodes.end() || *it != ids[i])
      throw Error("layerwise_logits: node " + std::to_string(ids[i]) + " was read from a layer not computed for it");
    at[i] = static_cast<int32_t>(it - nodes.begin());
  }
  return gather_rows(h, at).dense;
}

Tensor LocalSource::edge_rows(const Block& block) { return index_select(edge_attr_, block.edge_global); }

namespace {

// out[k] = layer(rows of ids[k]'s whole neighbourhood) for the destinations `ids`, in chunks:
// out [ids.size(), W]; `read` gives the rows of a block's sources. A process with fewer chunks
// than source.chunks() makes the calls of the rest with nothing to ask.
template <class Read>
Tensor layer_over(AttentionLayer& layer, LayerwiseSource& source, NeighborSampler& whole, Read read,
                  std::span<const int32_t> ids, int64_t chunk, bool add_self_loops, DType dtype, const EdgeFill& fill) {
  const int64_t n = static_cast<int64_t>(ids.size());
  Tensor out = Tensor::empty({n, layer.output_width()}, dtype);
  const int64_t chunks = source.chunks((n + chunk - 1) / chunk);
  for (int64_t r = 0; r < chunks; ++r) {
    const int64_t c0 = r * chunk, c1 = std::min(n, c0 + chunk);
    if (c0 >= n) {
      source.adjacency().incoming({});
      read(std::span<const int32_t>{});
      if (source.has_edge_features()) source.edge_rows(Block{});
      continue;
    }
    std::vector<Block> blocks = whole.sample(source.adjacency(), ids.subspan(static_cast<size_t>(c0), static_cast<size_t>(c1 - c0)), {});
    Block& b = blocks.front();
    const Tensor attr = source.has_edge_features()
                            ? ready_block_gathered(b, add_self_loops, source.edge_rows(b), fill)
                            : ready_block(b, add_self_loops, Tensor(), fill);
    const Tensor h = layer(read(std::span<const int32_t>(b.src_global)), b.graph, attr);  // [c1 - c0, W]
    const size_t row_bytes = static_cast<size_t>(h.size(1) * dtype_size(h.dtype()));
    std::memcpy(static_cast<char*>(out.impl().storage->data()) + static_cast<size_t>(c0) * row_bytes,
                h.impl().storage->data(), static_cast<size_t>(c1 - c0) * row_bytes);
  }
  return out;
}

}  // namespace

Tensor layerwise_logits(GAT& model, LayerwiseSource& source, std::span<const int32_t> rows, int64_t chunk) {
  if (chunk < 1) throw Error("layerwise_logits: chunk must be positive, got " + std::to_string(chunk));
  nn::EvalMode eval(model);
  NeighborSampler whole({-1});  // every incoming neighbour: the key draws nothing
  whole.record_edge_ids(source.has_edge_features());
  const EdgeFill fill = parse_edge_fill(model.config().edge_fill);
  const bool loops = model.config().add_self_loops;
  const DType dtype = model.parameters().front().dtype();
  const int64_t L = model.num_layers();
  // S_L = rows, S_k = below(S_{k+1}): the nodes each layer is computed for, found top down.
  std::vector<std::vector<int32_t>> nodes(static_cast<size_t>(L + 1));
  nodes[static_cast<size_t>(L)].assign(rows.begin(), rows.end());
  for (int64_t k = L - 1; k >= 1; --k) nodes[static_cast<size_t>(k)] = source.below(nodes[static_cast<size_t>(k + 1)]);
  Tensor h = layer_over(
      model.layer(0), source, whole, [&](std::span<const int32_t> ids) { return source.input_rows(ids); }, nodes[1],
      chunk, loops, dtype, fill);  // h_1 [|S_1|, W]
  for (int64_t k = 1; k < L; ++k) {
    const std::vector<int32_t>& in_nodes = nodes[static_cast<size_t>(k)];
    const Tensor below_h = h;
    h = layer_over(
        model.layer(k), source, whole,
        [&](std::span<const int32_t> ids) { return InputFeatures(source.hidden_rows(below_h, in_nodes, ids)); },
        nodes[static_cast<size_t>(k + 1)], chunk, loops, dtype, fill);  // h_{k+1} [|S_{k+1}|, W]
  }
  return h;
}

Tensor layerwise_logits(GAT& model, const InputFeatures& x, AdjacencySource& adjacency, std::span<const int32_t> rows,
                        int64_t chunk, const Tensor& edge_attr) {
  LocalSource source(x, adjacency, edge_attr);
  return layerwise_logits(model, source, rows, chunk);
}

}  // namespace gatgrad
