/// @file
/// Readouts: a graph's node rows pooled into one row per graph, for graph classification.
/// Legend: N nodes of a batch of G graphs, F features; batch[i] in [0, G) is node i's graph
/// (PyG's `batch` vector, the graph_index of the batch; sorted or not). An empty graph pools to 0.
///   global_add_pool:  out[g] = Σ_{i: batch[i] = g} x_i                      PyG global_add_pool, DGL SumPooling
///   global_mean_pool: out[g] = Σ_{i: batch[i] = g} x_i / n_g                PyG global_mean_pool, DGL AvgPooling
///   global_max_pool:  out[g, f] = max_{i: batch[i] = g} x_i[f]              PyG global_max_pool, DGL MaxPooling
///   attention_pool:   α_i = exp(s_i) / Σ_{k: batch[k] = batch[i]} exp(s_k),  s = gate [N] (or [N, 1])
///                     out[g] = Σ_{i: batch[i] = g} α_i x_i
///                     PyG AttentionalAggregation(gate_nn) with nn = identity, DGL GlobalAttentionPooling;
///                     the gate network (a Linear F -> 1) is the caller's (models/graph_classifier.hpp).
/// Each is composed of the differentiable primitives of graph/message_passing.hpp, whose forward
/// and backward sit side by side there:
///   add / mean / max = scatter_add / scatter_mean / scatter_max over the batch index
///     backward: dx_i += dout[batch[i]] (mean: / n_g; max: only the first row reaching the max)
///   attention        = scatter_add(x ⊙ α, batch) with α = segment_softmax(s, batch)
///     backward: dx_i += α_i dout[g];  dα_i = <dout[g], x_i>;  ds_i = α_i (dα_i - Σ_k α_k dα_k)
/// Like every op of this folder, the same bits on any thread count.
#pragma once
#include <cstdint>
#include <vector>

#include "autograd/tensor.hpp"

namespace gatgrad {

/// x [N, ...] -> [G, ...]. Throws DataError for a batch entry outside [0, num_graphs), Error
/// unless batch has N entries.
Tensor global_add_pool(const Tensor& x, const std::vector<int32_t>& batch, int64_t num_graphs);
Tensor global_mean_pool(const Tensor& x, const std::vector<int32_t>& batch, int64_t num_graphs);
Tensor global_max_pool(const Tensor& x, const std::vector<int32_t>& batch, int64_t num_graphs);

/// x [N, F], gate [N] or [N, 1] -> [G, F], as the file comment says. Error for other shapes.
Tensor attention_pool(const Tensor& x, const Tensor& gate, const std::vector<int32_t>& batch, int64_t num_graphs);

}  // namespace gatgrad
