/// @file
/// A synthetic graph-classification set whose class is a motif, not a feature count: what a
/// message-passing model with a readout sees and an MLP on pooled node features cannot.
///   graph g:  n_g nodes, n_g uniform in [min_nodes, max_nodes]; a random spanning tree (node v
///             joins a uniform earlier node) plus extra_edges random pairs (no loops, no repeats),
///             each edge both ways
///   colours:  exactly `marked` nodes are red, the others green or blue at random (one-hot in
///             the first three feature columns), then noise_features columns ~ N(0, 1)
///   class 1:  two red nodes are adjacent (exactly one such pair: a "red edge")
///   class 0:  no two red nodes are adjacent
/// Both classes have the same number of red nodes and the same distributions of sizes, degrees,
/// colours and noise, so the mean (or sum) of the node features carries no signal: an MLP on
/// pooled features stays at chance (50%). One attention layer tells a red node with a red
/// neighbour from one without, and a sum / max / attention readout over the graph finds it.
/// Classes alternate (graph g has class g % 2). Every number is a hash of (seed, stream,
/// index): the same set on every machine and thread count.
#pragma once
#include <cstdint>

#include "graph/dataset.hpp"

namespace gatgrad {

struct MotifGraphOptions {
  int64_t num_graphs = 200;
  int64_t min_nodes = 12, max_nodes = 20;
  int64_t extra_edges = 4;     ///< random edges on top of the spanning tree
  int64_t marked = 3;          ///< red nodes per graph
  int64_t noise_features = 2;  ///< N(0, 1) columns after the three colour columns
  uint64_t seed = 0;
};

/// The set as one Dataset: graph_index, graph_labels (2 classes), dense float32 x
/// [N, 3 + noise_features], no node labels nor masks. UsageError for options that cannot be met
/// (fewer than 2 graphs, min_nodes < 2 · marked + 2, max_nodes < min_nodes, ...).
Dataset make_motif_graphs(const MotifGraphOptions& o);

}  // namespace gatgrad
