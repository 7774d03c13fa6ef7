// softmax and log_softmax along one axis. Legend: x viewed as lines of L values along the axis
// ([outer, L, inner], a line = fixed (o, i)), y output, dy = d loss / d y.
//   softmax:      y_k = exp(x_k - m) / Σ_l exp(x_l - m)      (m = max_l x_l, for stability only)
//     backward:   dx_k += y_k (dy_k - Σ_l y_l dy_l)            (needs only y)
//   log_softmax:  y_k = x_k - m - log Σ_l exp(x_l - m)
//     backward:   dx_k += dy_k - exp(y_k) Σ_l dy_l           (needs only y)
#include <cmath>

#include "autograd/ops/common.hpp"

namespace gatgrad {
using namespace detail;

namespace {

struct Lines {
  int64_t outer, len, inner;
};

Lines lines_of(const char* op, const Tensor& x, int axis) {
  const int a = normalize_axis(op, axis, x.dim());
  Lines l{1, x.shape()[a], 1};
  for (int i = 0; i < a; ++i) l.outer *= x.shape()[i];
  for (int i = a + 1; i < x.dim(); ++i) l.inner *= x.shape()[i];
  return l;
}

// Calls f(base, stride) for every line, in parallel over lines.
template <class F>
void for_each_line(const Lines& l, F&& f) {
  parallel_blocks(l.outer * l.inner, std::max<int64_t>(1, kBlock / std::max<int64_t>(l.len, 1)),
                  [&](int64_t b, int64_t e) {
                    for (int64_t line = b; line < e; ++line) {
                      const int64_t o = line / l.inner, i = line % l.inner;
                      f(o * l.len * l.inner + i, l.inner);
                    }
                  });
}

template <class T>
void softmax_line(const T* x, T* y, int64_t len, int64_t stride, bool log_form) {
  T m = x[0];
  for (int64_t k = 1; k < len; ++k) m = std::max(m, x[k * stride]);
  T total = 0;
  for (int64_t k = 0; k < len; ++k) total += std::exp(x[k * stride] - m);
  if (log_form) {
    const T lse = m + std::log(total);
    for (int64_t k = 0; k < len; ++k) y[k * stride] = x[k * stride] - lse;
  } else {
    const T inv = T(1) / total;
    for (int64_t k = 0; k < len; ++k) y[k * stride] = std::exp(x[k * stride] - m) * inv;
  }
}

Tensor softmax_impl(const char* op, const Tensor& x, int axis, bool log_form) {
  Lines l = lines_of(op, x, axis);
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  if (l.len == 0) return y;
  dispatch(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>();
    T* py = y.data<T>();
    for_each_line(l, [&](int64_t base, int64_t s) { softmax_line(px + base, py + base, l.len, s, log_form); });
  });
  if (any_requires_grad({&x}))
    record(op, y, [x, y, l, log_form](const Tensor& dy) {
      dispatch(x.dtype(), [&]<class T>() {
        const T* py = y.data<T>();
        const T* g = dy.data<T>();
        T* dx = x.grad_accum().template data<T>();
        for_each_line(l, [&](int64_t base, int64_t s) {
          T dot = 0;
          for (int64_t k = 0; k < l.len; ++k) dot += log_form ? g[base + k * s] : py[base + k * s] * g[base + k * s];
          for (int64_t k = 0; k < l.len; ++k) {
            const int64_t j = base + k * s;
            dx[j] += log_form ? g[j] - std::exp(py[j]) * dot : py[j] * (g[j] - dot);
          }
        });
      });
    });
  return y;
}

}  // namespace

Tensor softmax(const Tensor& x, int axis) { return softmax_impl("softmax", x, axis, false); }
Tensor log_softmax(const Tensor& x, int axis) { return softmax_impl("log_softmax", x, axis, true); }

}  // namespace gatgrad
