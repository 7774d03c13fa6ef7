/// @file
/// Activation modules, for models that keep their pieces as named members. Each forwards to the
/// engine's op (autograd/ops.hpp); they hold no parameters.
#pragma once
#include "autograd/ops.hpp"
#include "nn/module.hpp"

namespace gatgrad::nn {

class ReLU : public Module {
 public:
  Tensor forward(const Tensor& x) const { return relu(x); }
  Tensor operator()(const Tensor& x) const { return forward(x); }
};

/// elu(x) = x for x > 0, alpha (e^x - 1) otherwise (the GAT paper's hidden activation).
class ELU : public Module {
 public:
  explicit ELU(double alpha = 1.0) : alpha_(alpha) {}
  Tensor forward(const Tensor& x) const { return elu(x, alpha_); }
  Tensor operator()(const Tensor& x) const { return forward(x); }
  double alpha() const { return alpha_; }

 private:
  double alpha_;
};

/// leaky_relu(x) = x for x > 0, slope x otherwise (GAT's attention logits use slope 0.2).
class LeakyReLU : public Module {
 public:
  explicit LeakyReLU(double negative_slope = 0.01) : slope_(negative_slope) {}
  Tensor forward(const Tensor& x) const { return leaky_relu(x, slope_); }
  Tensor operator()(const Tensor& x) const { return forward(x); }
  double negative_slope() const { return slope_; }

 private:
  double slope_;
};

}  // namespace gatgrad::nn
