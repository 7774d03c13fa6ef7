/// @file
/// AttentionLayer: what GATConv and GATv2Conv have in common, so a model can hold either.
/// One virtual call per layer and forward; nothing virtual runs per node or edge.
#pragma once
#include <cstdint>

#include "graph/graph.hpp"
#include "models/input_features.hpp"
#include "models/presets.hpp"
#include "nn/module.hpp"

namespace gatgrad {

/// The attention coefficients a layer used, for inspection: alpha [E, H] over the edges of
/// `graph` (the graph the layer was given, self-loops included when it has them), before dropout.
struct AttentionOut {
  Tensor alpha;
  Graph graph;
};

/// Options shared by GATConv and GATv2Conv (the names follow PyG's GATConv / GATv2Conv). GAT fills them
/// from its GATConfig; the defaults here are a single layer's.
struct AttentionLayerOptions {
  int64_t in_features = 0;
  int64_t out_features = 0;      ///< F' per head
  int64_t heads = 1;             ///< K
  bool concat = true;            ///< hidden layers concatenate heads [N, K·F']; the last averages [N, F']
  double negative_slope = GATConfig{}.negative_slope;  ///< of the LeakyReLU in the attention logits (the model's)
  double dropout = 0.0;          ///< on the layer's input features, in training
  double attn_dropout = 0.0;     ///< on α, in training
  bool bias = true;              ///< added after aggregation
  bool residual = false;         ///< add x · residual_weight to the output
  bool elu = false;              ///< then σ = ELU (α = 1) on the output (GAT's hidden layer)
  bool share_weights = false;    ///< GATv2 only: one W for both sides
  int64_t edge_dim = 0;          ///< D of the edge features in the logits (PyG's edge_dim); 0: none
  uint64_t seed = 0;             ///< initial values and dropout masks
  DType dtype = DType::f32;
};

class AttentionLayer : public nn::Module {
 public:
  explicit AttentionLayer(const AttentionLayerOptions& o);

  /// x [N, in] -> [N, heads·out] (concat) or [N, out] (mean), attending over the edges of g as
  /// given: for the paper's N_i ∋ i, g holds one self-loop per node (Graph::add_self_loops(),
  /// added once for a whole model by prepare_node_data). The layer never copies g.
  /// On a bipartite block (graph/block.hpp: S sources, the first D of them the destinations)
  /// x is x_src [S, in] and the output is [D, ...]; x_dst is the first D rows of x_src (PyG's
  /// (x_src, x_dst) with x_dst = x_src[:D]), so a_1ᵀ W h_i reads destination rows and a_2ᵀ W h_j
  /// source rows. A square graph is the block S = D = N, with the same bits.
  /// With edge_dim > 0, edge_attr [E, edge_dim] holds the features of g's edges in g's edge order,
  /// the self-loops' included (NodeData::edge_attr); without, it is undefined. Error otherwise.
  virtual Tensor forward(const InputFeatures& x, const Graph& g, const Tensor& edge_attr,
                         AttentionOut* attention = nullptr) = 0;
  Tensor forward(const InputFeatures& x, const Graph& g, AttentionOut* attention = nullptr) {
    return forward(x, g, Tensor(), attention);
  }
  Tensor operator()(const InputFeatures& x, const Graph& g, const Tensor& edge_attr, AttentionOut* attention = nullptr) {
    return forward(x, g, edge_attr, attention);
  }
  Tensor operator()(const InputFeatures& x, const Graph& g, AttentionOut* attention = nullptr) {
    return forward(x, g, Tensor(), attention);
  }

  const AttentionLayerOptions& options() const { return opt_; }
  int64_t output_width() const { return opt_.concat ? opt_.heads * opt_.out_features : opt_.out_features; }

 protected:
  /// Two fresh dropout keys (input features, attention) per training forward; the counter is
  /// module state, so a resumed run draws the same masks.
  void next_keys(uint64_t& key_input, uint64_t& key_attention);
  /// out [D, H, F'] -> concat [D, H·F'] or mean [D, F'], then + bias, + x_dst · residual_weight,
  /// ELU (x_dst = the first D rows of x); with epilogue_done, out already holds the bias and the
  /// ELU (and there is no residual).
  Tensor finish(const Tensor& out, const InputFeatures& x, bool epilogue_done = false);
  /// Throws Error unless x has one row per source node of g, and edge_attr is [E, edge_dim] of the
  /// layer's dtype when the layer has edge features and undefined when it has none.
  void check_inputs(const char* layer, const InputFeatures& x, const Graph& g, const Tensor& edge_attr) const;

  AttentionLayerOptions opt_;
  Tensor bias_;             ///< [H·F'] (concat) or [F'] (mean); undefined without bias
  Tensor residual_weight_;  ///< [in, H·F'] or [in, F']; undefined without residual
  uint64_t rng_counter_ = 0;
};

}  // namespace gatgrad
