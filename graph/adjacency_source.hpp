/// @file
/// AdjacencySource: where the neighbour sampler reads incoming edges. For the targets of one
/// hop (global node ids) it gives each target's incoming neighbours, in the graph's edge order:
///
///   ptr       [R+1]  row r lists neighbors[ptr[r] .. ptr[r+1])
///   neighbors [ptr[R]]  int32 global source ids
///   rows      [T] or empty  target t's row; empty means row = the target's own global id
///                           (the whole graph's CSR, R = N)
///   first_edge [R] or empty the id of row r's first edge, its k-th edge's being first_edge[r] + k
///                           (what a sampled edge records, Block::edge_global); empty means
///                           ptr[r], the position in the whole graph's CSR (NodeData::edge_attr's row)
///
/// A row must be the node's complete incoming list exactly as the global graph orders it
/// (Graph::src() over its dst_ptr segment): the sampler keys each draw by the position in
/// this list, so a source that reorders or truncates a list changes the sample.
///
/// One process reads the Graph's own CSR (GraphAdjacency, no copy). A distributed rank (#18)
/// implements incoming() by fetching the lists of the targets it does not own from their
/// owners (one exchange per hop) and returning them with rows, and with edge features the
/// first_edge of each list in its owner's numbering; the sampling code is the same.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "autograd/error.hpp"
#include "graph/graph.hpp"

namespace gatgrad {

struct IncomingLists {
  std::span<const int64_t> ptr;        // [R+1]
  std::span<const int32_t> neighbors;  // [ptr[R]] global source ids
  std::span<const int32_t> rows;       // [T], or empty: row = global id
  std::span<const int64_t> first_edge; // [R], or empty: ptr
};

class AdjacencySource {
 public:
  virtual ~AdjacencySource() = default;
  /// Global ids are in [0, num_nodes()).
  virtual int64_t num_nodes() const = 0;
  /// The incoming lists of `targets` (global ids, each in range, no repeats). The spans stay
  /// valid until the next call on this source.
  virtual IncomingLists incoming(std::span<const int32_t> targets) = 0;
};

/// A square Graph's own CSR by destination: every node's list, indexed by its id.
class GraphAdjacency final : public AdjacencySource {
 public:
  /// Throws Error for a bipartite graph (its ids are a block's local ids, not global ones).
  explicit GraphAdjacency(Graph g) : g_(std::move(g)) {
    if (g_.is_bipartite())
      throw Error("GraphAdjacency: needs a square graph of global node ids, got a bipartite one (" +
                  std::to_string(g_.num_src_nodes()) + " source nodes, " + std::to_string(g_.num_dst_nodes()) +
                  " destination nodes)");
  }
  int64_t num_nodes() const override { return g_.num_nodes(); }
  IncomingLists incoming(std::span<const int32_t>) override { return {g_.dst_ptr(), g_.src(), {}, {}}; }

 private:
  Graph g_;
};

/// Incoming lists held as a bare CSR by destination, without the rest of a Graph (its source
/// grouping and edge arrays, 16 more bytes per edge): what a graph too big for full batch
/// keeps for sampling (graph/synthetic.hpp's make_csbm_by_destination gives these arrays).
class CsrAdjacency final : public AdjacencySource {
 public:
  /// dst_ptr [N+1], src [E] in [0, N). Throws DataError for a dst_ptr that does not start at 0,
  /// decreases or does not end at E, and for a source out of range (naming the first bad entry).
  CsrAdjacency(std::vector<int64_t> dst_ptr, std::vector<int32_t> src);
  int64_t num_nodes() const override { return static_cast<int64_t>(dst_ptr_.size()) - 1; }
  int64_t num_edges() const { return static_cast<int64_t>(src_.size()); }
  std::span<const int64_t> dst_ptr() const { return dst_ptr_; }
  std::span<const int32_t> src() const { return src_; }
  IncomingLists incoming(std::span<const int32_t>) override { return {dst_ptr_, src_, {}, {}}; }

 private:
  std::vector<int64_t> dst_ptr_;
  std::vector<int32_t> src_;
};

}  // namespace gatgrad
