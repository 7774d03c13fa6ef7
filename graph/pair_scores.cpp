// pair_dot and pair_mul: node rows combined per pair (graph/pair_scores.hpp).
// Legend: h [N, D], pair k = (u, v) = (src[k], dst[k]), g the gradient of the output.
//   pair_dot: y[k]   = Σ_d h[u,d] h[v,d]    dh[u,:] += g[k] h[v,:];   dh[v,:] += g[k] h[u,:]
//   pair_mul: y[k,:] = h[u,:] ⊙ h[v,:]      dh[u,:] += g[k,:] ⊙ h[v,:]; dh[v,:] += g[k,:] ⊙ h[u,:]
// Forwards run in parallel over pairs (each writes its own output row); pair_dot sums its D
// products in 8 interleaved partial sums (lane d % 8), then the lanes in order: a fixed order,
// so the same bits on any thread count and level (the kernels, graph/kernels/pair_rows.hpp).
// Backwards own nodes: the 2P endpoints grouped by node (a stable counting sort: node n's terms
// in pair order, u's before v's within a pair), then each node adds its terms in that order, in
// parallel over nodes; no atomics, and the same bits on any thread count.
#include <string>

#include "autograd/error.hpp"
#include "autograd/parallel.hpp"
#include "autograd/tape.hpp"
#include "graph/graph.hpp"
#include "graph/kernels/table.hpp"
#include "graph/pair_scores.hpp"

namespace gatgrad {

namespace {

constexpr int64_t kPairBlock = 1024;  // pairs per parallel block of a forward
constexpr int64_t kNodeBlock = 512;   // nodes per parallel block of a backward

// h [N, D] and every endpoint in [0, N).
void check_pairs(const char* op, const Tensor& h, const NodePairs& pairs) {
  if (h.dim() != 2) throw Error(std::string(op) + ": expected h [N, D], got " + h.describe());
  if (pairs.src.size() != pairs.dst.size())
    throw Error(std::string(op) + ": " + std::to_string(pairs.src.size()) + " sources but " +
                std::to_string(pairs.dst.size()) + " destinations");
  const int64_t N = h.size(0);
  for (size_t k = 0; k < pairs.src.size(); ++k)
    for (const int32_t node : {pairs.src[k], pairs.dst[k]})
      if (node < 0 || node >= N)
        throw DataError(std::string(op) + ": pair " + std::to_string(k) + " has node " + std::to_string(node) +
                        ", out of range for " + std::to_string(N) + " nodes");
}

// The backward of both ops: dh[u,:] += g_k ⊙ h[v,:] and dh[v,:] += g_k ⊙ h[u,:] for each pair k,
// g_k = dy[k] for every feature (pair_dot, dy [P]) or dy[k,:] (pair_mul, dy [P, D]).
void add_pair_gradients(const Tensor& h, const NodePairs& pairs, const Tensor& dy, bool per_feature) {
  const int64_t P = pairs.size(), N = h.size(0), D = h.size(1);
  // Endpoint 2k is u_k (its partner v_k), endpoint 2k + 1 is v_k (its partner u_k).
  std::vector<int32_t> ends(static_cast<size_t>(2 * P));
  for (int64_t k = 0; k < P; ++k) {
    ends[static_cast<size_t>(2 * k)] = pairs.src[static_cast<size_t>(k)];
    ends[static_cast<size_t>(2 * k + 1)] = pairs.dst[static_cast<size_t>(k)];
  }
  const Grouping by_node = group_by(ends.data(), 2 * P, N);
  dispatch(h.dtype(), [&]<class T>() {
    const T* ph = h.data<T>();
    const T* g = dy.data<T>();
    T* dh = h.grad_accum().template data<T>();
    const auto kernel = graph_kernels::table<T>().pair_grad_rows;  // dh[n] += g_k ⊙ h[partner], in order
    parallel_blocks(N, kNodeBlock, [&](int64_t n0, int64_t n1) {
      kernel(ph, D, ends.data(), by_node.ptr.data(), by_node.perm.data(), g, per_feature, dh, n0, n1);
    });
  });
}

}  // namespace

// ---- pair_dot: y[k] = Σ_d h[u,d] h[v,d] ----
Tensor pair_dot(const Tensor& h, const NodePairs& pairs) {
  check_pairs("pair_dot", h, pairs);
  const int64_t P = pairs.size(), D = h.size(1);
  Tensor y = Tensor::empty({P}, h.dtype());
  dispatch(h.dtype(), [&]<class T>() {
    const T* ph = h.data<T>();
    T* py = y.data<T>();
    const auto kernel = graph_kernels::table<T>().pair_dot_rows;
    parallel_blocks(P, kPairBlock, [&](int64_t k0, int64_t k1) {
      kernel(ph, D, pairs.src.data(), pairs.dst.data(), py, k0, k1);
    });
  });
  if (any_requires_grad({&h}))
    record("pair_dot", y, [h, pairs](const Tensor& dy) { add_pair_gradients(h, pairs, dy, /*per_feature=*/false); });
  return y;
}

// ---- pair_mul: y[k,:] = h[u,:] ⊙ h[v,:] ----
Tensor pair_mul(const Tensor& h, const NodePairs& pairs) {
  check_pairs("pair_mul", h, pairs);
  const int64_t P = pairs.size(), D = h.size(1);
  Tensor y = Tensor::empty({P, D}, h.dtype());
  dispatch(h.dtype(), [&]<class T>() {
    const T* ph = h.data<T>();
    T* py = y.data<T>();
    parallel_blocks(P, kPairBlock, [&](int64_t k0, int64_t k1) {
      for (int64_t k = k0; k < k1; ++k) {
        const T* hu = ph + int64_t{pairs.src[k]} * D;
        const T* hv = ph + int64_t{pairs.dst[k]} * D;
        for (int64_t d = 0; d < D; ++d) py[k * D + d] = hu[d] * hv[d];
      }
    });
  });
  if (any_requires_grad({&h}))
    record("pair_mul", y, [h, pairs](const Tensor& dy) { add_pair_gradients(h, pairs, dy, /*per_feature=*/true); });
  return y;
}

}  // namespace gatgrad
