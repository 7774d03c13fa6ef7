// dropout: y_k = x_k * m_k / (1 - p), with m_k = [uniform(key, k) >= p] (autograd/random.hpp).
// backward: dx_k += dy_k * m_k / (1 - p). The mask is a pure function of (key, k): backward
// regenerates exactly the mask the forward used instead of keeping a copy, and no thread
// schedule can change it.
#include "autograd/ops/common.hpp"
#include "autograd/random.hpp"

namespace gatgrad {
using namespace detail;

namespace {

// y[k] = x[k] * scale where kept, 0 where dropped (also used for the gradient).
template <class T>
void apply_mask(const T* x, T* y, int64_t n, double p, uint64_t key) {
  // keep iff the 24-bit uniform >= p: compare integers so float and double agree exactly.
  const uint32_t threshold = static_cast<uint32_t>(p * 16777216.0);
  const T scale = static_cast<T>(1.0 / (1.0 - p));
  parallel_blocks(n, kBlock, [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k)
      y[k] = (hash32(key, static_cast<uint32_t>(k)) >> 8) >= threshold ? x[k] * scale : T(0);
  });
}

}  // namespace

Tensor dropout(const Tensor& x, double p, uint64_t key) {
  if (!(p >= 0.0 && p < 1.0))
    throw Error("dropout: probability " + std::to_string(p) + " is not in [0, 1)");
  if (p == 0.0) return x;
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  dispatch(x.dtype(), [&]<class T>() { apply_mask(x.data<T>(), y.data<T>(), x.numel(), p, key); });
  if (any_requires_grad({&x}))
    record("dropout", y, [x, p, key](const Tensor& dy) {
      Tensor dx = Tensor::empty(x.shape(), x.dtype());
      dispatch(x.dtype(), [&]<class T>() { apply_mask(dy.data<T>(), dx.data<T>(), x.numel(), p, key); });
      accumulate_grad(x, dx);
    });
  return y;
}

}  // namespace gatgrad
