// The catalogue of bad input through the library, for what the per-module suites do not
// already cover (test_npy: .npy/.npz bytes; test_dataset: dataset directories; test_checkpoint:
// checkpoint files; test_graph: edge lists): model configurations, checkpoints of another GAT,
// odd arrays in a dataset, and the numerical edge cases of attention (huge logits, nodes
// without incoming edges, graphs without edges). Each error names the file or field and the
// problem. The same catalogue seen from gat-train (exit codes, stderr) is tests/test_apps.cpp.
// To add a case: build the bad input, then
//   BOOST_CHECK_EXCEPTION(call(), DataError, message_has({"where", "what is wrong"}));
#define BOOST_TEST_MODULE errors
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "autograd/creation.hpp"
#include "autograd/error.hpp"
#include "autograd/ops.hpp"
#include "graph/load_dataset.hpp"
#include "io/npy.hpp"
#include "models/gat.hpp"
#include "models/gat_conv.hpp"
#include "models/gatv2_conv.hpp"
#include "models/presets.hpp"
#include "train/trainer.hpp"
#include "nn/checkpoint.hpp"
#include "testing.hpp"

using namespace gatgrad;
using namespace gatgrad::testing;

namespace {

// Every value finite (and the tensor defined: a gradient that should exist does).
bool all_finite(const Tensor& t) {
  if (!t.defined()) return false;
  for (double v : t.to_vector())
    if (!std::isfinite(v)) return false;
  return true;
}

std::unique_ptr<AttentionLayer> make_layer(bool v2, const AttentionLayerOptions& o) {
  if (v2) return std::make_unique<GATv2Conv>(o);
  return std::make_unique<GATConv>(o);
}

AttentionLayerOptions layer_options(bool concat, DType dtype) {
  AttentionLayerOptions o;
  o.in_features = 3;
  o.out_features = 2;
  o.heads = 2;
  o.concat = concat;
  o.seed = 7;
  o.dtype = dtype;
  return o;
}

// Forward in training mode (no dropout) with attention, and backward of a weighted sum, which
// gives every parameter and x a gradient.
struct LayerRun {
  Tensor x, out;
  AttentionOut attention;
};
LayerRun forward_backward(AttentionLayer& layer, const Graph& g, DType dtype, double x_scale = 1.0) {
  LayerRun r;
  r.x = (uniform({g.num_nodes(), 3}, -1.0, 1.0, 3, dtype) * x_scale).detach().requires_grad_();
  layer.train();
  r.out = layer(r.x, g, &r.attention);
  backward(sum(r.out * uniform(r.out.shape(), -1.0, 1.0, 4, dtype)));
  return r;
}

}  // namespace

// ================================================================ model configurations

BOOST_AUTO_TEST_SUITE(configurations)

BOOST_AUTO_TEST_CASE(validate_names_the_field) {
  struct Case {
    std::function<void(GATConfig&)> change;
    std::string words;
  };
  const std::vector<Case> cases = {
      {[](GATConfig& c) { c.model = "gcn"; }, "model must be gat or gatv2, not 'gcn'"},
      {[](GATConfig& c) { c.in_features = 0; }, "in_features must be positive"},
      {[](GATConfig& c) { c.num_classes = -1; }, "num_classes must be positive"},
      {[](GATConfig& c) { c.hidden = 0; }, "hidden must be positive"},
      {[](GATConfig& c) { c.heads = 0; }, "heads must be positive"},
      {[](GATConfig& c) { c.out_heads = 0; }, "out_heads must be positive"},
      {[](GATConfig& c) { c.dropout = 1.0; }, "dropout must be in [0, 1)"},
      {[](GATConfig& c) { c.dropout = NAN; }, "dropout must be in [0, 1)"},
      {[](GATConfig& c) { c.attn_dropout = -0.1; }, "attn_dropout must be in [0, 1)"},
      {[](GATConfig& c) { c.negative_slope = -1; }, "negative_slope must be >= 0"},
  };
  for (const Case& k : cases) {
    GATConfig c = small_gat_config();
    k.change(c);
    BOOST_CHECK_EXCEPTION(c.validate(), UsageError, message_has({"model configuration", k.words}));
    BOOST_CHECK_EXCEPTION(GAT{c}, UsageError, message_has({k.words}));  // the model refuses it too
  }
}

BOOST_AUTO_TEST_CASE(from_json_names_the_source_and_the_field) {
  const std::string src = "ckpt/config.json";
  const std::string good = small_gat_config().to_json();
  BOOST_TEST(GATConfig::from_json(good, src).to_json() == good);
  auto edited = [&](const std::function<void(nlohmann::json&)>& f) {
    nlohmann::json j = nlohmann::json::parse(good);
    f(j);
    return j.dump();
  };
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"", {"invalid JSON"}},
      {"{\"model\": \"gat\",", {"invalid JSON"}},
      {"[1, 2]", {"expected a JSON object"}},
      {edited([](nlohmann::json& j) { j.erase("heads"); }), {"missing field 'heads'"}},
      {edited([](nlohmann::json& j) { j["hidden"] = "eight"; }), {"field 'hidden' = \"eight\" is not an integer"}},
      {edited([](nlohmann::json& j) { j["add_self_loops"] = 1.5; }), {"field 'add_self_loops' = 1.5 is not true or false"}},
      {edited([](nlohmann::json& j) { j["dropout"] = 1.0; }), {"dropout must be in [0, 1)"}},
      {edited([](nlohmann::json& j) { j["heads"] = -2; }), {"heads must be positive"}},
      {edited([](nlohmann::json& j) { j["model"] = "mlp"; }), {"model must be gat or gatv2"}},
  };
  for (const auto& [text, words] : cases) {
    std::vector<std::string> all = words;
    all.push_back(src + ": ");
    BOOST_TEST_CONTEXT("config " << text) {
      try {
        (void)GATConfig::from_json(text, src);
        BOOST_ERROR("accepted");
      } catch (const DataError& e) {
        for (const std::string& w : all) BOOST_TEST(message_has(e, w), "\"" << e.what() << "\" lacks \"" << w << "\"");
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(unknown_preset_lists_the_names) {
  BOOST_CHECK_EXCEPTION(make_preset("imagenet"), UsageError, message_has({"imagenet", "cora", "citeseer", "pubmed"}));
}

BOOST_AUTO_TEST_SUITE_END()

// ================================================================ checkpoints of another model

BOOST_AUTO_TEST_SUITE(mismatched_checkpoints)

BOOST_AUTO_TEST_CASE(another_gat_is_refused_and_the_model_is_unchanged) {
  TempDir tmp("errors");
  GATConfig wide = small_gat_config();
  wide.hidden = 6;
  GAT saved(wide);
  nn::save_checkpoint(tmp / "wide", saved, nullptr, wide.to_json());

  GAT model(small_gat_config());
  std::vector<std::vector<double>> before;
  for (const Tensor& p : model.parameters()) before.push_back(p.to_vector());
  BOOST_CHECK_EXCEPTION(nn::load_checkpoint(tmp / "wide", model, nullptr), DataError,
                        message_has({tmp / "wide/conv1.", "does not match the model's"}));

  // A GAT checkpoint into a GATv2 model: the file names say it is another model.
  GATConfig v2 = small_gat_config();
  v2.model = "gatv2";
  GAT other(v2);
  GAT gat(small_gat_config());
  nn::save_checkpoint(tmp / "gat", gat, nullptr, small_gat_config().to_json());
  BOOST_CHECK_EXCEPTION(nn::load_checkpoint(tmp / "gat", other, nullptr), DataError,
                        message_has({tmp / "gat/conv", ".weight.npy: unexpected file", "no parameter 'conv"}));

  std::vector<std::vector<double>> after;
  for (const Tensor& p : model.parameters()) after.push_back(p.to_vector());
  BOOST_TEST((after == before), "a refused checkpoint changed the model");
}

BOOST_AUTO_TEST_CASE(checkpoint_config_is_validated) {
  TempDir tmp("errors");
  GAT gat(small_gat_config());
  nn::save_checkpoint(tmp / "ckpt", gat, nullptr, small_gat_config().to_json());
  BOOST_TEST(GATConfig::from_json(nn::read_checkpoint_config(tmp / "ckpt"), tmp / "ckpt/config.json").hidden == 4);
  write_file(tmp / "ckpt/config.json", "{\"model\": ");
  BOOST_CHECK_EXCEPTION(nn::read_checkpoint_config(tmp / "ckpt"), DataError,
                        message_has({tmp / "ckpt/config.json", "invalid JSON"}));
  fs::remove(tmp / "ckpt/config.json");
  BOOST_CHECK_EXCEPTION(nn::read_checkpoint_config(tmp / "ckpt"), DataError,
                        message_has({tmp / "ckpt/config.json", "missing file"}));
  BOOST_CHECK_EXCEPTION(nn::read_checkpoint_config(tmp / "none"), DataError,
                        message_has({tmp / "none", "missing checkpoint directory"}));
}

BOOST_AUTO_TEST_SUITE_END()

// ================================================================ dataset arrays (beyond test_dataset)

BOOST_AUTO_TEST_SUITE(dataset_arrays)

BOOST_AUTO_TEST_CASE(odd_array_shapes_and_types) {
  TempDir dir("errors");
  TinyDataset t;
  auto reload_fails = [&](const std::string& file, const std::vector<std::string>& words) {
    std::vector<std::string> all = words;
    all.push_back(dir / file);
    try {
      (void)load_dataset(dir.str());
      BOOST_ERROR(file << ": accepted");
    } catch (const DataError& e) {
      for (const std::string& w : all) BOOST_TEST(message_has(e, w), "\"" << e.what() << "\" lacks \"" << w << "\"");
    }
  };
  t.write(dir.str());
  const std::vector<float> fedges(t.edges.begin(), t.edges.end());
  save_npy(dir / "edge_index.npy", fedges.data(), {2, 8});
  reload_fails("edge_index.npy", {"expected an integer array, found dtype <f4"});

  t.write(dir.str());
  const int64_t label = 1;
  save_npy(dir / "y.npy", &label, {});
  reload_fails("y.npy", {"expected one entry per node, found a 0-d array"});

  t.write(dir.str());
  const std::vector<int64_t> cube(6 * 2 * 2, 0);
  save_npy(dir / "y.npy", cube.data(), {6, 2, 2});
  reload_fails("y.npy", {"expected shape (N,) or (N, C), found (6, 2, 2)"});

  t.write(dir.str());
  save_npy(dir / "y.npy", cube.data(), {6, 0});
  reload_fails("y.npy", {"multilabel targets with zero columns"});

  t.write(dir.str());
  save_npy(dir / "x.npy", t.x.data(), {24});
  reload_fails("x.npy", {"expected a 2-d array [nodes, features], found shape (24,)"});

  t.write(dir.str());
  save_npy(dir / "x.npy", t.x.data(), {6, 0});
  reload_fails("x.npy", {"zero features"});

  t.write(dir.str());
  const std::vector<uint8_t> strings = {'a', 'b', 'c', 'd', 'e', 'f'};
  save_npy(dir / "train_mask.npy", make_npy("|S1", strings.data(), {6}));
  reload_fails("train_mask.npy", {"expected a boolean array, found dtype |S1"});
}

BOOST_AUTO_TEST_CASE(a_directory_that_does_not_exist) {
  TempDir dir("errors");
  BOOST_CHECK_EXCEPTION(load_dataset(dir / "nowhere"), DataError, message_has({dir / "nowhere/x.npy", "missing file"}));
}

BOOST_AUTO_TEST_SUITE_END()

// ================================================================ attention edge cases

BOOST_AUTO_TEST_SUITE(attention_edge_cases)

// Logits of +-1e4 (float32 and float64, GAT and GATv2): softmax stays finite and sums to 1.
BOOST_AUTO_TEST_CASE(logits_of_plus_minus_1e4_give_finite_results) {
  const std::vector<int32_t> src = {0, 1, 2, 3, 4, 0, 2, 4}, dst = {1, 2, 3, 4, 0, 3, 1, 1};
  const Graph g = Graph::from_edges(src, dst, 5).add_self_loops();
  for (bool v2 : {false, true})
    for (DType dt : {DType::f32, DType::f64}) {
      BOOST_TEST_CONTEXT((v2 ? "GATv2" : "GAT") << " " << dtype_name(dt)) {
        auto layer = make_layer(v2, layer_options(true, dt));
        // att of norm ~1e4 times features of order 1: logits of order +-1e4.
        for (const auto& [name, p] : layer->named_parameters())
          if (name == "att") p.copy_from(uniform(p.shape(), -1.0, 1.0, 9, dt) * 1e4);
        const LayerRun r = forward_backward(*layer, g, dt, 3.0);
        BOOST_TEST(all_finite(r.out));
        BOOST_TEST(all_finite(r.attention.alpha));
        BOOST_TEST(all_finite(r.x.grad()));
        for (const Tensor& p : layer->parameters()) BOOST_TEST(all_finite(p.grad()));
        // Softmax saturates (some alpha are exactly 0 or 1) but each target still sums to 1.
        const Graph& lg = r.attention.graph;
        const std::vector<double> a = r.attention.alpha.to_vector();
        double worst = 0, largest = 0;
        for (int64_t i = 0; i < lg.num_nodes(); ++i)
          for (int64_t h = 0; h < 2; ++h) {
            double s = 0;
            for (int64_t e = lg.dst_ptr()[i]; e < lg.dst_ptr()[i + 1]; ++e) s += a[e * 2 + h];
            worst = std::max(worst, std::abs(s - 1));
          }
        for (double v : a) largest = std::max(largest, v);
        BOOST_TEST(worst < 1e-5);
        BOOST_TEST(largest > 0.999);  // the logits really were extreme
      }
    }
}

// No self-loops: a node with no incoming edge gets an exactly zero message (its output is the
// bias), not NaN from an empty softmax, and the gradients stay finite.
BOOST_AUTO_TEST_CASE(nodes_without_incoming_edges_get_zero_messages) {
  // Nodes 0, 3 and 4 receive nothing; 1 and 2 receive.
  const Graph g = Graph::from_edges(std::vector<int32_t>{0, 1, 2, 3}, std::vector<int32_t>{1, 2, 1, 2}, 5);
  for (bool v2 : {false, true})
    for (bool concat : {true, false}) {
      BOOST_TEST_CONTEXT((v2 ? "GATv2" : "GAT") << (concat ? " concat" : " mean")) {
        auto layer = make_layer(v2, layer_options(concat, DType::f32));
        const LayerRun r = forward_backward(*layer, g, DType::f32);
        const int64_t w = r.out.size(1);
        const std::vector<double> out = r.out.to_vector();
        for (int64_t i : {0, 3, 4})
          for (int64_t c = 0; c < w; ++c) BOOST_TEST(out[i * w + c] == 0.0);  // bias starts at zero
        double received = 0;
        for (int64_t i : {1, 2})
          for (int64_t c = 0; c < w; ++c) received += std::abs(out[i * w + c]);
        BOOST_TEST(received > 0);
        BOOST_TEST(all_finite(r.out));
        BOOST_TEST(all_finite(r.x.grad()));
        for (const Tensor& p : layer->parameters()) BOOST_TEST(all_finite(p.grad()));
        // x rows of nodes that send nothing (3 sends to 2; 4 sends nothing) get no gradient
        // through messages: node 4's row is exactly zero.
        const std::vector<double> gx = r.x.grad().to_vector();
        for (int64_t c = 0; c < 3; ++c) BOOST_TEST(gx[4 * 3 + c] == 0.0);
      }
    }
}

// Zero edges. With self-loops (the model's default, as in the paper) each node attends to itself
// with alpha = 1: the layer is a per-node linear map and GAT trains as a feature-only classifier.
// Without self-loops every message is zero and the output is the bias. Both are finite.
BOOST_AUTO_TEST_CASE(a_graph_with_zero_edges) {
  const Graph g = Graph::from_edges(std::vector<int32_t>{}, std::vector<int32_t>{}, 4);
  for (bool v2 : {false, true}) {
    BOOST_TEST_CONTEXT((v2 ? "GATv2" : "GAT")) {
      auto looped = make_layer(v2, layer_options(true, DType::f64));
      const LayerRun r = forward_backward(*looped, g.add_self_loops(), DType::f64);
      BOOST_TEST(r.attention.graph.num_edges() == 4);
      for (double a : r.attention.alpha.to_vector()) BOOST_TEST(a == 1.0);
      BOOST_TEST(all_finite(r.out));
      for (const Tensor& p : looped->parameters()) BOOST_TEST(all_finite(p.grad()));

      auto bare = make_layer(v2, layer_options(true, DType::f64));
      const LayerRun b = forward_backward(*bare, g, DType::f64);
      BOOST_TEST(b.attention.graph.num_edges() == 0);
      for (double v : b.out.to_vector()) BOOST_TEST(v == 0.0);
      BOOST_TEST((!b.x.grad().defined() || all_finite(b.x.grad())));
    }
  }
}

BOOST_AUTO_TEST_CASE(gat_trains_on_a_dataset_without_edges) {
  TempDir dir("errors");
  TinyDataset t;
  t.edges.clear();
  t.write(dir.str());
  const Dataset d = load_dataset(dir.str());
  BOOST_TEST(d.num_edges() == 0);
  GATConfig c = small_gat_config();
  const NodeData data = prepare_node_data(d, c.add_self_loops);
  GAT model(c);
  TrainConfig tc;
  tc.max_epochs = 5;
  const TrainResult r = train_node_classifier(model, data, tc);
  BOOST_TEST(r.epochs_run == 5);
  for (const EpochStats& s : r.history) {
    BOOST_TEST(std::isfinite(s.train_loss));
    BOOST_TEST(std::isfinite(s.val_loss));
  }
  BOOST_TEST(std::isfinite(r.test.loss));
}

BOOST_AUTO_TEST_SUITE_END()
