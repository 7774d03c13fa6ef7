/// @file
/// GraphClassifier: a GAT encoder, a readout and an MLP, one class per graph (PyG's
/// graph-classification models: GATConv layers, global_*_pool or AttentionalAggregation, MLP;
/// DGL's GATConv + GlobalAttentionPooling / AvgPooling). For a batch of G graphs of N nodes in
/// all, batch[i] in [0, G) node i's graph:
///   h_1    = ELU(conv1(dropout(x), g))         K heads × F' features, concatenated   [N, K·F']
///   h_k    = ELU(conv_k(dropout(h_{k-1}), g))  k = 2 .. L                             [N, K·F']
///   r      = readout(h_L, batch)               mean, sum, max or attention           [G, K·F']
///            attention: gate s_i = h_L[i] · w_gate + b_gate (module "gate", a Linear K·F' -> 1),
///            α_i = softmax of s over graph batch[i]'s nodes, r_g = Σ_i α_i h_L[i]
///   logits = mlp2(ReLU(mlp1(r)))               MLP K·F' -> mlp_hidden -> C             [G, C]
/// Hyper-parameters are GATConfig's (models/presets.hpp): layers, heads, hidden, dropout,
/// attn_dropout, residual, edge_dim, readout, mlp_hidden; out_heads is not used. Modules:
/// conv1 .. convL, gate (attention readout only), mlp1, mlp2 (their checkpoint names).
#pragma once
#include <memory>
#include <vector>

#include "models/attention_layer.hpp"
#include "models/presets.hpp"
#include "nn/linear.hpp"

namespace gatgrad {

class GraphClassifier : public nn::Module {
 public:
  explicit GraphClassifier(const GATConfig& config, DType dtype = DType::f32);

  /// x [N, F], g over the N nodes (one self-loop per node when add_self_loops: Error otherwise),
  /// edge_attr [E, edge_dim] in g's order (undefined without edge features), batch [N] in
  /// [0, num_graphs) -> logits [num_graphs, C].
  Tensor forward(const InputFeatures& x, const Graph& g, const Tensor& edge_attr, const std::vector<int32_t>& batch,
                 int64_t num_graphs);
  /// The node embeddings h_L [N, K·F'] (the encoder alone).
  Tensor embed(const InputFeatures& x, const Graph& g, const Tensor& edge_attr);

  /// Where the dropout masks are drawn from (GAT::set_dropout_position's contract).
  void set_dropout_position(uint64_t position);

  const GATConfig& config() const { return config_; }

 private:
  GATConfig config_;
  std::vector<std::shared_ptr<AttentionLayer>> layers_;
  std::shared_ptr<nn::Linear> gate_, mlp1_, mlp2_;
};

}  // namespace gatgrad
