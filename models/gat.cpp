#include "models/gat.hpp"

#include "autograd/ops.hpp"
#include "autograd/random.hpp"
#include "models/gat_conv.hpp"
#include "models/gatv2_conv.hpp"

namespace gatgrad {

namespace {

std::shared_ptr<AttentionLayer> make_layer(const std::string& model, const AttentionLayerOptions& o) {
  if (model == "gatv2") return std::make_shared<GATv2Conv>(o);
  return std::make_shared<GATConv>(o);
}

}  // namespace

GAT::GAT(const GATConfig& c, DType dtype) : config_(c) {
  c.validate();
  for (int64_t k = 0; k < c.layers; ++k) {
    const bool last = k == c.layers - 1;
    AttentionLayerOptions o;
    o.in_features = k == 0 ? c.in_features : c.heads * c.hidden;
    o.out_features = last ? c.num_classes : c.hidden;
    o.heads = last ? c.out_heads : c.heads;
    o.concat = !last;  // hidden layers concatenate their heads, the last averages them
    o.elu = !last;     // σ of a hidden layer (the last layer's logits go to the loss as they are)
    o.negative_slope = c.negative_slope;
    o.dropout = c.dropout;
    o.attn_dropout = c.attn_dropout;
    o.residual = c.residual;
    o.share_weights = c.share_weights;
    o.edge_dim = c.edge_dim;  // every layer reads the edge features, as PyG's GATConv(edge_dim=D) layers do
    o.seed = derive_key(c.seed, static_cast<uint64_t>(11 + k));
    o.dtype = dtype;
    layers_.push_back(register_module("conv" + std::to_string(k + 1), make_layer(c.model, o)));
  }
}

Tensor GAT::forward(const InputFeatures& x, const Graph& g, std::vector<AttentionOut>* attention) {
  return forward(x, g, Tensor(), attention);
}

Tensor GAT::forward(const InputFeatures& x, const Graph& g, const Tensor& edge_attr,
                    std::vector<AttentionOut>* attention) {
  if (config_.add_self_loops && !g.has_one_self_loop_per_node())
    throw Error("GAT: the model attends over self-loops (add_self_loops), but the graph of " +
                std::to_string(g.num_dst_nodes()) + " nodes does not have one self-loop at every node: pass " +
                "prepare_node_data's graph, or g.add_self_loops()");
  if (attention) attention->assign(layers_.size(), AttentionOut{});
  InputFeatures h = x;
  Tensor out;
  for (size_t k = 0; k < layers_.size(); ++k) {
    // hidden layers: ELU on the concatenated heads (o.elu); the last: averaged heads, no σ
    out = (*layers_[k])(h, g, edge_attr, attention ? &(*attention)[k] : nullptr);
    h = InputFeatures(out);
  }
  return out;
}

Tensor GAT::forward(const InputFeatures& x, std::span<const Block> blocks, std::span<const Tensor> edge_attr) {
  const size_t L = layers_.size();
  if (!edge_attr.empty() && edge_attr.size() != blocks.size())
    throw Error("GAT: " + std::to_string(edge_attr.size()) + " edge feature tensors for " +
                std::to_string(blocks.size()) + " blocks (one per block)");
  if (blocks.size() != L)
    throw Error("GAT: a mini-batch of a " + std::to_string(L) + "-layer model has " + std::to_string(L) +
                " blocks, got " + std::to_string(blocks.size()));
  for (size_t k = 0; k + 1 < blocks.size(); ++k)
    if (blocks[k].num_dst_nodes() != blocks[k + 1].num_src_nodes())
      throw Error("GAT: block " + std::to_string(k) + " has " + std::to_string(blocks[k].num_dst_nodes()) +
                  " destinations but block " + std::to_string(k + 1) + " " +
                  std::to_string(blocks[k + 1].num_src_nodes()) + " sources (they must be the same nodes)");
  for (size_t k = 0; k < blocks.size(); ++k)
    if (config_.add_self_loops && !blocks[k].graph.has_one_self_loop_per_node())
      throw Error("GAT: the model attends over self-loops (add_self_loops), but block " + std::to_string(k) +
                  " does not have one self-loop per destination: use Block::add_self_loops()");
  InputFeatures h = x;
  Tensor out;
  for (size_t k = 0; k < L; ++k) {
    out = (*layers_[k])(h, blocks[k].graph, edge_attr.empty() ? Tensor() : edge_attr[k]);  // [D_k, ...] = the sources of block k+1
    h = InputFeatures(out);
  }
  return out;
}

void GAT::set_dropout_position(uint64_t position) {
  for (size_t k = 0; k < layers_.size(); ++k) set_counter("conv" + std::to_string(k + 1) + ".rng_counter", position);
}

}  // namespace gatgrad
