/// @file
/// GATv2Conv: Brody, Alon & Yahav (2022), "How Attentive are Graph Attention Networks?".
/// GAT's logit aᵀ[W h_i ‖ W h_j] is a sum of a term in i and a term in j, so every node ranks its
/// neighbours the same way ("static" attention). GATv2 applies the nonlinearity before a:
///     e_ij = aᵀ LeakyReLU(W_dst h_i + W_src h_j (+ W_e x_ij))   (= aᵀ LeakyReLU(W [h_i ‖ h_j]), W = [W_dst | W_src])
///     α_ij = softmax_j(e_ij),      h'_i = Σ_{j∈N_i} α_ij W_src h_j
/// Parameters: weight_src, weight_dst [in, K·F'] (one `weight` when share_weights), att [K, F'],
/// bias as in GATConv; with edge features x_ij ∈ ℝ^D (edge_dim = D), edge_weight [D, K·F'] = W_eᵀ
/// (PyG's lin_edge), whose W_e x_ij joins the node terms inside the LeakyReLU. The logit needs
/// W_dst h_i + W_src h_j per edge: an [E, K, F'] tensor.
#pragma once
#include "models/attention_layer.hpp"

namespace gatgrad {

class GATv2Conv : public AttentionLayer {
 public:
  explicit GATv2Conv(const AttentionLayerOptions& o);

  using AttentionLayer::forward;
  Tensor forward(const InputFeatures& x, const Graph& g, const Tensor& edge_attr,
                 AttentionOut* attention = nullptr) override;

  const Tensor& weight_src() const { return weight_src_; }
  const Tensor& weight_dst() const { return weight_dst_; }  ///< the same tensor when shared
  const Tensor& att() const { return att_; }
  const Tensor& edge_weight() const { return edge_weight_; }  ///< undefined without edge features

 private:
  Tensor weight_src_, weight_dst_;  ///< [in, K·F']
  Tensor att_;                      ///< [K, F']
  Tensor edge_weight_;              ///< [D, K·F'] (edge_dim = D > 0)
};

}  // namespace gatgrad
