/// @file
/// Every hyper-parameter of the model and of its training, in one place. The defaults are the
/// paper's Cora setting (Veličković et al. 2018, section 3.3, and the authors' execute_cora.py);
/// the named presets are that setting with each dataset's differences: `cora` and `citeseer`
/// share it, `pubmed` has its own. gat-train, gat-bench and the trainer read them from here.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "autograd/error.hpp"
#include "nn/optim.hpp"

namespace gatgrad {

/// The range of a numeric field of GATConfig or TrainConfig (of each entry, for fanout): the
/// one validate() checks, and the one the command lines show and name (apps/lib/config_options.hpp).
struct FieldRange {
  double lo = 0, hi = 0;
  bool hi_open = false;  ///< [lo, hi) rather than [lo, hi]
  bool integer = true;
  bool contains(double v) const { return v >= lo && (hi_open ? v < hi : v <= hi); }  ///< false for NaN
  std::string text() const;  ///< "[1, 65536]", "[0, 1)"
};
/// The range of the field named `field` (its config.json name); nullptr for a field without one
/// (names, flags, the seed). A floating field's range ends within float32 (the type it is used
/// in): a value beyond it is out of range, not an infinity later.
const FieldRange* field_range(const std::string& field);
/// The values a field of names takes ("gat", "gatv2" for model); nullptr for other fields.
const std::vector<std::string>* field_choices(const std::string& field);

/// The most parameters a model may have: 2^28, 1 GiB of float32 (4 GiB with the gradient and
/// Adam's two moments, before any activation). Far beyond the presets (ppi's model, the largest,
/// has a few million) and the models of the GAT papers; what it stops is a size no range alone
/// bounds (hidden 65536 x heads 1024 is in range, and a hidden layer of it would hold 2^52
/// weights), typed or read from a file, before anything is allocated: a clear error instead of
/// an allocation that takes the machine's memory or fails as "out of memory".
inline constexpr double kMaxParameters = 268435456.0;

/// What validate() throws: a field out of its range, or at odds with another field. `field` is
/// the field at fault (its config.json name), `other` the one it is at odds with ("" for a
/// range), so that a command line can name their options.
struct ConfigError : UsageError {
  ConfigError(const std::string& field, const std::string& message, const std::string& other = "")
      : UsageError(message), field(field), other(other) {}
  std::string field, other;
};

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

  /// Every field in its range (field_range) or among its choices (field_choices), and the model
  /// within kMaxParameters; ConfigError naming the bad field.
  void validate() const;
  /// validate() without the fields filled from the data (in_features, num_classes, edge_dim):
  /// what a command line checks before reading any data.
  void validate_hyperparameters() const;
  /// An upper bound of the model's parameter count (of its task's model), computed in doubles.
  double parameter_bound() const;
  std::string to_json() const;
  /// Throws DataError naming `source` (e.g. "ckpt/config.json") and the field on bad input.
  static GATConfig from_json(const std::string& json, const std::string& source);
};

/// The neighbours sampled per node and layer unless a fanout is given (PyG's examples' [10, 10]).
inline constexpr int64_t kDefaultFanout = 10;

/// The training loop (train/loop.hpp; the mode chosen in train/make_steps.hpp) and its Adam optimiser (make_optimizer).
struct TrainConfig {
  int64_t max_epochs = 1000;
  int64_t patience = 100;      ///< stop after this many epochs without improvement
  double lr = 0.005;           ///< Adam's learning rate
  double weight_decay = 5e-4;  ///< L2, added to the gradient (PyTorch's Adam(weight_decay=...))
  double beta1 = nn::kAdamBeta1, beta2 = nn::kAdamBeta2, eps = nn::kAdamEps;  ///< Adam's, PyTorch's defaults

  // Mini-batch training (train/minibatch.hpp); batch_size 0 is full batch, the paper's setting.
  int64_t batch_size = 0;                  ///< seed (training) nodes per step; 0: one full-batch step per epoch
  std::vector<int64_t> fanout = {kDefaultFanout, kDefaultFanout};  ///< neighbours sampled per target and hop, seeds' hop first (-1: all); one per layer
  int64_t micro_batches = 1;               ///< parts of a batch, each sampled and differentiated whole; gradients summed in order
  int64_t eval_chunk = 4096;               ///< destinations per block of the layer-wise inference (memory, not results)

  /// Full batch (node classification): "input" keeps the data's node numbers; "rcm" trains and
  /// evaluates on the nodes renumbered by graph/node_order.hpp's rcm_order, so that a core's
  /// blocks mostly read rows it wrote (train/full_batch_steps.hpp). Other bits than "input"'s,
  /// the same on every thread count and instruction set.
  std::string node_order = "input";

  // Inductive training on many graphs (train/graph_batches.hpp): 0 is one full-batch step per epoch.
  int64_t graphs_per_batch = 0;            ///< whole training graphs per step, in a shuffled order

  // The evaluation of gat-train's other tasks.
  int64_t hits_k = 50;  ///< link prediction: the K of the reported Hits at K (LinkConfig's, train/link_model.hpp; OGB's ogbl-collab uses 50)
  int64_t folds = 10;   ///< graph classification: the K of the stratified K-fold cross-validation (train/cross_validation.hpp)

  /// Every field in its range (field_range) and the rules between fields (micro_batches and
  /// fanout are mini-batch settings: without batch_size they keep their defaults; batch_size and
  /// graphs_per_batch exclude each other; node_order other than "input" is a full-batch
  /// setting: it excludes both); ConfigError naming the bad field.
  void validate() const;
  /// validate(), and what depends on the model: one fanout entry per layer. ConfigError.
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

/// The field `field` (its config.json name, of p.model or p.train) set from its text on a
/// command line: "8", "0.6", "true", "gatv2", "10,10,10" (one entry per layer). UsageError when
/// the text is not of the field's type (an integer, a finite number, ...); the range is
/// validate()'s to check. Error when no field has that name.
void set_field(Preset& p, const std::string& field, const std::string& text);
/// The field's value as text (the form set_field reads; numbers in their shortest exact form).
std::string field_text(const Preset& p, const std::string& field);
/// Whether the field holds the same value in a and b.
bool same_field(const Preset& a, const Preset& b, const std::string& field);

/// "cora", "citeseer", "pubmed", "ppi", "link" or "tu" (graph classification, task "graph");
/// throws UsageError listing the names otherwise.
Preset make_preset(const std::string& name);
std::vector<std::string> preset_names();

/// The preset gat-train and gat-bench use when none is named (the defaults above).
inline constexpr const char* kDefaultPreset = "cora";

}  // namespace gatgrad
