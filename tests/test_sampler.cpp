// NeighborSampler: block structure against the graph, the draw's distribution, determinism,
// thread independence, bad input; Block::add_self_loops.
// To add a test: sample blocks from a Graph built with Graph::from_edges, run check_blocks on
// them (every structural promise of neighbor_sampler.hpp), then check the property at hand.
#define BOOST_TEST_MODULE sampler
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <map>
#include <numeric>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <tbb/global_control.h>

#include "autograd/error.hpp"
#include "graph/neighbor_sampler.hpp"
#include "graph/synthetic.hpp"
#include "testing.hpp"

using namespace gatgrad;
using gatgrad::testing::message_has;

namespace {

template <class T>
std::vector<T> vec(std::span<const T> s) {
  return {s.begin(), s.end()};
}

// n nodes, e random edges with repeats and self-loops; nodes n-3 .. n-1 receive nothing.
Graph random_graph(int64_t n, int64_t e, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int32_t> any(0, static_cast<int32_t>(n - 1)), receiver(0, static_cast<int32_t>(n - 4));
  std::vector<int32_t> src, dst;
  for (int64_t k = 0; k < e; ++k) {
    dst.push_back(receiver(rng));
    src.push_back(k % 11 == 0 ? dst.back() : any(rng));
  }
  return Graph::from_edges(src, dst, n);
}

Graph csbm_graph(int64_t nodes, int64_t edges) {
  CsbmOptions o;
  o.num_nodes = nodes;
  o.num_edges = edges;
  o.num_features = 1;
  o.val_size = o.test_size = 0;
  const Dataset d = make_csbm(o);
  return Graph::from_edges(d.src, d.dst, nodes);
}

std::vector<int32_t> incoming(const Graph& g, int32_t v) {
  return {g.src().begin() + g.dst_ptr()[v], g.src().begin() + g.dst_ptr()[v + 1]};
}

// The global ids destination t of block b receives from, in the block's edge order.
std::vector<int32_t> sampled(const Block& b, int64_t t) {
  std::vector<int32_t> out;
  for (int64_t e = b.graph.dst_ptr()[t]; e < b.graph.dst_ptr()[t + 1]; ++e) out.push_back(b.src_global[b.graph.src()[e]]);
  return out;
}

// Every structural promise: layer order and chaining, destinations first, local CSR consistent
// with the global ids, per target min(fanout, deg) edges at distinct positions of its incoming
// list in that list's order, new sources numbered at first appearance.
void check_blocks(const std::vector<Block>& blocks, const Graph& g, const std::vector<int32_t>& seeds,
                  const std::vector<int64_t>& fanout) {
  const size_t L = fanout.size();
  BOOST_REQUIRE_EQUAL(blocks.size(), L);
  BOOST_TEST(vec(blocks.back().dst_global()) == seeds);
  for (size_t k = 0; k + 1 < L; ++k) BOOST_TEST(vec(blocks[k].dst_global()) == blocks[k + 1].src_global);
  for (size_t k = 0; k < L; ++k) {
    const Block& b = blocks[k];
    const int64_t f = fanout[L - 1 - k], D = b.num_dst_nodes(), S = b.num_src_nodes();
    BOOST_REQUIRE_EQUAL(static_cast<int64_t>(b.src_global.size()), S);
    BOOST_REQUIRE(D <= S);
    BOOST_TEST(b.graph.is_bipartite() == (D < S));
    BOOST_TEST(std::set<int32_t>(b.src_global.begin(), b.src_global.end()).size() == b.src_global.size());
    bool counts_ok = true, subsequence_ok = true;
    for (int64_t t = 0; t < D; ++t) {
      const std::vector<int32_t> all = incoming(g, b.src_global[t]), got = sampled(b, t);
      const int64_t deg = static_cast<int64_t>(all.size());
      counts_ok &= static_cast<int64_t>(got.size()) == (f < 0 ? deg : std::min(deg, f));
      size_t pos = 0;  // greedy: got is a subsequence of all (distinct positions, in order)
      for (int32_t v : got) {
        while (pos < all.size() && all[pos] != v) ++pos;
        subsequence_ok &= pos < all.size();
        ++pos;
      }
    }
    BOOST_TEST(counts_ok);
    BOOST_TEST(subsequence_ok);
    int64_t next_new = D;
    bool first_appearance_ok = true;
    for (int32_t l : b.graph.src()) {
      first_appearance_ok &= l < D || l <= next_new;
      if (l == next_new) ++next_new;
    }
    BOOST_TEST(first_appearance_ok);
    BOOST_TEST(next_new == S);  // every source beyond the destinations is reached by an edge
  }
}

bool same_blocks(const std::vector<Block>& a, const std::vector<Block>& b) {
  if (a.size() != b.size()) return false;
  for (size_t k = 0; k < a.size(); ++k)
    if (a[k].src_global != b[k].src_global || vec(a[k].graph.dst_ptr()) != vec(b[k].graph.dst_ptr()) ||
        vec(a[k].graph.src()) != vec(b[k].graph.src()) || a[k].num_dst_nodes() != b[k].num_dst_nodes())
      return false;
  return true;
}

std::vector<int32_t> iota_ids(int64_t n, int32_t first = 0) {
  std::vector<int32_t> ids(static_cast<size_t>(n));
  std::iota(ids.begin(), ids.end(), first);
  return ids;
}

// Pearson's chi-square of observed counts against equal expected counts.
double chi_square_uniform(const std::vector<int64_t>& counts) {
  const double total = static_cast<double>(std::accumulate(counts.begin(), counts.end(), int64_t{0}));
  const double expected = total / static_cast<double>(counts.size());
  double chi2 = 0;
  for (int64_t c : counts) chi2 += (static_cast<double>(c) - expected) * (static_cast<double>(c) - expected) / expected;
  return chi2;
}

// A star: nodes 1..deg send to node 0 (and nothing else has edges).
Graph star(int64_t deg) {
  std::vector<int32_t> src = iota_ids(deg, 1), dst(static_cast<size_t>(deg), 0);
  return Graph::from_edges(src, dst, deg + 1);
}

// A bad sampler that kept, say, the first c neighbours, or any fixed subset, puts all counts
// in a few cells: chi-square in the thousands. The bounds below sit at p ~ 1e-6 for the
// degrees of freedom given, and the draws are fixed (seeded), so the test never flakes.
constexpr double kChi2Bound9 = 42.0;   // 9 degrees of freedom
constexpr double kChi2Bound14 = 55.0;  // 14 degrees of freedom

}  // namespace

BOOST_AUTO_TEST_CASE(blocks_keep_every_structural_promise) {
  const Graph g = random_graph(3000, 30000, 1);
  for (const std::vector<int64_t>& fanout : {std::vector<int64_t>{3, 2}, {10}, {5, -1, 2}, {0, 4}}) {
    NeighborSampler sampler(fanout);
    for (uint64_t step = 0; step < 3; ++step) {
      std::vector<int32_t> seeds = {17, 2999, 5, 2998, 1000};  // 2998, 2999 receive nothing
      for (int32_t v = 2000; v < 2100; v += 3) seeds.push_back(v);
      check_blocks(sampler.sample(g, seeds, {7, 1, step}), g, seeds, fanout);
    }
  }
}

BOOST_AUTO_TEST_CASE(fanout_minus_one_takes_all_and_zero_takes_none) {
  const Graph g = random_graph(500, 4000, 2);
  const std::vector<int32_t> seeds = {3, 4, 400, 499};
  NeighborSampler all({-1}), none({0});
  const Block a = all.sample(g, seeds, {})[0], z = none.sample(g, seeds, {})[0];
  for (int64_t t = 0; t < 4; ++t) BOOST_TEST(sampled(a, t) == incoming(g, seeds[static_cast<size_t>(t)]));
  BOOST_TEST(z.num_edges() == 0);
  BOOST_TEST(z.src_global == seeds);
  BOOST_TEST(!z.graph.is_bipartite());
}

BOOST_AUTO_TEST_CASE(all_nodes_with_fanout_minus_one_is_the_full_graph) {
  const Graph g = random_graph(2000, 15000, 3);
  const std::vector<int32_t> seeds = iota_ids(2000);
  for (const std::vector<int64_t>& fanout : {std::vector<int64_t>{-1}, {-1, -1}}) {
    const std::vector<Block> blocks = NeighborSampler(fanout).sample(g, seeds, {1, 2, 3});
    for (const Block& b : blocks) {
      BOOST_TEST(!b.graph.is_bipartite());
      BOOST_TEST(b.graph.num_nodes() == 2000);
      BOOST_TEST(b.src_global == seeds);
      BOOST_TEST(vec(b.graph.dst_ptr()) == vec(g.dst_ptr()));
      BOOST_TEST(vec(b.graph.src()) == vec(g.src()));  // the same edges in the same order
      BOOST_TEST(vec(b.graph.src_perm()) == vec(g.src_perm()));
    }
  }
}

BOOST_AUTO_TEST_CASE(each_neighbour_is_equally_likely_over_steps) {
  // Node 0 with 10 neighbours, fanout 3, 20000 steps: each position kept 6000 times expected.
  const Graph g = star(10);
  NeighborSampler sampler({3});
  std::vector<int64_t> kept(10, 0);
  for (uint64_t step = 0; step < 20000; ++step) {
    const Block b = sampler.sample(g, std::vector<int32_t>{0}, {42, 0, step})[0];
    const std::vector<int32_t> got = sampled(b, 0);
    BOOST_REQUIRE_EQUAL(got.size(), 3u);
    BOOST_REQUIRE(std::set<int32_t>(got.begin(), got.end()).size() == 3);  // no repeats
    BOOST_REQUIRE(std::is_sorted(got.begin(), got.end()));                // in incoming-edge order
    for (int32_t v : got) kept[static_cast<size_t>(v - 1)]++;
  }
  const double chi2 = chi_square_uniform(kept);
  BOOST_TEST_MESSAGE("position chi-square (9 dof): " << chi2);
  BOOST_TEST(chi2 < kChi2Bound9);
}

BOOST_AUTO_TEST_CASE(each_subset_is_equally_likely_over_steps_and_over_nodes) {
  // Degree 6, fanout 2: 15 subsets. Uniform without replacement makes each one 1/15 likely,
  // which a sampler with uniform marginals but correlated picks (a random window) would fail.
  auto subset_id = [](const std::vector<int32_t>& got, int32_t first) { return (got[0] - first) * 6 + (got[1] - first); };
  std::map<int32_t, int64_t> over_steps;
  const Graph g = star(6);
  NeighborSampler sampler({2});
  for (uint64_t step = 0; step < 30000; ++step) over_steps[subset_id(sampled(sampler.sample(g, std::vector<int32_t>{0}, {5, 3, step})[0], 0), 1)]++;
  // 20000 targets, each with its own 6 neighbours, all sampled at one step.
  const int32_t T = 20000;
  std::vector<int32_t> src, dst;
  for (int32_t t = 0; t < T; ++t)
    for (int32_t k = 0; k < 6; ++k) {
      src.push_back(T + 6 * t + k);
      dst.push_back(t);
    }
  const Graph many = Graph::from_edges(src, dst, 7 * T);
  const Block b = sampler.sample(many, iota_ids(T), {5, 3, 0})[0];
  std::map<int32_t, int64_t> over_nodes;
  for (int32_t t = 0; t < T; ++t) over_nodes[subset_id(sampled(b, t), T + 6 * t)]++;
  for (const auto* counts : {&over_steps, &over_nodes}) {
    BOOST_REQUIRE_EQUAL(counts->size(), 15u);
    std::vector<int64_t> c;
    for (auto [id, n] : *counts) c.push_back(n);
    const double chi2 = chi_square_uniform(c);
    BOOST_TEST_MESSAGE("subset chi-square (14 dof): " << chi2);
    BOOST_TEST(chi2 < kChi2Bound14);
  }
}

BOOST_AUTO_TEST_CASE(samples_are_nested_across_fanouts) {
  const Graph g = star(40);
  for (uint64_t step = 0; step < 50; ++step) {
    std::vector<int32_t> prev;
    for (int64_t f : {1, 5, 12, 39, 40}) {
      const std::vector<int32_t> got = sampled(NeighborSampler({f}).sample(g, std::vector<int32_t>{0}, {0, 0, step})[0], 0);
      BOOST_TEST(std::includes(got.begin(), got.end(), prev.begin(), prev.end()));
      prev = got;
    }
  }
}

BOOST_AUTO_TEST_CASE(a_nodes_sample_depends_on_seed_epoch_step_and_node_only) {
  const Graph g = csbm_graph(5000, 100000);  // degree ~20 > fanout: real draws
  NeighborSampler sampler({6, 6});
  const SampleKey key{11, 2, 9};
  const std::vector<int32_t> batch_a = {10, 20, 30, 40}, batch_b = {4000, 30, 1234};
  const std::vector<Block> a = sampler.sample(g, batch_a, key), b = sampler.sample(g, batch_b, key);
  check_blocks(a, g, batch_a, {6, 6});
  // The same inputs give the same blocks, on this sampler or a fresh one.
  BOOST_TEST(same_blocks(a, sampler.sample(g, batch_a, key)));
  BOOST_TEST(same_blocks(a, NeighborSampler({6, 6}).sample(g, batch_a, key)));
  // Node 30 in another batch, at another position: the same neighbours.
  BOOST_TEST(sampled(a.back(), 2) == sampled(b.back(), 1));
  // Every node a target in both hops (the seeds, at hop 1 again) has the same sample there.
  for (int64_t t = 0; t < 4; ++t) BOOST_TEST(sampled(a[0], t) == sampled(a[1], t));
  // A node reached at hop 1 only, sampled as a seed: the same neighbours too.
  const int64_t d = a[1].num_dst_nodes();
  const int32_t reached = a[1].src_global[static_cast<size_t>(d)];
  const Block as_seed = sampler.sample(g, std::vector<int32_t>{reached}, key).back();
  BOOST_TEST(sampled(a[0], d) == sampled(as_seed, 0));
  // Each of seed, epoch and step changes the draw.
  for (const SampleKey other : {SampleKey{12, 2, 9}, SampleKey{11, 3, 9}, SampleKey{11, 2, 10}})
    BOOST_TEST(!same_blocks(a, sampler.sample(g, batch_a, other)));
}

BOOST_AUTO_TEST_CASE(blocks_do_not_depend_on_the_thread_count) {
  const Graph g = csbm_graph(100000, 2000000);
  std::vector<int32_t> seeds;
  for (int32_t v = 0; v < 100000; v += 37) seeds.push_back(v);
  std::vector<Block> one, two;
  {
    tbb::global_control c(tbb::global_control::max_allowed_parallelism, 1);
    one = NeighborSampler({10, 5}).sample(g, seeds, {3, 1, 4});
  }
  {
    tbb::global_control c(tbb::global_control::max_allowed_parallelism, 2);
    two = NeighborSampler({10, 5}).sample(g, seeds, {3, 1, 4});
  }
  BOOST_TEST(one[0].num_edges() > 100000);  // enough targets for many parallel blocks
  BOOST_TEST(same_blocks(one, two));
  check_blocks(two, g, seeds, {10, 5});
}

BOOST_AUTO_TEST_CASE(bad_seeds_and_fanouts_are_named) {
  const Graph g = random_graph(100, 500, 4);
  NeighborSampler sampler({2, 2});
  BOOST_CHECK_EXCEPTION(sampler.sample(g, std::vector<int32_t>{1, 100}, {}), DataError, message_has({"seeds[1] = 100 is out of range for 100 nodes"}));
  BOOST_CHECK_EXCEPTION(sampler.sample(g, std::vector<int32_t>{-1}, {}), DataError,
                        message_has({"seeds[0] = -1 is out of range"}));
  BOOST_CHECK_EXCEPTION(sampler.sample(g, std::vector<int32_t>{5, 6, 7, 6}, {}), DataError, message_has({"seeds[3] = 6 repeats seeds[1]"}));
  BOOST_CHECK_EXCEPTION(sampler.sample(g, std::vector<int32_t>{}, {}), DataError,
                        message_has({"no seed nodes"}));
  // After the errors the sampler's map is clean: the same blocks as a fresh sampler.
  const std::vector<int32_t> seeds = {6, 7, 5, 1};
  BOOST_TEST(same_blocks(sampler.sample(g, seeds, {}), NeighborSampler({2, 2}).sample(g, seeds, {})));
  BOOST_CHECK_EXCEPTION(NeighborSampler(std::vector<int64_t>{}), UsageError, message_has({"fanout is empty"}));
  BOOST_CHECK_EXCEPTION(NeighborSampler({10, -2}), UsageError,
                        message_has({"fanout[1] = -2"}));
  const Graph block = Graph::from_bipartite_edges({0}, {0}, 3, 1);
  BOOST_CHECK_EXCEPTION(sampler.sample(block, std::vector<int32_t>{0}, {}), Error,
                        message_has({"GraphAdjacency: needs a square graph"}));
}

namespace {

// What a distributed rank would hand the sampler: the targets' lists copied into a CSR of
// their own, rows in reverse target order (any row layout is allowed).
class CopiedLists final : public AdjacencySource {
 public:
  explicit CopiedLists(Graph g) : g_(std::move(g)) {}
  int64_t num_nodes() const override { return g_.num_nodes(); }
  IncomingLists incoming(std::span<const int32_t> targets) override {
    const size_t T = targets.size();
    ptr_.assign(1, 0);
    neighbors_.clear();
    rows_.assign(T, 0);
    for (size_t i = 0; i < T; ++i) {
      const int32_t v = targets[T - 1 - i];
      const std::vector<int32_t> l = ::incoming(g_, v);
      neighbors_.insert(neighbors_.end(), l.begin(), l.end());
      if (corrupt_ && i == 0) neighbors_.push_back(-5);
      ptr_.push_back(static_cast<int64_t>(neighbors_.size()));
      rows_[T - 1 - i] = static_cast<int32_t>(i);
    }
    if (short_rows_) rows_.pop_back();
    first_.clear();  // each list's first edge in the whole graph's CSR (what a rank's owner sends)
    for (size_t i = 0; i < T && first_edges_; ++i) first_.push_back(g_.dst_ptr()[targets[T - 1 - i]]);
    return {ptr_, neighbors_, rows_, first_};
  }
  bool corrupt_ = false, short_rows_ = false, first_edges_ = false;

 private:
  Graph g_;
  std::vector<int64_t> ptr_, first_;
  std::vector<int32_t> neighbors_, rows_;
};

}  // namespace

BOOST_AUTO_TEST_CASE(a_source_of_copied_lists_gives_the_same_blocks) {
  const Graph g = csbm_graph(3000, 40000);
  const std::vector<int32_t> seeds = {9, 99, 999, 2999};
  NeighborSampler sampler({5, 3, -1});
  CopiedLists copied(g);
  GraphAdjacency own(g);
  BOOST_TEST(same_blocks(sampler.sample(copied, seeds, {1, 1, 1}), sampler.sample(own, seeds, {1, 1, 1})));
  copied.corrupt_ = true;  // the last target's list gains a neighbour -5, which fanout -1 takes
  BOOST_CHECK_EXCEPTION(NeighborSampler({-1}).sample(copied, seeds, {}), Error, message_has({"lists neighbour -5 of node 2999, out of range for 3000 nodes"}));
  copied.corrupt_ = false;
  copied.short_rows_ = true;
  BOOST_CHECK_EXCEPTION(sampler.sample(copied, seeds, {}), Error,
                        message_has({"gave 3 rows for 4 targets"}));
  copied.short_rows_ = false;
  BOOST_TEST(same_blocks(sampler.sample(copied, seeds, {}), sampler.sample(own, seeds, {})));
}

// Edge ids from a source of its own rows: refused without first_edge; with it, each sampled
// edge's id is first_edge of its list + its position there, here the whole graph's CSR position.
BOOST_AUTO_TEST_CASE(a_source_with_first_edges_gives_edge_ids) {
  const Graph g = csbm_graph(2000, 24000);
  const std::vector<int32_t> seeds = {4, 40, 400, 1999};
  NeighborSampler sampler({6, 3});
  sampler.record_edge_ids(true);
  CopiedLists copied(g);
  GraphAdjacency own(g);
  BOOST_CHECK_EXCEPTION(sampler.sample(copied, seeds, {2, 1, 0}), Error, message_has({"without them"}));
  copied.first_edges_ = true;
  const std::vector<Block> got = sampler.sample(copied, seeds, {2, 1, 0});
  const std::vector<Block> want = sampler.sample(own, seeds, {2, 1, 0});
  BOOST_TEST(same_blocks(got, want));
  for (size_t k = 0; k < got.size(); ++k) {
    BOOST_TEST(got[k].edge_global.size() == static_cast<size_t>(got[k].num_edges()));
    BOOST_TEST(got[k].edge_global == want[k].edge_global);
  }
}

BOOST_AUTO_TEST_CASE(block_self_loops_one_per_destination) {
  // Every 11th edge of the graph is a loop, so blocks hold sampled loops; add_self_loops keeps
  // exactly one per destination.
  const Graph g = random_graph(400, 6000, 5);
  const std::vector<int32_t> seeds = {1, 2, 3, 50, 399};
  const std::vector<Block> blocks = NeighborSampler({-1, 8}).sample(g, seeds, {});
  int64_t sampled_loops = 0;
  for (const Block& b : blocks) {
    sampled_loops += b.graph.num_self_loops();
    const Block l = b.add_self_loops();
    BOOST_TEST(l.src_global == b.src_global);
    BOOST_TEST(l.num_src_nodes() == b.num_src_nodes());
    BOOST_TEST(l.num_dst_nodes() == b.num_dst_nodes());
    BOOST_TEST(l.graph.num_self_loops() == b.num_dst_nodes());
    bool ok = true;
    for (int64_t t = 0; t < l.num_dst_nodes(); ++t) {
      const int64_t last = l.graph.dst_ptr()[t + 1] - 1;
      ok &= l.graph.src()[last] == t;  // the loop closes destination t's segment
      std::vector<int32_t> others;      // ... after the sampled edges that are not loops
      for (int64_t e = b.graph.dst_ptr()[t]; e < b.graph.dst_ptr()[t + 1]; ++e)
        if (b.graph.src()[e] != t) others.push_back(b.graph.src()[e]);
      ok &= std::equal(others.begin(), others.end(), l.graph.src().begin() + l.graph.dst_ptr()[t],
                       l.graph.src().begin() + last);
    }
    BOOST_TEST(ok);
  }
  BOOST_TEST(sampled_loops > 0);
}

// gat-bench sample on a small graph: the documented lines, and usage errors exit 2.
BOOST_AUTO_TEST_CASE(gat_bench_sample_prints_its_result_lines) {
  using testing::bin_path;
  using testing::run;
  const testing::Run r = run({bin_path("gat-bench"), "sample", "--nodes", "2000", "--edges", "20000", "--batch-size",
                              "64", "--fanout", "5,-1", "--batches", "5", "--threads", "2"}, 120);
  BOOST_TEST_REQUIRE(r.code == 0, r.err);
  BOOST_TEST(r.out.find("fanout 5,-1, 2 threads") != std::string::npos, r.out);
  BOOST_TEST(std::regex_search(r.out, std::regex("edges_per_batch=[0-9]+ src_nodes_per_batch=[0-9]+ "
                                                 "batch_ms_median=[0-9.]+ self_loops_ms_median=[0-9.]+\n")),
             r.out);
  BOOST_TEST(std::regex_search(r.out, std::regex("\nsampled_edges_per_s=[0-9]*[1-9][0-9]*\n$")), r.out);
  for (const std::vector<std::string>& bad : {std::vector<std::string>{"--batch-size", "3000"}, {"--fanout", "10,-2"}}) {
    std::vector<std::string> args = {bin_path("gat-bench"), "sample", "--nodes", "2000", "--edges", "20000"};
    args.insert(args.end(), bad.begin(), bad.end());
    const testing::Run u = run(args, 60);
    BOOST_TEST(u.code == 2, u.err);
  }
}
