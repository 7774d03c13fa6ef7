// The hyper-parameters' checks and JSON form, and the paper's presets (each dataset's
// differences from the defaults in presets.hpp).
#include "models/presets.hpp"

#include "autograd/error.hpp"
#include "io/json.hpp"

namespace gatgrad {

namespace {

// `text` as a JSON object; DataError naming `source` otherwise.
Json parse_object(const std::string& text, const std::string& source) {
  Json j = parse_json(text, source);
  if (!j.is_object()) throw DataError(source + ": expected a JSON object");
  return j;
}

// out = j[field]; DataError naming `source` and the field when it is missing or mistyped.
template <class T>
void read_field(const Json& j, const char* field, T& out, const std::string& source) {
  if (!j.contains(field)) throw DataError(source + ": missing field '" + field + "'");
  try {
    j.at(field).get_to(out);
  } catch (const std::exception&) {
    throw DataError(source + ": field '" + field + "' has the wrong type");
  }
}

}  // namespace

void GATConfig::validate() const {
  auto fail = [](const std::string& field, const std::string& problem) {
    throw UsageError("model configuration: " + field + " " + problem);
  };
  if (model != "gat" && model != "gatv2") fail("model", "must be gat or gatv2, not '" + model + "'");
  if (in_features <= 0) fail("in_features", "must be positive");
  if (num_classes <= 0) fail("num_classes", "must be positive");
  if (hidden <= 0) fail("hidden", "must be positive");
  if (heads <= 0) fail("heads", "must be positive");
  if (out_heads <= 0) fail("out_heads", "must be positive");
  if (!(dropout >= 0 && dropout < 1)) fail("dropout", "must be in [0, 1)");
  if (!(attn_dropout >= 0 && attn_dropout < 1)) fail("attn_dropout", "must be in [0, 1)");
  if (!(negative_slope >= 0)) fail("negative_slope", "must be >= 0");
}

std::string GATConfig::to_json() const {
  Json j;
  j["model"] = model;
  j["in_features"] = in_features;
  j["num_classes"] = num_classes;
  j["hidden"] = hidden;
  j["heads"] = heads;
  j["out_heads"] = out_heads;
  j["dropout"] = dropout;
  j["attn_dropout"] = attn_dropout;
  j["negative_slope"] = negative_slope;
  j["add_self_loops"] = add_self_loops;
  j["residual"] = residual;
  j["share_weights"] = share_weights;
  j["normalize_features"] = normalize_features;
  j["seed"] = seed;
  return j.dump(2);
}

GATConfig GATConfig::from_json(const std::string& text, const std::string& source) {
  const Json j = parse_object(text, source);
  GATConfig c;
  read_field(j, "model", c.model, source);
  read_field(j, "in_features", c.in_features, source);
  read_field(j, "num_classes", c.num_classes, source);
  read_field(j, "hidden", c.hidden, source);
  read_field(j, "heads", c.heads, source);
  read_field(j, "out_heads", c.out_heads, source);
  read_field(j, "dropout", c.dropout, source);
  read_field(j, "attn_dropout", c.attn_dropout, source);
  read_field(j, "negative_slope", c.negative_slope, source);
  read_field(j, "add_self_loops", c.add_self_loops, source);
  read_field(j, "residual", c.residual, source);
  read_field(j, "share_weights", c.share_weights, source);
  read_field(j, "normalize_features", c.normalize_features, source);
  read_field(j, "seed", c.seed, source);
  try {
    c.validate();
  } catch (const UsageError& e) {
    throw DataError(source + ": " + e.what());
  }
  return c;
}

std::string TrainConfig::to_json() const {
  Json j;
  j["max_epochs"] = max_epochs;
  j["patience"] = patience;
  j["lr"] = lr;
  j["weight_decay"] = weight_decay;
  j["beta1"] = beta1;
  j["beta2"] = beta2;
  j["eps"] = eps;
  return j.dump(2);
}

TrainConfig TrainConfig::from_json(const std::string& text, const std::string& source) {
  const Json j = parse_object(text, source);
  TrainConfig c;
  read_field(j, "max_epochs", c.max_epochs, source);
  read_field(j, "patience", c.patience, source);
  read_field(j, "lr", c.lr, source);
  read_field(j, "weight_decay", c.weight_decay, source);
  read_field(j, "beta1", c.beta1, source);
  read_field(j, "beta2", c.beta2, source);
  read_field(j, "eps", c.eps, source);
  return c;
}

std::vector<std::string> preset_names() { return {"cora", "citeseer", "pubmed"}; }

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
  std::string names;
  for (const std::string& n : preset_names()) names += (names.empty() ? "" : ", ") + n;
  throw UsageError("unknown preset '" + name + "' (choose one of: " + names + ")");
}

}  // namespace gatgrad
