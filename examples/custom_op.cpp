// custom-op: a differentiable op of your own, written outside the library with its public
// headers (autograd/custom_op.hpp), and checked. The op is the GCN's propagation of
// examples/custom_gcn.cpp as one op, without the [E, D] tensor of messages that
// gather-scale-scatter_add builds; docs/custom-model.md (section 10) walks through it.
//
//   build/bin/custom-op
//
// It prints a gradcheck line and a comparison with the composed ops, then `custom-op: PASS`.
// Exit status: 0 when both pass, 1 otherwise.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "autograd/creation.hpp"      // uniform
#include "autograd/custom_op.hpp"     // record, any_requires_grad, accumulate_grad, grad_for_write
#include "autograd/gradcheck.hpp"     // gradcheck
#include "autograd/ops.hpp"           // reshape, the composed ops for the comparison
#include "graph/message_passing.hpp"  // Graph, gather, scatter_add

using namespace gatgrad;

// ======================================== the op: begin ========================================
// propagate: y_i = Σ_{e: j->i} c_e hw_j     hw [N, D], c [E, 1] (one weight per edge of g) -> y [N, D]
// backward, from dy [N, D]:
//   dhw_j += Σ_{e: j->i} c_e dy_i           each source's edges (g's grouping by source)
//   dc_e  += dy_i · hw_j                    one dot product per edge
// Backward reads hw, c and g, so the closure keeps those three handles (no copies).
Tensor propagate(const Tensor& hw, const Graph& g, const Tensor& c) {
  const int64_t n = g.num_nodes(), d = hw.size(1);
  Tensor y = Tensor::zeros({n, d}, hw.dtype());
  dispatch(hw.dtype(), [&]<class T>() {
    const T* h = hw.data<T>();
    const T* w = c.data<T>();
    T* out = y.data<T>();
    for (int64_t i = 0; i < n; ++i)                                  // the edges arriving at i
      for (int64_t e = g.dst_ptr()[i]; e < g.dst_ptr()[i + 1]; ++e)
        for (int64_t f = 0; f < d; ++f) out[i * d + f] += w[e] * h[g.src()[e] * d + f];
  });
  if (any_requires_grad({&hw, &c}))
    record("propagate", y, [hw, g, c](const Tensor& dy) {
      dispatch(hw.dtype(), [&]<class T>() {
        const T* h = hw.data<T>();
        const T* w = c.data<T>();
        const T* gy = dy.data<T>();
        const int64_t n = g.num_nodes(), d = hw.size(1);
        if (hw.requires_grad()) {  // each row of dhw is written once: in place, no temporary
          bool fresh = false;
          T* dh = grad_for_write(hw, fresh).template data<T>();
          if (fresh) std::fill(dh, dh + n * d, T(0));  // a new gradient is uninitialised
          for (int64_t j = 0; j < n; ++j)                              // the edges leaving j
            for (int64_t p = g.src_ptr()[j]; p < g.src_ptr()[j + 1]; ++p) {
              const int64_t e = g.src_perm()[p], i = g.src_grouped_dst()[p];
              for (int64_t f = 0; f < d; ++f) dh[j * d + f] += w[e] * gy[i * d + f];
            }
        }
        if (c.requires_grad()) {  // into a temporary, which accumulate_grad adds (or adopts)
          Tensor dc = Tensor::empty(c.shape(), c.dtype());
          T* dw = dc.data<T>();
          for (int64_t e = 0; e < g.num_edges(); ++e) {
            T dot = 0;
            for (int64_t f = 0; f < d; ++f) dot += gy[g.dst()[e] * d + f] * h[g.src()[e] * d + f];
            dw[e] = dot;
          }
          accumulate_grad(c, dc);
        }
      });
    });
  return y;
}
// ========================================= the op: end =========================================

int main() {
  // 6 nodes: a duplicate edge 0->1, a node (5) that sends nothing, and one self-loop per node.
  const Graph g = Graph::from_edges(std::vector<int32_t>{0, 0, 1, 2, 3, 4, 2}, std::vector<int32_t>{1, 1, 2, 0, 2, 3, 5}, 6)
                      .add_self_loops();
  const int64_t e = g.num_edges();
  Tensor hw = uniform({6, 4}, -1, 1, /*seed=*/1, DType::f64).requires_grad_();
  Tensor c = uniform({e, 1}, 0.1, 1, /*seed=*/2, DType::f64).requires_grad_();

  // 1. The backward against central differences (float64), for both inputs.
  const GradcheckResult check =
      gradcheck([&g](const std::vector<Tensor>& in) { return propagate(in[0], g, in[1]); }, {hw, c});
  std::printf("gradcheck propagate: max_abs_err=%.3e max_rel_err=%.3e %s\n", check.max_abs_err, check.max_rel_err,
              check.pass ? "PASS" : "FAIL");
  if (!check.pass) std::printf("  worst: %s\n", check.worst.c_str());

  // 2. The forward against the composed ops it replaces (custom_gcn.cpp's propagate).
  NoGradGuard no_tape;
  const std::vector<double> fused = propagate(hw, g, c).to_vector();
  const std::vector<double> composed = scatter_add(gather(hw, g, Endpoint::src) * c, g).to_vector();
  double worst = 0;
  for (size_t k = 0; k < fused.size(); ++k) worst = std::max(worst, std::abs(fused[k] - composed[k]));
  const bool same = fused.size() == composed.size() && worst <= 1e-12;
  std::printf("propagate vs scatter_add(gather(hw) * c): max_abs_diff=%.3e %s\n", worst, same ? "PASS" : "FAIL");

  const bool pass = check.pass && same;
  std::printf("custom-op: %s\n", pass ? "PASS" : "FAIL");
  return pass ? 0 : 1;
}
