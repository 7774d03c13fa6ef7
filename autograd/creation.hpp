/// @file
/// Tensors filled with seeded random values (counter-based: the same seed gives the same values
/// on any thread count). Used by initialisers, gradient checks and tests.
#pragma once
#include <cstdint>

#include "autograd/tensor.hpp"

namespace gatgrad {

/// Uniform in [lo, hi).
Tensor uniform(const Shape& shape, double lo, double hi, uint64_t seed, DType dtype = DType::f32);
/// Normal with the given mean and standard deviation (Box-Muller on counter-based uniforms).
Tensor normal(const Shape& shape, double mean, double stddev, uint64_t seed, DType dtype = DType::f32);
/// Uniform in ±[min_abs, 1): values kept away from 0, for checks of ops with a kink at 0.
Tensor uniform_away_from_zero(const Shape& shape, double min_abs, uint64_t seed, DType dtype = DType::f64);

}  // namespace gatgrad
