// GATConv and GATv2Conv against a literal float64 reference written from the equations (dense
// xtensor expressions of tests/reference.hpp: ref::gat_conv, ref::gatv2_conv, the concatenation
// form), the fused kernel against the composed ops, and training.
// To add a test: build a layer with AttentionLayerOptions, run it in eval mode, and compare
// with a reference of the equation you care about, written in xtensor like ref::gat_conv
// (tests/reference.cpp).
#define BOOST_TEST_MODULE models
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "autograd/creation.hpp"
#include "autograd/ops.hpp"
#include "graph/synthetic.hpp"
#include "models/gat.hpp"
#include "models/gat_conv.hpp"
#include "models/gatv2_conv.hpp"
#include "reference.hpp"
#include "train/trainer.hpp"

using namespace gatgrad;
namespace ref = gatgrad::reference;

namespace {

struct Edges {
  std::vector<int32_t> src, dst;
  int64_t n;
};

// A random graph with self-loops, duplicate edges, an isolated node and degree-1 nodes.
Edges random_edges(int64_t n, int64_t e, uint64_t seed) {
  Edges g{{}, {}, n};
  Tensor r = uniform({2 * e}, 0, static_cast<double>(n - 1), seed, DType::f64);  // node n-1 stays isolated
  for (int64_t k = 0; k < e; ++k) {
    g.src.push_back(static_cast<int32_t>(r.data<double>()[2 * k]));
    g.dst.push_back(static_cast<int32_t>(r.data<double>()[2 * k + 1]));
  }
  g.src.push_back(g.src[0]);  // a duplicate edge
  g.dst.push_back(g.dst[0]);
  g.src.push_back(3);  // a self-loop (add_self_loops() replaces it by exactly one)
  g.dst.push_back(3);
  return g;
}

// The edges of Graph::add_self_loops() (what the layers attend over): the existing self-loops
// removed, one per node added.
std::vector<std::pair<int, int>> with_self_loops(const Edges& g) {
  std::vector<std::pair<int, int>> out;
  for (size_t k = 0; k < g.src.size(); ++k)
    if (g.src[k] != g.dst[k]) out.push_back({g.src[k], g.dst[k]});
  for (int i = 0; i < g.n; ++i) out.push_back({i, i});
  return out;
}

// The layers' graph as the references take it (tests/reference.hpp): the edges j -> i above.
ref::Edges layer_edges(const Edges& g) {
  ref::Edges out{{}, {}, g.n};
  for (auto [j, i] : with_self_loops(g)) {
    out.src.push_back(j);
    out.dst.push_back(i);
  }
  return out;
}

AttentionLayerOptions options(int64_t heads, bool concat) {
  AttentionLayerOptions o;
  o.in_features = 6;
  o.out_features = 4;
  o.heads = heads;
  o.concat = concat;
  o.negative_slope = 0.2;
  o.seed = 3;
  o.dtype = DType::f64;
  return o;
}

void randomise(nn::Module& m, uint64_t seed) {
  for (const Tensor& p : m.parameters()) p.copy_from(uniform(p.shape(), -1, 1, seed++, DType::f64));
}

void check_close(const Tensor& got, const Tensor& want, double tol) {
  BOOST_REQUIRE(got.shape() == want.shape());
  const double worst = ref::max_abs_difference(got, want.to_vector());
  BOOST_TEST(worst <= tol, "max |got - reference| = " << worst);
}

}  // namespace

BOOST_AUTO_TEST_CASE(gat_conv_matches_the_literal_equations) {
  const Edges e = random_edges(12, 30, 1);
  const Graph g = Graph::from_edges(e.src, e.dst, e.n).add_self_loops();
  const Tensor x = uniform({12, 6}, -1, 1, 2, DType::f64);
  for (int64_t heads : {1, 3})
    for (bool concat : {true, false}) {
      GATConv layer(options(heads, concat));
      randomise(layer, 10);
      layer.eval();
      NoGradGuard ng;
      Tensor out = layer.forward(x, g);
      check_close(out, ref::gat_conv(x, layer.weight(), layer.att(), layer.parameter("bias"), layer_edges(e), heads, 4, concat, 0.2), 1e-9);
    }
}

BOOST_AUTO_TEST_CASE(gatv2_conv_matches_the_literal_equations) {
  const Edges e = random_edges(10, 25, 4);
  const Graph g = Graph::from_edges(e.src, e.dst, e.n).add_self_loops();
  const Tensor x = uniform({10, 6}, -1, 1, 5, DType::f64);
  for (int64_t heads : {1, 2})
    for (bool concat : {true, false})
      for (bool shared : {false, true}) {
        AttentionLayerOptions o = options(heads, concat);
        o.share_weights = shared;
        GATv2Conv layer(o);
        randomise(layer, 20);
        layer.eval();
        NoGradGuard ng;
        Tensor out = layer.forward(x, g);
        check_close(out, ref::gatv2_conv(x, layer.weight_src(), layer.weight_dst(), layer.att(), layer.parameter("bias"),
                                         layer_edges(e), heads, 4, concat, 0.2), 1e-9);
      }
}

BOOST_AUTO_TEST_CASE(fused_attention_equals_the_composed_ops_with_dropout) {
  const Edges e = random_edges(30, 120, 6);
  const Graph g = Graph::from_edges(e.src, e.dst, e.n).add_self_loops();
  AttentionLayerOptions o = options(2, true);
  o.dropout = 0.4;
  o.attn_dropout = 0.5;
  GATConv layer(o);
  Tensor x = uniform({30, 6}, -1, 1, 7, DType::f64).requires_grad_();
  const Tensor w = uniform({30, 8}, -1, 1, 8, DType::f64);
  std::vector<std::vector<double>> grads[2];
  std::vector<double> outs[2];
  for (int path = 0; path < 2; ++path) {
    layer.set_counter("rng_counter", 5);
    layer.zero_grad();
    x.zero_grad();
    Tensor out = path == 0 ? layer.forward(x, g) : layer.forward_composed(x, g);
    outs[path] = out.to_vector();
    backward(sum(out * w));
    grads[path].push_back(x.grad().to_vector());
    for (const Tensor& p : layer.parameters()) grads[path].push_back(p.grad().to_vector());
  }
  for (size_t k = 0; k < outs[0].size(); ++k) BOOST_TEST(std::abs(outs[0][k] - outs[1][k]) < 1e-12);
  for (size_t t = 0; t < grads[0].size(); ++t)
    for (size_t k = 0; k < grads[0][t].size(); ++k) BOOST_TEST(std::abs(grads[0][t][k] - grads[1][t][k]) < 1e-12);
}

BOOST_AUTO_TEST_CASE(attention_coefficients_sum_to_one_per_node) {
  const Edges e = random_edges(15, 40, 9);
  const Graph g = Graph::from_edges(e.src, e.dst, e.n).add_self_loops();
  GATConv layer(options(2, true));
  layer.eval();
  AttentionOut att;
  layer.forward(uniform({15, 6}, -1, 1, 10, DType::f64), g, &att);
  BOOST_TEST(att.graph.num_edges() == static_cast<int64_t>(with_self_loops(e).size()));
  std::vector<double> total(15 * 2, 0.0);
  for (int64_t k = 0; k < att.graph.num_edges(); ++k)
    for (int h = 0; h < 2; ++h) total[att.graph.dst()[k] * 2 + h] += att.alpha.at({k, h});
  for (double t : total) BOOST_TEST(std::abs(t - 1.0) < 1e-12);
}

BOOST_AUTO_TEST_CASE(training_on_the_synthetic_graph_reaches_high_accuracy) {
  CsbmOptions c;
  c.seed = 1;
  const Dataset d = make_csbm(c);
  Preset p = make_preset("cora");
  const NodeData data = prepare_node_data(d, p.model.add_self_loops);
  p.model.in_features = d.num_features;
  p.model.num_classes = d.num_classes;
  p.train.max_epochs = 200;
  GAT model(p.model);
  const TrainResult r = train_node_classifier(model, data, p.train);
  BOOST_TEST(r.test.accuracy > 0.9, "test accuracy " << r.test.accuracy);
  BOOST_TEST(r.best_epoch >= 1);
  BOOST_TEST(r.history.size() == static_cast<size_t>(r.epochs_run));
}

BOOST_AUTO_TEST_CASE(the_data_gets_its_self_loops_once_as_the_model_asks) {
  CsbmOptions c;
  c.num_nodes = 100;
  c.num_edges = 400;
  c.train_per_class = 4;
  c.val_size = 20;
  c.test_size = 20;
  const Dataset d = make_csbm(c);
  const NodeData looped = prepare_node_data(d, true);
  const NodeData bare = prepare_node_data(d, false);
  BOOST_TEST(looped.graph.has_one_self_loop_per_node());
  BOOST_TEST(looped.graph.num_edges() == Graph::from_edges(d.src, d.dst, d.num_nodes).add_self_loops().num_edges());
  BOOST_TEST(bare.graph.num_edges() == d.num_edges());

  // A model that attends over self-loops refuses a graph without them (it never adds them).
  Preset p = make_preset("cora");
  p.model.in_features = d.num_features;
  p.model.num_classes = d.num_classes;
  GAT model(p.model);
  BOOST_CHECK_EXCEPTION(model.forward(bare.x, bare.graph), Error, [](const Error& e) {
    return std::string(e.what()).find("does not have one self-loop at every node") != std::string::npos;
  });
  BOOST_TEST(model.forward(looped.x, looped.graph).size(0) == d.num_nodes);
  p.model.add_self_loops = false;  // ... and one that does not takes the graph as it is
  GAT plain(p.model);
  BOOST_TEST(plain.forward(bare.x, bare.graph).size(0) == d.num_nodes);
}
