// softmax and log_softmax along one axis. Legend: x viewed as lines of L values along the axis
// ([outer, L, inner], a line = fixed (o, i)), y output, dy = d loss / d y.
//   softmax:      y_k = exp(x_k - m) / Σ_l exp(x_l - m)      (m = max_l x_l, for stability only)
//     backward:   dx_k += y_k (dy_k - Σ_l y_l dy_l)            (needs only y)
//   log_softmax:  y_k = x_k - m - log Σ_l exp(x_l - m)
//     backward:   dx_k += dy_k - exp(y_k) Σ_l dy_l           (needs only y)
#include <algorithm>

#include "autograd/ops/common.hpp"

namespace gatgrad {
using namespace detail;

namespace {

kernels::Lines lines_of(const char* op, const Tensor& x, int axis) {
  const int a = normalize_axis(op, axis, x.dim());
  kernels::Lines l{1, x.shape()[a], 1};
  for (int i = 0; i < a; ++i) l.outer *= x.shape()[i];
  for (int i = a + 1; i < x.dim(); ++i) l.inner *= x.shape()[i];
  return l;
}

// The lines [t0, t1) in blocks of about kBlock values: f(t0, t1). A block starts at a multiple
// of 16 lines of the same outer index when lines are strided (the kernel's lanes), so values do
// not depend on the blocks.
template <class F>
void for_line_blocks(const kernels::Lines& l, F&& f) {
  const int64_t lines = l.outer * l.inner;
  const int64_t per_block = std::max<int64_t>(16, kBlock / std::max<int64_t>(l.len, 1)) / 16 * 16;
  if (l.inner == 1) {
    parallel_blocks(lines, per_block, f);
    return;
  }
  // strided: blocks never straddle two outer indices (each outer's inner lines in chunks)
  const int64_t chunks = (l.inner + per_block - 1) / per_block;
  parallel_blocks(l.outer * chunks, 1, [&](int64_t w, int64_t) {
    const int64_t o = w / chunks, i0 = (w % chunks) * per_block;
    f(o * l.inner + i0, o * l.inner + std::min(l.inner, i0 + per_block));
  });
}

Tensor softmax_impl(const char* op, const Tensor& x, int axis, bool log_form) {
  const kernels::Lines l = lines_of(op, x, axis);
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  if (l.len == 0) return y;
  dispatch(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>();
    T* py = y.data<T>();
    const auto kernel = kernels::table<T>().softmax_lines;
    for_line_blocks(l, [&](int64_t t0, int64_t t1) { kernel(l, log_form, px, py, t0, t1); });
  });
  if (any_requires_grad({&x}))
    record(op, y, [x, y = y.detach(), l, log_form](const Tensor& dy) {
      dispatch(x.dtype(), [&]<class T>() {
        const T* py = y.data<T>();
        const T* g = dy.data<T>();
        T* dx = x.grad_accum().template data<T>();
        const auto kernel = kernels::table<T>().softmax_lines_backward;
        for_line_blocks(l, [&](int64_t t0, int64_t t1) { kernel(l, log_form, py, g, dx, t0, t1); });
      });
    });
  return y;
}

}  // namespace

Tensor softmax(const Tensor& x, int axis) { return softmax_impl("softmax", x, axis, false); }
Tensor log_softmax(const Tensor& x, int axis) { return softmax_impl("log_softmax", x, axis, true); }

}  // namespace gatgrad
