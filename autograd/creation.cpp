#include "autograd/creation.hpp"

#include <cmath>

#include "autograd/parallel.hpp"
#include "autograd/random.hpp"

namespace gatgrad {
namespace {

// 53-bit uniform in [0, 1) for element k of the stream `key`.
double u01(uint64_t key, uint64_t k) { return static_cast<double>(hash64(key, k) >> 11) * 0x1.0p-53; }

template <class Gen>
Tensor fill(const Shape& shape, DType dtype, Gen gen) {
  Tensor t = Tensor::empty(shape, dtype);
  dispatch(dtype, [&]<class T>() {
    T* p = t.data<T>();
    parallel_blocks(t.numel(), kBlock, [&](int64_t b, int64_t e) {
      for (int64_t k = b; k < e; ++k) p[k] = static_cast<T>(gen(k));
    });
  });
  return t;
}

}  // namespace

Tensor uniform(const Shape& shape, double lo, double hi, uint64_t seed, DType dtype) {
  const uint64_t key = derive_key(seed, 1);
  return fill(shape, dtype, [&](int64_t k) { return lo + (hi - lo) * u01(key, static_cast<uint64_t>(k)); });
}

Tensor normal(const Shape& shape, double mean, double stddev, uint64_t seed, DType dtype) {
  const uint64_t key = derive_key(seed, 2);
  return fill(shape, dtype, [&](int64_t k) {
    const double u1 = 1.0 - u01(key, 2 * static_cast<uint64_t>(k));  // (0, 1]
    const double u2 = u01(key, 2 * static_cast<uint64_t>(k) + 1);
    return mean + stddev * std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  });
}

Tensor uniform_away_from_zero(const Shape& shape, double min_abs, uint64_t seed, DType dtype) {
  const uint64_t key = derive_key(seed, 3);
  return fill(shape, dtype, [&](int64_t k) {
    const double u = u01(key, static_cast<uint64_t>(k)) * 2.0 - 1.0;  // [-1, 1)
    const double mag = min_abs + (1.0 - min_abs) * std::abs(u);
    return u < 0 ? -mag : mag;
  });
}

}  // namespace gatgrad
