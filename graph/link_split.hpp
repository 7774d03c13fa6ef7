/// @file
/// The train / validation / test split of link prediction, with the semantics of PyG's
/// RandomLinkSplit(num_val=0.05, num_test=0.1, is_undirected=True, add_negative_train_samples=False)
/// as examples/link_pred.py uses it (DGL's and OGB's link sets are split alike):
///
/// - The graph is undirected: its edges become pairs {u, v}, u < v, each counted once whichever
///   directions the edge list holds (self-loops are not pairs: GAT adds its own). The pairs are
///   shuffled (a permutation keyed by the seed) and cut as PyG cuts them: num_val =
///   floor(val_fraction * P), num_test = floor(test_fraction * P), the first P - num_val - num_test
///   pairs train, the next num_val validate, the last num_test test.
/// - Each validation and test positive gets one fixed negative, drawn once (graph/
///   negative_sampling.hpp) among the non-edges of the *whole* graph, as PyG draws them.
///   Training negatives are not part of the split: the trainer draws fresh ones every epoch,
///   avoiding the training edges only (link_pred.py's negative_sampling(train_data.edge_index)).
/// - The message-passing graphs (what the encoder attends over): `train_edges`, both directions
///   of each training pair, for training and validation; `train_val_edges`, the training and
///   validation pairs, for the test. No test pair is in either, and no validation pair is in
///   the first (tests/test_link_prediction.cpp proves it on the graphs the trainer builds).
#pragma once
#include <cstdint>
#include <vector>

#include "graph/negative_sampling.hpp"
#include "graph/pair_scores.hpp"

namespace gatgrad {

/// Directed edges for message passing and, once find_edge_origins has run (only edge features
/// need it), the position of the dataset edge whose features each carries.
struct MessageEdges {
  std::vector<int32_t> src, dst;
  std::vector<int64_t> origin;  ///< [E] index into the dataset's edge list; empty until find_edge_origins
  int64_t size() const { return static_cast<int64_t>(src.size()); }
};

struct LinkSplit {
  int64_t num_nodes = 0;
  NodePairs train, val, test;              ///< positive pairs, u < v
  NodePairs val_negative, test_negative;   ///< one per positive, in the same order
  MessageEdges train_edges;                ///< training pairs, both directions: training and validation
  MessageEdges train_val_edges;            ///< training + validation pairs, both directions: the test
  EdgeSet train_edge_set;                  ///< train_edges for membership tests (training negatives avoid them)
};

/// Splits the edges src[k] -> dst[k] of a graph on num_nodes nodes (see the file comment).
/// Throws UsageError for fractions outside [0, 1) or summing to 1 or more, DataError for an
/// endpoint out of range or a graph with no pair to train on.
LinkSplit split_links(const std::vector<int32_t>& src, const std::vector<int32_t>& dst, int64_t num_nodes,
                      double val_fraction, double test_fraction, uint64_t seed);

/// Fills edges.origin from the edge list src -> dst the split was made of: for each message edge
/// u -> v the first list edge u -> v, or else the first v -> u. O(E log E). Throws DataError
/// for a message edge whose nodes no list edge joins.
void find_edge_origins(MessageEdges& edges, const std::vector<int32_t>& src, const std::vector<int32_t>& dst);

}  // namespace gatgrad
