// Node orders for locality (graph/node_order.hpp) and the data renumbered by one
// (models/node_data.hpp's renumber_nodes), as full-batch training uses them
// (TrainConfig::node_order "rcm", train/full_batch_steps.hpp).
// To add a test: build a graph whose best order is known, or compare a model's output on the
// renumbered data with the original's rows.
#define BOOST_TEST_MODULE node_order
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <random>
#include <vector>

#include <tbb/global_control.h>

#include "autograd/error.hpp"
#include "autograd/tape.hpp"
#include "graph/node_order.hpp"
#include "graph/synthetic.hpp"
#include "models/gat.hpp"
#include "models/node_data.hpp"
#include "models/presets.hpp"
#include "nn/optim.hpp"
#include "train/full_batch_steps.hpp"
#include "train/make_steps.hpp"
#include "train/trainer.hpp"
#include "testing.hpp"

using namespace gatgrad;

namespace {

// Nodes numbered by a shuffle of [0, n), with a fixed seed: label[k] is grid/path node k's number.
std::vector<int32_t> shuffled(int64_t n, unsigned seed) {
  std::vector<int32_t> label(static_cast<size_t>(n));
  std::iota(label.begin(), label.end(), 0);
  std::shuffle(label.begin(), label.end(), std::mt19937(seed));
  return label;
}

// The largest |new(u) - new(v)| over the edges, with new(old) from order (order[new] = old).
int64_t bandwidth(const Graph& g, const std::vector<int32_t>& order) {
  std::vector<int64_t> new_of(order.size());
  for (size_t r = 0; r < order.size(); ++r) new_of[static_cast<size_t>(order[r])] = static_cast<int64_t>(r);
  int64_t b = 0;
  for (int64_t e = 0; e < g.num_edges(); ++e)
    b = std::max(b, std::abs(new_of[static_cast<size_t>(g.src()[e])] - new_of[static_cast<size_t>(g.dst()[e])]));
  return b;
}

bool is_permutation_of_range(std::vector<int32_t> order) {
  std::sort(order.begin(), order.end());
  for (size_t r = 0; r < order.size(); ++r)
    if (order[r] != static_cast<int32_t>(r)) return false;
  return true;
}

Dataset small_graph(int64_t edge_dim) {
  CsbmOptions o;
  o.num_nodes = 1500;  // 3 node blocks of 512
  o.num_edges = 9000;
  o.num_features = 24;
  o.num_classes = 4;
  o.train_per_class = 40;
  o.val_size = 200;
  o.test_size = 300;
  o.edge_dim = edge_dim;
  o.seed = 5;
  return make_csbm(o);
}

}  // namespace

BOOST_AUTO_TEST_CASE(rcm_numbers_a_shuffled_path_consecutively) {
  const int64_t n = 200;
  const std::vector<int32_t> label = shuffled(n, 1);
  std::vector<int32_t> src, dst;  // the path 0 - 1 - ... - n-1, one direction only, numbered at random
  for (int64_t k = 0; k + 1 < n; ++k) src.push_back(label[k]), dst.push_back(label[k + 1]);
  const Graph g = Graph::from_edges(src, dst, n);
  const std::vector<int32_t> order = rcm_order(g);
  BOOST_TEST(is_permutation_of_range(order));
  BOOST_TEST(bandwidth(g, order) == 1);
  BOOST_TEST(rcm_order(g) == order, boost::test_tools::per_element());  // a function of the graph
}

BOOST_AUTO_TEST_CASE(rcm_narrows_a_shuffled_grid_and_covers_every_component) {
  const int64_t side = 30, grid = side * side, n = grid + 7;  // a 30x30 grid, then 7 isolated nodes
  const std::vector<int32_t> label = shuffled(grid, 2);
  std::vector<int32_t> src, dst;
  for (int64_t r = 0; r < side; ++r)
    for (int64_t c = 0; c < side; ++c) {
      const int32_t v = label[r * side + c];
      if (c + 1 < side) src.push_back(v), dst.push_back(label[r * side + c + 1]);
      if (r + 1 < side) src.push_back(label[(r + 1) * side + c]), dst.push_back(v);
    }
  const Graph g = Graph::from_edges(src, dst, n);
  std::vector<int32_t> identity(static_cast<size_t>(n));
  std::iota(identity.begin(), identity.end(), 0);
  const std::vector<int32_t> order = rcm_order(g);
  BOOST_TEST(is_permutation_of_range(order));
  BOOST_TEST(bandwidth(g, identity) > 500);     // the shuffle: neighbours far apart
  BOOST_TEST(bandwidth(g, order) <= 2 * side);  // RCM: a band about one row wide
}

BOOST_AUTO_TEST_CASE(renumbered_data_moves_every_row_with_its_node) {
  const Dataset d = small_graph(3);
  const NodeData a = prepare_node_data(d, true, DType::f64, GraphUse::full_batch, EdgeFill{});
  const std::vector<int32_t> order = rcm_order(a.graph);
  const NodeData b = renumber_nodes(a, order);
  const int64_t n = a.graph.num_nodes(), F = a.x.cols(), D = d.edge_dim;
  std::vector<int32_t> new_of(static_cast<size_t>(n));
  for (int64_t r = 0; r < n; ++r) new_of[static_cast<size_t>(order[r])] = static_cast<int32_t>(r);

  BOOST_REQUIRE(b.graph.num_edges() == a.graph.num_edges());
  BOOST_TEST(b.graph.has_one_self_loop_per_node());
  const double* xa = a.x.dense.data<double>();
  const double* xb = b.x.dense.data<double>();
  bool rows_moved = true;
  for (int64_t r = 0; r < n; ++r) {
    rows_moved = rows_moved && std::equal(xb + r * F, xb + (r + 1) * F, xa + order[r] * F);
    rows_moved = rows_moved && b.labels[r] == a.labels[order[r]];
  }
  BOOST_TEST(rows_moved);
  // Each new edge is an old one renumbered, and carries that edge's features.
  const double* ea = a.edge_attr.data<double>();
  const double* eb = b.edge_attr.data<double>();
  bool edges_moved = true;
  for (int64_t k = 0; k < b.graph.num_edges(); ++k) {
    const int32_t old = b.graph.edge_origin()[k];
    edges_moved = edges_moved && b.graph.src()[k] == new_of[a.graph.src()[old]] &&
                  b.graph.dst()[k] == new_of[a.graph.dst()[old]] && std::equal(eb + k * D, eb + (k + 1) * D, ea + old * D);
  }
  BOOST_TEST(edges_moved);
  std::vector<int64_t> train;
  for (int64_t r : a.train_rows) train.push_back(new_of[static_cast<size_t>(r)]);
  std::sort(train.begin(), train.end());
  BOOST_TEST(b.train_rows == train, boost::test_tools::per_element());
  BOOST_TEST(b.test_rows.size() == a.test_rows.size());
}

// The model does not depend on the numbering: in float64, the renumbered data's logits are the
// original's rows, up to the order of each sum (1e-12).
BOOST_AUTO_TEST_CASE(a_model_gives_the_same_logits_on_the_renumbered_data) {
  const Dataset d = small_graph(3);
  const NodeData a = prepare_node_data(d, true, DType::f64, GraphUse::full_batch, EdgeFill{});
  const std::vector<int32_t> order = rcm_order(a.graph);
  const NodeData b = renumber_nodes(a, order);
  GATConfig c;
  c.in_features = d.num_features;
  c.num_classes = d.num_classes;
  c.edge_dim = d.edge_dim;
  c.hidden = 4;
  c.heads = 3;
  GAT model(c, DType::f64);
  model.eval();
  NoGradGuard no_grad;
  const std::vector<double> la = model.forward(a.x, a.graph, a.edge_attr).to_vector();
  const std::vector<double> lb = model.forward(b.x, b.graph, b.edge_attr).to_vector();
  BOOST_REQUIRE(la.size() == lb.size());
  const int64_t C = d.num_classes;
  double worst = 0;
  for (int64_t r = 0; r < a.graph.num_nodes(); ++r)
    for (int64_t k = 0; k < C; ++k) worst = std::max(worst, std::abs(lb[r * C + k] - la[order[r] * C + k]));
  BOOST_TEST(worst < 1e-12);
  BOOST_TEST(std::abs(la[0]) > 0);  // (logits that are not all zero)
}

BOOST_AUTO_TEST_CASE(renumber_nodes_refuses_what_is_not_a_permutation) {
  const NodeData a = prepare_node_data(small_graph(0), true);
  std::vector<int32_t> order(static_cast<size_t>(a.graph.num_nodes()));
  std::iota(order.begin(), order.end(), 0);
  order[7] = 3;  // 3 twice, 7 never
  BOOST_CHECK_EXCEPTION(renumber_nodes(a, order), Error, testing::message_has({"not a permutation", "entry 7"}));
  order.pop_back();
  BOOST_CHECK_EXCEPTION(renumber_nodes(a, order), Error, testing::message_has({"1499 entries for 1500 nodes"}));
}

// Full-batch training on the renumbered nodes is bit-identical on 1 and 2 threads, and trains.
BOOST_AUTO_TEST_CASE(rcm_training_is_bit_identical_on_1_and_2_threads) {
  const Dataset d = small_graph(0);
  auto run = [&](int threads) {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<size_t>(threads));
    Preset p = make_preset("cora");
    p.model.in_features = d.num_features;
    p.model.num_classes = d.num_classes;
    p.train.node_order = "rcm";
    const NodeData data = prepare_node_data(d, p.model.add_self_loops);
    GAT model(p.model);
    nn::Adam adam = make_optimizer(model.parameters(), p.train);
    const std::unique_ptr<Steps> steps = make_steps(model, data, p.train);
    std::vector<double> losses;
    for (uint64_t s = 0; s < 5; ++s) {
      losses.push_back(steps->next_step(s).loss);
      adam.step();
    }
    losses.push_back(steps->evaluate(Split::val).loss);
    return losses;
  };
  const std::vector<double> one = run(1), two = run(2);
  BOOST_TEST(std::memcmp(one.data(), two.data(), one.size() * sizeof(double)) == 0);
  BOOST_TEST(one.front() != one[4]);
}

BOOST_AUTO_TEST_CASE(node_order_is_a_full_batch_setting) {
  TrainConfig c;
  c.node_order = "rcm";
  c.validate();
  c.batch_size = 64;
  BOOST_CHECK_EXCEPTION(c.validate(), ConfigError, testing::message_has({"node_order", "full-batch", "batch_size"}));
  c.batch_size = 0;
  c.node_order = "metis";
  BOOST_CHECK_EXCEPTION(c.validate(), ConfigError, testing::message_has({"node_order must be input or rcm"}));
}
