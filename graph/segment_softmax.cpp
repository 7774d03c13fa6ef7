// segment_softmax: softmax over each destination's incoming edges, per head.
//   scores [E, H] logits s_e (edge e -> i); a 1-D [E] is one head.
//   alpha[e,h] = exp(s[e,h] - m[i,h]) / Σ_{e' -> i} exp(s[e',h] - m[i,h])        [E, H]
//   m[i,h] = max_{e' -> i} s[e',h], only for stability: softmax is shift-invariant and no
//   gradient flows through m. With it exp() never overflows (finite at logits of ±1e4), and a
//   node without incoming edges owns no row at all (no 0/0).
// backward, y = alpha, g = dL/dalpha:  ds[e,h] += y[e,h] (g[e,h] - Σ_{e'->i} y[e',h] g[e',h])
//   needs only y, so y is what the tape keeps, not the scores.
#include <string>

#include "autograd/error.hpp"
#include "graph/message_passing.hpp"
#include "graph/kernels/calls.hpp"

namespace gatgrad {
using namespace graph_kernels;

Tensor segment_softmax(const Tensor& scores, const Graph& g) {
  if ((scores.dim() != 1 && scores.dim() != 2) || scores.size(0) != g.num_edges())
    throw Error("segment_softmax: scores must be [E] or [E, H] with E = " + std::to_string(g.num_edges()) +
                ", got " + scores.describe());
  const int64_t H = scores.dim() == 2 ? scores.size(1) : 1;
  Tensor y = scores.clone();
  const int64_t* ptr = g.dst_ptr().data();
  dispatch(scores.dtype(), [&]<class T>() {
    T* a = y.data<T>();
    const auto kernel = table<T>().segment_softmax;
    for_node_blocks(g.num_dst_nodes(), [&](int64_t i0, int64_t i1) { kernel(a, ptr, H, i0, i1); });
  });
  if (any_requires_grad({&scores}))
    record("segment_softmax", y, [scores, y, g, H](const Tensor& dy) {
      const int64_t* ptr = g.dst_ptr().data();
      dispatch(scores.dtype(), [&]<class T>() {
        const T* a = y.data<T>();
        const T* gy = dy.data<T>();
        T* ds = scores.grad_accum().template data<T>();
        const auto kernel = table<T>().segment_softmax_backward;
        for_node_blocks(g.num_dst_nodes(), [&](int64_t i0, int64_t i1) { kernel(a, gy, ds, ptr, H, i0, i1); });
      });
    });
  return y;
}

}  // namespace gatgrad
