/// @file
/// Linear: y = x · W + b, the weight stored [in, out] (the layout of the GAT layers, so a
/// checkpoint's weight.npy reads as the matrix the paper multiplies by).
///   x [..., in] -> y [..., out]; W [in, out] Glorot-uniform; b [out] zeros (optional).
#pragma once
#include <cstdint>

#include "nn/module.hpp"

namespace gatgrad::nn {

class Linear : public Module {
 public:
  /// Parameters "weight" and (when bias) "bias", of the given dtype; the weight's values are a
  /// pure function of `seed`.
  Linear(int64_t in_features, int64_t out_features, bool bias = true, uint64_t seed = 0,
         DType dtype = DType::f32);

  Tensor forward(const Tensor& x) const;
  Tensor operator()(const Tensor& x) const { return forward(x); }

  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }  ///< undefined when built without bias
  int64_t in_features() const { return in_; }
  int64_t out_features() const { return out_; }

 private:
  int64_t in_, out_;
  Tensor weight_;  ///< [in, out]
  Tensor bias_;    ///< [out]
};

}  // namespace gatgrad::nn
