/// @file
/// Layer-wise full-neighbourhood inference (DGL's and PyG's way to evaluate a model trained in
/// mini-batches): layer 1 for every node, in chunks of destinations, each chunk one block of all
/// its incoming neighbours; then layer 2 for the rows asked for, from layer 1's output. Every
/// node sees its whole neighbourhood, as in full-batch inference, so the scores are exact
/// (not sampled), and memory is one [N, K·F'] hidden layer plus one chunk's block.
///   h1[v]     = conv1(x[sources of v's block], block(v))        v = 0 .. N-1   [N, K·F']
///   logits[r] = conv2(h1[sources of r's block], block(r))        r in rows      [R, C]
#pragma once
#include <cstdint>
#include <span>

#include "graph/adjacency_source.hpp"
#include "models/gat.hpp"
#include "models/node_data.hpp"

namespace gatgrad {

/// Logits [rows.size(), C] of `rows` (distinct node ids), in evaluation mode and without
/// gradient. `chunk` destinations per block (memory, not results).
Tensor layerwise_logits(GAT& model, const InputFeatures& x, AdjacencySource& adjacency,
                        std::span<const int32_t> rows, int64_t chunk);

}  // namespace gatgrad
