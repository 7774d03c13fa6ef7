// Inductive training on many graphs (the GAT paper's PPI task): graph_index.npy read and checked,
// the synthetic PPI-like set, the subgraph of a batch of graphs, the evaluation graph by graph
// against one forward over every graph, deterministic batches and their resume, and the
// synthetic set's point: a deep model beats a shallow one, which beats an MLP.
// To add a test: make a small set with make_graph_set (a few graphs of ~100 nodes keeps it fast
// under the emulators) or write a TinyDataset with graph_index.npy, and compare with values
// computed another way.
#define BOOST_TEST_MODULE graph_batches
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <tbb/global_control.h>

#include "autograd/error.hpp"
#include "autograd/ops.hpp"
#include "autograd/tape.hpp"
#include "graph/graph_index.hpp"
#include "graph/load_dataset.hpp"
#include "graph/synthetic_graphs.hpp"
#include "io/npy.hpp"
#include "models/gat.hpp"
#include "train/graph_batches.hpp"
#include "models/node_data.hpp"
#include "train/trainer.hpp"
#include "nn/metrics.hpp"
#include "testing.hpp"

using namespace gatgrad;
using namespace gatgrad::testing;
namespace fs = std::filesystem;

namespace {

GraphSetOptions small_set(int64_t graphs = 6, int64_t nodes = 60) {
  GraphSetOptions o;
  o.num_graphs = graphs;
  o.nodes_per_graph = nodes;
  o.num_features = 8;
  o.num_labels = 7;
  o.seed = 3;
  return o;
}

GATConfig model_for(const NodeData& d, int64_t layers) {
  GATConfig c;
  c.in_features = 8;
  c.num_classes = d.num_classes;
  c.layers = layers;
  c.heads = 2;
  c.hidden = 8;
  c.out_heads = 2;
  c.dropout = 0.1;
  c.attn_dropout = 0.1;
  c.residual = true;
  c.seed = 5;
  return c;
}

// A TinyDataset of three graphs: {0, 1, 2} trains, {3, 4} validates, {5} tests; no edge crosses.
TinyDataset three_graphs() {
  TinyDataset t;
  t.edges = {0, 1, 1, 2, 3, 4, 5, 2,   // sources
             1, 0, 2, 1, 4, 3, 5, 0};  // targets
  t.train = {1, 1, 1, 0, 0, 0};
  t.val = {0, 0, 0, 1, 1, 0};
  t.test = {0, 0, 0, 0, 0, 1};
  return t;
}

void write_graph_index(const TempDir& dir, const std::vector<int64_t>& ids) {
  save_npy(dir / "graph_index.npy", ids.data(), {static_cast<int64_t>(ids.size())});
}

}  // namespace

// ---------------------------------------------------------------- graph_index.npy

BOOST_AUTO_TEST_CASE(graph_index_is_read_with_the_dataset) {
  TempDir dir;
  three_graphs().write(dir.str());
  BOOST_TEST(load_dataset(dir.str()).num_graphs == 0);  // optional: one graph
  write_graph_index(dir, {0, 0, 0, 1, 1, 2});
  const Dataset d = load_dataset(dir.str());
  BOOST_TEST(d.num_graphs == 3);
  BOOST_TEST((d.graph_index == std::vector<int32_t>{0, 0, 0, 1, 1, 2}));
  const auto nodes = nodes_by_graph(d.graph_index, d.num_graphs);
  BOOST_TEST((nodes[1] == std::vector<int32_t>{3, 4}));
}

BOOST_AUTO_TEST_CASE(bad_graph_index_files_are_named) {
  TempDir dir;
  TinyDataset t = three_graphs();
  t.write(dir.str());
  const std::string file = dir / "graph_index.npy";
  auto expect = [&](const std::string& where, std::initializer_list<std::string> words) {
    std::vector<std::string> all(words);
    all.push_back(where);
    for (const std::string& w : all) BOOST_CHECK_EXCEPTION(load_dataset(dir.str()), DataError, message_has({w}));
  };
  write_graph_index(dir, {0, 0, 1, 1, 1, 2});  // node 2 in graph 1: edge 2 (1 -> 2) crosses
  expect(dir / "edge_index.npy", {"edge 2 joins node 1 (graph 0) to node 2 (graph 1)", "must not cross graphs",
                                  file});
  write_graph_index(dir, {0, 0, 0, 2, 2, 3});
  expect(file, {"graph 1 has no node"});
  write_graph_index(dir, {0, 0, 0, -1, 1, 2});
  expect(file, {"node 3 has the graph id -1"});
  write_graph_index(dir, {0, 0, 0, 1, 1});
  expect(file, {"5 entries for 6 nodes"});
  const std::vector<double> floats(6, 0.0);
  save_npy(file, floats.data(), {6});
  expect(file, {"must be integers", "<f8"});
  write_graph_index(dir, {0, 0, 0, 1, 1, 2});
  t.val = {0, 0, 0, 1, 0, 0};  // half of graph 1
  t.test = {0, 0, 0, 0, 1, 1};
  t.write(dir.str());
  expect(dir / "val_mask.npy", {"selects 1 of the 2 nodes of graph 1", "whole graphs"});
}

// ---------------------------------------------------------------- the synthetic set

BOOST_AUTO_TEST_CASE(the_synthetic_set_is_ppi_like_inductive_and_reproducible) {
  const GraphSetOptions o = small_set();
  const Dataset d = make_graph_set(o);
  BOOST_TEST(d.num_graphs == 6);
  BOOST_TEST(d.multilabel);
  BOOST_TEST(d.num_classes == 7);
  const auto nodes = nodes_by_graph(d.graph_index, d.num_graphs);
  for (const auto& g : nodes) {
    BOOST_TEST(g.size() >= 48u);
    BOOST_TEST(g.size() <= 72u);
  }
  // the first 2 graphs train, then 2 validate, 2 test (check_graph_index ran: whole graphs)
  BOOST_TEST(d.train_mask[nodes[1].back()] == 1);
  BOOST_TEST(d.val_mask[nodes[2].front()] == 1);
  BOOST_TEST(d.test_mask[nodes[5].back()] == 1);
  const double prevalence = static_cast<double>(std::count(d.y.begin(), d.y.end(), 1)) / static_cast<double>(d.y.size());
  BOOST_TEST(prevalence > 0.1);
  BOOST_TEST(prevalence < 0.6);
  const Dataset again = make_graph_set(o);
  BOOST_TEST((again.y == d.y));
  BOOST_TEST((again.x_dense == d.x_dense));
  BOOST_TEST((again.src == d.src));
  GraphSetOptions other = o;
  other.seed = 4;
  BOOST_TEST((make_graph_set(other).y != d.y));
  other = o;
  other.num_graphs = 4;  // 2 validation + 2 test graphs leave none to train on... 4 - 4 = 0
  BOOST_CHECK_EXCEPTION(make_graph_set(other), UsageError, message_has({"none to train on"}));
}

// ---------------------------------------------------------------- subgraphs and evaluation

BOOST_AUTO_TEST_CASE(a_batch_of_graphs_is_their_induced_subgraph) {
  const Dataset d = make_graph_set(small_set());
  const NodeData data = prepare_node_data(d, true);
  const std::vector<int32_t> graphs = {4, 1};
  const NodeData sub = select_graphs(data, graphs);
  const auto nodes = nodes_by_graph(d.graph_index, d.num_graphs);
  const size_t n = nodes[4].size() + nodes[1].size();
  BOOST_TEST(sub.graph.num_nodes() == static_cast<int64_t>(n));
  BOOST_TEST(sub.graph.has_one_self_loop_per_node());
  BOOST_TEST(sub.num_graphs == 2);
  BOOST_TEST(sub.train_rows.size() == nodes[1].size());  // graph 1 trains, graph 4 tests
  BOOST_TEST(sub.test_rows.size() == nodes[4].size());
  BOOST_TEST(sub.val_rows.empty());
  int64_t edges = 0;
  for (int32_t g : graphs)
    for (int32_t i : nodes[g]) edges += data.graph.in_degree(i);
  BOOST_TEST(sub.graph.num_edges() == edges);
  // the first rows are graph 4's first node: its features and targets
  BOOST_TEST(sub.x.dense.at({0, 3}) == data.x.dense.at({nodes[4][0], 3}));
  BOOST_TEST(sub.targets.at({0, 2}) == data.targets.at({nodes[4][0], 2}));
  BOOST_TEST((graphs_of_rows(data, data.val_rows) == std::vector<int32_t>{2, 3}));
}

BOOST_AUTO_TEST_CASE(evaluation_graph_by_graph_equals_one_forward_over_all_graphs) {
  const NodeData data = prepare_node_data(make_graph_set(small_set()), true);
  GAT model(model_for(data, 3));
  const Evaluation by_graph = evaluate_by_graph(model, data, data.test_rows);
  model.eval();
  NoGradGuard no_grad;
  const Tensor logits = model.forward(data.x, data.graph);
  const double loss = binary_cross_entropy_with_logits(logits, data.targets, data.test_rows).item();
  BOOST_TEST(by_graph.loss == loss, boost::test_tools::tolerance(1e-5));
  BOOST_TEST(by_graph.accuracy == nn::micro_f1(logits, data.targets, data.test_rows), boost::test_tools::tolerance(1e-9));
  BOOST_TEST(evaluate(model, data, data.test_rows).accuracy == by_graph.accuracy);  // evaluate() goes graph by graph
}

// ---------------------------------------------------------------- training on batches of graphs

BOOST_AUTO_TEST_CASE(batches_of_graphs_train_the_same_on_any_thread_count_and_resume_exactly) {
  const NodeData data = prepare_node_data(make_graph_set(small_set(7)), true);
  TrainConfig tc;
  tc.graphs_per_batch = 2;  // 3 training graphs: steps of 2 and 1
  tc.max_epochs = 6;
  tc.weight_decay = 0;
  auto run = [&](int threads) {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<size_t>(threads));
    GAT model(model_for(data, 3));
    return train_node_classifier(model, data, tc);
  };
  const TrainResult one = run(1), two = run(2);
  BOOST_REQUIRE_EQUAL(one.history.size(), 6u);
  for (size_t e = 0; e < one.history.size(); ++e) {
    BOOST_TEST(one.history[e].train_loss == two.history[e].train_loss);
    BOOST_TEST(one.history[e].val_loss == two.history[e].val_loss);
  }
  BOOST_TEST(one.history.back().train_loss < one.history.front().train_loss);
  // 3 epochs, then 3 more from the state: the run of 6
  GAT model(model_for(data, 3));
  nn::Adam optimizer = make_optimizer(model.parameters(), tc);
  TrainState state;
  std::atomic<bool> stop{true};
  TrainHooks hooks;
  hooks.stop = &stop;  // interrupted after epoch 1, 2, 3, resumed each time
  while (state.epoch < 3) BOOST_TEST(train_node_classifier(model, data, tc, optimizer, state, hooks).interrupted);
  const TrainResult resumed = train_node_classifier(model, data, tc, optimizer, state);
  for (size_t e = 0; e < one.history.size(); ++e) BOOST_TEST(resumed.history[e].train_loss == one.history[e].train_loss);
  BOOST_TEST(resumed.test.accuracy == one.test.accuracy);
}

BOOST_AUTO_TEST_CASE(graph_batches_need_graphs_and_exclude_sampling) {
  const Dataset single = make_graph_set(small_set());
  Dataset one_graph = single;
  one_graph.graph_index.clear();
  one_graph.num_graphs = 0;
  const NodeData data = prepare_node_data(one_graph, true);
  GAT model(model_for(data, 2));
  TrainConfig tc;
  tc.graphs_per_batch = 2;
  BOOST_CHECK_EXCEPTION(train_node_classifier(model, data, tc), UsageError, message_has({"graphs_per_batch", "one graph"}));
  tc.batch_size = 16;
  BOOST_CHECK_EXCEPTION(tc.validate(), UsageError, message_has({"graphs_per_batch", "batch_size"}));
}

// A 3-layer GAT sees the 2-hop neighbourhood the labels depend on; a 1-layer one sees 1 hop; an
// MLP (the same model on the graph without its edges: each node attends to itself) none.
BOOST_AUTO_TEST_CASE(depth_and_the_graph_raise_micro_f1_on_the_synthetic_set) {
  GraphSetOptions o = small_set(8, 200);
  o.num_features = 16;
  o.num_labels = 12;
  const Dataset d = make_graph_set(o);
  Dataset no_edges = d;
  no_edges.src.clear();
  no_edges.dst.clear();
  TrainConfig tc;
  tc.graphs_per_batch = 2;
  tc.max_epochs = 100;
  tc.weight_decay = 0;
  tc.lr = 0.01;
  auto test_f1 = [&](const Dataset& set, int64_t layers) {
    const NodeData data = prepare_node_data(set, true);
    GATConfig c = model_for(data, layers);
    c.in_features = 16;
    c.hidden = 16;
    c.dropout = c.attn_dropout = 0;
    GAT model(c);
    return train_node_classifier(model, data, tc).test.accuracy;
  };
  const double deep = test_f1(d, 3), shallow = test_f1(d, 1), mlp = test_f1(no_edges, 3);
  BOOST_TEST_MESSAGE("test micro-F1: 3 layers " << deep << ", 1 layer " << shallow << ", MLP " << mlp);
  BOOST_TEST(deep > shallow + 0.05);
  BOOST_TEST(shallow > mlp + 0.05);
}
