/// @file
/// Dropout as a module: in training, each forward() draws a fresh mask with the engine's
/// dropout(x, p, key), key = derive_key(seed, counter++). The counter is the position in a
/// counter-based stream, independent of threads: read it with counter(), restore it with
/// set_counter() (checkpoints save it as "<name>.counter"), and a resumed run draws exactly
/// the masks the uninterrupted run would have. In eval mode forward() is the identity and the
/// counter does not move.
#pragma once
#include <cstdint>

#include "nn/module.hpp"

namespace gatgrad::nn {

class Dropout : public Module {
 public:
  explicit Dropout(double p, uint64_t seed = 0);

  Tensor forward(const Tensor& x);
  Tensor operator()(const Tensor& x) { return forward(x); }

  double p() const { return p_; }
  uint64_t seed() const { return seed_; }
  uint64_t counter() const { return counter_; }  ///< masks drawn so far
  void set_counter(uint64_t c) { counter_ = c; }

 private:
  double p_;
  uint64_t seed_;
  uint64_t counter_ = 0;
};

}  // namespace gatgrad::nn
