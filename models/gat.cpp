#include "models/gat.hpp"

#include "autograd/ops.hpp"
#include "autograd/random.hpp"
#include "io/json.hpp"
#include "models/gat_conv.hpp"
#include "models/gatv2_conv.hpp"

namespace gatgrad {

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
  const Json j = parse_json(text, source);
  if (!j.is_object()) throw DataError(source + ": expected a JSON object");
  GATConfig c;
  auto get = [&](const char* field, auto& out) {
    if (!j.contains(field)) throw DataError(source + ": missing field '" + field + "'");
    try {
      j.at(field).get_to(out);
    } catch (const std::exception&) {
      throw DataError(source + ": field '" + field + "' has the wrong type");
    }
  };
  get("model", c.model);
  get("in_features", c.in_features);
  get("num_classes", c.num_classes);
  get("hidden", c.hidden);
  get("heads", c.heads);
  get("out_heads", c.out_heads);
  get("dropout", c.dropout);
  get("attn_dropout", c.attn_dropout);
  get("negative_slope", c.negative_slope);
  get("add_self_loops", c.add_self_loops);
  get("residual", c.residual);
  get("share_weights", c.share_weights);
  get("normalize_features", c.normalize_features);
  get("seed", c.seed);
  try {
    c.validate();
  } catch (const UsageError& e) {
    throw DataError(source + ": " + e.what());
  }
  return c;
}

namespace {

std::shared_ptr<AttentionLayer> make_layer(const std::string& model, const AttentionLayerOptions& o) {
  if (model == "gatv2") return std::make_shared<GATv2Conv>(o);
  return std::make_shared<GATConv>(o);
}

}  // namespace

GAT::GAT(const GATConfig& c, DType dtype) : config_(c) {
  c.validate();
  AttentionLayerOptions o1;
  o1.in_features = c.in_features;
  o1.out_features = c.hidden;
  o1.heads = c.heads;
  o1.concat = true;
  o1.negative_slope = c.negative_slope;
  o1.dropout = c.dropout;
  o1.attn_dropout = c.attn_dropout;
  o1.residual = c.residual;
  o1.share_weights = c.share_weights;
  o1.seed = derive_key(c.seed, 11);
  o1.dtype = dtype;
  o1.elu = true;  // σ of the hidden layer (the output layer's logits go to the loss as they are)
  AttentionLayerOptions o2 = o1;
  o2.elu = false;
  o2.in_features = c.heads * c.hidden;
  o2.out_features = c.num_classes;
  o2.heads = c.out_heads;
  o2.concat = false;
  o2.seed = derive_key(c.seed, 12);
  conv1_ = register_module("conv1", make_layer(c.model, o1));
  conv2_ = register_module("conv2", make_layer(c.model, o2));
}

Tensor GAT::forward(const InputFeatures& x, const Graph& g, std::vector<AttentionOut>* attention) {
  if (config_.add_self_loops && !g.has_one_self_loop_per_node())
    throw Error("GAT: the model attends over self-loops (add_self_loops), but the graph of " +
                std::to_string(g.num_nodes()) + " nodes does not have one self-loop at every node: pass " +
                "prepare_node_data's graph, or g.add_self_loops()");
  AttentionOut a1, a2;
  Tensor h1 = (*conv1_)(x, g, attention ? &a1 : nullptr);       // σ = ELU on the concatenated heads (o1.elu)
  Tensor logits = (*conv2_)(h1, g, attention ? &a2 : nullptr);  // averaged heads, no σ: logits
  if (attention) *attention = {a1, a2};
  return logits;
}

}  // namespace gatgrad
