// Graph construction: both groupings against a plain stable sort, validation messages, self-loops,
// square and bipartite (S sources, the first D of them the destinations).
// To add a test: build a Graph with Graph::from_edges on a hand-written or random edge list and
// compare its arrays with what a naive loop or std::stable_sort gives.
#define BOOST_TEST_MODULE graph
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <limits>
#include <numeric>
#include <random>
#include <tuple>
#include <tbb/global_control.h>

#include "autograd/error.hpp"
#include "graph/graph.hpp"
#include "testing.hpp"

using namespace gatgrad;

namespace {

using testing::message_has;  // (tests/testing.hpp)

template <class T>
std::vector<T> vec(std::span<const T> s) {
  return {s.begin(), s.end()};
}

struct EdgeList {
  std::vector<int32_t> src, dst;
};

// Random edges with repeats and self-loops; the last node is isolated.
EdgeList random_edges(int64_t n, int64_t e, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int32_t> node(0, static_cast<int32_t>(n - 2));
  EdgeList l;
  for (int64_t k = 0; k < e; ++k) {
    l.src.push_back(node(rng));
    l.dst.push_back(node(rng));
  }
  return l;
}

// Everything from_edges promises, checked against std::stable_sort and loops; S source nodes,
// D destination nodes (square: S = D = N).
void check_structure(const Graph& g, const EdgeList& l, int64_t S, int64_t D) {
  const int64_t E = static_cast<int64_t>(l.src.size());
  BOOST_REQUIRE_EQUAL(g.num_src_nodes(), S);
  BOOST_REQUIRE_EQUAL(g.num_dst_nodes(), D);
  BOOST_REQUIRE_EQUAL(g.is_bipartite(), S != D);
  if (S == D) BOOST_REQUIRE_EQUAL(g.num_nodes(), S);
  BOOST_REQUIRE_EQUAL(g.num_edges(), E);
  BOOST_REQUIRE_EQUAL(g.dst_ptr().size(), static_cast<size_t>(D + 1));
  BOOST_REQUIRE_EQUAL(g.src_ptr().size(), static_cast<size_t>(S + 1));
  // Destination order: stable sort of the input positions by target.
  std::vector<int32_t> order(static_cast<size_t>(E));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return l.dst[a] < l.dst[b]; });
  BOOST_TEST(vec(g.edge_origin()) == order);
  bool endpoints_ok = true;
  for (int64_t e = 0; e < E; ++e)
    endpoints_ok &= g.src()[e] == l.src[order[e]] && g.dst()[e] == l.dst[order[e]];
  BOOST_TEST(endpoints_ok);
  bool ptr_ok = g.dst_ptr()[0] == 0 && g.dst_ptr()[D] == E && g.src_ptr()[0] == 0 && g.src_ptr()[S] == E;
  for (int64_t i = 0; i < D; ++i)
    for (int64_t e = g.dst_ptr()[i]; e < g.dst_ptr()[i + 1]; ++e) ptr_ok &= g.dst()[e] == i;
  // Source grouping: edge ids ascending, all leaving j; the targets read in that order.
  for (int64_t j = 0; j < S; ++j)
    for (int64_t p = g.src_ptr()[j]; p < g.src_ptr()[j + 1]; ++p) {
      ptr_ok &= g.src()[g.src_perm()[p]] == j && g.src_grouped_dst()[p] == g.dst()[g.src_perm()[p]];
      if (p > g.src_ptr()[j]) ptr_ok &= g.src_perm()[p - 1] < g.src_perm()[p];
    }
  BOOST_TEST(ptr_ok);
  std::vector<int32_t> perm = vec(g.src_perm());
  std::sort(perm.begin(), perm.end());
  std::vector<int32_t> ids(static_cast<size_t>(E));
  std::iota(ids.begin(), ids.end(), 0);
  BOOST_TEST(perm == ids);  // a permutation of the edges
  std::vector<int64_t> deg(static_cast<size_t>(D), 0);
  for (int32_t d : l.dst) deg[d]++;
  BOOST_TEST(g.in_degrees() == deg);
  const auto [s, t] = g.input_edges();
  BOOST_TEST(s == l.src);
  BOOST_TEST(t == l.dst);
}

void check_structure(const Graph& g, const EdgeList& l, int64_t n) { check_structure(g, l, n, n); }

// Random bipartite edges: sources in [0, S), destinations in [0, D), loops i -> i included.
EdgeList random_bipartite_edges(int64_t S, int64_t D, int64_t e, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int32_t> source(0, static_cast<int32_t>(S - 1)), target(0, static_cast<int32_t>(D - 1));
  EdgeList l;
  for (int64_t k = 0; k < e; ++k) {
    l.dst.push_back(target(rng));
    l.src.push_back(k % 7 == 0 ? l.dst.back() : source(rng));
  }
  return l;
}

// The CSR by destination of an edge list (what from_csr takes): a stable sort by target.
std::pair<std::vector<int64_t>, std::vector<int32_t>> to_csr(const EdgeList& l, int64_t D) {
  std::vector<int64_t> ptr(static_cast<size_t>(D + 1), 0);
  for (int32_t d : l.dst) ptr[static_cast<size_t>(d) + 1]++;
  for (int64_t i = 0; i < D; ++i) ptr[i + 1] += ptr[i];
  std::vector<int64_t> cursor(ptr.begin(), ptr.end() - 1);
  std::vector<int32_t> src(l.src.size());
  for (size_t k = 0; k < l.src.size(); ++k) src[static_cast<size_t>(cursor[l.dst[k]]++)] = l.src[k];
  return {ptr, src};
}

}  // namespace

BOOST_AUTO_TEST_CASE(small_graph_by_hand) {
  // Edges: 0:0->1  1:2->1  2:1->0  3:2->1 (duplicate)  4:3->3 (self-loop)  5:0->2; node 4 isolated.
  const EdgeList l{{0, 2, 1, 2, 3, 0}, {1, 1, 0, 1, 3, 2}};
  const Graph g = Graph::from_edges(l.src, l.dst, 5);
  BOOST_TEST(vec(g.dst_ptr()) == (std::vector<int64_t>{0, 1, 4, 5, 6, 6}));
  BOOST_TEST(vec(g.edge_origin()) == (std::vector<int32_t>{2, 0, 1, 3, 5, 4}));
  BOOST_TEST(vec(g.src()) == (std::vector<int32_t>{1, 0, 2, 2, 0, 3}));
  BOOST_TEST(vec(g.dst()) == (std::vector<int32_t>{0, 1, 1, 1, 2, 3}));
  BOOST_TEST(vec(g.src_ptr()) == (std::vector<int64_t>{0, 2, 3, 5, 6, 6}));
  BOOST_TEST(vec(g.src_perm()) == (std::vector<int32_t>{1, 4, 0, 2, 3, 5}));
  BOOST_TEST(g.in_degree(1) == 3);
  BOOST_TEST(g.out_degree(2) == 2);
  BOOST_TEST(g.in_degree(4) == 0);
  BOOST_TEST(g.num_self_loops() == 1);
  check_structure(g, l, 5);
}

BOOST_AUTO_TEST_CASE(random_graphs_match_a_stable_sort) {
  for (auto [n, e] : {std::pair<int64_t, int64_t>{10, 40}, {1000, 5000}, {3000, 700000}, {400000, 700000}}) {
    const EdgeList l = random_edges(n, e, static_cast<uint32_t>(n + e));
    check_structure(Graph::from_edges(l.src, l.dst, n), l, n);
  }
}

BOOST_AUTO_TEST_CASE(edge_index_overload_agrees) {
  const EdgeList l = random_edges(50, 300, 3);
  std::vector<int64_t> ei(l.src.begin(), l.src.end());
  ei.insert(ei.end(), l.dst.begin(), l.dst.end());
  const Graph a = Graph::from_edges(l.src, l.dst, 50), b = Graph::from_edges(ei, 50);
  BOOST_TEST(vec(a.edge_origin()) == vec(b.edge_origin()));
  BOOST_TEST(vec(a.src_perm()) == vec(b.src_perm()));
  BOOST_TEST(vec(a.src()) == vec(b.src()));
}

BOOST_AUTO_TEST_CASE(construction_is_thread_count_independent) {
  const EdgeList l = random_edges(200000, 2000000, 9);
  std::vector<int32_t> perm1, perm2, orig1, orig2;
  {
    tbb::global_control c(tbb::global_control::max_allowed_parallelism, 1);
    const Graph g = Graph::from_edges(l.src, l.dst, 200000);
    perm1 = vec(g.src_perm());
    orig1 = vec(g.edge_origin());
  }
  {
    tbb::global_control c(tbb::global_control::max_allowed_parallelism, 2);
    const Graph g = Graph::from_edges(l.src, l.dst, 200000);
    perm2 = vec(g.src_perm());
    orig2 = vec(g.edge_origin());
  }
  BOOST_TEST((perm1 == perm2));
  BOOST_TEST((orig1 == orig2));
}

BOOST_AUTO_TEST_CASE(bad_edges_name_position_and_value) {
  std::vector<int32_t> src(30, 1), dst(30, 2);
  src[17] = 2708;
  src[20] = -1;  // a later bad edge: the first one is reported
  BOOST_CHECK_EXCEPTION(Graph::from_edges(src, dst, 2708), DataError, [](const DataError& e) {
    return message_has(e, "edge 17") && message_has(e, "source index 2708") && message_has(e, "2708 nodes");
  });
  src[17] = 1;
  BOOST_CHECK_EXCEPTION(Graph::from_edges(src, dst, 2708), DataError, [](const DataError& e) {
    return message_has(e, "edge 20") && message_has(e, "source index -1");
  });
  src[20] = 1;
  dst[3] = 5;
  BOOST_CHECK_EXCEPTION(Graph::from_edges(src, dst, 5), DataError, [](const DataError& e) {
    return message_has(e, "edge 3") && message_has(e, "target index 5") && message_has(e, "5 nodes");
  });
  // int64 edge_index: values beyond int32 are reported as given.
  std::vector<int64_t> ei = {0, 1, 2, 1, 0, int64_t{1} << 40};
  BOOST_CHECK_EXCEPTION(Graph::from_edges(ei, 3), DataError, [](const DataError& e) {
    return message_has(e, "edge 2") && message_has(e, "target index 1099511627776");
  });
  BOOST_CHECK_EXCEPTION(Graph::from_edges(std::vector<int64_t>{0, 1, 2}, 3), DataError,
                        [](const DataError& e) { return message_has(e, "2 rows"); });
  BOOST_CHECK_EXCEPTION(Graph::from_edges(std::vector<int32_t>{0}, std::vector<int32_t>{0, 1}, 3), DataError,
                        [](const DataError& e) { return message_has(e, "1 sources but 2 targets"); });
}

BOOST_AUTO_TEST_CASE(bad_node_counts) {
  const std::vector<int32_t> none;
  for (int64_t n : {int64_t{0}, int64_t{-3}})
    BOOST_CHECK_EXCEPTION(Graph::from_edges(none, none, n), DataError,
                          [](const DataError& e) { return message_has(e, "num_nodes must be positive"); });
  BOOST_CHECK_EXCEPTION(Graph::from_edges(none, none, int64_t{1} << 31), DataError,
                        [](const DataError& e) { return message_has(e, "2147483648 nodes"); });
  // Isolated nodes only: a valid graph without edges.
  const Graph g = Graph::from_edges(none, none, 4);
  BOOST_TEST(g.num_edges() == 0);
  BOOST_TEST(vec(g.dst_ptr()) == (std::vector<int64_t>{0, 0, 0, 0, 0}));
}

BOOST_AUTO_TEST_CASE(self_loops_like_pyg) {
  // Two loops on node 1 (one repeated), one on node 3; node 4 isolated.
  const EdgeList l{{0, 1, 1, 2, 3, 1, 0}, {1, 1, 2, 0, 3, 1, 1}};
  const Graph g = Graph::from_edges(l.src, l.dst, 5);
  BOOST_TEST(g.num_self_loops() == 3);
  const Graph r = g.remove_self_loops();
  BOOST_TEST(r.num_edges() == 4);
  BOOST_TEST(r.num_self_loops() == 0);
  check_structure(r, EdgeList{{0, 1, 2, 0}, {1, 2, 0, 1}}, 5);
  const Graph a = g.add_self_loops();
  BOOST_TEST(a.num_edges() == 4 + 5);
  BOOST_TEST(a.num_self_loops() == 5);
  // Input list: the edges without loops, then 0->0 .. 4->4.
  check_structure(a, EdgeList{{0, 1, 2, 0, 0, 1, 2, 3, 4}, {1, 2, 0, 1, 0, 1, 2, 3, 4}}, 5);
  for (int64_t i = 0; i < 5; ++i) {
    int loops = 0;
    for (int64_t e = a.dst_ptr()[i]; e < a.dst_ptr()[i + 1]; ++e) loops += a.src()[e] == i;
    BOOST_TEST(loops == 1);
  }
  BOOST_TEST(a.add_self_loops().num_edges() == a.num_edges());  // idempotent
  // The flag a model checks: set for add_self_loops()'s result, not for g (3 loops on 5 nodes),
  // r (none) or a graph where one node has two loops.
  BOOST_TEST(a.has_one_self_loop_per_node());
  BOOST_TEST(!g.has_one_self_loop_per_node());
  BOOST_TEST(!r.has_one_self_loop_per_node());
  const Graph twice = Graph::from_edges(std::vector<int32_t>{0, 1, 1}, std::vector<int32_t>{0, 1, 1}, 2);
  BOOST_TEST(!twice.has_one_self_loop_per_node());
  BOOST_TEST(Graph::from_edges(std::vector<int32_t>{1, 0}, std::vector<int32_t>{1, 0}, 2).has_one_self_loop_per_node());
  BOOST_TEST(!Graph().has_one_self_loop_per_node());
}

BOOST_AUTO_TEST_CASE(group_by_is_a_stable_counting_sort) {
  const std::vector<int32_t> keys = {3, 0, 3, 1, 0, 3};
  const Grouping gr = group_by(keys.data(), 6, 5);
  BOOST_TEST(gr.ptr == (std::vector<int64_t>{0, 2, 3, 3, 6, 6}));
  BOOST_TEST(gr.perm == (std::vector<int32_t>{1, 4, 3, 0, 2, 5}));
}

BOOST_AUTO_TEST_CASE(copies_share_and_outlive) {
  Graph copy;
  BOOST_TEST(copy.num_nodes() == 0);
  BOOST_TEST(copy.num_edges() == 0);
  {
    const Graph g = Graph::from_edges(std::vector<int32_t>{0, 1}, std::vector<int32_t>{1, 0}, 2);
    copy = g;
    BOOST_TEST(copy.src().data() == g.src().data());  // no copy of the arrays
  }
  BOOST_TEST(copy.num_edges() == 2);
  BOOST_TEST(copy.src()[0] == 1);
}

// ---- bipartite graphs: S source nodes, the first D <= S of them the destinations ----

BOOST_AUTO_TEST_CASE(bipartite_graph_by_hand) {
  // S = 5, D = 2. Edges: 0:3->0  1:1->1 (loop)  2:0->0 (loop)  3:4->1  4:3->1; source 2 sends nothing.
  const EdgeList l{{3, 1, 0, 4, 3}, {0, 1, 0, 1, 1}};
  const Graph g = Graph::from_bipartite_edges(l.src, l.dst, 5, 2);
  BOOST_TEST(g.is_bipartite());
  BOOST_TEST(vec(g.dst_ptr()) == (std::vector<int64_t>{0, 2, 5}));
  BOOST_TEST(vec(g.src()) == (std::vector<int32_t>{3, 0, 1, 4, 3}));
  BOOST_TEST(vec(g.dst()) == (std::vector<int32_t>{0, 0, 1, 1, 1}));
  BOOST_TEST(vec(g.src_ptr()) == (std::vector<int64_t>{0, 1, 2, 2, 4, 5}));
  BOOST_TEST(vec(g.src_perm()) == (std::vector<int32_t>{1, 2, 0, 4, 3}));
  BOOST_TEST(vec(g.src_grouped_dst()) == (std::vector<int32_t>{0, 1, 0, 1, 1}));
  BOOST_TEST(g.in_degrees() == (std::vector<int64_t>{2, 3}));
  BOOST_TEST(g.out_degree(3) == 2);
  BOOST_TEST(g.num_self_loops() == 2);  // 0->0 and 1->1: destination i is source i
  BOOST_CHECK_EXCEPTION(g.num_nodes(), Error, [](const Error& e) {
    return message_has(e, "bipartite") && message_has(e, "5 source nodes") && message_has(e, "2 destination nodes") &&
           message_has(e, "num_src_nodes()");
  });
  check_structure(g, l, 5, 2);
}

BOOST_AUTO_TEST_CASE(random_bipartite_graphs_match_a_stable_sort) {
  for (auto [S, D, e] : {std::tuple<int64_t, int64_t, int64_t>{10, 3, 40}, {5000, 1000, 20000}, {600000, 200000, 900000}}) {
    const EdgeList l = random_bipartite_edges(S, D, e, static_cast<uint32_t>(S + D));
    check_structure(Graph::from_bipartite_edges(l.src, l.dst, S, D), l, S, D);
  }
}

BOOST_AUTO_TEST_CASE(bipartite_with_as_many_destinations_is_the_square_graph) {
  const EdgeList l = random_edges(300, 2000, 4);
  const Graph a = Graph::from_bipartite_edges(l.src, l.dst, 300, 300), b = Graph::from_edges(l.src, l.dst, 300);
  BOOST_TEST(!a.is_bipartite());
  BOOST_TEST(a.num_nodes() == 300);
  BOOST_TEST(vec(a.dst_ptr()) == vec(b.dst_ptr()));
  BOOST_TEST(vec(a.src()) == vec(b.src()));
  BOOST_TEST(vec(a.src_perm()) == vec(b.src_perm()));
  BOOST_TEST(vec(a.edge_origin()) == vec(b.edge_origin()));
}

BOOST_AUTO_TEST_CASE(from_csr_agrees_with_the_edge_list_it_groups) {
  const EdgeList l = random_bipartite_edges(4000, 900, 30000, 8);
  auto [ptr, src] = to_csr(l, 900);
  const Graph c = Graph::from_csr(ptr, src, 4000);
  const Graph b = Graph::from_bipartite_edges(l.src, l.dst, 4000, 900);
  BOOST_TEST(vec(c.dst_ptr()) == vec(b.dst_ptr()));
  BOOST_TEST(vec(c.src()) == vec(b.src()));
  BOOST_TEST(vec(c.dst()) == vec(b.dst()));
  BOOST_TEST(vec(c.src_ptr()) == vec(b.src_ptr()));
  BOOST_TEST(vec(c.src_perm()) == vec(b.src_perm()));
  BOOST_TEST(vec(c.src_grouped_dst()) == vec(b.src_grouped_dst()));
  // Its input list is the CSR order itself.
  std::vector<int32_t> ids(src.size());
  std::iota(ids.begin(), ids.end(), 0);
  BOOST_TEST(vec(c.edge_origin()) == ids);
  BOOST_TEST(c.input_edges().first == src);
  // As many sources as destinations: square.
  auto [sp, ss] = to_csr(random_edges(50, 200, 2), 50);
  BOOST_TEST(Graph::from_csr(sp, ss, 50).num_nodes() == 50);
}

BOOST_AUTO_TEST_CASE(bipartite_errors_name_what_is_wrong) {
  const std::vector<int32_t> src = {0, 4, 1, 5}, dst = {0, 1, 2, 1};
  BOOST_CHECK_EXCEPTION(Graph::from_bipartite_edges(src, dst, 5, 3), DataError, [](const DataError& e) {
    return message_has(e, "Graph::from_bipartite_edges: edge 3: source index 5 is out of range for 5 source nodes");
  });
  BOOST_CHECK_EXCEPTION(Graph::from_bipartite_edges(src, dst, 6, 2), DataError, [](const DataError& e) {
    return message_has(e, "edge 2: target index 2 is out of range for 2 destination nodes");
  });
  BOOST_CHECK_EXCEPTION(Graph::from_bipartite_edges(src, dst, 6, 7), DataError, [](const DataError& e) {
    return message_has(e, "num_dst_nodes = 7 exceeds num_src_nodes = 6");
  });
  BOOST_CHECK_EXCEPTION(Graph::from_bipartite_edges({}, {}, 6, 0), DataError,
                        [](const DataError& e) { return message_has(e, "num_dst_nodes must be positive, got 0"); });
  BOOST_CHECK_EXCEPTION(Graph::from_bipartite_edges({0}, {}, 6, 2), DataError,
                        [](const DataError& e) { return message_has(e, "1 sources but 0 targets"); });
  // from_csr: the pointer array, then the sources.
  BOOST_CHECK_EXCEPTION(Graph::from_csr({}, {}, 3), DataError, [](const DataError& e) { return message_has(e, "dst_ptr is empty"); });
  BOOST_CHECK_EXCEPTION(Graph::from_csr({1, 2}, {0, 0}, 3), DataError,
                        [](const DataError& e) { return message_has(e, "dst_ptr[0] = 1, must be 0"); });
  BOOST_CHECK_EXCEPTION(Graph::from_csr({0, 2, 1, 3}, {0, 0, 0}, 3), DataError,
                        [](const DataError& e) { return message_has(e, "dst_ptr[2] = 1 is below dst_ptr[1] = 2"); });
  BOOST_CHECK_EXCEPTION(Graph::from_csr({0, 1, 2}, {0, 0, 0}, 3), DataError,
                        [](const DataError& e) { return message_has(e, "dst_ptr[2] = 2 but there are 3 sources"); });
  BOOST_CHECK_EXCEPTION(Graph::from_csr({0, 1, 2}, {0, 3}, 3), DataError, [](const DataError& e) {
    return message_has(e, "Graph::from_csr: edge 1: source index 3 is out of range for 3 source nodes");
  });
  BOOST_CHECK_EXCEPTION(Graph::from_csr({0, 0, 0, 0}, {}, 2), DataError,
                        [](const DataError& e) { return message_has(e, "num_dst_nodes = 3 exceeds num_src_nodes = 2"); });
  BOOST_CHECK_EXCEPTION(Graph::from_csr({0}, {}, 2), DataError,
                        [](const DataError& e) { return message_has(e, "num_dst_nodes must be positive"); });
}

BOOST_AUTO_TEST_CASE(bipartite_self_loops_one_per_destination) {
  // S = 6, D = 3. Loops 1->1 (twice) and 2->2; 4->1 and 5->0 are edges from sources only.
  const EdgeList l{{1, 4, 1, 0, 2, 5, 3}, {1, 1, 1, 2, 2, 0, 2}};
  const Graph g = Graph::from_bipartite_edges(l.src, l.dst, 6, 3);
  BOOST_TEST(g.num_self_loops() == 3);
  const Graph r = g.remove_self_loops();
  check_structure(r, EdgeList{{4, 0, 5, 3}, {1, 2, 0, 2}}, 6, 3);
  const Graph a = g.add_self_loops();
  // Input list: the edges without loops, then 0->0, 1->1, 2->2; sources 3..5 get none.
  check_structure(a, EdgeList{{4, 0, 5, 3, 0, 1, 2}, {1, 2, 0, 2, 0, 1, 2}}, 6, 3);
  BOOST_TEST(vec(a.dst_ptr()) == (std::vector<int64_t>{0, 2, 4, 7}));
  BOOST_TEST(vec(a.src()) == (std::vector<int32_t>{5, 0, 4, 1, 0, 3, 2}));  // each loop last in its segment
  BOOST_TEST(a.add_self_loops().num_edges() == a.num_edges());  // idempotent
}
