// The hyper-parameters' checks and JSON form, and the paper's presets (each dataset's
// differences from the defaults in presets.hpp).
#include "models/presets.hpp"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
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
  f("node_order", c.node_order);
  f("graphs_per_batch", c.graphs_per_batch);
  f("hits_k", c.hits_k);
  f("folds", c.folds);
}

constexpr double kNoLimit = INFINITY;
// Every floating field ends up a float32 (the model's parameters, its dropout, Adam's update in
// the parameters' type): its range stops at float32's largest value, so that the range check is
// also the check that the value fits its type (--lr 1e39 is out of range, not an infinity later).
constexpr double kFloat32Max = std::numeric_limits<float>::max();
// The widths of a layer: larger ones fail the parameter limit (kMaxParameters) long before.
constexpr double kMaxWidth = 1 << 20;

// The ranges validate() checks, by field (config.json names).
const std::map<std::string, FieldRange, std::less<>>& ranges() {
  static const std::map<std::string, FieldRange, std::less<>> r = {
      // GATConfig (in_features, num_classes, edge_dim: int32 columns of the data)
      {"in_features", {1, INT32_MAX}},
      {"num_classes", {1, INT32_MAX}},
      {"layers", {1, 64}},
      {"hidden", {1, 65536}},
      {"heads", {1, 1024}},
      {"out_heads", {1, 1024}},
      {"dropout", {0, 1, true, false}},
      {"attn_dropout", {0, 1, true, false}},
      {"negative_slope", {0, kFloat32Max, false, false}},
      {"edge_dim", {0, INT32_MAX}},
      {"mlp_hidden", {1, kMaxWidth}},
      {"embedding_dim", {1, 65536}},
      // TrainConfig
      {"max_epochs", {1, 1000000}},
      {"patience", {1, 1000000}},
      {"lr", {0, kFloat32Max, false, false}},
      {"weight_decay", {0, 1, false, false}},
      {"beta1", {0, 1, true, false}},
      {"beta2", {0, 1, true, false}},
      {"eps", {0, kFloat32Max, false, false}},
      {"batch_size", {0, 1 << 30}},
      {"fanout", {-1, 1 << 30}},
      {"micro_batches", {1, 1 << 20}},
      {"eval_chunk", {1, 1 << 30}},
      {"graphs_per_batch", {0, 1 << 30}},
      {"hits_k", {1, 1 << 30}},
      {"folds", {2, 1000}},
  };
  return r;
}

// The values a field of names takes.
const std::map<std::string, std::vector<std::string>, std::less<>>& choices() {
  static const std::map<std::string, std::vector<std::string>, std::less<>> c = {
      {"model", {"gat", "gatv2"}},
      {"task", {"node", "link", "graph"}},
      {"readout", {"mean", "sum", "max", "attention"}},
      {"decoder", {"dot", "mlp"}},
      {"node_order", {"input", "rcm"}},
  };
  return c;
}

// A number as text, in its shortest exact form ("0.005", "65536"); float32's largest value in its
// float32 form (3.4028235e+38).
std::string text_of(double v) {
  char buf[64];
  const auto end = v == kFloat32Max ? std::to_chars(buf, buf + sizeof buf, static_cast<float>(v)).ptr
                                    : std::to_chars(buf, buf + sizeof buf, v).ptr;
  return std::string(buf, end);
}
std::string text_of(int64_t v) { return std::to_string(v); }
std::string text_of(uint64_t v) { return std::to_string(v); }
std::string text_of(bool v) { return v ? "true" : "false"; }
std::string text_of(const std::string& v) { return v; }
std::string text_of(const std::vector<int64_t>& v) {
  std::string t;
  for (int64_t x : v) t.append(t.empty() ? "" : ",").append(std::to_string(x));
  return t;
}

// What `r` asks of a value: "must be positive", "must be in [0, 1)", ...
std::string requirement(const FieldRange& r) {
  if (r.integer && r.lo == 1 && std::isinf(r.hi)) return "must be positive";
  if (r.integer && r.lo == 1) return std::string("must be positive and at most ").append(text_of(r.hi));
  if (std::isinf(r.hi)) return std::string("must be >= ").append(text_of(r.lo));
  if (r.hi == kFloat32Max) return "must be >= " + text_of(r.lo) + " and within float32 (at most " + text_of(r.hi) + ")";
  return std::string("must be in ").append(r.text());
}

// ConfigError naming the field unless its value is in its range (fields without one pass).
void check_range(const char* what, const char* name, double v) {
  const FieldRange* r = field_range(name);
  if (r && !r->contains(v))
    throw ConfigError(name, std::string(what) + ": " + name + " " + requirement(*r) + ", got " + text_of(v));
}
void check_range(const char* what, const char* name, int64_t v) {
  const FieldRange* r = field_range(name);
  if (r && !r->contains(static_cast<double>(v)))
    throw ConfigError(name, std::string(what) + ": " + name + " " + requirement(*r) + ", got " + text_of(v));
}
void check_range(const char* what, const char* name, const std::vector<int64_t>& v) {
  const FieldRange* r = field_range(name);
  for (int64_t x : v)
    if (r && !r->contains(static_cast<double>(x)))
      throw ConfigError(name, std::string(what) + ": " + name + " entries must be in " + r->text() +
                                  " (-1: all neighbours), got " + text_of(x));
}
void check_range(const char* what, const char* name, const std::string& v) {
  const std::vector<std::string>* c = field_choices(name);
  if (!c || std::find(c->begin(), c->end(), v) != c->end()) return;
  std::string list;  // "gat or gatv2", "node, link or graph"
  for (size_t i = 0; i < c->size(); ++i) list.append(i == 0 ? "" : i + 1 == c->size() ? " or " : ", ").append((*c)[i]);
  throw ConfigError(name, std::string(what) + ": " + name + " must be " + list + ", not '" + v + "'");
}
template <class T>
void check_range(const char*, const char*, const T&) {}  // flags, the seed

// Field values from a command line's text; UsageError when the text is not of the field's type.
void parse_text(const std::string& t, int64_t& out) {
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
  if (ec != std::errc() || end != t.data() + t.size() || t.empty()) throw UsageError("'" + t + "' is not an integer");
}
void parse_text(const std::string& t, uint64_t& out) {
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
  if (ec != std::errc() || end != t.data() + t.size() || t.empty())
    throw UsageError("'" + t + "' is not a non-negative integer");
}
void parse_text(const std::string& t, double& out) {
  char* end = nullptr;
  out = std::strtod(t.c_str(), &end);
  if (t.empty() || end != t.c_str() + t.size() || !std::isfinite(out)) throw UsageError("'" + t + "' is not a finite number");
}
void parse_text(const std::string& t, bool& out) {
  if (t == "true" || t == "1") out = true;
  else if (t == "false" || t == "0") out = false;
  else throw UsageError("'" + t + "' is not true or false");
}
void parse_text(const std::string& t, std::string& out) { out = t; }
void parse_text(const std::string& t, std::vector<int64_t>& out) {
  out.clear();
  size_t begin = 0;
  while (true) {
    const size_t comma = t.find(',', begin);
    int64_t v = 0;
    try {
      parse_text(t.substr(begin, comma == std::string::npos ? std::string::npos : comma - begin), v);
    } catch (const UsageError&) {
      throw UsageError("'" + t + "' is not a comma-separated list of integers");
    }
    out.push_back(v);
    if (comma == std::string::npos) break;
    begin = comma + 1;
  }
}

// f(value) for the field named `field` of p (model's or train's); false when there is none.
template <class P, class F>
bool with_field(P& p, const std::string& field, F&& f) {
  bool found = false;
  auto visit = [&](const char* name, auto& value) {
    if (!found && field == name) {
      found = true;
      f(value);
    }
  };
  gat_fields(p.model, visit);
  train_fields(p.train, visit);
  return found;
}

}  // namespace

void GATConfig::validate() const {
  const char* what = "model configuration";
  for (const char* field : {"in_features", "num_classes", "edge_dim"}) {
    gat_fields(*this, [&](const char* name, const auto& value) {
      if (std::string_view(name) == field) check_range(what, name, value);
    });
  }
  validate_hyperparameters();
  const double n = parameter_bound();
  if (n > kMaxParameters)
    throw ConfigError("hidden",
                      std::string(what) + ": the model would have about " + text_of(std::round(n)) + " parameters (" +
                          std::to_string(layers) + " layers of " + std::to_string(heads) + " heads x hidden " +
                          std::to_string(hidden) + ", out_heads " + std::to_string(out_heads) + ", in_features " +
                          std::to_string(in_features) + ", num_classes " + std::to_string(num_classes) + ", edge_dim " +
                          std::to_string(edge_dim) + ", mlp_hidden " + std::to_string(mlp_hidden) +
                          "), more than the limit of " + text_of(kMaxParameters) + " (2^28, kMaxParameters)",
                      "heads");
}

void GATConfig::validate_hyperparameters() const {
  const char* what = "model configuration";
  gat_fields(*this, [&](const char* name, const auto& value) {
    const std::string_view n(name);
    if (n != "in_features" && n != "num_classes" && n != "edge_dim") check_range(what, name, value);
  });
  try {
    parse_edge_fill(edge_fill);
  } catch (const UsageError& e) {
    throw ConfigError("edge_fill", std::string(what) + ": edge_fill is invalid: " + e.what());
  }
}

double GATConfig::parameter_bound() const {
  // An attention layer of I inputs and K heads of F features holds at most: W (2 for an unshared
  // GATv2) and the residual's weight, 3 I K F; the edge weight D K F; the attention vectors,
  // the edge attention and the bias, 5 K F. In doubles: the products of the ranges overflow int64.
  auto layer = [&](double in, double k, double f) { return (3 * in + static_cast<double>(edge_dim) + 5) * k * f; };
  const double width = static_cast<double>(heads) * static_cast<double>(hidden);  // a hidden layer's output
  const double L = static_cast<double>(layers);
  double n = 0;
  if (task == "graph") {  // every layer hidden, then the readout's gate and the MLP
    n = layer(static_cast<double>(in_features), heads, hidden) + (L - 1) * layer(width, heads, hidden);
    n += width + 1 + (width + 1) * mlp_hidden + (mlp_hidden + 1.0) * static_cast<double>(num_classes);
    return n;
  }
  const double out = task == "link" ? static_cast<double>(embedding_dim) : static_cast<double>(num_classes);
  const double first_in = static_cast<double>(in_features);
  if (layers == 1) return layer(first_in, out_heads, out);
  n = layer(first_in, heads, hidden) + (L - 2) * layer(width, heads, hidden) + layer(width, out_heads, out);
  if (task == "link") n += (out + 1) * mlp_hidden + mlp_hidden + 1.0;  // the MLP decoder, at most
  return n;
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
  const std::string what = "training configuration";
  train_fields(*this, [&](const char* name, const auto& value) { check_range(what.c_str(), name, value); });
  auto fail = [&](const char* field, const std::string& problem) {
    throw ConfigError(field, what + ": " + problem, "batch_size");  // (every rule here is with batch_size)
  };
  if (batch_size > 0 && micro_batches > batch_size)
    fail("micro_batches", "micro_batches " + std::to_string(micro_batches) + " must not exceed batch_size " + std::to_string(batch_size));
  if (graphs_per_batch > 0 && batch_size > 0)
    fail("graphs_per_batch", "graphs_per_batch and batch_size exclude each other: batches of whole graphs, or of sampled seed nodes");
  if (batch_size == 0 && micro_batches != 1)
    fail("micro_batches", "micro_batches is a mini-batch setting: it needs batch_size (0: full batch)");
  for (int64_t f : fanout)
    if (batch_size == 0 && f != kDefaultFanout)
      fail("fanout", "fanout is a mini-batch setting: it needs batch_size (0: full batch)");
  if (node_order != "input" && (batch_size > 0 || graphs_per_batch > 0)) {
    const std::string other = batch_size > 0 ? "batch_size" : "graphs_per_batch";
    throw ConfigError("node_order", what + ": node_order '" + node_order + "' is a full-batch setting: it excludes " + other,
                      other);
  }
}

void TrainConfig::validate_for(const GATConfig& model) const {
  validate();
  if (batch_size > 0 && static_cast<int64_t>(fanout.size()) != model.layers)
    throw ConfigError("fanout", "training configuration: fanout needs one entry per layer of the " + std::to_string(model.layers) +
                                    "-layer model, got " + std::to_string(fanout.size()) + " (" + text_of(fanout) + ")",
                      "layers");
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
    // (states from before these fields: their defaults)
    const std::string_view n(name);
    if ((n == "graphs_per_batch" || n == "hits_k" || n == "folds" || n == "node_order") && !j.contains(name)) return;
    read_field(j, name, value, source);
  });
  try {
    c.validate();
  } catch (const UsageError& e) {
    throw DataError(source + ": " + e.what());
  }
  return c;
}

std::string FieldRange::text() const {
  std::string t = "[";
  t.append(integer ? text_of(static_cast<int64_t>(lo)) : text_of(lo)).append(", ");
  t.append(std::isinf(hi) ? std::string("inf") : integer ? text_of(static_cast<int64_t>(hi)) : text_of(hi));
  return t.append(hi_open ? ")" : "]");
}

const FieldRange* field_range(const std::string& field) {
  const auto it = ranges().find(field);
  return it == ranges().end() ? nullptr : &it->second;
}

const std::vector<std::string>* field_choices(const std::string& field) {
  const auto it = choices().find(field);
  return it == choices().end() ? nullptr : &it->second;
}

void set_field(Preset& p, const std::string& field, const std::string& text) {
  if (!with_field(p, field, [&](auto& value) { parse_text(text, value); }))
    throw Error("set_field: no configuration field is named '" + field + "'");
}

std::string field_text(const Preset& p, const std::string& field) {
  std::string t;
  if (!with_field(p, field, [&](const auto& value) { t = text_of(value); }))
    throw Error("field_text: no configuration field is named '" + field + "'");
  return t;
}

bool same_field(const Preset& a, const Preset& b, const std::string& field) { return field_text(a, field) == field_text(b, field); }

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
