// LinkDecoder (models/link_decoder.hpp).
#include "models/link_decoder.hpp"

#include "autograd/error.hpp"
#include "autograd/ops.hpp"

namespace gatgrad {

LinkDecoder::LinkDecoder(const std::string& kind, int64_t dim, int64_t hidden, uint64_t seed, DType dtype)
    : kind_(kind) {
  if (kind == "mlp") {
    if (dim < 1 || hidden < 1)
      throw UsageError("link decoder: mlp needs a positive dimension and width, got " + std::to_string(dim) +
                       " and " + std::to_string(hidden));
    fc1_ = register_module("fc1", std::make_shared<nn::Linear>(dim, hidden, true, seed * 2 + 1, dtype));
    fc2_ = register_module("fc2", std::make_shared<nn::Linear>(hidden, 1, true, seed * 2 + 2, dtype));
  } else if (kind != "dot") {
    throw UsageError("link decoder: '" + kind + "' is not one of dot, mlp");
  }
}

Tensor LinkDecoder::forward(const Tensor& h, const NodePairs& pairs) const {
  if (!fc1_) return pair_dot(h, pairs);                      // <h_u, h_v>          [P]
  const Tensor hidden = relu(fc1_->forward(pair_mul(h, pairs)));  // ReLU(W_1 (h_u ⊙ h_v) + b_1)  [P, hidden]
  return reshape(fc2_->forward(hidden), {pairs.size()});     // w_2ᵀ · + b_2       [P]
}

}  // namespace gatgrad
