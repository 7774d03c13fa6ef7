/// @file
/// Initialisers: overwrite a tensor's values in place (no tape), deterministically. Random ones
/// draw from autograd/creation.hpp's counter-based generator, so the same seed gives the same
/// values on any thread count and machine.
#pragma once
#include <cstdint>

#include "autograd/tensor.hpp"

namespace gatgrad::nn {

/// The fans Glorot uses. Weights are stored [in, out] and applied as x · W, so for a matrix
/// fan_in = rows and fan_out = cols. For rank >= 3 the last two axes are the matrix and the
/// leading axes a batch of them (an attention vector [1, H, F] gets H + F, as PyG does);
/// rank 0 and 1 are rejected (Glorot is defined for matrices).
struct Fans {
  int64_t fan_in = 0;
  int64_t fan_out = 0;
};
Fans glorot_fans(const Shape& shape);

/// limit = sqrt(6 / (fan_in + fan_out)); values uniform in [-limit, limit).
double glorot_limit(const Shape& shape);
void glorot_uniform(const Tensor& t, uint64_t seed);

void zeros(const Tensor& t);
void constant(const Tensor& t, double value);

}  // namespace gatgrad::nn
