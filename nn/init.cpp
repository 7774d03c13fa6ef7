#include "nn/init.hpp"

#include <cmath>

#include "autograd/creation.hpp"

namespace gatgrad::nn {

Fans glorot_fans(const Shape& shape) {
  const int n = shape.size();
  if (n < 2)
    throw Error("glorot_uniform: needs a matrix (rank >= 2) to define fan_in and fan_out, got shape " + shape.str());
  return {shape[n - 2], shape[n - 1]};
}

double glorot_limit(const Shape& shape) {
  const Fans f = glorot_fans(shape);
  if (f.fan_in + f.fan_out == 0) return 0.0;  // an empty tensor: nothing to fill
  return std::sqrt(6.0 / static_cast<double>(f.fan_in + f.fan_out));
}

void glorot_uniform(const Tensor& t, uint64_t seed) {
  const double limit = glorot_limit(t.shape());
  t.copy_from(uniform(t.shape(), -limit, limit, seed, t.dtype()));
}

void zeros(const Tensor& t) { constant(t, 0.0); }

void constant(const Tensor& t, double value) { t.copy_from(Tensor::full(t.shape(), value, t.dtype())); }

}  // namespace gatgrad::nn
