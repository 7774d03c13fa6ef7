/// @file
/// Negative sampling for link prediction: node pairs that are not edges, drawn uniformly and
/// deterministically (PyG's torch_geometric.utils.negative_sampling(edge_index, num_nodes,
/// num_neg_samples), DGL's dgl.sampling.global_uniform_negative_sampling).
///
/// The draw. Negative k of a call keyed by SampleKey (seed, epoch, step) takes draws
/// r_a = hash64(hash64(step_key, k), a), a = 0, 1, 2, ...: u = r_{2t} mod N, v = r_{2t+1} mod N
/// (multiply-shift, unbiased enough for N < 2^32), and keeps the first attempt t whose (u, v) is
/// not a self-loop and not in the set of edges to avoid (rejection sampling: uniform over the
/// non-edges u != v, as PyG's, which also removes the diagonal). So negative k depends only on
/// (seed, epoch, step, k) and the avoided set: not on the thread count or on the other negatives.
/// Unlike PyG's 'sparse' method, two negatives of one call may coincide (with probability
/// about P² / N² for P negatives on N nodes); PyG drops such repeats and may return fewer.
#pragma once
#include <cstdint>
#include <vector>

#include "graph/graph.hpp"
#include "graph/neighbor_sampler.hpp"
#include "graph/pair_scores.hpp"

namespace gatgrad {

/// A set of directed pairs (u, v) on N nodes for membership tests: each node's out-neighbours,
/// sorted, repeats dropped (a CSR, O(N + E) memory; contains() is a binary search).
class EdgeSet {
 public:
  EdgeSet() = default;
  /// The pairs src[k] -> dst[k]; with `both_directions`, v -> u is in the set whenever u -> v is
  /// (an undirected graph's edges). Throws DataError for an endpoint outside [0, num_nodes).
  EdgeSet(const std::vector<int32_t>& src, const std::vector<int32_t>& dst, int64_t num_nodes, bool both_directions);
  bool contains(int32_t u, int32_t v) const;
  int64_t num_nodes() const { return static_cast<int64_t>(ptr_.empty() ? 0 : ptr_.size() - 1); }
  int64_t num_pairs() const { return static_cast<int64_t>(neighbors_.size()); }  ///< distinct pairs
  int64_t num_off_diagonal_pairs() const { return num_pairs() - num_loops_; }     ///< distinct, u != v

 private:
  std::vector<int64_t> ptr_;         // [N + 1]
  std::vector<int32_t> neighbors_;  // sorted and distinct within each node's range
  int64_t num_loops_ = 0;           // pairs (u, u) in the set
};

/// Draws at most this many attempts for one negative before giving up (DataError): with the
/// density check below, reaching it has probability below 2^-100.
inline constexpr int64_t kNegativeAttempts = 100;

/// `count` negatives (see the file comment), pair k drawn from `key` and index first_index + k.
/// Throws DataError for num_nodes < 2, and when the avoided set covers more than half of the
/// N (N - 1) off-diagonal pairs (rejection would be slow and the task is not one of sparse links).
NodePairs sample_negatives(const EdgeSet& avoid, int64_t count, const SampleKey& key, int64_t first_index = 0);

}  // namespace gatgrad
