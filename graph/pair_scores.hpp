/// @file
/// Scores of node pairs for link prediction: an arbitrary list of pairs (u_k, v_k), not the
/// message-passing graph (a pair is usually *not* an edge of the graph the encoder ran on).
/// Legend: h [N, D] node embeddings (the encoder's output), P pairs, k a pair.
///
///   pair_dot: score[k]  = Σ_d h[u_k, d] h[v_k, d]            [P]     (PyG link_pred.py's decode:
///             (z[src] * z[dst]).sum(-1); DGL's u_dot_v on a pair graph)
///   pair_mul: y[k, :]   = h[u_k, :] ⊙ h[v_k, :]               [P, D]  (the input of an MLP
///             decoder: PyG's LinkPredictor in examples/ogbl; models/link_decoder.hpp)
///
/// Both backwards add into dh in pair order, one pair after the other, so the sums are the same
/// bits on any thread count (a node in many pairs gets its terms in increasing k).
#pragma once
#include <cstdint>
#include <vector>

#include "autograd/tensor.hpp"

namespace gatgrad {

/// A list of node pairs: pair k is (src[k], dst[k]). For an undirected pair, src < dst.
struct NodePairs {
  std::vector<int32_t> src;
  std::vector<int32_t> dst;
  int64_t size() const { return static_cast<int64_t>(src.size()); }
};

/// score[k] = <h[u_k], h[v_k]>, h [N, D] -> [P].
///   backward: dh[u_k] += g[k] h[v_k];  dh[v_k] += g[k] h[u_k]
/// Throws DataError naming the pair for an endpoint outside [0, N), Error for h not 2-D or
/// src/dst of different lengths.
Tensor pair_dot(const Tensor& h, const NodePairs& pairs);

/// y[k, :] = h[u_k, :] ⊙ h[v_k, :], h [N, D] -> [P, D].
///   backward: dh[u_k] += g[k] ⊙ h[v_k];  dh[v_k] += g[k] ⊙ h[u_k]
/// Errors as pair_dot's.
Tensor pair_mul(const Tensor& h, const NodePairs& pairs);

}  // namespace gatgrad
