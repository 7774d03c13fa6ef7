// dropout: y_k = x_k * m_k / (1 - p), with m_k = [uniform(key, k) >= p] (autograd/random.hpp).
// backward: dx_k += dy_k * m_k / (1 - p), over dy itself when the closure holds it alone.
// The mask is a pure function of (key, k): backward regenerates exactly the mask the forward
// used instead of keeping a copy, and no thread schedule can change it.
#include "autograd/ops/common.hpp"

namespace gatgrad {
using namespace detail;

Tensor dropout(const Tensor& x, double p, uint64_t key) {
  if (!(p >= 0.0 && p < 1.0))
    throw Error("dropout: probability " + std::to_string(p) + " is not in [0, 1)");
  if (p == 0.0) return x;
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  const kernels::DropoutRule rule = kernels::dropout_rule(p, key);
  dispatch(x.dtype(), [&]<class T>() { dropout_kernel<T>(rule, x.data<T>(), y.data<T>(), x.numel()); });
  if (any_requires_grad({&x}))
    record("dropout", y, [x, rule](const Tensor& dy) {
      // In place over dy when nothing else holds it (each element read before it is written):
      // dy then becomes x's gradient as it is (accumulate_grad adopts it), no new buffer.
      const bool in_place = exclusively_held(dy);
      const Tensor dx = in_place ? Tensor() : Tensor::empty(x.shape(), x.dtype());
      const Tensor& out = in_place ? dy : dx;
      dispatch(x.dtype(), [&]<class T>() { dropout_kernel<T>(rule, dy.data<T>(), out.data<T>(), x.numel()); });
      accumulate_grad(x, out);
    });
  return y;
}

}  // namespace gatgrad
