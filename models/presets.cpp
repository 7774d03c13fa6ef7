// The hyper-parameters' checks and JSON form, and the paper's presets (each dataset's
// differences from the defaults in presets.hpp).
#include "models/presets.hpp"

#include <string_view>

#include "autograd/error.hpp"
#include "graph/edge_fill.hpp"
#include "io/json.hpp"

namespace gatgrad {

namespace {

// `text` as a JSON object; DataError naming `source` otherwise.
Json parse_object(const std::string& text, const std::string& source) {
  Json j = parse_json(text, source);
  if (!j.is_object()) throw DataError(source + ": expected a JSON object");
  return j;
}

// out = j[field], checked against what out's type can hold (io/json.hpp's json_field: no 1e300
// cast into an int64, no 1.5 into a bool); DataError naming `source` and the field otherwise.
template <class T>
void read_field(const Json& j, const char* field, T& out, const std::string& source) {
  out = json_field<T>(j, field, source);
}

// f(name, field) for every field of a configuration, in the order its JSON lists them: the one
// list that to_json and from_json both walk. C is the configuration, const or not.
template <class C, class F>
void gat_fields(C& c, F&& f) {
  f("model", c.model);
  f("task", c.task);
  f("in_features", c.in_features);
  f("num_classes", c.num_classes);
  f("layers", c.layers);
  f("hidden", c.hidden);
  f("heads", c.heads);
  f("out_heads", c.out_heads);
  f("dropout", c.dropout);
  f("attn_dropout", c.attn_dropout);
  f("negative_slope", c.negative_slope);
  f("add_self_loops", c.add_self_loops);
  f("residual", c.residual);
  f("share_weights", c.share_weights);
  f("normalize_features", c.normalize_features);
  f("seed", c.seed);
  f("edge_dim", c.edge_dim);
  f("edge_fill", c.edge_fill);
  f("readout", c.readout);
  f("mlp_hidden", c.mlp_hidden);
  f("embedding_dim", c.embedding_dim);
  f("decoder", c.decoder);
}

template <class C, class F>
void train_fields(C& c, F&& f) {
  f("max_epochs", c.max_epochs);
  f("patience", c.patience);
  f("lr", c.lr);
  f("weight_decay", c.weight_decay);
  f("beta1", c.beta1);
  f("beta2", c.beta2);
  f("eps", c.eps);
  f("batch_size", c.batch_size);
  f("fanout", c.fanout);
  f("micro_batches", c.micro_batches);
  f("eval_chunk", c.eval_chunk);
  f("graphs_per_batch", c.graphs_per_batch);
}

}  // namespace

void GATConfig::validate() const {
  auto fail = [](const std::string& field, const std::string& problem) {
    throw UsageError("model configuration: " + field + " " + problem);
  };
  if (model != "gat" && model != "gatv2") fail("model", "must be gat or gatv2, not '" + model + "'");
  if (task != "node" && task != "link" && task != "graph") fail("task", "must be node, link or graph, not '" + task + "'");
  if (in_features <= 0) fail("in_features", "must be positive");
  if (num_classes <= 0) fail("num_classes", "must be positive");
  if (layers <= 0) fail("layers", "must be positive");
  if (hidden <= 0) fail("hidden", "must be positive");
  if (heads <= 0) fail("heads", "must be positive");
  if (out_heads <= 0) fail("out_heads", "must be positive");
  if (!(dropout >= 0 && dropout < 1)) fail("dropout", "must be in [0, 1)");
  if (!(attn_dropout >= 0 && attn_dropout < 1)) fail("attn_dropout", "must be in [0, 1)");
  if (!(negative_slope >= 0)) fail("negative_slope", "must be >= 0");
  if (edge_dim < 0) fail("edge_dim", "must be >= 0 (0: no edge features)");
  if (readout != "mean" && readout != "sum" && readout != "max" && readout != "attention")
    fail("readout", "must be mean, sum, max or attention, not '" + readout + "'");
  if (mlp_hidden <= 0) fail("mlp_hidden", "must be positive");
  if (embedding_dim <= 0) fail("embedding_dim", "must be positive");
  if (decoder != "dot" && decoder != "mlp") fail("decoder", "must be dot or mlp, not '" + decoder + "'");
  try {
    parse_edge_fill(edge_fill);
  } catch (const UsageError& e) {
    fail("edge_fill", std::string("is invalid: ") + e.what());
  }
}

std::string GATConfig::to_json() const {
  Json j;
  gat_fields(*this, [&](const char* name, const auto& value) { j[name] = value; });
  return j.dump(2);
}

GATConfig GATConfig::from_json(const std::string& text, const std::string& source) {
  const Json j = parse_object(text, source);
  GATConfig c;
  gat_fields(c, [&](const char* name, auto& value) {
    // (the edge fields and the depth came after checkpoints without them: absent, there are
    // no edge features and 2 layers)
    // (nor the graph classifier's and link prediction's fields: absent, their defaults)
    const std::string_view n(name);
    const bool later = n.starts_with("edge_") || n == "layers" || n == "readout" || n == "mlp_hidden" || n == "task" ||
                       n == "embedding_dim" || n == "decoder";
    if (later && !j.contains(name)) return;
    read_field(j, name, value, source);
  });
  try {
    c.validate();
  } catch (const UsageError& e) {
    throw DataError(source + ": " + e.what());
  }
  return c;
}

void TrainConfig::validate() const {
  auto fail = [](const std::string& field, const std::string& problem) {
    throw UsageError("training configuration: " + field + " " + problem);
  };
  if (max_epochs < 0) fail("max_epochs", "must be >= 0");
  if (patience < 1) fail("patience", "must be positive");
  if (batch_size < 0) fail("batch_size", "must be >= 0 (0: full batch)");
  if (micro_batches < 1) fail("micro_batches", "must be positive");
  if (batch_size > 0 && micro_batches > batch_size) {
    const std::string m = std::to_string(micro_batches), b = std::to_string(batch_size);
    fail("micro_batches", m + " must not exceed batch_size " + b);
  }
  if (eval_chunk < 1) fail("eval_chunk", "must be positive");
  if (graphs_per_batch < 0) fail("graphs_per_batch", "must be >= 0 (0: one full-batch step)");
  if (graphs_per_batch > 0 && batch_size > 0)
    fail("graphs_per_batch", "and batch_size exclude each other: batches of whole graphs, or of sampled seed nodes");
  for (int64_t f : fanout) {
    const std::string v = std::to_string(f);
    if (f < -1) fail("fanout", "entries must be -1 (all neighbours) or >= 0, got " + v);
  }
}

void TrainConfig::validate_for(const GATConfig& model) const {
  validate();
  if (batch_size > 0 && static_cast<int64_t>(fanout.size()) != model.layers)
    throw UsageError("training configuration: fanout needs one entry per layer of the " + std::to_string(model.layers) +
                     "-layer model, got " + std::to_string(fanout.size()));
}

std::string TrainConfig::to_json() const {
  Json j;
  train_fields(*this, [&](const char* name, const auto& value) { j[name] = value; });
  return j.dump(2);
}

TrainConfig TrainConfig::from_json(const std::string& text, const std::string& source) {
  const Json j = parse_object(text, source);
  TrainConfig c;
  train_fields(c, [&](const char* name, auto& value) {
    if (std::string_view(name) == "graphs_per_batch" && !j.contains(name)) return;  // states from before it: 0
    read_field(j, name, value, source);
  });
  try {
    c.validate();
  } catch (const UsageError& e) {
    throw DataError(source + ": " + e.what());
  }
  return c;
}

std::vector<std::string> preset_names() { return {"cora", "citeseer", "pubmed", "ppi", "link", "tu"}; }

Preset make_preset(const std::string& name) {
  Preset p;  // the defaults of GATConfig and TrainConfig are the cora / citeseer setting
  p.name = name;
  if (name == "cora" || name == "citeseer") return p;
  if (name == "pubmed") {  // the paper's PubMed setting: more output heads, a larger lr and L2
    p.model.out_heads = 8;
    p.train.lr = 0.01;
    p.train.weight_decay = 0.001;
    return p;
  }
  if (name == "link") {  // link prediction: PyG's examples/link_pred.py with GATConv for GCNConv (issue 28)
    p.model.task = "link";
    p.model.layers = 2;               // GATConv(F, 8, heads=8) -> ELU -> GATConv(64, 64, heads=1)
    p.model.hidden = 8;
    p.model.heads = 8;
    p.model.out_heads = 1;
    p.model.embedding_dim = 64;
    p.model.decoder = "dot";          // decode: (z[src] * z[dst]).sum(-1)
    p.model.dropout = 0.0;            // GATConv's defaults: no dropout of either kind
    p.model.attn_dropout = 0.0;
    p.train.lr = 0.01;                // Adam(lr=0.01), no weight decay
    p.train.weight_decay = 0.0;
    p.train.max_epochs = 300;         // 300 epochs, the test AUC at the best validation AUC:
    p.train.patience = 300;           // patience as long as the run, so nothing stops it earlier
    return p;
  }
  if (name == "ppi") {  // the paper's inductive setting (section 3.3): deeper, wider, no regularisation
    p.model.layers = 3;               // two hidden layers of 4 heads × 256 features, concatenated, ELU
    p.model.heads = 4;
    p.model.hidden = 256;
    p.model.out_heads = 6;            // 6 heads of 121 outputs, averaged, into the sigmoid of the loss
    p.model.residual = true;          // skip connections across the intermediate attentive layers
    p.model.dropout = 0.0;            // "we found no need to apply L2 regularisation or dropout"
    p.model.attn_dropout = 0.0;
    p.model.normalize_features = false;  // PPI's features are not bag-of-words rows
    p.train.weight_decay = 0.0;
    p.train.graphs_per_batch = 2;     // batches of 2 graphs
    return p;
  }
  if (name == "tu") {  // graph classification: the PyG reference set-up of issue 28 for the TU Dortmund sets
    p.model.task = "graph";
    p.model.layers = 3;               // 3 GATConv layers of 4 heads × 32 features, concatenated, ELU
    p.model.heads = 4;
    p.model.hidden = 32;
    p.model.readout = "mean";         // global_mean_pool
    p.model.mlp_hidden = 128;         // a 2-layer MLP on the pooled 128 features
    p.model.dropout = 0.0;            // (the reference names no dropout and no weight decay)
    p.model.attn_dropout = 0.0;
    p.model.normalize_features = false;  // one-hot labels and attributes as PyG's TUDataset gives them
    p.train.lr = 0.001;               // Adam lr 0.001
    p.train.weight_decay = 0.0;
    p.train.graphs_per_batch = 32;    // batches of 32 graphs
    p.train.max_epochs = 200;         // at most 200 epochs,
    p.train.patience = 50;            // early stopping on validation accuracy with patience 50
    return p;
  }
  std::string names;
  for (const std::string& n : preset_names()) names += (names.empty() ? "" : ", ") + n;
  throw UsageError("unknown preset '" + name + "' (choose one of: " + names + ")");
}

}  // namespace gatgrad
