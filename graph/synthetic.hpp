/// @file
/// Synthetic graphs: the contextual stochastic block model (CSBM). Node i belongs to class
/// i % C; a fraction `homophily` of the undirected edges joins two nodes of the same class;
/// features are the class mean (a random unit direction times `signal`) plus N(0, 1) noise;
/// optionally, edge features whose first column says, noisily, whether an edge stays in a class.
/// Every random number is a hash of (seed, stream, index), so the output is a function of the
/// options alone: the same on 1 or 64 threads, and generated in parallel with oneTBB.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "autograd/tensor.hpp"
#include "graph/dataset.hpp"

namespace gatgrad {

struct CsbmOptions {
  int64_t num_nodes = 2000;
  int64_t num_classes = 5;
  double avg_degree = 10;       ///< directed edges per node: N * avg_degree / 2 undirected pairs
  int64_t num_edges = -1;       ///< if > 0, exactly this many directed edges (even: pairs go both ways)
  double homophily = 0.8;       ///< fraction of the pairs inside a class
  int64_t num_features = 64;
  double signal = 1.0;          ///< norm of each class mean, relative to unit noise per feature
  uint64_t seed = 0;
  int64_t train_per_class = 20;
  int64_t val_size = 500;
  int64_t test_size = 1000;
  /// Edge features per edge (0: none). Column 0 is 1 when the edge joins two nodes of one class
  /// and 0 otherwise, flipped with probability edge_flip; the other columns are N(0, 1) noise.
  int64_t edge_dim = 0;
  double edge_flip = 0.1;

  bool operator==(const CsbmOptions&) const = default;
};

/// The options as JSON text (every field) and back, for files that record how a synthetic graph
/// was made (a partition folder's meta.json, gat-train's resume state). from: DataError naming
/// `source` for a missing or mistyped field.
std::string csbm_options_to_json(const CsbmOptions& o);
CsbmOptions csbm_options_from_json(const std::string& json, const std::string& source);

/// The graph has no self-loops and no repeated pair; each pair {u, v} appears as u -> v at an
/// even edge position and v -> u right after it. Features are dense float32, not normalised.
/// Masks: train_per_class random nodes of each class, then val_size and test_size random
/// nodes of the rest, disjoint. Edge features (edge_dim > 0) are float32, row k for edge k.
/// Throws UsageError for options that cannot be met.
Dataset make_csbm(const CsbmOptions& opts);

/// make_csbm's graph for sizes where edge lists do not fit (20M nodes, 200M edges): generated as
/// a stream of sorted pairs straight into the incoming edges grouped by destination, and the
/// features straight into a tensor. The same graph bit for bit: dst_ptr and src are what
/// Graph::from_edges(make_csbm(o).src, make_csbm(o).dst, N) holds (each destination's sources
/// in edge-list order), x holds make_csbm(o).x_dense. Peak memory: the features, 8 bytes per
/// pair while they are drawn, then 4 per edge and 16 per node. No edge features (UsageError).
struct CsbmByDestination {
  Dataset nodes;                 ///< sizes, labels and masks (no edges, no features)
  Tensor x;                      ///< [N, F] float32
  std::vector<int64_t> dst_ptr;  ///< [N+1]
  std::vector<int32_t> src;      ///< [E] grouped by destination
};
CsbmByDestination make_csbm_by_destination(const CsbmOptions& opts);

}  // namespace gatgrad
