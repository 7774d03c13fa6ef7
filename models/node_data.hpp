/// @file
/// NodeData: what training and evaluation read, made from a loaded Dataset in one step,
/// prepare_node_data. Every epoch, every layer and the evaluation read these same tensors and
/// this same graph; nothing copies them:
///   Dataset (graph/dataset.hpp: arrays as on disk)
///     -> NodeData: x as a tensor (sparse stays sparse), the Graph with its self-loops when the
///        model attends over them (added here, once), labels or targets, the split's row lists.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "autograd/tensor.hpp"
#include "graph/adjacency_source.hpp"
#include "graph/dataset.hpp"
#include "graph/edge_features.hpp"
#include "graph/graph.hpp"
#include "models/input_features.hpp"

namespace gatgrad {

/// What the graph is prepared for: one full-batch forward over the whole graph (its self-loops
/// added once here), or sampled mini-batches (the dataset's edges as they are: the sampler draws
/// from real neighbours, and each block gets its own self-loops, Block::add_self_loops).
enum class GraphUse { full_batch, sampling };

struct NodeData {
  InputFeatures x;               ///< [N, F], sparse when the dataset's features are
  Graph graph;                   ///< the dataset's edges, plus one self-loop per node when asked for (full batch)
  /// [E, D] the dataset's edge features in graph's edge order, its added self-loops filled
  /// (graph/edge_features.hpp; for sampling, the blocks fill their own); undefined when the
  /// dataset has none.
  Tensor edge_attr;
  /// GraphUse::sampling: where the sampler and the layer-wise inference read incoming edges
  /// (GraphAdjacency over `graph`, or any other source of the same lists); null for full batch.
  std::shared_ptr<AdjacencySource> neighbors;
  int64_t num_classes = 0;
  bool multilabel = false;
  std::vector<int64_t> labels;   ///< [N] (single-label)
  Tensor targets;                ///< [N, C] 0/1 (multi-label)
  std::vector<int64_t> train_rows, val_rows, test_rows;
  /// Many graphs (Dataset::graph_index): node i's graph, the count, and each graph's nodes
  /// ascending (nodes_by_graph, made once here); empty and 0 for one graph.
  std::vector<int32_t> graph_index;
  int64_t num_graphs = 0;
  std::vector<std::vector<int32_t>> graph_nodes;
  /// Graph classification (Dataset::graph_labels): graph g's class, [num_graphs]; labels,
  /// targets and the row lists are then empty. Empty for node classification.
  std::vector<int64_t> graph_labels;
};

/// The dataset's node features x [N, F] as the layers read them: sparse stays sparse, a mapped
/// float32 x.npy is used where it lies (dtype f32), anything else converted to `dtype`.
InputFeatures node_features(const Dataset& d, DType dtype = DType::f32);

/// The dataset as tensors, graph and row lists. `add_self_loops` is the model's
/// (GATConfig::add_self_loops): the graph then gets Graph::add_self_loops(), which drops the
/// dataset's own loops and adds exactly one per node, as the paper's N_i ∋ i (and PyG) do.
/// With GraphUse::sampling the graph keeps the dataset's edges as they are and `neighbors` reads it.
/// Edge features (Dataset::edge_attr) follow the graph, the added loops' rows from `edge_fill`.
NodeData prepare_node_data(const Dataset& d, bool add_self_loops, DType dtype = DType::f32,
                           GraphUse use = GraphUse::full_batch, const EdgeFill& edge_fill = {});

/// The same data with its nodes renumbered: new node r is old node order[r] (a permutation of
/// [0, N), such as graph/node_order.hpp's rcm_order). Rows of x, labels, targets and
/// graph_index move with their nodes; the row lists and graph_nodes hold the new numbers,
/// ascending; the graph is the old one's edges, renumbered, in the old edge order (its
/// self-loops included), and edge_attr follows its edges. For data prepared for full batch
/// (GraphUse::full_batch) of node classification; Error otherwise or for a bad order.
NodeData renumber_nodes(const NodeData& d, std::span<const int32_t> order);

}  // namespace gatgrad
