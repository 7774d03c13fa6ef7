/// @file
/// Layer-wise full-neighbourhood inference (DGL's and PyG's way to evaluate a model trained in
/// mini-batches): each hidden layer for every node, in chunks of destinations, each chunk one
/// block of all its incoming neighbours; then the last layer for the rows asked for, from the
/// layer below's output. Every node sees its whole neighbourhood, as in full-batch inference, so
/// the scores are exact (not sampled), and memory is two [N, K·F'] hidden layers plus one chunk's block.
///   h_k[v]    = conv_k(h_{k-1}[sources of v's block], block(v))   v = 0 .. N-1   [N, K·F']  (h_0 = x)
///   logits[r] = conv_L(h_{L-1}[sources of r's block], block(r))   r in rows      [R, C]
#pragma once
#include <cstdint>
#include <span>

#include "graph/adjacency_source.hpp"
#include "models/gat.hpp"
#include "models/node_data.hpp"

namespace gatgrad {

/// Logits [rows.size(), C] of `rows` (distinct node ids), in evaluation mode and without
/// gradient. `chunk` destinations per block (memory, not results). With edge features,
/// edge_attr [E, D] is in the adjacency's edge order (NodeData::edge_attr for sampling), and
/// each block's loops are filled by the model's edge_fill; the adjacency must then be the whole
/// graph's lists (GraphAdjacency, CsrAdjacency).
Tensor layerwise_logits(GAT& model, const InputFeatures& x, AdjacencySource& adjacency,
                        std::span<const int32_t> rows, int64_t chunk, const Tensor& edge_attr = {});

}  // namespace gatgrad
