// GATv2Conv forward. Legend: N nodes, E edges of the graph given, K heads, F' per head. On a block,
// S sources and D destinations (the first D sources; square: S = D = N).
#include "models/gatv2_conv.hpp"

#include "autograd/ops.hpp"
#include "autograd/random.hpp"
#include "graph/message_passing.hpp"
#include "nn/init.hpp"

namespace gatgrad {

GATv2Conv::GATv2Conv(const AttentionLayerOptions& o) : AttentionLayer(o) {
  const int64_t k = o.heads, f = o.out_features;
  if (o.share_weights) {
    weight_src_ = weight_dst_ = register_parameter("weight", Tensor::empty({o.in_features, k * f}, o.dtype));
    nn::glorot_uniform(weight_src_, derive_key(o.seed, 1));
  } else {
    weight_src_ = register_parameter("weight_src", Tensor::empty({o.in_features, k * f}, o.dtype));
    weight_dst_ = register_parameter("weight_dst", Tensor::empty({o.in_features, k * f}, o.dtype));
    nn::glorot_uniform(weight_src_, derive_key(o.seed, 1));
    nn::glorot_uniform(weight_dst_, derive_key(o.seed, 4));
  }
  att_ = register_parameter("att", Tensor::empty({k, f}, o.dtype));
  nn::glorot_uniform(att_, derive_key(o.seed, 2));
  if (o.edge_dim > 0) {
    edge_weight_ = register_parameter("edge_weight", Tensor::empty({o.edge_dim, k * f}, o.dtype));
    nn::glorot_uniform(edge_weight_, derive_key(o.seed, 5));
  }
}

Tensor GATv2Conv::forward(const InputFeatures& x, const Graph& g, const Tensor& edge_attr, AttentionOut* attention) {
  check_inputs("GATv2Conv", x, g, edge_attr);
  const int64_t n = x.rows(), d = g.num_dst_nodes(), k = opt_.heads, f = opt_.out_features;
  uint64_t key_x, key_att;
  next_keys(key_x, key_att);
  const bool train = is_training();
  const double p_x = train ? opt_.dropout : 0.0;
  // One dropout mask (same key) for both projections, as PyG drops x once: x_dst = x_src[:D],
  // and the mask of an element depends only on its position, the same in both.
  Tensor w_src_h = reshape(dropout_matmul(x, weight_src_, p_x, key_x), {n, k, f});          // W_src h_j  [S,K,F']
  Tensor w_dst_h = opt_.share_weights
                       ? first_rows(w_src_h, d)
                       : reshape(dropout_matmul(first_rows(x, d), weight_dst_, p_x, key_x), {d, k, f});  // W_dst h_i [D,K,F']
  Tensor z = gather(w_dst_h, g, Endpoint::dst) + gather(w_src_h, g, Endpoint::src);         // W_dst h_i + W_src h_j [E,K,F']
  if (edge_weight_.defined())
    z = z + reshape(matmul(edge_attr, edge_weight_), {g.num_edges(), k, f});                // + W_e x_ij [E,K,F']
  Tensor e = head_dot(leaky_relu(z, opt_.negative_slope), att_);                            // e_ij       [E,K]
  Tensor alpha = segment_softmax(e, g);                                                     // α_ij       [E,K]
  if (attention) *attention = AttentionOut{alpha.detach(), g};
  const double p = train ? opt_.attn_dropout : 0.0;
  Tensor out = aggregate(p > 0 ? dropout(alpha, p, key_att) : alpha, w_src_h, g);           // Σ_j α_ij W_src h_j [D,K,F']
  return finish(out, x);
}

}  // namespace gatgrad
