// The CSBM generator: determinism (seed, thread count), edge counts, homophily, masks, features.
// To add a test: build CsbmOptions, call make_csbm, and check a property of the Dataset; keep
// graphs small (a few thousand nodes) so the suite stays fast.
#define BOOST_TEST_MODULE synthetic
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

#include <tbb/global_control.h>

#include "autograd/error.hpp"
#include "graph/synthetic.hpp"

using namespace gatgrad;

namespace {

bool same_bytes(const Dataset& a, const Dataset& b) {
  return a.x_dense == b.x_dense && a.y == b.y && a.src == b.src && a.dst == b.dst && a.train_mask == b.train_mask &&
         a.val_mask == b.val_mask && a.test_mask == b.test_mask;
}

double measured_homophily(const Dataset& d) {
  int64_t same = 0;
  for (int64_t e = 0; e < d.num_edges(); ++e) same += d.y[d.src[e]] == d.y[d.dst[e]];
  return static_cast<double>(same) / static_cast<double>(d.num_edges());
}

Dataset make_with_threads(const CsbmOptions& o, int threads) {
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<size_t>(threads));
  return make_csbm(o);
}

}  // namespace

BOOST_AUTO_TEST_CASE(same_seed_same_bytes_other_seed_other_bytes) {
  CsbmOptions o;
  const Dataset a = make_csbm(o), b = make_csbm(o);
  BOOST_TEST(same_bytes(a, b));
  o.seed = 1;
  const Dataset c = make_csbm(o);
  BOOST_TEST(a.x_dense != c.x_dense);
  BOOST_TEST(a.src != c.src);
  BOOST_TEST(a.train_mask != c.train_mask);
}

BOOST_AUTO_TEST_CASE(one_and_two_threads_give_identical_graphs) {
  CsbmOptions o;
  o.num_nodes = 60000;  // several parallel blocks for edges, rows and the sort
  o.num_features = 37;  // odd: the last Box-Muller pair is half used
  o.avg_degree = 6;
  o.val_size = 5000;
  o.test_size = 10000;
  const Dataset one = make_with_threads(o, 1), two = make_with_threads(o, 2);
  BOOST_TEST(same_bytes(one, two));
}

BOOST_AUTO_TEST_CASE(edge_counts) {
  CsbmOptions o;
  const Dataset d = make_csbm(o);  // 2000 nodes, average degree 10
  BOOST_TEST(d.num_edges() == 20000);
  BOOST_TEST(d.num_nodes == 2000);
  BOOST_TEST(d.num_features == 64);
  BOOST_TEST(d.num_classes == 5);
  BOOST_TEST(!d.x_is_sparse);
  BOOST_TEST(!d.features_normalized);
  BOOST_TEST(d.x_dense.size() == 2000u * 64u);
  o.num_edges = 5002;
  BOOST_TEST(make_csbm(o).num_edges() == 5002);
  o.num_edges = 5001;
  BOOST_CHECK_THROW(make_csbm(o), UsageError);
}

BOOST_AUTO_TEST_CASE(simple_symmetric_graph_in_range) {
  CsbmOptions o;
  o.num_nodes = 500;  // dense enough that repeated pairs are drawn and replaced
  o.avg_degree = 40;
  o.val_size = 100;
  o.test_size = 200;
  const Dataset d = make_csbm(o);
  BOOST_TEST(d.num_edges() == 20000);
  std::vector<std::pair<int32_t, int32_t>> pairs;
  int64_t bad = 0;
  for (int64_t e = 0; e < d.num_edges(); e += 2) {
    bad += d.src[e] < 0 || d.src[e] >= 500 || d.dst[e] < 0 || d.dst[e] >= 500;  // in range
    bad += d.src[e] == d.dst[e];                                               // no self-loop
    bad += d.src[e + 1] != d.dst[e] || d.dst[e + 1] != d.src[e];               // both directions
    pairs.emplace_back(std::min(d.src[e], d.dst[e]), std::max(d.src[e], d.dst[e]));
  }
  BOOST_TEST(bad == 0);
  std::sort(pairs.begin(), pairs.end());
  BOOST_TEST((std::adjacent_find(pairs.begin(), pairs.end()) == pairs.end()));  // no repeated pair
}

BOOST_AUTO_TEST_CASE(homophily_is_met) {
  CsbmOptions o;
  o.num_nodes = 5000;
  o.avg_degree = 20;  // 50000 pairs: the sampling error is about 0.002
  for (double h : {0.0, 0.2, 0.8, 1.0}) {
    o.homophily = h;
    BOOST_TEST(std::abs(measured_homophily(make_csbm(o)) - h) < 0.01, "homophily " << h);
  }
}

BOOST_AUTO_TEST_CASE(balanced_classes_and_disjoint_masks) {
  CsbmOptions o;
  o.num_nodes = 2003;  // classes of 401 and 400 nodes
  const Dataset d = make_csbm(o);
  std::vector<int64_t> size(5), train(5);
  int64_t val = 0, test = 0, overlap = 0;
  for (int64_t i = 0; i < d.num_nodes; ++i) {
    BOOST_REQUIRE(d.y[i] >= 0 && d.y[i] < 5);
    ++size[d.y[i]];
    train[d.y[i]] += d.train_mask[i];
    val += d.val_mask[i];
    test += d.test_mask[i];
    overlap += d.train_mask[i] + d.val_mask[i] + d.test_mask[i] > 1;
  }
  for (int c = 0; c < 5; ++c) {
    BOOST_TEST(size[c] >= 400);
    BOOST_TEST(size[c] <= 401);
    BOOST_TEST(train[c] == 20);
  }
  BOOST_TEST(val == 500);
  BOOST_TEST(test == 1000);
  BOOST_TEST(overlap == 0);
}

BOOST_AUTO_TEST_CASE(features_are_class_mean_plus_unit_noise) {
  CsbmOptions o;
  o.num_nodes = 4000;
  o.num_features = 32;
  o.signal = 3.0;
  const Dataset d = make_csbm(o);
  const int64_t f = o.num_features;
  // Class means estimated from the data have norm ~signal; the residual variance is ~1.
  std::vector<double> mean(5 * f, 0.0);
  for (int64_t i = 0; i < d.num_nodes; ++i)
    for (int64_t j = 0; j < f; ++j) mean[d.y[i] * f + j] += d.x_dense[i * f + j] / 800.0;
  double var = 0;
  for (int64_t i = 0; i < d.num_nodes; ++i)
    for (int64_t j = 0; j < f; ++j) var += std::pow(d.x_dense[i * f + j] - mean[d.y[i] * f + j], 2);
  var /= static_cast<double>(d.num_nodes * f);
  BOOST_TEST(std::abs(var - 1.0) < 0.05);
  for (int c = 0; c < 5; ++c) {
    double norm = 0;
    for (int64_t j = 0; j < f; ++j) norm += mean[c * f + j] * mean[c * f + j];
    // E|estimate|^2 = signal^2 + F / 800 (the noise of the estimate)
    BOOST_TEST(std::abs(std::sqrt(norm) - std::sqrt(9.0 + 32.0 / 800)) < 0.15, "class " << c);
  }
  o.signal = 0;
  const Dataset z = make_csbm(o);
  double m = 0;
  for (float v : z.x_dense) m += v;
  BOOST_TEST(std::abs(m / static_cast<double>(z.x_dense.size())) < 0.01);
}

BOOST_AUTO_TEST_CASE(options_that_cannot_be_met) {
  auto rejects = [](auto change) {
    CsbmOptions o;
    change(o);
    BOOST_CHECK_THROW(make_csbm(o), UsageError);
  };
  rejects([](CsbmOptions& o) { o.num_nodes = 0; });
  rejects([](CsbmOptions& o) { o.num_classes = 0; });
  rejects([](CsbmOptions& o) { o.num_classes = 1500; });       // fewer than 2 nodes per class
  rejects([](CsbmOptions& o) { o.homophily = 1.5; });
  rejects([](CsbmOptions& o) { o.num_features = 0; });
  rejects([](CsbmOptions& o) { o.signal = NAN; });
  rejects([](CsbmOptions& o) { o.avg_degree = -1; });
  rejects([](CsbmOptions& o) { o.train_per_class = 401; });     // classes have 400 nodes
  rejects([](CsbmOptions& o) { o.test_size = 1500; });          // splits exceed the nodes
  rejects([](CsbmOptions& o) { o.num_edges = 2000 * 1999; });   // more pairs than exist
}

BOOST_AUTO_TEST_CASE(large_graph_has_its_edges_and_homophily) {
  CsbmOptions o;
  o.num_nodes = 200000;
  o.num_edges = 2000000;
  o.num_features = 16;
  const auto t0 = std::chrono::steady_clock::now();
  const Dataset d = make_csbm(o);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  BOOST_TEST_MESSAGE("200k nodes, 2M edges, 16 features: " << s << " s");
  BOOST_TEST(d.num_edges() == 2000000);
  BOOST_TEST(std::abs(measured_homophily(d) - 0.8) < 0.005);
}
