// Gradient checks of whole layers and of the 2- and 3-layer models, in float64, on a small random
// graph (with its self-loops) with an isolated node, a duplicate edge and a degree-1 node, and
// of the layers on a bipartite block (graph/block.hpp). Dropout is on (fixed keys
// make it deterministic), so its backward is checked too.
#include "models/checks.hpp"

#include "autograd/creation.hpp"
#include "autograd/gradcheck.hpp"
#include "autograd/ops.hpp"
#include "models/gat.hpp"
#include "models/gat_conv.hpp"
#include "models/gatv2_conv.hpp"
#include "models/input_features.hpp"

namespace gatgrad {

namespace {

Graph small_graph() {
  // 7 nodes; node 6 has no edge but its self-loop; 0->1 appears twice; node 5 receives one edge.
  std::vector<int32_t> src = {0, 0, 1, 2, 3, 3, 4, 1, 2, 0, 2};
  std::vector<int32_t> dst = {1, 1, 2, 1, 0, 4, 3, 0, 3, 2, 5};
  return Graph::from_edges(src, dst, 7).add_self_loops();  // what GAT's layers attend over
}

// A block: 7 sources, the first 4 of them the destinations; sources 4..6 only send, destination
// 3 receives only its self-loop, 0 -> 1 appears twice.
Graph small_block() {
  std::vector<int32_t> src = {0, 0, 4, 5, 2, 6, 1, 5, 4};
  std::vector<int32_t> dst = {1, 1, 1, 0, 0, 2, 2, 2, 0};
  return Graph::from_bipartite_edges(src, dst, 7, 4).add_self_loops();
}

AttentionLayerOptions layer_options(bool concat) {
  AttentionLayerOptions o;
  o.in_features = 5;
  o.out_features = 3;
  o.heads = 2;
  o.concat = concat;
  o.dropout = 0.3;
  o.attn_dropout = 0.3;
  o.residual = true;
  o.seed = 7;
  o.dtype = DType::f64;
  return o;
}

// Checks d/dx and d/dparameters of layer(x, g), with parameters as gradcheck inputs; x has one
// row per source node of g. With o.edge_dim > 0, edge features [E, edge_dim] are the second
// input (their gradient checked too).
template <class Layer>
GradcheckResult check_layer(const AttentionLayerOptions& o, const Graph& g = small_graph()) {
  auto layer = std::make_shared<Layer>(o);
  Tensor x = uniform({g.num_src_nodes(), 5}, -1, 1, 21, DType::f64).requires_grad_();
  std::vector<Tensor> inputs = {x};
  const bool edges = o.edge_dim > 0;
  if (edges) inputs.push_back(uniform({g.num_edges(), o.edge_dim}, -1, 1, 22, DType::f64).requires_grad_());
  for (const Tensor& p : layer->parameters()) {
    // Random (not zero) biases, so their gradient path is exercised with real values.
    p.copy_from(uniform(p.shape(), -0.5, 0.5, 33 + inputs.size(), DType::f64));
    inputs.push_back(p);
  }
  return gradcheck(
      [layer, g, edges](const std::vector<Tensor>& in) {
        layer->set_counter("rng_counter", 0);  // the same dropout masks on every evaluation
        return layer->forward(in[0], g, edges ? in[1] : Tensor());
      },
      inputs);
}

// d/dx and d/dparameters of an L-layer GAT on small_graph (dropout on, the masks of position 0).
GradcheckResult check_model(int64_t layers, bool residual) {
  GATConfig c;
  c.in_features = 5;
  c.num_classes = 3;
  c.layers = layers;
  c.hidden = 2;
  c.heads = 2;
  c.out_heads = 2;
  c.dropout = 0.2;
  c.attn_dropout = 0.2;
  c.residual = residual;
  auto model = std::make_shared<GAT>(c, DType::f64);
  Graph g = small_graph();
  std::vector<Tensor> inputs = {uniform({7, 5}, -1, 1, 5, DType::f64).requires_grad_()};
  for (const Tensor& p : model->parameters()) inputs.push_back(p);
  return gradcheck(
      [model, g](const std::vector<Tensor>& in) {
        model->set_dropout_position(0);
        return model->forward(in[0], g);
      },
      inputs);
}

}  // namespace

void register_models_checks(CheckRegistry& r) {
  r.add("gat_conv", [] { return check_layer<GATConv>(layer_options(true)); });
  r.add("gat_conv:mean", [] { return check_layer<GATConv>(layer_options(false)); });
  r.add("gat_conv:elu", [] {  // bias and ELU fused into gat_attention (GAT's hidden layer)
    AttentionLayerOptions o = layer_options(true);
    o.elu = true;
    return check_layer<GATConv>(o);
  });
  r.add("gatv2_conv:elu", [] {  // ... and after it, in finish
    AttentionLayerOptions o = layer_options(true);
    o.elu = true;
    return check_layer<GATv2Conv>(o);
  });
  r.add("gatv2_conv", [] { return check_layer<GATv2Conv>(layer_options(true)); });
  // On a block: x_src [7, 5] -> [4, ...], x_dst = the first 4 rows (residual, W_dst h_i)
  r.add("gat_conv:bipartite", [] { return check_layer<GATConv>(layer_options(true), small_block()); });
  r.add("gat_conv:bipartite_elu", [] {  // the fused epilogue over destination rows only
    AttentionLayerOptions o = layer_options(true);
    o.elu = true;
    o.residual = false;
    return check_layer<GATConv>(o, small_block());
  });
  r.add("gatv2_conv:bipartite", [] { return check_layer<GATv2Conv>(layer_options(true), small_block()); });
  r.add("gatv2_conv:bipartite_shared", [] {
    AttentionLayerOptions o = layer_options(false);
    o.share_weights = true;
    return check_layer<GATv2Conv>(o, small_block());
  });
  r.add("gatv2_conv:shared", [] {
    AttentionLayerOptions o = layer_options(false);
    o.share_weights = true;
    return check_layer<GATv2Conv>(o);
  });
  // Edge features in the logits: GAT's a_edgeᵀ W_e x_ij inside the fused op (two heads, then one
  // head of 3 features: its kernel of its own), GATv2's W_e x_ij inside the LeakyReLU.
  r.add("gat_conv:edge", [] {
    AttentionLayerOptions o = layer_options(true);
    o.edge_dim = 4;
    o.elu = true;
    o.residual = false;
    return check_layer<GATConv>(o);
  });
  r.add("gat_conv:edge_one_head", [] {
    AttentionLayerOptions o = layer_options(false);
    o.edge_dim = 2;
    o.heads = 1;
    return check_layer<GATConv>(o);
  });
  r.add("gatv2_conv:edge", [] {
    AttentionLayerOptions o = layer_options(true);
    o.edge_dim = 4;
    return check_layer<GATv2Conv>(o);
  });
  r.add("dropout_matmul:constant_input", [] {  // input features: dropout(x) drawn again in the backward
    const Tensor x = uniform({6, 5}, -1, 1, 51, DType::f64);
    return gradcheck([x](const std::vector<Tensor>& in) { return dropout_matmul(InputFeatures(x), in[0], 0.4, 17); },
                     {uniform({5, 4}, -1, 1, 52, DType::f64).requires_grad_()});
  });
  r.add("gat:model", [] { return check_model(2, false); });
  // PPI's shape: two hidden layers, the middle one reading concatenated heads, skips everywhere
  r.add("gat:three_layers_residual", [] { return check_model(3, true); });
}

}  // namespace gatgrad
