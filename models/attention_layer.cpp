#include "models/attention_layer.hpp"

#include "autograd/ops.hpp"
#include "autograd/random.hpp"
#include "nn/init.hpp"

namespace gatgrad {

AttentionLayer::AttentionLayer(const AttentionLayerOptions& o) : opt_(o) {
  if (o.in_features <= 0 || o.out_features <= 0 || o.heads <= 0)
    throw Error("AttentionLayer: in_features, out_features and heads must be positive (got " +
                std::to_string(o.in_features) + ", " + std::to_string(o.out_features) + ", " +
                std::to_string(o.heads) + ")");
  if (!(o.dropout >= 0 && o.dropout < 1) || !(o.attn_dropout >= 0 && o.attn_dropout < 1))
    throw Error("AttentionLayer: dropout probabilities must be in [0, 1)");
  if (o.edge_dim < 0) throw Error("AttentionLayer: edge_dim must be >= 0 (got " + std::to_string(o.edge_dim) + ")");
  const int64_t width = output_width();
  if (o.bias) bias_ = register_parameter("bias", Tensor::zeros({width}, o.dtype));
  if (o.residual) {
    residual_weight_ = register_parameter("residual_weight", Tensor::empty({o.in_features, width}, o.dtype));
    nn::glorot_uniform(residual_weight_, derive_key(o.seed, 3));
  }
  register_counter("rng_counter", &rng_counter_);
}

void AttentionLayer::next_keys(uint64_t& key_input, uint64_t& key_attention) {
  key_input = derive_key(opt_.seed, 2 * rng_counter_ + 100);
  key_attention = derive_key(opt_.seed, 2 * rng_counter_ + 101);
  if (is_training()) ++rng_counter_;
}

Tensor AttentionLayer::finish(const Tensor& out, const InputFeatures& x, bool epilogue_done) {
  const int64_t n = out.size(0);
  // ‖_k h'^k, or 1/K Σ_k h'^k (with one head that mean is the head itself: a reshape, no pass)
  Tensor h = opt_.concat || opt_.heads == 1 ? reshape(out, {n, opt_.heads * opt_.out_features}) : mean(out, 1);
  if (epilogue_done) return h;
  if (bias_.defined()) h = h + bias_;
  if (residual_weight_.defined()) h = h + dropout_matmul(first_rows(x, n), residual_weight_, 0.0, 0);
  return opt_.elu ? elu(h) : h;
}

void AttentionLayer::check_inputs(const char* layer, const InputFeatures& x, const Graph& g,
                                  const Tensor& edge_attr) const {
  auto fail = [layer](const std::string& what) { throw Error(layer + (": " + what)); };
  if (x.rows() != g.num_src_nodes())
    fail("the input has " + std::to_string(x.rows()) + " rows, the graph " + std::to_string(g.num_src_nodes()) +
         " source nodes (one row per source node)");
  // (appended, not "[" + ...: GCC 12 warns falsely about a literal before a temporary string, PR 105329)
  const std::string want =
      std::string("[").append(std::to_string(g.num_edges())).append(", ").append(std::to_string(opt_.edge_dim)).append("]");
  if (opt_.edge_dim == 0 && edge_attr.defined())
    fail("edge features " + edge_attr.describe() + " given to a layer without them (edge_dim = 0)");
  if (opt_.edge_dim > 0 && !edge_attr.defined())
    fail("the layer attends with edge features (edge_dim = " + std::to_string(opt_.edge_dim) + "): pass edge_attr " +
         want + " in the graph's edge order");
  if (edge_attr.defined() && (edge_attr.shape() != Shape({g.num_edges(), opt_.edge_dim}) || edge_attr.dtype() != opt_.dtype))
    fail("expected edge_attr " + want + " " + dtype_name(opt_.dtype) + " (one row per edge of the graph), got " +
         edge_attr.describe());
}

}  // namespace gatgrad
