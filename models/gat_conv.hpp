/// @file
/// GATConv: the graph attention layer of Veličković et al. (2018), "Graph Attention Networks".
///
///   h ∈ ℝ^{N×F} node features, W ∈ ℝ^{F'×F} per head, a ∈ ℝ^{2F'} per head, N_i the neighbours of
///   i (i included when the graph has its self-loops), K heads:
///     e_ij   = LeakyReLU(aᵀ [W h_i ‖ W h_j] (+ a_edgeᵀ W_e x_ij))   attention logit of edge j -> i
///     α_ij   = softmax_j(e_ij) = exp(e_ij) / Σ_{k∈N_i} exp(e_ik)
///     h'^k_i = Σ_{j∈N_i} α_ij W h_j                            head k
///     hidden layers: h'_i = σ(‖_{k=1..K} h'^k_i + b) (concat)  — output layer: h'_i = σ(1/K Σ_k h'^k_i + b) (mean)
///     σ = ELU with the option elu (GAT's hidden layer), else the identity. forward() adds b and
///     applies σ inside the fused gat_attention when it can (heads concatenated or one head, no
///     residual), else in AttentionLayer::finish
///
/// Parameters (their names and layouts are what checkpoints hold):
///   weight [in, K·F']   the paper's Wᵀ for all heads side by side: x · weight = W h for every
///                       node; column k·F' + f is feature f of head k
///   att    [K, 2·F']    the paper's a per head: the first F' entries multiply W h_i (the node
///                       receiving the message), the last F' entries multiply W h_j (the neighbour)
///   bias   [K·F'] (concat) or [F'] (mean)
///   with edge features x_ij ∈ ℝ^D (edge_dim = D; PyG's edge_dim, lin_edge and att_edge):
///   edge_weight [D, K·F']  W_eᵀ for all heads side by side, as weight is for the nodes
///   att_edge    [K, F']    a_edge per head
#pragma once
#include "models/attention_layer.hpp"

namespace gatgrad {

class GATConv : public AttentionLayer {
 public:
  explicit GATConv(const AttentionLayerOptions& o);

  using AttentionLayer::forward;
  Tensor forward(const InputFeatures& x, const Graph& g, const Tensor& edge_attr,
                 AttentionOut* attention = nullptr) override;

  /// The same layer written op by op from the paper's equations (gather, leaky_relu,
  /// segment_softmax, dropout, aggregate). forward() runs the fused kernel that equals it.
  Tensor forward_composed(const InputFeatures& x, const Graph& g, const Tensor& edge_attr = Tensor(),
                          AttentionOut* attention = nullptr);

  const Tensor& weight() const { return weight_; }
  const Tensor& att() const { return att_; }
  const Tensor& edge_weight() const { return edge_weight_; }  ///< undefined without edge features
  const Tensor& att_edge() const { return att_edge_; }

 private:
  Tensor weight_;       ///< [in, K·F']
  Tensor att_;          ///< [K, 2·F']
  Tensor edge_weight_;  ///< [D, K·F'] (edge_dim = D > 0)
  Tensor att_edge_;     ///< [K, F']
};

}  // namespace gatgrad
