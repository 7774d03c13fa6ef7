// Link prediction's building blocks: pair scores, negative sampling, the link split (and that
// no held-out edge leaks into a graph the model attends over), the ranking metrics.
// To add a test: build a small graph with make_csbm (or by hand), call the block, and compare
// with values worked out by hand in the comment next to the check.
#define BOOST_TEST_MODULE link_prediction
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <random>
#include <set>
#include <tbb/global_control.h>

#include "autograd/error.hpp"
#include "autograd/isa.hpp"
#include "autograd/ops.hpp"
#include "autograd/tape.hpp"
#include "graph/link_split.hpp"
#include "graph/negative_sampling.hpp"
#include "graph/pair_scores.hpp"
#include "graph/synthetic.hpp"
#include "nn/link_metrics.hpp"
#include "reference.hpp"
#include "testing.hpp"

using namespace gatgrad;
using gatgrad::testing::message_has;

namespace {

Dataset small_csbm(uint64_t seed = 3) {
  CsbmOptions o;
  o.num_nodes = 400;
  o.avg_degree = 8;
  o.num_features = 8;
  o.seed = seed;
  o.train_per_class = 5;
  o.val_size = 50;
  o.test_size = 50;
  return make_csbm(o);
}

using PairSet = std::set<std::pair<int32_t, int32_t>>;

// Every pair as an unordered pair {min, max}.
PairSet undirected(const std::vector<int32_t>& src, const std::vector<int32_t>& dst) {
  PairSet s;
  for (size_t k = 0; k < src.size(); ++k) s.insert({std::min(src[k], dst[k]), std::max(src[k], dst[k])});
  return s;
}
PairSet undirected(const NodePairs& p) { return undirected(p.src, p.dst); }

bool disjoint(const PairSet& a, const PairSet& b) {
  for (const auto& p : a)
    if (b.count(p)) return false;
  return true;
}

}  // namespace

// ---- pair scores ----

BOOST_AUTO_TEST_CASE(pair_scores_read_the_rows_of_each_pair) {
  // h rows: 0 = (1, 2), 1 = (3, -1), 2 = (0.5, 4)
  const Tensor h = Tensor::from_vector(std::vector<double>{1, 2, 3, -1, 0.5, 4}, {3, 2}, DType::f64);
  const NodePairs p{{0, 2, 1}, {1, 1, 1}};
  const Tensor dot = pair_dot(h, p);  // 1*3 + 2*-1 = 1;  0.5*3 + 4*-1 = -2.5;  9 + 1 = 10
  BOOST_TEST(dot.data<double>()[0] == 1.0);
  BOOST_TEST(dot.data<double>()[1] == -2.5);
  BOOST_TEST(dot.data<double>()[2] == 10.0);
  const Tensor mul = pair_mul(h, p);  // row 1: (0.5*3, 4*-1)
  BOOST_TEST(mul.size(0) == 3);
  BOOST_TEST(mul.data<double>()[2] == 1.5);
  BOOST_TEST(mul.data<double>()[3] == -4.0);
  BOOST_CHECK_EXCEPTION(pair_dot(h, NodePairs{{0, 3}, {1, 1}}), DataError,
                        message_has({"pair_dot: pair 1 has node 3, out of range for 3 nodes"}));
}

// pair_dot's 8 lanes and both backwards, against the plain loops they are defined by (products
// rounded, then added; lane d % 8, lanes added in order), bit for bit on every level the CPU
// runs: D = 21 has two whole 8-lane chunks and a tail, node 1 is in three pairs, node 4 in none.
BOOST_AUTO_TEST_CASE(pair_scores_are_the_plain_loops_bits_on_every_level) {
  const int64_t N = 5, D = 21;
  std::vector<float> hv(N * D), gv(3 * D);
  for (size_t k = 0; k < hv.size(); ++k) hv[k] = static_cast<float>(std::sin(0.7 * static_cast<double>(k) + 0.3));
  for (size_t k = 0; k < gv.size(); ++k) gv[k] = static_cast<float>(std::cos(1.3 * static_cast<double>(k)));
  const NodePairs p{{0, 1, 3}, {1, 2, 1}};
  // the plain loops (the float values are exact as doubles, the tensors' input)
  std::vector<float> want_dot(3), want_dh_dot(N * D, 0.f), want_dh_mul(N * D, 0.f);
  for (size_t k = 0; k < 3; ++k) {
    float lane[8] = {};
    for (int64_t d = 0; d < D; ++d) {
      const float prod = hv[static_cast<size_t>(p.src[k] * D + d)] * hv[static_cast<size_t>(p.dst[k] * D + d)];
      lane[d % 8] = lane[d % 8] + prod;
    }
    float sum = 0;
    for (float l : lane) sum += l;
    want_dot[k] = sum;
  }
  for (size_t k = 0; k < 3; ++k)  // pair order, u's term before v's
    for (const auto& [n, partner] : {std::pair{p.src[k], p.dst[k]}, std::pair{p.dst[k], p.src[k]}})
      for (int64_t d = 0; d < D; ++d) {
        const float h = hv[static_cast<size_t>(partner * D + d)];
        const float a = gv[k] * h, b = gv[k * D + static_cast<size_t>(d)] * h;
        want_dh_dot[static_cast<size_t>(n * D + d)] += a;
        want_dh_mul[static_cast<size_t>(n * D + d)] += b;
      }
  const kernels::Isa before = kernels::active_isa();
  for (kernels::Isa isa : kernels::compiled_isas()) {
    if (!kernels::cpu_supports(isa)) continue;
    BOOST_TEST_CONTEXT("level " << kernels::isa_name(isa)) {
      kernels::use_isa(isa);
      for (const bool per_feature : {false, true}) {
        Tensor h = Tensor::from_vector(std::vector<double>(hv.begin(), hv.end()), {N, D}, DType::f32).requires_grad_(true);
        const Tensor y = per_feature ? pair_mul(h, p) : pair_dot(h, p);
        const Tensor g = per_feature ? Tensor::from_vector(std::vector<double>(gv.begin(), gv.end()), {3, D}, DType::f32)
                                     : Tensor::from_vector(std::vector<double>(gv.begin(), gv.begin() + 3), {3}, DType::f32);
        backward(y, g);
        const std::vector<float>& want = per_feature ? want_dh_mul : want_dh_dot;
        for (size_t k = 0; k < want.size(); ++k) BOOST_TEST(h.grad().data<float>()[k] == want[k]);
        if (!per_feature)
          for (size_t k = 0; k < 3; ++k) BOOST_TEST(y.data<float>()[k] == want_dot[k]);
      }
    }
  }
  kernels::use_isa(before);
}

// ---- negative sampling ----

BOOST_AUTO_TEST_CASE(negatives_are_non_edges_keyed_by_seed_epoch_and_index) {
  const Dataset d = small_csbm();
  const EdgeSet edges(d.src, d.dst, d.num_nodes, true);
  const NodePairs a = sample_negatives(edges, 3000, {1, 2, 0});
  BOOST_TEST(a.size() == 3000);
  for (int64_t k = 0; k < a.size(); ++k) {
    const int32_t u = a.src[static_cast<size_t>(k)], v = a.dst[static_cast<size_t>(k)];
    BOOST_TEST((u >= 0 && u < d.num_nodes && v >= 0 && v < d.num_nodes && u != v));
    BOOST_TEST(!edges.contains(u, v));
  }
  // Uniform-looking: every node is an endpoint (6000 endpoints on 400 nodes).
  std::set<int32_t> touched(a.src.begin(), a.src.end());
  touched.insert(a.dst.begin(), a.dst.end());
  BOOST_TEST(touched.size() > 395u);
  // Negative k depends on the key and k only: a later window equals the tail of a longer call.
  const NodePairs tail = sample_negatives(edges, 1000, {1, 2, 0}, 2000);
  BOOST_TEST((tail.src == std::vector<int32_t>(a.src.begin() + 2000, a.src.end())));
  BOOST_TEST((tail.dst == std::vector<int32_t>(a.dst.begin() + 2000, a.dst.end())));
  const NodePairs next_epoch = sample_negatives(edges, 3000, {1, 3, 0});
  BOOST_TEST((next_epoch.src != a.src));
}

BOOST_AUTO_TEST_CASE(negatives_do_not_depend_on_the_thread_count) {
  const Dataset d = small_csbm();
  const EdgeSet edges(d.src, d.dst, d.num_nodes, true);
  NodePairs one, two;
  {
    tbb::global_control c(tbb::global_control::max_allowed_parallelism, 1);
    one = sample_negatives(edges, 20000, {5, 1, 2});
  }
  {
    tbb::global_control c(tbb::global_control::max_allowed_parallelism, 2);
    two = sample_negatives(edges, 20000, {5, 1, 2});
  }
  BOOST_TEST((one.src == two.src));
  BOOST_TEST((one.dst == two.dst));
}

BOOST_AUTO_TEST_CASE(negative_sampling_refuses_a_dense_graph) {
  // 3 nodes, every off-diagonal pair but one is an edge: 5 of 6.
  const EdgeSet dense({0, 1, 0, 2, 1}, {1, 0, 2, 0, 2}, 3, false);
  BOOST_CHECK_EXCEPTION(sample_negatives(dense, 1, {}), DataError, message_has({"5 of the 6", "too dense"}));
  BOOST_CHECK_EXCEPTION(sample_negatives(EdgeSet({}, {}, 1, false), 1, {}), DataError,
                        message_has({"at least 2 nodes"}));
}

// ---- the link split ----

BOOST_AUTO_TEST_CASE(split_cuts_each_undirected_pair_once_as_pyg) {
  const Dataset d = small_csbm();
  const LinkSplit s = split_links(d.src, d.dst, d.num_nodes, 0.05, 0.1, 7);
  const PairSet all = undirected(d.src, d.dst);
  const auto P = static_cast<int64_t>(all.size());
  BOOST_TEST(s.val.size() == static_cast<int64_t>(0.05 * static_cast<double>(P)));   // int(0.05 P)
  BOOST_TEST(s.test.size() == static_cast<int64_t>(0.1 * static_cast<double>(P)));   // int(0.1 P)
  BOOST_TEST(s.train.size() + s.val.size() + s.test.size() == P);
  const PairSet train = undirected(s.train), val = undirected(s.val), test = undirected(s.test);
  BOOST_TEST(static_cast<int64_t>(train.size() + val.size() + test.size()) == P);  // no pair twice
  PairSet together = train;
  together.insert(val.begin(), val.end());
  together.insert(test.begin(), test.end());
  BOOST_TEST((together == all));
  for (int64_t k = 0; k < s.train.size(); ++k) BOOST_TEST(s.train.src[static_cast<size_t>(k)] < s.train.dst[static_cast<size_t>(k)]);
  // One fixed negative per held-out positive, a non-edge of the whole graph.
  BOOST_TEST(s.val_negative.size() == s.val.size());
  BOOST_TEST(s.test_negative.size() == s.test.size());
  BOOST_TEST(disjoint(undirected(s.val_negative), all));
  BOOST_TEST(disjoint(undirected(s.test_negative), all));
  // A function of the seed: again the same, another seed another cut.
  const LinkSplit again = split_links(d.src, d.dst, d.num_nodes, 0.05, 0.1, 7);
  BOOST_TEST((again.test.src == s.test.src && again.test_negative.dst == s.test_negative.dst));
  BOOST_TEST((split_links(d.src, d.dst, d.num_nodes, 0.05, 0.1, 8).test.src != s.test.src));
}

// The leakage test of the split: the message-passing edges of training and validation hold
// exactly the training pairs (both directions), those of the test the training and validation
// pairs; so no test pair is ever attended over and no validation pair before the test.
// (test_link_training's no_held_out_edge_reaches_the_encoder checks the graphs the trainer builds.)
BOOST_AUTO_TEST_CASE(no_held_out_pair_is_a_message_edge_before_its_time) {
  const Dataset d = small_csbm();
  const LinkSplit s = split_links(d.src, d.dst, d.num_nodes, 0.05, 0.1, 11);
  const PairSet train = undirected(s.train), val = undirected(s.val), test = undirected(s.test);
  const PairSet message_train = undirected(s.train_edges.src, s.train_edges.dst);
  const PairSet message_test = undirected(s.train_val_edges.src, s.train_val_edges.dst);
  BOOST_TEST((message_train == train));
  BOOST_TEST(disjoint(message_train, val));
  BOOST_TEST(disjoint(message_train, test));
  PairSet train_val = train;
  train_val.insert(val.begin(), val.end());
  BOOST_TEST((message_test == train_val));
  BOOST_TEST(disjoint(message_test, test));
  // Both directions of every pair, each carrying the features of a dataset edge joining the two.
  BOOST_TEST(s.train_edges.size() == 2 * s.train.size());
  MessageEdges with_origins = s.train_val_edges;
  find_edge_origins(with_origins, d.src, d.dst);
  for (int64_t e = 0; e < with_origins.size(); ++e) {
    const auto k = static_cast<size_t>(e);
    const auto o = static_cast<size_t>(with_origins.origin[k]);
    BOOST_TEST((undirected({d.src[o]}, {d.dst[o]}) == undirected({with_origins.src[k]}, {with_origins.dst[k]})));
  }
  // Training negatives avoid the training edges (what the trainer samples against).
  for (int64_t e = 0; e < s.train_edges.size(); ++e)
    BOOST_TEST(s.train_edge_set.contains(s.train_edges.src[static_cast<size_t>(e)], s.train_edges.dst[static_cast<size_t>(e)]));
}

BOOST_AUTO_TEST_CASE(split_refuses_bad_fractions_and_empty_graphs) {
  const Dataset d = small_csbm();
  BOOST_CHECK_EXCEPTION(split_links(d.src, d.dst, d.num_nodes, 0.6, 0.5, 0), UsageError,
                        message_has({"sum to less than 1"}));
  BOOST_CHECK_EXCEPTION(split_links({0}, {0}, 3, 0.05, 0.1, 0), DataError,
                        message_has({"0 undirected pairs, none left to train on"}));
  BOOST_CHECK_EXCEPTION(split_links({0, 5}, {1, 0}, 3, 0.05, 0.1, 0), DataError,
                        message_has({"edge 1 (5 -> 0) is out of range for 3 nodes"}));
}

// ---- metrics ----

// pos = {0.9, 0.5, 0.5, 0.2}, neg = {0.5, 0.3, 0.1}: a tie between positives and a negative.
//   AUC: wins 3 + 2.5 + 2.5 + 1 = 9 of 12                                     = 0.75
//        (scikit-learn: roc_auc_score([1,1,1,1,0,0,0], [.9,.5,.5,.2,.5,.3,.1]) = 0.75)
//   AP:  thresholds .9: R .25 P 1; .5: R .75 P 3/4; .3: R .75; .2: R 1 P 4/6; .1: R 1
//        .25 * 1 + .5 * .75 + .25 * 4/6                                       = 0.7916667
//   Hits@2: the 2nd best negative is .3; .9, .5, .5 beat it                   = 0.75
//   Hits@1: the best negative is .5 (a tie does not count); .9 beats it       = 0.25
//   MRR: ranks 1, 1.5, 1.5 (one tie above: a half), 3: (1 + 2/1.5 + 1/3) / 4 = 0.6666667
BOOST_AUTO_TEST_CASE(metrics_match_scikit_learn_and_ogb_by_hand) {
  const std::vector<double> pos = {0.9, 0.5, 0.5, 0.2}, neg = {0.5, 0.3, 0.1};
  BOOST_TEST(nn::roc_auc(pos, neg) == 0.75, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(nn::average_precision(pos, neg) == 0.25 + 0.375 + 0.25 * 4.0 / 6.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(nn::hits_at_k(pos, neg, 2) == 0.75);
  BOOST_TEST(nn::hits_at_k(pos, neg, 1) == 0.25);
  BOOST_TEST(nn::hits_at_k(pos, neg, 4) == 1.0);  // fewer negatives than K: OGB counts all as hits
  BOOST_TEST(nn::mrr(pos, neg) == (1 + 2 / 1.5 + 1.0 / 3) / 4, boost::test_tools::tolerance(1e-12));
  // Perfect and reversed rankings; all tied gives a coin's AUC and AP = the positive rate.
  BOOST_TEST(nn::roc_auc({2, 3}, {0, 1}) == 1.0);
  BOOST_TEST(nn::roc_auc({0, 1}, {2, 3}) == 0.0);
  BOOST_TEST(nn::roc_auc({1, 1}, {1, 1, 1}) == 0.5);
  BOOST_TEST(nn::average_precision({1, 1}, {1, 1, 1}) == 0.4, boost::test_tools::tolerance(1e-12));
  BOOST_CHECK_EXCEPTION(nn::roc_auc({}, {1}), Error, message_has({"roc_auc: needs positive and negative scores"}));
  BOOST_CHECK_EXCEPTION(nn::mrr({NAN}, {1}), Error, message_has({"mrr: a score is NaN"}));
}

BOOST_AUTO_TEST_CASE(auc_and_mrr_against_every_pair) {
  // Scores on a grid of quarters (many ties within and across the sets) against
  // tests/reference.hpp's sums over all P M pairs; AUC's sums are exact, so equal to the bit.
  std::mt19937_64 rng(29);
  for (const auto& [p, m] : {std::pair<int, int>{1, 1}, {3, 17}, {200, 350}, {1000, 40}}) {
    std::vector<double> pos(static_cast<size_t>(p)), neg(static_cast<size_t>(m));
    for (double& s : pos) s = static_cast<double>(rng() % 13) / 4;
    for (double& s : neg) s = static_cast<double>(rng() % 11) / 4;
    BOOST_TEST(nn::roc_auc(pos, neg) == gatgrad::reference::roc_auc(pos, neg), p << " positives, " << m << " negatives");
    BOOST_TEST(nn::mrr(pos, neg) == gatgrad::reference::mrr(pos, neg), boost::test_tools::tolerance(1e-14));
  }
}
