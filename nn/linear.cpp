#include "nn/linear.hpp"

#include "autograd/ops.hpp"
#include "nn/init.hpp"

namespace gatgrad::nn {

Linear::Linear(int64_t in_features, int64_t out_features, bool bias, uint64_t seed, DType dtype)
    : in_(in_features), out_(out_features) {
  if (in_features <= 0 || out_features <= 0)
    throw Error("Linear: features must be positive, got in=" + std::to_string(in_features) +
                " out=" + std::to_string(out_features));
  Tensor w = Tensor::empty({in_, out_}, dtype);
  glorot_uniform(w, seed);  // limit sqrt(6 / (in + out))
  weight_ = register_parameter("weight", w);
  if (bias) bias_ = register_parameter("bias", Tensor::zeros({out_}, dtype));
}

Tensor Linear::forward(const Tensor& x) const {
  if (x.dim() < 1 || x.size(-1) != in_)
    throw Error("Linear: input " + x.describe() + " does not end in " + std::to_string(in_) +
                " features (weight " + weight_.describe() + ")");
  // Any leading axes are rows: [..., in] -> [rows, in] · [in, out] -> [..., out].
  const bool flat = x.dim() != 2;
  Tensor y = matmul(flat ? reshape(x, {-1, in_}) : x, weight_);  // x W        [rows, out]
  if (bias_.defined()) y = y + bias_;                             // + b, broadcast over rows
  if (!flat) return y;
  std::vector<int64_t> extents(x.shape().begin(), x.shape().end());
  extents.back() = out_;
  return reshape(y, extents);
}

}  // namespace gatgrad::nn
