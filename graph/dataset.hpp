/// @file
/// Dataset: a node-classification graph as it comes from disk or from the synthetic generator.
/// Plain data: prepare_node_data (models/node_data.hpp) turns it into tensors and a Graph.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "autograd/sparse.hpp"
#include "io/npy.hpp"

namespace gatgrad {

struct Dataset {
  std::string name;  ///< directory name, or "synthetic"
  int64_t num_nodes = 0;
  int64_t num_features = 0;
  int64_t num_classes = 0;
  bool multilabel = false;  ///< y is N×C of 0/1 instead of N class ids

  /// Node features [N, F]: exactly one of the forms is filled.
  bool x_is_sparse = false;
  std::vector<float> x_dense;  ///< row-major N×F, when !x_is_sparse and not mapped
  /// x.npy mapped read-only instead of x_dense (LoadOptions::map_features): float32 values used
  /// as they are on disk, never normalised nor converted (either would copy them into x_dense).
  MappedNpy x_mapped;
  CsrMatrix x_sparse;          ///< when x_is_sparse
  bool features_normalized = false;  ///< rows divided by max(row sum, 1)

  std::vector<int64_t> y;  ///< [N] class ids, or [N*C] 0/1 when multilabel

  /// Edges j -> i: src[e] = j (row 0 of edge_index), dst[e] = i (row 1).
  std::vector<int32_t> src;
  std::vector<int32_t> dst;

  /// Edge features [E, edge_dim] row-major, row k for edge k (src[k] -> dst[k]); empty when
  /// edge_dim is 0 (graph/edge_features.hpp carries them to a Graph's edge order).
  int64_t edge_dim = 0;
  std::vector<float> edge_attr;

  std::vector<uint8_t> train_mask, val_mask, test_mask;  ///< [N], 0 or 1

  /// Many graphs in one dataset (inductive tasks such as PPI): graph_index[i] in [0, num_graphs)
  /// is node i's graph, no edge joins two graphs, and each mask selects whole graphs
  /// (graph/graph_index.hpp checks all three). Empty, with num_graphs 0: one graph.
  std::vector<int32_t> graph_index;
  int64_t num_graphs = 0;
  /// Graph classification (graph/tu_dataset.hpp, or graph_y.npy): graph g's class in
  /// [0, num_classes), [num_graphs]; y and the masks are then empty (the splits are folds of
  /// graphs). Empty for node classification.
  std::vector<int64_t> graph_labels;

  int64_t num_edges() const { return static_cast<int64_t>(src.size()); }
  /// The dense features wherever they are, x_dense or the mapping: N×F values, row-major.
  std::span<const float> dense_values() const {
    if (!x_mapped.defined()) return x_dense;
    return {reinterpret_cast<const float*>(x_mapped.data), static_cast<size_t>(num_nodes * num_features)};
  }
};

}  // namespace gatgrad
