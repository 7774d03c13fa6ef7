/// @file
/// GATv2Conv: Brody, Alon & Yahav (2022), "How Attentive are Graph Attention Networks?".
/// GAT's logit aᵀ[W h_i ‖ W h_j] is a sum of a term in i and a term in j, so every node ranks its
/// neighbours the same way ("static" attention). GATv2 applies the nonlinearity before a:
///     e_ij = aᵀ LeakyReLU(W_dst h_i + W_src h_j)        (= aᵀ LeakyReLU(W [h_i ‖ h_j]), W = [W_dst | W_src])
///     α_ij = softmax_j(e_ij),      h'_i = Σ_{j∈N_i} α_ij W_src h_j
/// Parameters: weight_src, weight_dst [in, K·F'] (one `weight` when share_weights), att [K, F'],
/// bias as in GATConv. The logit needs W_dst h_i + W_src h_j per edge: an [E, K, F'] tensor.
#pragma once
#include "models/attention_layer.hpp"

namespace gatgrad {

class GATv2Conv : public AttentionLayer {
 public:
  explicit GATv2Conv(const AttentionLayerOptions& o);

  Tensor forward(const InputFeatures& x, const Graph& g, AttentionOut* attention = nullptr) override;

  const Tensor& weight_src() const { return weight_src_; }
  const Tensor& weight_dst() const { return weight_dst_; }  ///< the same tensor when shared
  const Tensor& att() const { return att_; }

 private:
  Tensor weight_src_, weight_dst_;  ///< [in, K·F']
  Tensor att_;                      ///< [K, F']
};

}  // namespace gatgrad
