// dropout: y_k = x_k * m_k / (1 - p), with m_k = [uniform(key, k) >= p] (autograd/random.hpp).
// backward: dx_k += dy_k * m_k / (1 - p). The mask is a pure function of (key, k): backward
// regenerates exactly the mask the forward used instead of keeping a copy, and no thread
// schedule can change it.
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
      Tensor dx = Tensor::empty(x.shape(), x.dtype());
      dispatch(x.dtype(), [&]<class T>() { dropout_kernel<T>(rule, dy.data<T>(), dx.data<T>(), x.numel()); });
      accumulate_grad(x, std::move(dx));
    });
  return y;
}

}  // namespace gatgrad
