/// @file
/// GAT: the two-layer model of the paper, as the authors trained it on Cora:
///   h1     = ELU(conv1(dropout(x), g))      K heads × F' features, concatenated   [N, K·F']
///   logits = conv2(dropout(h1), g)          K_out heads, averaged                  [N, C]
/// (each conv applies the dropout to its own input, and dropout to α). `model = "gatv2"` swaps
/// both layers for GATv2Conv. The configuration is what a checkpoint records in config.json,
/// including the preprocessing of the input (feature normalisation).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/attention_layer.hpp"

namespace gatgrad {

struct GATConfig {
  std::string model = "gat";  ///< "gat" or "gatv2"
  int64_t in_features = 0;    ///< F
  int64_t num_classes = 0;    ///< C
  int64_t hidden = 8;         ///< F' per head in the hidden layer
  int64_t heads = 8;          ///< K in the hidden layer
  int64_t out_heads = 1;      ///< heads of the output layer (averaged)
  double dropout = 0.6;       ///< on each layer's input
  double attn_dropout = 0.6;  ///< on α
  double negative_slope = 0.2;
  bool add_self_loops = true;      ///< attend over one self-loop per node (prepare_node_data adds them)
  bool residual = false;
  bool share_weights = false;      ///< GATv2 only
  bool normalize_features = true;  ///< preprocessing the model was trained with (rows / max(row sum, 1))
  uint64_t seed = 0;

  void validate() const;  ///< throws UsageError naming the bad field
  std::string to_json() const;
  /// Throws DataError naming `source` (e.g. "ckpt/config.json") and the field on bad input.
  static GATConfig from_json(const std::string& json, const std::string& source);
};

class GAT : public nn::Module {
 public:
  explicit GAT(const GATConfig& config, DType dtype = DType::f32);

  /// x [N, F] -> logits [N, C] over the graph g, the same for both layers. With add_self_loops,
  /// g must have one self-loop per node (prepare_node_data's graph does; Error otherwise).
  /// attention, when given, receives each layer's α.
  Tensor forward(const InputFeatures& x, const Graph& g, std::vector<AttentionOut>* attention = nullptr);

  const GATConfig& config() const { return config_; }
  AttentionLayer& conv1() { return *conv1_; }
  AttentionLayer& conv2() { return *conv2_; }

 private:
  GATConfig config_;
  std::shared_ptr<AttentionLayer> conv1_, conv2_;
};

}  // namespace gatgrad
