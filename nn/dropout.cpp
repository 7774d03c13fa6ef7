#include "nn/dropout.hpp"

#include "autograd/ops.hpp"
#include "autograd/random.hpp"

namespace gatgrad::nn {

Dropout::Dropout(double p, uint64_t seed) : p_(p), seed_(seed) {
  if (!(p >= 0.0 && p < 1.0)) throw Error("Dropout: probability " + std::to_string(p) + " is not in [0, 1)");
  register_counter("counter", &counter_);
}

Tensor Dropout::forward(const Tensor& x) {
  if (!is_training()) return x;
  // Every training forward uses the next stream position, even with p == 0, so the counter
  // counts training steps the same way whatever p is.
  const uint64_t key = derive_key(seed_, counter_++);
  return dropout(x, p_, key);
}

}  // namespace gatgrad::nn
