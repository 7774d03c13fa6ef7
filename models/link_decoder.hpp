/// @file
/// LinkDecoder: the score (a logit) of node pairs from the encoder's node embeddings h [N, D].
///   dot: s_k = <h_u, h_v>                                  PyG examples/link_pred.py's decode,
///        DGL's DotPredictor (u_dot_v); no parameters
///   mlp: s_k = w_2ᵀ ReLU(W_1 (h_u ⊙ h_v) + b_1) + b_2       PyG's LinkPredictor (examples/ogbl),
///        DGL's MLPPredictor on h_u * h_v; W_1 [D, hidden], w_2 [hidden, 1]
/// The pair ops (pair_dot, pair_mul) are graph/pair_scores.hpp's. A link model is the GAT
/// encoder and this decoder side by side (train/link_model.hpp).
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "graph/pair_scores.hpp"
#include "nn/linear.hpp"
#include "nn/module.hpp"

namespace gatgrad {

class LinkDecoder : public nn::Module {
 public:
  /// kind "dot" or "mlp" (UsageError otherwise); dim = D, hidden the MLP's width.
  LinkDecoder(const std::string& kind, int64_t dim, int64_t hidden, uint64_t seed, DType dtype = DType::f32);
  /// h [N, D], P pairs -> logits [P].
  Tensor forward(const Tensor& h, const NodePairs& pairs) const;
  const std::string& kind() const { return kind_; }

 private:
  std::string kind_;
  std::shared_ptr<nn::Linear> fc1_, fc2_;  ///< the MLP's layers (null for dot)
};

}  // namespace gatgrad
