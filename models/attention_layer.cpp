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

void AttentionLayer::check_rows(const char* layer, const InputFeatures& x, const Graph& g) {
  if (x.rows() != g.num_src_nodes())
    throw Error(std::string(layer) + ": the input has " + std::to_string(x.rows()) + " rows, the graph " +
                std::to_string(g.num_src_nodes()) + " source nodes (one row per source node)");
}

}  // namespace gatgrad
