// Graph: a directed graph stored twice over, for owner-computes message passing.
// Vocabulary: an edge e runs j = src(e) -> i = dst(e) (j sends, i receives); E edges.
//
// Square or bipartite. A square graph has N nodes, each both a source and a destination. A
// bipartite graph (a sampled block, graph/neighbor_sampler.hpp) has S source nodes and D <= S
// destination nodes, and destination i *is* source node i: the destinations are the first D
// of the sources, so i -> i is an exact self-loop in either kind. Square is the case D == S.
//
//   grouped by destination (CSR over incoming edges; this order *is* the edge numbering):
//     dst_ptr  [D+1]  node i receives edges dst_ptr[i] .. dst_ptr[i+1]
//     src, dst [E]    int32 endpoints of edge e, in that order: src in [0, S), dst in [0, D)
//   grouped by source (the same edges, for backward passes that own source rows):
//     src_ptr  [S+1]  node j sends edges src_perm[src_ptr[j] .. src_ptr[j+1]]
//     src_perm [E]    int32 edge ids (dst order), ascending within each source
//     src_grouped_dst [E]  int32 target of the edge at each position: dst[src_perm[p]]
//   (a sweep over sources reads its edges' targets in order, not through src_perm)
//   edge_origin [E]   int32 position of edge e in the edge list the graph was built from, so
//                     per-edge values (attention) can be exported in the user's order
//   one_self_loop_per_node  every node i has exactly one edge i -> i (what add_self_loops()
//                     makes), found while building: a model that attends over self-loops checks it
//
// Inside a destination segment, edges keep the order of the input list (the sort is stable),
// so the numbering is a function of the input alone. Duplicate edges, self-loops and isolated
// nodes are all allowed. The arrays are immutable and shared: copying a Graph costs nothing,
// which lets an op keep the graph for its backward without caring how long the caller's lives.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

namespace gatgrad {

// Keys grouped by value: group g holds positions perm[ptr[g] .. ptr[g+1]), ascending.
// Built by a stable counting sort, O(n + num_groups), in parallel for large inputs; the result
// does not depend on the thread count. keys must be in [0, num_groups) (not checked here).
struct Grouping {
  std::vector<int64_t> ptr;   // [num_groups + 1]
  std::vector<int32_t> perm;  // [n]
};
Grouping group_by(const int32_t* keys, int64_t n, int64_t num_groups);

struct GraphData {
  int64_t num_src_nodes = 0;         // S
  int64_t num_dst_nodes = 0;         // D <= S (square: D == S == N)
  std::vector<int64_t> dst_ptr;      // [D+1]
  std::vector<int32_t> src;          // [E]
  std::vector<int32_t> dst;          // [E]
  std::vector<int64_t> src_ptr;      // [S+1]
  std::vector<int32_t> src_perm;     // [E]
  std::vector<int32_t> src_grouped_dst;  // [E]
  std::vector<int32_t> edge_origin;  // [E]
  bool one_self_loop_per_node = false;
};

class Graph {
 public:
  Graph() = default;  // no nodes, no edges (only useful as a placeholder)

  // Edge k is src[k] -> dst[k]. Throws DataError naming the first bad edge
  // ("Graph::from_edges: edge 17: source index 2708 is out of range for 2708 nodes") and for
  // num_nodes <= 0, num_nodes >= 2^31, E >= 2^31 or src/dst of different lengths. O(E + N).
  static Graph from_edges(const std::vector<int32_t>& src, const std::vector<int32_t>& dst,
                          int64_t num_nodes);
  // edge_index: 2×E row-major (PyG's layout): row 0 the sources, row 1 the destinations.
  static Graph from_edges(const std::vector<int64_t>& edge_index, int64_t num_nodes);

  // Bipartite: edge k is source src[k] in [0, S) -> destination dst[k] in [0, D), D <= S,
  // destination i being source node i. Errors like from_edges' ("Graph::from_bipartite_edges:
  // edge 3: target index 5 is out of range for 5 destination nodes"), and for D <= 0 or D > S.
  // With D == S the result is the square graph from_edges(src, dst, S) gives. O(E + S).
  static Graph from_bipartite_edges(const std::vector<int32_t>& src, const std::vector<int32_t>& dst,
                                    int64_t num_src_nodes, int64_t num_dst_nodes);
  // Already grouped by destination: destination i receives from src[dst_ptr[i] .. dst_ptr[i+1]),
  // dst_ptr [D+1], src [E] in [0, num_src_nodes). The input list is this CSR order, so
  // edge_origin is the identity. Bipartite when num_src_nodes > D, square when equal. Throws
  // DataError for a dst_ptr that does not start at 0, decreases or does not end at E (naming
  // the first bad entry), a source out of range, D <= 0 or D > num_src_nodes. O(E + S).
  static Graph from_csr(std::vector<int64_t> dst_ptr, std::vector<int32_t> src, int64_t num_src_nodes);

  // Like PyG's GATConv: drop every self-loop, then add exactly one loop per destination. The
  // new graph's input list (what edge_origin indexes) is the old input list without its
  // loops, in order, followed by the loops 0->0, 1->1, ..., D-1->D-1 (square: D = N). A
  // bipartite graph stays bipartite with the same S and D.
  Graph add_self_loops() const;
  Graph remove_self_loops() const;  // input list = the old one without its loops

  // The node count N of a square graph (0 for the placeholder). A bipartite graph has no
  // single count: num_nodes() throws Error naming S and D, so that code written for square
  // graphs (which reads N as both the source and the destination count) fails loudly on a
  // block instead of reading past dst_ptr. Code that handles both uses the two counts below.
  int64_t num_nodes() const {
    if (d_ && d_->num_src_nodes != d_->num_dst_nodes) throw_not_square();
    return d_ ? d_->num_dst_nodes : 0;
  }
  int64_t num_src_nodes() const { return d_ ? d_->num_src_nodes : 0; }  // S: rows a gather by source reads
  int64_t num_dst_nodes() const { return d_ ? d_->num_dst_nodes : 0; }  // D: segments of dst_ptr
  bool is_bipartite() const { return num_src_nodes() != num_dst_nodes(); }  // S > D
  int64_t num_edges() const { return d_ ? static_cast<int64_t>(d_->src.size()) : 0; }
  std::span<const int64_t> dst_ptr() const { return data().dst_ptr; }
  std::span<const int32_t> src() const { return data().src; }
  std::span<const int32_t> dst() const { return data().dst; }
  std::span<const int64_t> src_ptr() const { return data().src_ptr; }
  std::span<const int32_t> src_perm() const { return data().src_perm; }
  std::span<const int32_t> src_grouped_dst() const { return data().src_grouped_dst; }
  std::span<const int32_t> edge_origin() const { return data().edge_origin; }
  const GraphData& data() const { return d_ ? *d_ : empty_data(); }

  int64_t in_degree(int64_t i) const { return d_->dst_ptr[i + 1] - d_->dst_ptr[i]; }   // i < D
  int64_t out_degree(int64_t j) const { return d_->src_ptr[j + 1] - d_->src_ptr[j]; }  // j < S
  std::vector<int64_t> in_degrees() const;  // [D]
  int64_t num_self_loops() const;
  // Every node has exactly one self-loop (true of add_self_loops()'s result). O(1).
  bool has_one_self_loop_per_node() const { return data().one_self_loop_per_node; }
  // The edges in the order of the list the graph was built from: (sources, destinations).
  std::pair<std::vector<int32_t>, std::vector<int32_t>> input_edges() const;

 private:
  explicit Graph(std::shared_ptr<const GraphData> d) : d_(std::move(d)) {}
  static const GraphData& empty_data();
  [[noreturn]] void throw_not_square() const;
  // Both groupings of already validated edges src[k] -> dst[k], k < E, src < S, dst < D.
  static Graph build(const int32_t* src, const int32_t* dst, int64_t num_edges, int64_t num_src_nodes,
                     int64_t num_dst_nodes);
  // from_edges and from_bipartite_edges: validation (messages naming fn) and build.
  static Graph from_checked_edges(const char* fn, const std::vector<int32_t>& src, const std::vector<int32_t>& dst,
                                  int64_t num_src_nodes, int64_t num_dst_nodes, bool square);
  // The source grouping (src_ptr, src_perm, src_grouped_dst) of d's destination grouping.
  static void group_by_source(GraphData& d);
  // This graph without its self-loops, plus one loop per destination if add.
  Graph replace_self_loops(bool add) const;
  std::shared_ptr<const GraphData> d_;
};

}  // namespace gatgrad
