/// @file
/// Loading a node-classification dataset from a directory of .npy files (the layout written by
/// scripts exporting PyG datasets, e.g. /work/shared/datasets/cora):
///   x.npy           float32/float64 [N, F]  node features   (or x.npz: scipy csr, csc or coo [N, F])
///   y.npy           int64/int32 [N] class ids               (or [N, C] of 0/1: multilabel)
///   edge_index.npy  int64/int32 [2, E]  row 0 source j, row 1 target i (edge j -> i)
///   train_mask.npy, val_mask.npy, test_mask.npy   bool [N]
///   edge_attr.npy   float32/float64 [E, D] (or [E]: D = 1), optional: row e the features of edge e
///   graph_index.npy int64/int32 [N], optional: node i's graph, for datasets of many graphs
///                   (graph/graph_index.hpp: no edge crosses graphs, masks select whole graphs)
///   graph_y.npy     int64/int32 [G], optional: graph g's class, for graph classification (a PyG
///                   export of a list of graphs: torch.cat([data.y for data in dataset])); needs
///                   graph_index.npy, and then y.npy and the masks are not read (the splits are
///                   folds of graphs, Dataset::graph_labels)
/// An optional file (x.npz beside x.npy, edge_attr.npy, graph_index.npy, graph_y.npy) is absent
/// only when nothing has its name: present in name only (a dangling symbolic link) it is an error.
/// Everything is checked; each failure is a DataError naming the file and the problem
/// ("cora/edge_index.npy: edge 17: target index 2708 is out of range [0, 2708)").
#pragma once
#include <optional>
#include <string>

#include "graph/dataset.hpp"
#include "graph/graph_index.hpp"

namespace gatgrad {

struct LoadOptions {
  bool normalize_features = true;  ///< rows divided by max(row sum, 1), see normalize_rows
  double sparse_threshold = 0.1;   ///< keep/convert features to CSR when density <= this
  /// A float32 x.npy used as it is (dense, not normalised) is memory-mapped read-only
  /// (Dataset::x_mapped) instead of copied; any other x.npy is read into x_dense.
  bool map_features = false;
};

/// The arrays of a dataset, already in memory: what load_dataset reads from a directory, or what
/// a caller holds (the Python module's NumPy arrays). Each array's `name` prefixes the messages
/// about it (a path, or an argument's name), so the checks and their words are the loader's.
/// Features: exactly one of x_mapped (float32 [N, F] used where it lies when not normalised, its
/// `mapping` keeping it alive; Dataset::x_mapped), x_sparse (already checked, e.g. by
/// scipy_csr_from_members) or x (float32 or float64 [N, F]).
struct DatasetArrays {
  std::string name;  ///< Dataset::name
  NpyArray x;
  MappedNpy x_mapped;
  std::optional<CsrMatrix> x_sparse;
  std::string x_sparse_name;  ///< what the messages call x_sparse
  NpyArray edge_index;        ///< int [2, E]
  /// Optional here (load_dataset requires them unless graph_y.npy is there): without y the
  /// dataset has no node classes, and an absent mask is empty; a mask given must select a node.
  std::optional<NpyArray> y, train_mask, val_mask, test_mask;
  std::optional<NpyArray> edge_attr, graph_index;
  std::optional<NpyArray> graph_y;  ///< graph classes [G] (graph classification), with graph_index
  /// What the messages call an absent mask (graph_index's rules mention every mask).
  GraphIndexSources names;
};

/// The dataset of `arrays`, with every check of load_dataset (the messages name the arrays).
/// @throws DataError naming the array and the problem
Dataset dataset_from_arrays(DatasetArrays arrays, const LoadOptions& opts = {});

/// Reads the dataset in `dir` (the layout above), checks every array, and applies `opts`.
/// @throws DataError naming the file and the problem
Dataset load_dataset(const std::string& dir, const LoadOptions& opts = {});

}  // namespace gatgrad
