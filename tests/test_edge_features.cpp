// Edge features in the attention (PyG's edge_dim): edge_attr.npy read and checked, carried to the
// graph's edge order with the self-loops filled, GATConv's fused path against its composed one,
// the checkpoint, and the synthetic set where the edges say what the nodes do not.
// To add a test: build a small Dataset or edge list, carry it with prepare_node_data /
// edge_features_in_graph_order, and compare with values computed by hand or by the composed path.
#define BOOST_TEST_MODULE edge_features
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <filesystem>
#include <string>
#include <vector>

#include <tbb/global_control.h>

#include "autograd/creation.hpp"
#include "autograd/error.hpp"
#include "autograd/ops.hpp"
#include "autograd/tape.hpp"
#include "graph/edge_features.hpp"
#include "graph/load_dataset.hpp"
#include "graph/synthetic.hpp"
#include "io/npy.hpp"
#include "models/gat.hpp"
#include "models/gat_conv.hpp"
#include "models/gatv2_conv.hpp"
#include "models/layerwise.hpp"
#include "models/node_data.hpp"
#include "train/trainer.hpp"
#include "nn/checkpoint.hpp"
#include "testing.hpp"

using namespace gatgrad;
using namespace gatgrad::testing;
namespace fs = std::filesystem;

namespace {

// TinyDataset's 8 edges with 2 features each: row k = (k, 10 + k).
std::vector<float> tiny_edge_attr(int64_t edges) {
  std::vector<float> a;
  for (int64_t k = 0; k < edges; ++k) {
    a.push_back(static_cast<float>(k));
    a.push_back(static_cast<float>(10 + k));
  }
  return a;
}

std::vector<double> values(const Tensor& t) { return t.to_vector(); }

// A small synthetic graph of n nodes with 3 edge features, its split sized to fit.
Dataset small_edge_graph(int64_t n, int64_t train_per_class, int64_t val, int64_t test) {
  CsbmOptions c;
  c.num_nodes = n;
  c.train_per_class = train_per_class;
  c.val_size = val;
  c.test_size = test;
  c.edge_dim = 3;
  return make_csbm(c);
}

// The default model for d's sizes, edge features included.
GATConfig edge_model(const Dataset& d, const char* model_name) {
  GATConfig m;
  m.model = model_name;
  m.in_features = d.num_features;
  m.num_classes = d.num_classes;
  m.edge_dim = d.edge_dim;
  return m;
}

}  // namespace

// ---------------------------------------------------------------- reading edge_attr.npy

BOOST_AUTO_TEST_CASE(edge_attr_is_read_with_the_dataset) {
  TempDir dir;
  TinyDataset t;
  t.write(dir.str());
  BOOST_TEST(load_dataset(dir.str()).edge_dim == 0);  // optional
  const std::vector<float> a = tiny_edge_attr(8);
  save_npy(dir / "edge_attr.npy", a.data(), {8, 2});
  const Dataset d = load_dataset(dir.str());
  BOOST_TEST(d.edge_dim == 2);
  BOOST_TEST(d.edge_attr == a, boost::test_tools::per_element());
  const std::vector<double> one = {0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5};  // float64 [E]: one feature
  save_npy(dir / "edge_attr.npy", one.data(), {8});
  BOOST_TEST(load_dataset(dir.str()).edge_dim == 1);
  BOOST_TEST(load_dataset(dir.str()).edge_attr[7] == 7.5f);
}

BOOST_AUTO_TEST_CASE(bad_edge_attr_files_are_named) {
  TempDir dir;
  TinyDataset t;
  t.write(dir.str());
  const std::string file = dir / "edge_attr.npy";
  const std::vector<float> a = tiny_edge_attr(8);
  auto expect = [&](std::initializer_list<std::string> words) {
    std::vector<std::string> all(words);
    all.push_back(file);
    for (const std::string& w : all) BOOST_CHECK_EXCEPTION(load_dataset(dir.str()), DataError, message_has({w}));
  };
  save_npy(file, a.data(), {7, 2});  // (the first 14 values: one edge short)
  expect({"has 7 rows but", dir / "edge_index.npy", "has 8 edges"});
  save_npy(file, a.data(), {2, 4, 2});
  expect({"expected shape (E, D) or (E,)", "(2, 4, 2)"});
  const std::vector<int64_t> ints(16, 1);
  save_npy(file, ints.data(), {8, 2});
  expect({"must be float32 or float64", "<i8"});
  std::vector<float> bad = a;
  bad[2 * 5 + 1] = NAN;
  save_npy(file, bad.data(), {8, 2});
  expect({"NaN in the features of edge 5, column 1"});
  save_npy(file, a.data(), {8, 0});
  expect({"zero edge features"});
}

// ---------------------------------------------------------------- the graph's edge order and the loops

BOOST_AUTO_TEST_CASE(features_follow_the_graph_and_loops_are_filled) {
  // 4 nodes: edges 0: 1->0, 1: 2->0, 2: 0->1, 3: 1->1 (a loop: dropped with its row), 4: 0->2;
  // node 3 receives nothing. Features: row k = (k, -k).
  const std::vector<int32_t> src = {1, 2, 0, 1, 0}, dst = {0, 0, 1, 1, 2};
  std::vector<float> attr;
  for (int k = 0; k < 5; ++k) attr.insert(attr.end(), {float(k), float(-k)});
  const Graph plain = Graph::from_edges(src, dst, 4), looped = plain.add_self_loops();
  // Without loops added: row e is the input row edge_origin[e].
  const std::vector<double> p = values(edge_features_in_graph_order(plain, false, src, dst, attr, 2, {}, DType::f64));
  for (int64_t e = 0; e < plain.num_edges(); ++e) BOOST_TEST(p[e * 2] == plain.edge_origin()[e]);
  // With loops, by 'mean': node 0's loop (0 + 1) / 2, node 1's 2 (its own loop 3 is not counted),
  // node 2's 4, node 3's 0 (no incoming edge); by a constant: 7 everywhere.
  for (const EdgeFill& fill : {EdgeFill{}, EdgeFill{false, 7}}) {
    const std::vector<double> l = values(edge_features_in_graph_order(looped, true, src, dst, attr, 2, fill, DType::f64));
    BOOST_REQUIRE_EQUAL(static_cast<int64_t>(l.size()), looped.num_edges() * 2);
    const double mean[4] = {0.5, 2, 4, 0};
    for (int64_t e = 0; e < looped.num_edges(); ++e) {
      const int32_t j = looped.src()[e], i = looped.dst()[e];
      if (i == j) {
        BOOST_TEST(l[e * 2] == (fill.mean ? mean[i] : 7.0), "loop of " << i);
        BOOST_TEST(l[e * 2 + 1] == (fill.mean ? -mean[i] : 7.0));
      } else {
        int k = 0;
        while (!(src[k] == j && dst[k] == i)) ++k;
        BOOST_TEST(l[e * 2] == k);
        BOOST_TEST(l[e * 2 + 1] == -k);
      }
    }
  }
  BOOST_CHECK_THROW(edge_features_in_graph_order(plain, true, src, dst, attr, 2, {}, DType::f64), Error);
  BOOST_TEST(parse_edge_fill("mean").mean);
  BOOST_TEST(parse_edge_fill("-0.5").value == -0.5);
  BOOST_CHECK_EXCEPTION(parse_edge_fill("avg"), UsageError, message_has({"'avg'", "'mean' nor a finite number"}));
  BOOST_CHECK_THROW(parse_edge_fill("nan"), UsageError);
}

// ---------------------------------------------------------------- the layers

BOOST_AUTO_TEST_CASE(gat_conv_fused_equals_composed_with_edge_features) {
  // Random graph with its loops; per shape the kernel paths: 2 heads concatenated with the fused
  // ELU (general), one head of 3 features averaged (one-head path, narrower than a register),
  // 8 heads of 8 (heads8).
  std::vector<int32_t> src, dst;
  for (int k = 0; k < 160; ++k) {
    src.push_back((k * 7 + 3) % 40);
    dst.push_back((k * 13 + k / 9) % 40);
  }
  const Graph g = Graph::from_edges(src, dst, 40).add_self_loops();
  struct Shape3 { int64_t heads, f; bool concat, elu; };
  for (const Shape3 s : {Shape3{2, 4, true, true}, Shape3{1, 3, false, false}, Shape3{8, 8, true, true}}) {
    AttentionLayerOptions o;
    o.in_features = 6;
    o.out_features = s.f;
    o.heads = s.heads;
    o.concat = s.concat;
    o.elu = s.elu;
    o.dropout = 0.3;
    o.attn_dropout = 0.4;
    o.edge_dim = 3;
    o.seed = 4;
    o.dtype = DType::f64;
    GATConv layer(o);
    const Tensor x = uniform({40, 6}, -1, 1, 1, DType::f64).requires_grad_();
    const Tensor ea = uniform({g.num_edges(), 3}, -1, 1, 2, DType::f64).requires_grad_();
    std::vector<double> out[2];
    std::vector<std::vector<double>> grads[2];
    for (int path = 0; path < 2; ++path) {
      layer.set_counter("rng_counter", 3);
      layer.zero_grad();
      x.zero_grad();
      ea.zero_grad();
      const Tensor y = path == 0 ? layer.forward(x, g, ea) : layer.forward_composed(x, g, ea);
      out[path] = y.to_vector();
      backward(sum(y * uniform(y.shape(), -1, 1, 9, DType::f64)));
      grads[path] = {x.grad().to_vector(), ea.grad().to_vector()};
      for (const Tensor& p : layer.parameters()) grads[path].push_back(p.grad().to_vector());
    }
    const std::string what = "heads=" + std::to_string(s.heads) + " F'=" + std::to_string(s.f);
    BOOST_TEST(grads[0].size() == 7u, what);  // x, edge_attr, weight, att, bias, edge_weight, att_edge
    for (size_t k = 0; k < out[0].size(); ++k) BOOST_TEST(std::abs(out[0][k] - out[1][k]) < 1e-12, what);
    for (size_t t = 0; t < grads[0].size(); ++t)
      for (size_t k = 0; k < grads[0][t].size(); ++k)
        BOOST_TEST(std::abs(grads[0][t][k] - grads[1][t][k]) < 1e-12, what << " gradient " << t << "[" << k << "]");
    // The features act: other features, other output.
    layer.eval();
    NoGradGuard no_grad;
    BOOST_TEST((layer.forward(x, g, ea).to_vector() != layer.forward(x, g, ea * 2.0).to_vector()), what);
  }
}

BOOST_AUTO_TEST_CASE(layers_check_their_edge_features) {
  const Graph g = Graph::from_edges(std::vector<int32_t>{0, 1, 2}, std::vector<int32_t>{1, 2, 0}, 3).add_self_loops();
  AttentionLayerOptions o;
  o.in_features = 2;
  o.out_features = 2;
  o.heads = 2;
  o.edge_dim = 2;
  const Tensor x = uniform({3, 2}, -1, 1, 1);
  GATConv with(o);
  GATv2Conv with2(o);
  o.edge_dim = 0;
  GATConv without(o);
  const Tensor ea = uniform({g.num_edges(), 2}, -1, 1, 2);
  BOOST_CHECK_EXCEPTION(with.forward(x, g), Error, message_has({"GATConv", "edge_dim = 2", "pass edge_attr [6, 2]"}));
  BOOST_CHECK_EXCEPTION(with2.forward(x, g), Error, message_has({"GATv2Conv", "edge_dim = 2"}));
  BOOST_CHECK_EXCEPTION(without.forward(x, g, ea), Error, message_has({"without them (edge_dim = 0)"}));
  BOOST_CHECK_EXCEPTION(with.forward(x, g, uniform({5, 2}, -1, 1, 3)), Error, message_has({"expected edge_attr [6, 2]"}));
  BOOST_CHECK_EXCEPTION(with.forward(x, g, ea.to(DType::f64)), Error, message_has({"expected edge_attr [6, 2] float32"}));
  BOOST_TEST(with.parameter("edge_weight").shape() == Shape({2, 4}));
  BOOST_TEST(with.parameter("att_edge").shape() == Shape({2, 2}));
  BOOST_TEST(with2.parameter("edge_weight").shape() == Shape({2, 4}));
  tape_clear();
}

// ---------------------------------------------------------------- checkpoints

BOOST_AUTO_TEST_CASE(checkpoint_keeps_the_edge_parameters) {
  const Dataset d = small_edge_graph(200, 5, 50, 50);
  for (const char* model_name : {"gat", "gatv2"}) {
    GATConfig cfg = edge_model(d, model_name);
    cfg.edge_fill = "0.5";
    const NodeData data = prepare_node_data(d, true, DType::f32, GraphUse::full_batch, parse_edge_fill(cfg.edge_fill));
    GAT model(cfg);
    TrainConfig t;
    t.max_epochs = 3;
    train_node_classifier(model, data, t);
    TempDir dir;
    nn::save_checkpoint(dir / "ckpt", model, nullptr, cfg.to_json());
    BOOST_TEST(fs::exists(dir / "ckpt/conv1.edge_weight.npy"));
    BOOST_TEST(fs::exists(dir / "ckpt/conv2.edge_weight.npy"));
    BOOST_TEST(fs::exists(dir / "ckpt/conv1.att_edge.npy") == (cfg.model == "gat"));
    const GATConfig back = GATConfig::from_json(nn::read_checkpoint_config(dir / "ckpt"), "config.json");
    BOOST_TEST(back.edge_dim == 3);
    BOOST_TEST(back.edge_fill == "0.5");
    GAT loaded(back);
    nn::load_checkpoint(dir / "ckpt", loaded, nullptr);
    model.eval();
    loaded.eval();
    NoGradGuard no_grad;
    BOOST_TEST((model.forward(data.x, data.graph, data.edge_attr).to_vector() ==
                loaded.forward(data.x, data.graph, data.edge_attr).to_vector()), model_name);
  }
  // A configuration written before edge features: none.
  GATConfig old;
  old.in_features = 4;
  old.num_classes = 2;
  std::string json = old.to_json();
  json.replace(json.find("\"edge_dim\""), std::string("\"edge_dim\": 0,").size(), "");
  BOOST_TEST(json.find("edge_dim") == std::string::npos);
  BOOST_TEST(GATConfig::from_json(json, "old.json").edge_dim == 0);
  old.edge_fill = "often";
  BOOST_CHECK_EXCEPTION(old.validate(), UsageError, message_has({"edge_fill", "'often'"}));
}

// Five Adam steps with dropout on 1 and on 2 threads: the same logits and parameters, bit for bit.
BOOST_AUTO_TEST_CASE(training_with_edge_features_does_not_depend_on_the_thread_count) {
  CsbmOptions c;
  c.num_nodes = 3000;  // several node blocks of the fused kernels
  c.edge_dim = 3;
  const Dataset d = make_csbm(c);
  for (const char* model_name : {"gat", "gatv2"}) {
    std::vector<double> result[2];
    for (int threads : {1, 2}) {
      tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<size_t>(threads));
      Preset p = make_preset("cora");
      p.model.model = model_name;
      p.model.in_features = d.num_features;
      p.model.num_classes = d.num_classes;
      p.model.edge_dim = d.edge_dim;
      p.train.max_epochs = 5;
      p.train.patience = 5;
      const NodeData data = prepare_node_data(d, true);
      GAT model(p.model);
      train_node_classifier(model, data, p.train);
      model.eval();
      NoGradGuard no_grad;
      result[threads - 1] = model.forward(data.x, data.graph, data.edge_attr).to_vector();
      for (const Tensor& t : model.parameters())
        for (double v : t.to_vector()) result[threads - 1].push_back(v);
    }
    BOOST_TEST((result[0] == result[1]), model_name);
  }
}

// ---------------------------------------------------------------- edge features that carry signal

BOOST_AUTO_TEST_CASE(synthetic_edge_features_say_whether_an_edge_stays_in_its_class) {
  CsbmOptions c;
  c.edge_dim = 3;
  c.edge_flip = 0.1;
  const Dataset d = make_csbm(c), again = make_csbm(c);
  BOOST_TEST(d.edge_attr == again.edge_attr);  // a function of the options
  BOOST_REQUIRE_EQUAL(d.edge_attr.size(), static_cast<size_t>(d.num_edges() * 3));
  int64_t agree = 0;
  double noise = 0;
  for (int64_t k = 0; k < d.num_edges(); ++k) {
    agree += (d.edge_attr[k * 3] == 1.0f) == (d.y[d.src[k]] == d.y[d.dst[k]]);
    noise += d.edge_attr[k * 3 + 1] * d.edge_attr[k * 3 + 1];
  }
  BOOST_TEST(std::abs(static_cast<double>(agree) / d.num_edges() - 0.9) < 0.01);
  BOOST_TEST(std::abs(noise / d.num_edges() - 1.0) < 0.05);  // N(0, 1)
  c.edge_dim = 0;
  BOOST_TEST(make_csbm(c).edge_attr.empty());
  c.edge_dim = 2;
  BOOST_CHECK_THROW(make_csbm_by_destination(c), UsageError);
  c.edge_flip = 1.5;
  BOOST_CHECK_THROW(make_csbm(c), UsageError);
}

// A deliberately hard graph: 80% of the edges join nodes of different classes, so averaging over
// neighbours mostly mixes other classes in. Its edge features (a same-class indicator flipped
// for 5% of the edges, and a column of noise) tell the attention which neighbours to trust.
CsbmOptions heterophilous_graph() {
  CsbmOptions c;
  c.num_nodes = 1000;  // 500 training nodes, 200 validation, 300 test
  c.val_size = 200;
  c.test_size = 300;
  c.seed = 3;
  c.homophily = 0.2;
  c.signal = 2;
  c.train_per_class = 100;
  c.edge_dim = 2;
  c.edge_flip = 0.05;
  return c;
}

BOOST_AUTO_TEST_CASE(edge_features_raise_accuracy_on_a_heterophilous_graph) {
  const CsbmOptions c = heterophilous_graph();
  for (const char* model_name : {"gat", "gatv2"}) {
    double accuracy[2] = {0, 0};
    for (int with = 0; with < 2; ++with) {
      Dataset d = make_csbm(c);
      if (!with) {  // the same graph and nodes, the edge features dropped
        d.edge_dim = 0;
        d.edge_attr.clear();
      }
      Preset p = make_preset("cora");
      p.model.model = model_name;
      p.model.in_features = d.num_features;
      p.model.num_classes = d.num_classes;
      p.model.edge_dim = d.edge_dim;  // 'mean' fill
      p.train.lr = 0.01;
      p.train.max_epochs = 300;
      const NodeData data = prepare_node_data(d, p.model.add_self_loops);
      GAT model(p.model);
      accuracy[with] = train_node_classifier(model, data, p.train).test.accuracy;
    }
    BOOST_TEST_MESSAGE(model_name << ": test accuracy " << accuracy[1] << " with edge features, " << accuracy[0]
                                  << " without");
    BOOST_TEST(accuracy[1] > accuracy[0] + 0.15, model_name << ": " << accuracy[1] << " with, " << accuracy[0] << " without");
    BOOST_TEST(accuracy[1] > 0.65, model_name);
  }
}

// ---------------------------------------------------------------- mini-batches

// Blocks of every incoming edge (fanout -1) see what the whole graph does, edge features and
// their 'mean'-filled loops included: the layer-wise logits are the full-batch forward's.
BOOST_AUTO_TEST_CASE(layerwise_inference_with_edge_features_equals_the_full_batch_forward) {
  const Dataset d = small_edge_graph(300, 10, 50, 100);
  for (const char* model_name : {"gat", "gatv2"}) {
    GAT model(edge_model(d, model_name));
    const NodeData full = prepare_node_data(d, true), sampled = prepare_node_data(d, true, DType::f32, GraphUse::sampling);
    model.eval();
    NoGradGuard no_grad;
    const std::vector<double> want = model.forward(full.x, full.graph, full.edge_attr).to_vector();
    std::vector<int32_t> all(static_cast<size_t>(d.num_nodes));
    std::iota(all.begin(), all.end(), 0);
    const std::vector<double> got =
        layerwise_logits(model, sampled.x, *sampled.neighbors, all, 64, sampled.edge_attr).to_vector();
    BOOST_REQUIRE_EQUAL(got.size(), want.size());
    double worst = 0;
    for (size_t k = 0; k < got.size(); ++k) worst = std::max(worst, std::abs(got[k] - want[k]));
    BOOST_TEST(worst < 1e-5, model_name << ": max |layer-wise - full batch| = " << worst);
  }
}

// The heterophilous graph above, trained in sampled mini-batches: the blocks carry the features.
BOOST_AUTO_TEST_CASE(mini_batches_carry_edge_features_and_they_raise_accuracy) {
  const CsbmOptions c = heterophilous_graph();
  double accuracy[2] = {0, 0};
  for (int with = 0; with < 2; ++with) {
    Dataset d = make_csbm(c);
    if (!with) {
      d.edge_dim = 0;
      d.edge_attr.clear();
    }
    Preset p = make_preset("cora");
    p.model.in_features = d.num_features;
    p.model.num_classes = d.num_classes;
    p.model.edge_dim = d.edge_dim;
    p.train.lr = 0.01;
    p.train.max_epochs = 200;
    p.train.batch_size = 128;
    p.train.fanout = {10, 10};
    const NodeData data = prepare_node_data(d, true, DType::f32, GraphUse::sampling);
    GAT model(p.model);
    accuracy[with] = train_node_classifier(model, data, p.train).test.accuracy;
  }
  BOOST_TEST_MESSAGE("mini-batch test accuracy " << accuracy[1] << " with edge features, " << accuracy[0] << " without");
  BOOST_TEST(accuracy[1] > accuracy[0] + 0.15, accuracy[1] << " with, " << accuracy[0] << " without");
}
