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
  AttentionLayerOptions o1;
  o1.in_features = c.in_features;
  o1.out_features = c.hidden;
  o1.heads = c.heads;
  o1.concat = true;
  o1.negative_slope = c.negative_slope;
  o1.dropout = c.dropout;
  o1.attn_dropout = c.attn_dropout;
  o1.residual = c.residual;
  o1.share_weights = c.share_weights;
  o1.edge_dim = c.edge_dim;  // both layers read the edge features, as PyG's GATConv(edge_dim=D) layers do
  o1.seed = derive_key(c.seed, 11);
  o1.dtype = dtype;
  o1.elu = true;  // σ of the hidden layer (the output layer's logits go to the loss as they are)
  AttentionLayerOptions o2 = o1;
  o2.elu = false;
  o2.in_features = c.heads * c.hidden;
  o2.out_features = c.num_classes;
  o2.heads = c.out_heads;
  o2.concat = false;
  o2.seed = derive_key(c.seed, 12);
  conv1_ = register_module("conv1", make_layer(c.model, o1));
  conv2_ = register_module("conv2", make_layer(c.model, o2));
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
  AttentionOut a1, a2;
  Tensor h1 = (*conv1_)(x, g, edge_attr, attention ? &a1 : nullptr);       // σ = ELU on the concatenated heads (o1.elu)
  Tensor logits = (*conv2_)(h1, g, edge_attr, attention ? &a2 : nullptr);  // averaged heads, no σ: logits
  if (attention) *attention = {a1, a2};
  return logits;
}

Tensor GAT::forward(const InputFeatures& x, std::span<const Block> blocks) {
  if (blocks.size() != 2)
    throw Error("GAT: a mini-batch of a 2-layer model has 2 blocks, got " + std::to_string(blocks.size()));
  if (blocks[0].num_dst_nodes() != blocks[1].num_src_nodes())
    throw Error("GAT: block 0 has " + std::to_string(blocks[0].num_dst_nodes()) + " destinations but block 1 " +
                std::to_string(blocks[1].num_src_nodes()) + " sources (they must be the same nodes)");
  for (size_t k = 0; k < blocks.size(); ++k)
    if (config_.add_self_loops && !blocks[k].graph.has_one_self_loop_per_node())
      throw Error("GAT: the model attends over self-loops (add_self_loops), but block " + std::to_string(k) +
                  " does not have one self-loop per destination: use Block::add_self_loops()");
  Tensor h1 = (*conv1_)(x, blocks[0].graph);   // [D_0, K·F'] = the sources of block 1
  return (*conv2_)(h1, blocks[1].graph);       // [D_1, C]
}

void GAT::set_dropout_position(uint64_t position) {
  set_counter("conv1.rng_counter", position);
  set_counter("conv2.rng_counter", position);
}

}  // namespace gatgrad
