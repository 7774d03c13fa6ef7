// pair_dot and pair_mul: node rows combined per pair (graph/pair_scores.hpp).
// Legend: h [N, D], pair k = (u, v) = (src[k], dst[k]), g the gradient of the output.
//   pair_dot: y[k]   = Σ_d h[u,d] h[v,d]    dh[u,:] += g[k] h[v,:];   dh[v,:] += g[k] h[u,:]
//   pair_mul: y[k,:] = h[u,:] ⊙ h[v,:]      dh[u,:] += g[k,:] ⊙ h[v,:]; dh[v,:] += g[k,:] ⊙ h[u,:]
// Forwards run in parallel over pairs (each writes its own output row); backwards walk the pairs
// in order on one thread: a node may be in any number of pairs, and adding its terms in pair
// order is what keeps the bits independent of the thread count. They are O(P D), small beside the
// encoder that produced h.
#include <string>

#include "autograd/error.hpp"
#include "autograd/parallel.hpp"
#include "autograd/tape.hpp"
#include "graph/pair_scores.hpp"

namespace gatgrad {

namespace {

constexpr int64_t kPairBlock = 1024;  // pairs per parallel block of a forward

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

// The backward of both ops: dh[u,:] += g_k ⊙ h[v,:] and dh[v,:] += g_k ⊙ h[u,:] for each pair k
// in order, g_k = dy[k] for every feature (pair_dot, dy [P]) or dy[k,:] (pair_mul, dy [P, D]).
void add_pair_gradients(const Tensor& h, const NodePairs& pairs, const Tensor& dy, bool per_feature) {
  const int64_t P = pairs.size(), D = h.size(1);
  const int64_t row = per_feature ? D : 1, col = per_feature ? 1 : 0;  // g_k[d] = dy[k * row + d * col]
  dispatch(h.dtype(), [&]<class T>() {
    const T* ph = h.data<T>();
    const T* g = dy.data<T>();
    T* dh = h.grad_accum().template data<T>();
    for (int64_t k = 0; k < P; ++k) {
      const int64_t u = pairs.src[static_cast<size_t>(k)], v = pairs.dst[static_cast<size_t>(k)];
      for (int64_t d = 0; d < D; ++d) dh[u * D + d] += g[k * row + d * col] * ph[v * D + d];  // dh[u] += g ⊙ h[v]
      for (int64_t d = 0; d < D; ++d) dh[v * D + d] += g[k * row + d * col] * ph[u * D + d];  // dh[v] += g ⊙ h[u]
    }
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
    parallel_blocks(P, kPairBlock, [&](int64_t k0, int64_t k1) {
      for (int64_t k = k0; k < k1; ++k) {
        const T* hu = ph + int64_t{pairs.src[k]} * D;
        const T* hv = ph + int64_t{pairs.dst[k]} * D;
        T acc = 0;
        for (int64_t d = 0; d < D; ++d) acc += hu[d] * hv[d];
        py[k] = acc;
      }
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
