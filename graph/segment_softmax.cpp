// segment_softmax: softmax over each destination's incoming edges, per head.
//   scores [E, H] logits s_e (edge e -> i); a 1-D [E] is one head.
//   alpha[e,h] = exp(s[e,h] - m[i,h]) / Σ_{e' -> i} exp(s[e',h] - m[i,h])        [E, H]
//   m[i,h] = max_{e' -> i} s[e',h], only for stability: softmax is shift-invariant and no
//   gradient flows through m. With it exp() never overflows (finite at logits of ±1e4), and a
//   node without incoming edges owns no row at all (no 0/0).
// backward, y = alpha, g = dL/dalpha:  ds[e,h] += y[e,h] (g[e,h] - Σ_{e'->i} y[e',h] g[e',h])
//   needs only y, so y is what the tape keeps, not the scores.
// The index form groups rows e by index[e] instead of by destination (PyG's softmax(src, index),
// the gate of an attention readout: graph/readout.hpp); the segments are the same equation.
#include <algorithm>
#include <memory>
#include <string>

#include "autograd/error.hpp"
#include "graph/message_passing.hpp"
#include "graph/kernels/calls.hpp"

namespace gatgrad {
using namespace graph_kernels;

namespace {

// The softmax of the file comment over contiguous segments: segment i owns rows ptr[i] .. ptr[i+1)
// of scores. `owner` keeps ptr alive for the backward.
Tensor softmax_over_segments(const char* op, const Tensor& scores, std::shared_ptr<const void> owner,
                             const int64_t* ptr, int64_t num_segments) {
  const int64_t H = scores.dim() == 2 ? scores.size(1) : 1;
  Tensor y = scores.clone();
  dispatch(scores.dtype(), [&]<class T>() {
    T* a = y.data<T>();
    const auto kernel = table<T>().segment_softmax;
    for_node_blocks(num_segments, [&](int64_t i0, int64_t i1) { kernel(a, ptr, H, i0, i1); });
  });
  if (any_requires_grad({&scores}))
    record(op, y, [scores, y, owner, ptr, num_segments, H](const Tensor& dy) {
      dispatch(scores.dtype(), [&]<class T>() {
        const T* a = y.data<T>();
        const T* gy = dy.data<T>();
        T* ds = scores.grad_accum().template data<T>();
        const auto kernel = table<T>().segment_softmax_backward;
        for_node_blocks(num_segments, [&](int64_t i0, int64_t i1) { kernel(a, gy, ds, ptr, H, i0, i1); });
      });
    });
  return y;
}

void check_scores(const char* op, const Tensor& scores, int64_t rows, const char* what) {
  if ((scores.dim() != 1 && scores.dim() != 2) || scores.size(0) != rows)
    throw Error(std::string(op) + ": scores must be [E] or [E, H] with E = " + std::to_string(rows) + " (" + what +
                "), got " + scores.describe());
}

}  // namespace

Tensor segment_softmax(const Tensor& scores, const Graph& g) {
  check_scores("segment_softmax", scores, g.num_edges(), "the graph's edges");
  auto owner = std::make_shared<Graph>(g);
  return softmax_over_segments("segment_softmax", scores, owner, owner->dst_ptr().data(), g.num_dst_nodes());
}

Tensor segment_softmax(const Tensor& scores, const std::vector<int32_t>& index, int64_t num_segments) {
  check_scores("segment_softmax", scores, static_cast<int64_t>(index.size()), "one per index entry");
  if (num_segments < 0) throw Error("segment_softmax: negative number of segments " + std::to_string(num_segments));
  for (size_t e = 0; e < index.size(); ++e)
    if (index[e] < 0 || index[e] >= num_segments)
      throw DataError("segment_softmax: index " + std::to_string(index[e]) + " at position " + std::to_string(e) +
                      " is out of range for " + std::to_string(num_segments) + " segments");
  auto grouping = std::make_shared<Grouping>(group_by(index.data(), static_cast<int64_t>(index.size()), num_segments));
  if (std::is_sorted(index.begin(), index.end()))  // rows already grouped (PyG's batch vector): no copy
    return softmax_over_segments("segment_softmax", scores, grouping, grouping->ptr.data(), num_segments);
  // Otherwise softmax the rows in grouped order and put them back: y = s'[inverse], s' = s[perm].
  std::vector<int32_t> inverse(index.size());
  for (size_t p = 0; p < index.size(); ++p) inverse[static_cast<size_t>(grouping->perm[p])] = static_cast<int32_t>(p);
  const Tensor grouped = gather(scores, grouping->perm);
  return gather(softmax_over_segments("segment_softmax", grouped, grouping, grouping->ptr.data(), num_segments), inverse);
}

}  // namespace gatgrad
