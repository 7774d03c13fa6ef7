/// @file
/// Block: one layer's bipartite graph of a sampled mini-batch (DGL's message-flow graph).
///
///   graph       bipartite, local ids: S source nodes, the first D of them the destinations
///               (destination i is source i, so i -> i is an exact self-loop)
///   src_global  [S] int32 global id of each source node; its first D entries are the
///               destinations' global ids, in order
///
/// A layer on a block reads S input rows (x_src, the rows of src_global) and writes D output
/// rows (x_dst = the first D of x_src). Blocks chain: the destinations of blocks[k] are the
/// sources of blocks[k+1], in the same order (blocks[k].dst_global() == blocks[k+1].src_global),
/// so layer k's output is layer k+1's input as it is.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "graph/graph.hpp"

namespace gatgrad {

struct Block {
  Graph graph;
  std::vector<int32_t> src_global;  // [S]
  /// [E] each edge's position in the whole graph's incoming lists (its CSR by destination, the
  /// order of NodeData::edge_attr), or the adjacency source's own id of it (a distributed rank's:
  /// the row in its destination owner's part), when the sampler recorded them
  /// (NeighborSampler::record_edge_ids); empty otherwise.
  std::vector<int64_t> edge_global;

  int64_t num_src_nodes() const { return graph.num_src_nodes(); }
  int64_t num_dst_nodes() const { return graph.num_dst_nodes(); }
  int64_t num_edges() const { return graph.num_edges(); }
  std::span<const int32_t> dst_global() const {  // [D]
    return {src_global.data(), static_cast<size_t>(num_dst_nodes())};
  }
  /// The same nodes with exactly one self-loop per destination (Graph::add_self_loops: any
  /// sampled loop dropped, i -> i last in destination i's segment). The sampler adds none.
  /// The result has no edge_global (its loops are nobody's edge): carry edge features to it
  /// first (graph/edge_features.hpp, edge_features_with_self_loops).
  Block add_self_loops() const { return {graph.add_self_loops(), src_global, {}}; }
};

}  // namespace gatgrad
