/// @file
/// The features of the self-loops a model adds to a graph with edge features (PyG's
/// add_self_loops(..., fill_value=...)): "mean" of each node's incoming edges, or a constant.
/// A file of its own so that what parses it (models/presets.cpp, the fuzzers) needs nothing else.
#pragma once
#include <string>

namespace gatgrad {

/// The features of an added self-loop i -> i (PyG's fill_value).
struct EdgeFill {
  bool mean = true;  ///< 'mean' (PyG GATConv's default): the mean of i's incoming edges' features, 0 without any
  double value = 0;  ///< otherwise every feature of the loop is this constant
};

/// "mean" or a number within float32's range, the type of edge features ("0", "1.5"); throws
/// UsageError naming `text` otherwise.
EdgeFill parse_edge_fill(const std::string& text);

}  // namespace gatgrad
