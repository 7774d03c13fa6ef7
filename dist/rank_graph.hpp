/// @file
/// RankGraph: what one rank holds of a partitioned graph (its part's nodes, their incoming
/// lists, the node -> part map) and the two exchanges that reach the rest:
///
///   incoming(targets)  AdjacencySource for the sampler: the lists of the targets this rank
///                      owns are its own; the others are asked of their owners, one all-to-all
///                      of ids and one of lists per call (so one per hop)
///   fetch_rows(ids)    rows of a table held like the nodes (row k of rank r's table belongs to
///                      its k-th node, or to the k-th of a list of its nodes: features, or a
///                      layer's output): own rows copied, the others asked of their owners,
///                      one all-to-all of ids and one of rows
///   edge_rows(block)   with edge features, those of a sampled block's edges: an edge is its
///                      destination's incoming edge, so its destination's owner holds its row
///                      (edge_attr.npy); the sampler recorded that row (IncomingLists::first_edge
///                      is each list's start in its owner's part), one all-to-all of rows asked
///                      and one of features
///
/// Both are collective: every rank makes the same calls in the same order, one with nothing
/// to ask included (a rank without a micro-batch this round still answers the others).
/// Nothing is broadcast: a rank receives only the lists and rows it asked for.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "autograd/sparse.hpp"
#include "autograd/tensor.hpp"
#include "dist/comm.hpp"
#include "dist/partition.hpp"
#include "graph/adjacency_source.hpp"
#include "graph/block.hpp"

namespace gatgrad::dist {

class RankGraph final : public AdjacencySource {
 public:
  /// Takes the part's map, lists and edge features (part.owner, nodes, in_ptr, in_src, edge_attr).
  RankGraph(const Comm& comm, LocalPart& part, TrafficCounter& traffic);

  /// D of the edge features; 0: none.
  int64_t edge_dim() const { return edge_dim_; }
  /// The features [E_b, D] float32 of the block's edges in its edge order, from its edge_global
  /// (sampled from this source with NeighborSampler::record_edge_ids). Collective.
  Tensor edge_rows(const Block& block);

  int64_t num_nodes() const override { return static_cast<int64_t>(owner_.size()); }
  IncomingLists incoming(std::span<const int32_t> targets) override;

  /// Rows `ids` (global ids, any owner) of the table whose rows on this rank are `local`
  /// [num_local(), width] (row k: node nodes()[k]) -> [ids.size(), width] float32.
  Tensor fetch_rows(const float* local, int64_t width, std::span<const int32_t> ids);
  /// The same for a table whose rows are those of `table_nodes` (own nodes, ascending).
  Tensor fetch_rows(const float* table, int64_t width, std::span<const int32_t> ids, std::span<const int32_t> table_nodes);
  /// The same for a sparse table (CSR rows of the own nodes) -> CSR [ids.size(), cols], each
  /// row's stored values in their order.
  CsrMatrix fetch_rows(const CsrMatrix& local, std::span<const int32_t> ids);

  /// This rank's nodes among `ids` or among the ids the other ranks pass (each sends its ids
  /// to their owners: nothing else), ascending, each once. Collective.
  std::vector<int32_t> own_asked(std::span<const int32_t> ids);

  int32_t owner(int32_t v) const { return owner_[static_cast<size_t>(v)]; }
  /// v's row on this rank, -1 when another rank owns it.
  int64_t local_id(int32_t v) const { return owner(v) == comm_.rank() ? row_[static_cast<size_t>(v)] : -1; }
  std::span<const int64_t> nodes() const { return nodes_; }
  int64_t num_local() const { return static_cast<int64_t>(nodes_.size()); }
  /// Lists and rows this rank's requests asked for that it did not hold: what must cross
  /// the network, whatever the protocol (for the traffic figures).
  int64_t missing_bytes() const { return missing_bytes_; }

 private:
  template <class RowOf>
  Tensor fetch_dense(const float* table, int64_t width, std::span<const int32_t> ids, RowOf row_of);
  template <class Answer, class Receive>
  void exchange(std::span<const int32_t> ids, int64_t& counted, Answer answer, Receive receive, size_t answer_bytes = 0);
  void check_ids(std::span<const int32_t> ids, const char* what) const;

  const Comm& comm_;
  TrafficCounter& traffic_;
  std::vector<int32_t> owner_;  // [N]
  // [N] each node's row in its owner's part (its position in the owner's ascending nodes),
  // counted from owner_: a lookup per id asked, not a search of nodes_ (a binary search of 1M
  // nodes per feature row was a fifth of a step's CPU on one rank).
  std::vector<int32_t> row_;
  std::vector<int64_t> nodes_;  // [n] ascending
  int64_t own_edges_ = 0;
  // Own lists, then the fetched ones of the current call appended (cut back at each call).
  std::vector<int64_t> ptr_;
  std::vector<int32_t> neighbors_;
  std::vector<int32_t> rows_;
  std::vector<int64_t> first_;  // with edge features: each list's first edge in its owner's part
  int64_t edge_dim_ = 0;
  std::vector<float> edge_attr_;  // [own edges, D]
  int64_t missing_bytes_ = 0;
  // The exchanges' buffers, kept from call to call (an exchange's are megabytes, allocated and
  // faulted in afresh each time otherwise): what is sent (the requests, then the answers), the
  // requests received, the answers received.
  Streams send_, asked_, got_;
};

}  // namespace gatgrad::dist
