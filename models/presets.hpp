/// @file
/// Every hyper-parameter of the model and of its training, in one place. The defaults are the
/// paper's Cora setting (Veličković et al. 2018, section 3.3, and the authors' execute_cora.py);
/// the named presets are that setting with each dataset's differences: `cora` and `citeseer`
/// share it, `pubmed` has its own. gat-train, gat-bench and the trainer read them from here.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "nn/optim.hpp"

namespace gatgrad {

/// The model (models/gat.hpp), and what a checkpoint records in config.json, including
/// the preprocessing of the input (feature normalisation).
struct GATConfig {
  std::string model = "gat";  ///< "gat" or "gatv2"
  /// What the model is trained for: "node" (classification of nodes, GAT), "link" (prediction
  /// of links) or "graph" (classification of graphs, models/graph_classifier.hpp).
  std::string task = "node";
  int64_t in_features = 0;    ///< F (filled from the data)
  int64_t num_classes = 0;    ///< C (filled from the data)
  int64_t layers = 2;         ///< L attention layers: L - 1 hidden layers, then the output layer
  int64_t hidden = 8;         ///< F' per head in each hidden layer
  int64_t heads = 8;          ///< K in each hidden layer
  int64_t out_heads = 1;      ///< heads of the output layer (averaged)
  double dropout = 0.6;       ///< on each layer's input
  double attn_dropout = 0.6;  ///< on α
  double negative_slope = 0.2;     ///< of the LeakyReLU in the attention logits
  bool add_self_loops = true;      ///< attend over one self-loop per node (prepare_node_data adds them)
  bool residual = false;           ///< every layer adds a learned skip x · W_res (PyG's residual=True)
  bool share_weights = false;      ///< GATv2 only
  bool normalize_features = true;  ///< preprocessing the model was trained with (rows / max(row sum, 1))
  int64_t edge_dim = 0;            ///< D of the edge features in every layer's logits (filled from the data); 0: none
  std::string edge_fill = "mean";  ///< the added self-loops' edge features: "mean" or a constant (graph/edge_features.hpp)
  uint64_t seed = 0;
  // Graph classification (models/graph_classifier.hpp): every one of the `layers` attention
  // layers is hidden (heads × hidden, concatenated, ELU), then the readout, then an MLP.
  std::string readout = "mean";  ///< "mean", "sum", "max" or "attention" (graph/readout.hpp)
  int64_t mlp_hidden = 128;      ///< width of the MLP's hidden layer (graph classification's head, link prediction's MLP decoder)
  // Link prediction (train/link_model.hpp): the GAT's output layer gives each node an
  // embedding of embedding_dim features (its num_classes), and the decoder scores pairs of them.
  int64_t embedding_dim = 64;    ///< D, the width of the node embeddings
  std::string decoder = "dot";   ///< "dot" (<h_u, h_v>) or "mlp" (on h_u ⊙ h_v, mlp_hidden wide; models/link_decoder.hpp)

  void validate() const;  ///< throws UsageError naming the bad field
  std::string to_json() const;
  /// Throws DataError naming `source` (e.g. "ckpt/config.json") and the field on bad input.
  static GATConfig from_json(const std::string& json, const std::string& source);
};

/// The training loop (train/loop.hpp; the mode chosen in train/make_steps.hpp) and its Adam optimiser (make_optimizer).
struct TrainConfig {
  int64_t max_epochs = 1000;
  int64_t patience = 100;      ///< stop after this many epochs without improvement
  double lr = 0.005;           ///< Adam's learning rate
  double weight_decay = 5e-4;  ///< L2, added to the gradient (PyTorch's Adam(weight_decay=...))
  double beta1 = nn::kAdamBeta1, beta2 = nn::kAdamBeta2, eps = nn::kAdamEps;  ///< Adam's, PyTorch's defaults

  // Mini-batch training (train/minibatch.hpp); batch_size 0 is full batch, the paper's setting.
  int64_t batch_size = 0;                  ///< seed (training) nodes per step; 0: one full-batch step per epoch
  std::vector<int64_t> fanout = {10, 10};  ///< neighbours sampled per target and hop, seeds' hop first (-1: all); one per layer
  int64_t micro_batches = 1;               ///< parts of a batch, each sampled and differentiated whole; gradients summed in order
  int64_t eval_chunk = 4096;               ///< destinations per block of the layer-wise inference (memory, not results)

  // Inductive training on many graphs (train/graph_batches.hpp): 0 is one full-batch step per epoch.
  int64_t graphs_per_batch = 0;            ///< whole training graphs per step, in a shuffled order

  bool mini_batch() const { return batch_size > 0; }
  bool graph_batches() const { return graphs_per_batch > 0; }
  void validate() const;  ///< throws UsageError naming the bad field
  /// validate(), and what depends on the model: one fanout entry per layer. UsageError.
  void validate_for(const GATConfig& model) const;

  std::string to_json() const;
  /// Throws DataError naming `source` and the field on a missing or mistyped field.
  static TrainConfig from_json(const std::string& json, const std::string& source);
};

struct Preset {
  std::string name;
  GATConfig model;  ///< in_features / num_classes are filled from the data
  TrainConfig train;
};

/// "cora", "citeseer", "pubmed", "ppi", "link" or "tu" (graph classification, task "graph");
/// throws UsageError listing the names otherwise.
Preset make_preset(const std::string& name);
std::vector<std::string> preset_names();

/// The preset gat-train and gat-bench use when none is named (the defaults above).
inline constexpr const char* kDefaultPreset = "cora";

}  // namespace gatgrad
