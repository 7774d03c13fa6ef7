/// @file
/// A synthetic stand-in for the GAT paper's inductive PPI task (24 graphs of ~2,400 nodes, 50
/// features, 121 labels per node; train on 20 graphs, validate on 2, test on 2 never seen), whose
/// labels need a node's 2-hop neighbourhood, so that depth matters:
///   graph g:  n_g nodes, n_g uniform in [0.8 n, 1.2 n]; n_g · avg_degree / 2 random pairs
///             inside the graph (no loops, no repeats), each both ways
///   x_i       ~ N(0, I_F)
///   m1_i      = mean of x_j over i's neighbours,  m2_i = mean of m1_j over i's neighbours,
///             each column standardised over all nodes (mean 0, variance 1)
///   label l   = [ 0.5 u_lᵀ x_i + v_lᵀ m1_i + w_lᵀ m2_i + 0.3 ε > t_l ],  u_l, v_l, w_l random unit
///             vectors, ε ~ N(0, 1), t_l uniform in [0, 1.2] (prevalence ~ 40% to 15%)
/// A model sees x_i alone without the graph (an MLP), m1 with one attention layer, m2 with two:
/// a 3-layer GAT beats a 1-layer one, which beats an MLP. The first G - val - test graphs are the
/// training set, the next val_graphs the validation set, the last test_graphs the test set.
/// Every number is a hash of (seed, stream, index): the same set on every machine and thread count.
#pragma once
#include <cstdint>
#include <string>

#include "graph/dataset.hpp"

namespace gatgrad {

struct GraphSetOptions {
  int64_t num_graphs = 24;
  int64_t val_graphs = 2;
  int64_t test_graphs = 2;
  int64_t nodes_per_graph = 2000;  ///< n: each graph has 0.8 n .. 1.2 n nodes
  double avg_degree = 10;          ///< directed edges per node
  int64_t num_features = 50;
  int64_t num_labels = 121;
  uint64_t seed = 0;

  bool operator==(const GraphSetOptions&) const = default;
};

/// The options as JSON text (every field) and back, for gat-train's resume state. from:
/// DataError naming `source` for a missing or mistyped field.
std::string graph_set_options_to_json(const GraphSetOptions& o);
GraphSetOptions graph_set_options_from_json(const std::string& json, const std::string& source);

/// The set as one Dataset with graph_index, multilabel y [N, num_labels], dense float32 x, and
/// masks selecting whole graphs (checked by check_graph_index). UsageError for options that
/// cannot be met (fewer than val + test + 1 graphs, fewer than 5 nodes per graph, ...).
Dataset make_graph_set(const GraphSetOptions& o);

}  // namespace gatgrad
