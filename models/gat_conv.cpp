// GATConv forward. Legend: N nodes, E edges of the graph given (self-loops included, when it has them),
// K heads, F' features per head; edge e runs j = src(e) -> i = dst(e). On a block, S sources and
// D destinations (the first D sources): W h_j is over S rows, the output over D (square: S = D = N).
#include "models/gat_conv.hpp"

#include "autograd/ops.hpp"
#include "autograd/random.hpp"
#include "graph/gat_attention.hpp"
#include "graph/message_passing.hpp"
#include "nn/init.hpp"

namespace gatgrad {

GATConv::GATConv(const AttentionLayerOptions& o) : AttentionLayer(o) {
  const int64_t k = o.heads, f = o.out_features;
  weight_ = register_parameter("weight", Tensor::empty({o.in_features, k * f}, o.dtype));
  att_ = register_parameter("att", Tensor::empty({k, 2 * f}, o.dtype));
  nn::glorot_uniform(weight_, derive_key(o.seed, 1));
  nn::glorot_uniform(att_, derive_key(o.seed, 2));
  if (o.edge_dim > 0) {
    edge_weight_ = register_parameter("edge_weight", Tensor::empty({o.edge_dim, k * f}, o.dtype));
    att_edge_ = register_parameter("att_edge", Tensor::empty({k, f}, o.dtype));
    nn::glorot_uniform(edge_weight_, derive_key(o.seed, 5));
    nn::glorot_uniform(att_edge_, derive_key(o.seed, 6));
  }
}

// aᵀ [W h_i ‖ W h_j] = a_1ᵀ W h_i + a_2ᵀ W h_j: the concatenation splits into one score per
// node for each half of a. So gat_attention computes s_dst = a_1ᵀ W h and s_src = a_2ᵀ W h once
// per node ([N, K] each) and only adds two numbers per edge, instead of building an [E, 2F']
// tensor (forward_composed below spells these steps out as separate ops).
// The edge term a_edgeᵀ W_e x_ij is linear in x_ij too: a_edgeᵀ W_e x_ij = x_ijᵀ (W_e a_edge), so
// the product W_e a_edge [D, K] is formed once and each edge needs D·K multiply-adds, never the
// [E, K·F'] of W_e x_ij (equal to forward_composed's order of products up to rounding).
Tensor GATConv::forward(const InputFeatures& x, const Graph& g, const Tensor& edge_attr, AttentionOut* attention) {
  check_inputs("GATConv", x, g, edge_attr);
  const int64_t n = x.rows(), k = opt_.heads, f = opt_.out_features;
  uint64_t key_x, key_att;
  next_keys(key_x, key_att);
  const bool train = is_training();
  Tensor wh = reshape(dropout_matmul(x, weight_, train ? opt_.dropout : 0.0, key_x), {n, k, f});  // W h   [S,K,F']
  Tensor alpha;
  // e_ij = LeakyReLU(aᵀ [W h_i ‖ W h_j] (+ s_edge)),  α_ij = softmax_j(e_ij),  out_i = Σ_j α_ij W h_j   [D,K,F']
  // (W h_i of destination i is row i of wh: the destinations are the first D sources)
  // then + bias and σ = ELU (when the layer has them), inside the op when the heads are
  // concatenated or there is one head and no residual goes between the two; else in finish
  const bool fuse = (opt_.concat || k == 1) && !residual_weight_.defined();
  Tensor s_edge;  // a_edgeᵀ W_e x_ij = x_ij · (W_e a_edge)                                          [E,K]
  if (edge_weight_.defined())
    s_edge = matmul(edge_attr, head_dot(reshape(edge_weight_, {opt_.edge_dim, k, f}), att_edge_));
  Tensor out = gat_attention(wh, att_, g, opt_.negative_slope, train ? opt_.attn_dropout : 0.0, key_att,
                             attention ? &alpha : nullptr,
                             fuse ? AttentionEpilogue{bias_, opt_.elu} : AttentionEpilogue{}, s_edge);
  if (attention) *attention = AttentionOut{alpha, g};
  return finish(out, x, fuse);
}

Tensor GATConv::forward_composed(const InputFeatures& x, const Graph& g, const Tensor& edge_attr,
                                 AttentionOut* attention) {
  check_inputs("GATConv", x, g, edge_attr);
  const int64_t n = x.rows(), k = opt_.heads, f = opt_.out_features;
  uint64_t key_x, key_att;
  next_keys(key_x, key_att);
  const bool train = is_training();
  Tensor wh = reshape(dropout_matmul(x, weight_, train ? opt_.dropout : 0.0, key_x), {n, k, f});  // W h        [S,K,F']
  Tensor s_dst = head_dot(first_rows(wh, g.num_dst_nodes()), slice(att_, 1, 0, f));           // a_1ᵀ W h_i  [D,K]
  Tensor s_src = head_dot(wh, slice(att_, 1, f, 2 * f));                                      // a_2ᵀ W h_j  [S,K]
  Tensor z = gather(s_dst, g, Endpoint::dst) + gather(s_src, g, Endpoint::src);              // aᵀ [W h_i ‖ W h_j] [E,K]
  if (edge_weight_.defined()) {
    Tensor we_x = reshape(matmul(edge_attr, edge_weight_), {g.num_edges(), k, f});            // W_e x_ij    [E,K,F']
    z = z + head_dot(we_x, att_edge_);                                                        // + a_edgeᵀ W_e x_ij
  }
  Tensor e = leaky_relu(z, opt_.negative_slope);                                              // e_ij        [E,K]
  Tensor alpha = segment_softmax(e, g);                                                       // α_ij        [E,K]
  if (attention) *attention = AttentionOut{alpha.detach(), g};
  const double p = train ? opt_.attn_dropout : 0.0;
  Tensor out = aggregate(p > 0 ? dropout(alpha, p, key_att) : alpha, wh, g);                  // Σ_j α_ij W h_j [D,K,F']
  return finish(out, x);
}

}  // namespace gatgrad
