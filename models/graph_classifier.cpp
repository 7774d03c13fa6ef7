#include "models/graph_classifier.hpp"

#include "autograd/ops.hpp"
#include "autograd/random.hpp"
#include "graph/readout.hpp"
#include "models/gat_conv.hpp"
#include "models/gatv2_conv.hpp"

namespace gatgrad {

GraphClassifier::GraphClassifier(const GATConfig& c, DType dtype) : config_(c) {
  c.validate();
  const int64_t width = c.heads * c.hidden;  // K·F'
  for (int64_t k = 0; k < c.layers; ++k) {
    AttentionLayerOptions o;
    o.in_features = k == 0 ? c.in_features : width;
    o.out_features = c.hidden;
    o.heads = c.heads;
    o.concat = true;  // every layer is a hidden one: the MLP makes the classes
    o.elu = true;
    o.negative_slope = c.negative_slope;
    o.dropout = c.dropout;
    o.attn_dropout = c.attn_dropout;
    o.residual = c.residual;
    o.share_weights = c.share_weights;
    o.edge_dim = c.edge_dim;
    o.seed = derive_key(c.seed, static_cast<uint64_t>(11 + k));  // GAT's layer seeds
    o.dtype = dtype;
    std::shared_ptr<AttentionLayer> layer;
    if (c.model == "gatv2") layer = std::make_shared<GATv2Conv>(o);
    else layer = std::make_shared<GATConv>(o);
    layers_.push_back(register_module("conv" + std::to_string(k + 1), layer));
  }
  if (c.readout == "attention")
    gate_ = register_module("gate", std::make_shared<nn::Linear>(width, 1, true, derive_key(c.seed, 40), dtype));
  mlp1_ = register_module("mlp1", std::make_shared<nn::Linear>(width, c.mlp_hidden, true, derive_key(c.seed, 41), dtype));
  mlp2_ = register_module("mlp2",
                          std::make_shared<nn::Linear>(c.mlp_hidden, c.num_classes, true, derive_key(c.seed, 42), dtype));
}

Tensor GraphClassifier::embed(const InputFeatures& x, const Graph& g, const Tensor& edge_attr) {
  if (config_.add_self_loops && !g.has_one_self_loop_per_node())
    throw Error("GraphClassifier: the model attends over self-loops (add_self_loops), but the graph of " +
                std::to_string(g.num_dst_nodes()) + " nodes does not have one self-loop at every node: use " +
                "g.add_self_loops()");
  InputFeatures h = x;
  Tensor out;
  for (const auto& layer : layers_) {
    out = (*layer)(h, g, edge_attr);  // ELU(‖_k Σ_j α_ij W h_j)   [N, K·F']
    h = InputFeatures(out);
  }
  return out;
}

Tensor GraphClassifier::forward(const InputFeatures& x, const Graph& g, const Tensor& edge_attr,
                                const std::vector<int32_t>& batch, int64_t num_graphs) {
  const Tensor h = embed(x, g, edge_attr);  // [N, K·F']
  Tensor r;                                 // [G, K·F']
  if (config_.readout == "sum") r = global_add_pool(h, batch, num_graphs);
  else if (config_.readout == "max") r = global_max_pool(h, batch, num_graphs);
  else if (config_.readout == "attention") r = attention_pool(h, gate_->forward(h), batch, num_graphs);
  else r = global_mean_pool(h, batch, num_graphs);
  return mlp2_->forward(relu(mlp1_->forward(r)));  // [G, C]
}

void GraphClassifier::set_dropout_position(uint64_t position) {
  for (size_t k = 0; k < layers_.size(); ++k) set_counter("conv" + std::to_string(k + 1) + ".rng_counter", position);
}

}  // namespace gatgrad
