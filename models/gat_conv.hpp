/// @file
/// GATConv: the graph attention layer of Veličković et al. (2018), "Graph Attention Networks".
///
///   h ∈ ℝ^{N×F} node features, W ∈ ℝ^{F'×F} per head, a ∈ ℝ^{2F'} per head, N_i the neighbours of
///   i (i included when the graph has its self-loops), K heads:
///     e_ij   = LeakyReLU(aᵀ [W h_i ‖ W h_j])                 attention logit of edge j -> i
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
#pragma once
#include "models/attention_layer.hpp"

namespace gatgrad {

class GATConv : public AttentionLayer {
 public:
  explicit GATConv(const AttentionLayerOptions& o);

  Tensor forward(const InputFeatures& x, const Graph& g, AttentionOut* attention = nullptr) override;

  /// The same layer written op by op from the paper's equations (gather, leaky_relu,
  /// segment_softmax, dropout, aggregate). forward() runs the fused kernel that equals it.
  Tensor forward_composed(const InputFeatures& x, const Graph& g, AttentionOut* attention = nullptr);

  const Tensor& weight() const { return weight_; }
  const Tensor& att() const { return att_; }

 private:
  Tensor weight_;  ///< [in, K·F']
  Tensor att_;     ///< [K, 2·F']
};

}  // namespace gatgrad
