// The explanation of one node's attention (apps/lib/explain.hpp): the neighbourhood and its
// edges, the importance reduced as PyG's AttentionExplainer does, the JSON, and the picture
// (well-formed, one panel per layer and head, every arrow and label drawn, the same bytes twice).
// To add a test: build a small Graph with from_edges(...).add_self_loops(), give each layer an
// alpha [E, K] whose values you can recognise (see alpha_of), and check what explain_node sees.
#define BOOST_TEST_MODULE explain
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "apps/lib/explain.hpp"
#include "autograd/error.hpp"
#include "xml_check.hpp"

using namespace gatgrad;
using namespace gatgrad::app;

namespace {

// Undirected edges, both directions, plus one self-loop per node.
Graph undirected(const std::vector<std::pair<int32_t, int32_t>>& pairs, int64_t n) {
  std::vector<int32_t> src, dst;
  for (auto [a, b] : pairs) {
    src.push_back(a), dst.push_back(b);
    src.push_back(b), dst.push_back(a);
  }
  return Graph::from_edges(src, dst, n).add_self_loops();
}

// alpha [E, heads] with value(edge, head), as a float32 tensor like the model's.
Tensor alpha_of(const Graph& g, int64_t heads, const std::function<double(int64_t, int64_t)>& value) {
  std::vector<double> v;
  for (int64_t e = 0; e < g.num_edges(); ++e)
    for (int64_t h = 0; h < heads; ++h) v.push_back(value(e, h));
  return Tensor::from_vector(v, {g.num_edges(), heads}, DType::f32);
}

// A path 3 - 2 - 1 - 0 - 4: node 0's 2 hops are {1, 4} and {2}; node 3 is 3 hops away.
// Layer 1 has two heads, layer 2 one.
struct Path {
  Graph g = undirected({{0, 1}, {1, 2}, {2, 3}, {0, 4}}, 5);
  std::vector<AttentionOut> layers{
      {alpha_of(g, 2, [](int64_t e, int64_t h) { return 0.01 * static_cast<double>(e) + 0.5 * static_cast<double>(h); }), g},
      {alpha_of(g, 1, [](int64_t e, int64_t) { return 0.9 - 0.02 * static_cast<double>(e); }), g}};
};

ExplainOptions options(int64_t node, int64_t hops = 2, AttentionReduce reduce = AttentionReduce::max, int64_t max_drawn = 40) {
  ExplainOptions o;
  o.node = node;
  o.hops = hops;
  o.reduce = reduce;
  o.max_drawn_nodes = max_drawn;
  return o;
}

int64_t count(const std::string& s, const std::string& what) {
  int64_t n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_neighbourhood_is_every_node_within_two_hops_and_the_edges_between_them) {
  const Path p;
  const Explanation e = explain_node(p.layers, options(0));
  BOOST_TEST(e.nodes == (std::vector<int32_t>{0, 1, 4, 2}), boost::test_tools::per_element());
  BOOST_TEST(e.hop == (std::vector<int32_t>{0, 1, 1, 2}), boost::test_tools::per_element());
  BOOST_TEST(e.heads == (std::vector<int64_t>{2, 1}), boost::test_tools::per_element());
  // 0<->1, 1<->2, 0<->4 and the four self-loops; nothing touches node 3.
  BOOST_TEST(e.edges.size() == 10u);
  for (const ExplainedEdge& x : e.edges) {
    BOOST_TEST(x.source != 3);
    BOOST_TEST(x.target != 3);
    // The values are the layers' own, at the edge's number.
    BOOST_TEST(p.g.src()[static_cast<size_t>(x.edge)] == x.source);
    BOOST_TEST(p.g.dst()[static_cast<size_t>(x.edge)] == x.target);
    BOOST_TEST(x.alpha[0][1] == static_cast<double>(static_cast<float>(0.01 * static_cast<double>(x.edge) + 0.5)));
    BOOST_TEST(x.alpha[1][0] == static_cast<double>(static_cast<float>(0.9 - 0.02 * static_cast<double>(x.edge))));
  }
  // One hop: the node and its two neighbours.
  BOOST_TEST(explain_node(p.layers, options(0, 1)).nodes.size() == 3u);
}

BOOST_AUTO_TEST_CASE(importance_reduces_heads_first_then_layers_as_pyg_does) {
  const Graph g = undirected({{0, 1}}, 2);
  // Every edge: layer 1 heads (0.2, 0.6), layer 2 head 0.9.
  const std::vector<AttentionOut> layers{{alpha_of(g, 2, [](int64_t, int64_t h) { return h == 0 ? 0.2 : 0.6; }), g},
                                         {alpha_of(g, 1, [](int64_t, int64_t) { return 0.9; }), g}};
  const Explanation mx = explain_node(layers, options(0, 2, AttentionReduce::max));
  const Explanation mean = explain_node(layers, options(0, 2, AttentionReduce::mean));
  BOOST_REQUIRE(mx.edges.size() == 4u);
  const double a = static_cast<float>(0.2), b = static_cast<float>(0.6), c = static_cast<float>(0.9);
  for (size_t k = 0; k < mx.edges.size(); ++k) {
    BOOST_TEST(mx.edges[k].importance == c);
    // ((0.2 + 0.6) / 2 + 0.9) / 2 = 0.65, not the mean of all three (0.567).
    BOOST_TEST(mean.edges[k].importance == ((a + b) / 2 + c) / 2, boost::test_tools::tolerance(1e-15));
  }
  BOOST_TEST((parse_attention_reduce("mean") == AttentionReduce::mean));
  BOOST_CHECK_THROW(parse_attention_reduce("sum"), UsageError);
}

BOOST_AUTO_TEST_CASE(a_node_outside_the_graph_or_layers_over_different_graphs_are_refused) {
  const Path p;
  try {
    explain_node(p.layers, options(5));
    BOOST_FAIL("node 5 of 5 was accepted");
  } catch (const UsageError& e) {
    BOOST_TEST(std::string(e.what()) == "--explain 5: the graph has 5 nodes (0..4)");
  }
  BOOST_CHECK_THROW(explain_node(p.layers, options(-1)), UsageError);
  const Graph other = undirected({{0, 1}, {1, 2}, {2, 3}, {3, 4}}, 5);
  std::vector<AttentionOut> mixed = p.layers;
  mixed[1] = {alpha_of(other, 1, [](int64_t, int64_t) { return 0.5; }), other};
  BOOST_CHECK_THROW(explain_node(mixed, options(0)), Error);
  BOOST_CHECK_THROW(explain_node({}, options(0)), Error);
}

BOOST_AUTO_TEST_CASE(the_json_holds_every_node_and_edge_with_its_alphas) {
  const Path p;
  const Explanation e = explain_node(p.layers, options(0, 2, AttentionReduce::mean));
  const NodeClasses c{{0, 1, 1, 0, 2}, {0, 1, 0, 0, 2}, 3};
  const nlohmann::json j = nlohmann::json::parse(explanation_json(e, c));
  BOOST_TEST(j.at("node").get<int64_t>() == 0);
  BOOST_TEST(j.at("reduce").get<std::string>() == "mean");
  BOOST_TEST(j.at("layers").size() == 2u);
  BOOST_TEST(j.at("layers")[0].at("heads").get<int64_t>() == 2);
  BOOST_TEST(j.at("nodes").size() == 4u);
  BOOST_TEST(j.at("nodes")[3].at("id").get<int>() == 2);
  BOOST_TEST(j.at("nodes")[3].at("true_class").get<int>() == 1);
  BOOST_TEST(j.at("nodes")[3].at("predicted_class").get<int>() == 0);
  BOOST_REQUIRE(j.at("edges").size() == e.edges.size());
  for (size_t k = 0; k < e.edges.size(); ++k) {
    const nlohmann::json& x = j.at("edges")[k];
    BOOST_TEST(x.at("source").get<int>() == e.edges[k].source);
    BOOST_TEST(x.at("self_loop").get<bool>() == (e.edges[k].source == e.edges[k].target));
    BOOST_TEST(x.at("importance").get<double>() == e.edges[k].importance);  // written to round-trip
    BOOST_TEST(x.at("alpha")[0][1].get<double>() == e.edges[k].alpha[0][1]);
  }
}

BOOST_AUTO_TEST_CASE(the_picture_is_well_formed_with_a_panel_per_head_every_arrow_and_label) {
  const Path p;
  ExplainOptions o = options(0);
  o.title = "a <path> & its ends";
  const Explanation e = explain_node(p.layers, o);
  const NodeClasses c{{0, 1, 1, 0, 2}, {0, 1, 0, 0, 2}, 3};
  const std::string svg = explanation_svg(e, c, o);
  const std::string problem = testing::XmlChecker(svg).check();
  BOOST_TEST(problem.empty(), "not well-formed: " << problem);
  // Panels: layer 1 heads 0 and 1 and their mean, layer 2 head 0, the importance.
  for (const char* title : {"layer 1, head 0", "layer 1, head 1", "layer 1, mean of its 2 heads", "layer 2, head 0",
                            "importance: max over heads, then layers"})
    BOOST_TEST(count(svg, std::string(">") + title + "<") == 1, title);
  BOOST_TEST(count(svg, "layer 2, mean") == 0);  // one head: no mean panel
  const int64_t panels = 5;
  // Every edge is an arrow in every panel (the self-loops too); the legend has five arrows of its own.
  BOOST_TEST(count(svg, "class='alpha'") == panels * 10 + 5);
  // Every node's label in every panel, and node 3 in none.
  BOOST_TEST(count(svg, "class='node-label'") == panels * 4);
  for (const char* label : {">0<", ">1<", ">2<", ">4<"})
    BOOST_TEST(count(svg, std::string("paint-order='stroke'") + label) == panels, label);
  BOOST_TEST(svg.find("paint-order='stroke'>3<") == std::string::npos);
  BOOST_TEST(svg.find("a &lt;path&gt; &amp; its ends") != std::string::npos);  // the title is escaped
  BOOST_TEST(svg == explanation_svg(e, c, o));  // deterministic
}

BOOST_AUTO_TEST_CASE(the_two_directions_of_a_pair_are_two_different_arrows) {
  const Graph g = undirected({{0, 1}}, 2);
  // α(1 -> 0) = 0.9, α(0 -> 1) = 0.1; the loops 0.5.
  const auto value = [&g](int64_t e, int64_t) {
    const int32_t s = g.src()[static_cast<size_t>(e)], d = g.dst()[static_cast<size_t>(e)];
    return s == d ? 0.5 : s == 1 ? 0.9 : 0.1;
  };
  const std::vector<AttentionOut> layers{{alpha_of(g, 1, value), g}};
  const Explanation e = explain_node(layers, options(0));
  const std::string svg = explanation_svg(e, {}, options(0));
  // Grey levels of 0.9 and 0.1 (alpha_color), widths 0.5 + 7α; each in both panels (head 0, importance).
  BOOST_TEST(count(svg, "stroke='#050505' stroke-width='6.8'") == 2);
  BOOST_TEST(count(svg, "stroke='#b1b1b1' stroke-width='1.2'") == 2);
  BOOST_TEST(svg.find("white fill, grey ring") != std::string::npos);  // no classes given
}

BOOST_AUTO_TEST_CASE(a_large_neighbourhood_draws_the_strongest_nodes_and_keeps_all_in_the_data) {
  // A star: node 0 and 60 leaves; leaf j's edge into 0 has α = j / 100.
  std::vector<std::pair<int32_t, int32_t>> pairs;
  for (int32_t j = 1; j <= 60; ++j) pairs.push_back({0, j});
  const Graph g = undirected(pairs, 61);
  const auto value = [&g](int64_t e, int64_t) {
    const int32_t s = g.src()[static_cast<size_t>(e)], d = g.dst()[static_cast<size_t>(e)];
    return d == 0 && s != 0 ? s / 100.0 : 0.5;
  };
  const std::vector<AttentionOut> layers{{alpha_of(g, 1, value), g}};
  const ExplainOptions o = options(0, 2, AttentionReduce::max, 10);
  const Explanation e = explain_node(layers, o);
  BOOST_TEST(e.nodes.size() == 61u);
  const std::string svg = explanation_svg(e, {}, o);
  BOOST_TEST(svg.find("drawn: the 10 nodes whose edges toward node 0 weigh most") != std::string::npos);
  BOOST_TEST(count(svg, "class='node-label'") == 2 * 10);
  for (int leaf : {52, 60})  // among the strongest nine
    BOOST_TEST(svg.find("paint-order='stroke'>" + std::to_string(leaf) + "<") != std::string::npos);
  BOOST_TEST(svg.find("paint-order='stroke'>51<") == std::string::npos);
}
