// Gradient checks of the message-passing primitives and of gat_attention (`gradcheck --list`).
// To add one: register a case that builds float64 inputs on check_graph() (requires_grad on
// those to check) and returns gradcheck(f, inputs); keep inputs away from kinks (max ties,
// LeakyReLU at 0).
#include <functional>

#include "autograd/creation.hpp"
#include "autograd/gradcheck.hpp"
#include "autograd/ops.hpp"
#include "graph/gat_attention.hpp"
#include "graph/message_passing.hpp"
#include "graph/readout.hpp"

namespace gatgrad {

namespace {

// 7 nodes, 13 edges with every awkward case: self-loops (1->1, 0->0), a duplicate edge (2->1
// twice), a node with one incoming edge (2), a node that only sends (5), an isolated node (6).
Graph check_graph() {
  const std::vector<int32_t> src = {0, 2, 3, 1, 2, 0, 4, 1, 3, 4, 2, 0, 5};
  const std::vector<int32_t> dst = {1, 1, 1, 1, 1, 2, 3, 3, 0, 0, 0, 0, 4};
  return Graph::from_edges(src, dst, 7);
}

// A bipartite block: 6 sources, the first 3 the destinations; 4 and 5 only send (5 twice to
// 0), destination 2 receives one edge, source 3 sends nothing.
Graph check_block() {
  const std::vector<int32_t> src = {5, 1, 4, 5, 0, 2, 1, 4};
  const std::vector<int32_t> dst = {0, 0, 0, 0, 1, 1, 1, 2};
  return Graph::from_bipartite_edges(src, dst, 6, 3);
}

Tensor rand64(const Shape& s, uint64_t seed) { return uniform(s, -1.0, 1.0, seed, DType::f64).requires_grad_(); }

GradcheckResult check1(std::function<Tensor(const Tensor&)> f, Tensor x) {
  return gradcheck([f](const std::vector<Tensor>& in) { return f(in[0]); }, {x});
}

// Index form of the same edges: edge e's target (dst order), for the generic-index ops.
std::vector<int32_t> targets(const Graph& g) { return {g.dst().begin(), g.dst().end()}; }
std::vector<int32_t> sources(const Graph& g) { return {g.src().begin(), g.src().end()}; }

GradcheckResult check_gat(double p) {
  const Graph g = check_graph();
  const int64_t N = g.num_nodes();
  return gradcheck(
      [g, p](const std::vector<Tensor>& in) { return gat_attention(in[0], in[1], in[2], g, 0.2, p, 77); },
      {rand64({N, 2, 3}, 201), rand64({N, 2}, 202), rand64({N, 2}, 203)});
}

}  // namespace

void register_graph_checks(CheckRegistry& r) {
  const int64_t N = 7, E = 13;
  r.add("gather", [] {
    const Graph g = check_graph();
    return check1([g](const Tensor& x) { return gather(x, g, Endpoint::dst); }, rand64({N, 3}, 101));
  });
  r.add("gather:src", [] {
    const Graph g = check_graph();
    return check1([g](const Tensor& x) { return gather(x, g, Endpoint::src); }, rand64({N, 2, 2}, 102));
  });
  r.add("gather:index", [] {
    const std::vector<int32_t> index = sources(check_graph());
    return check1([index](const Tensor& x) { return gather(x, index); }, rand64({N, 3}, 103));
  });
  r.add("scatter_add", [] {
    const Graph g = check_graph();
    return check1([g](const Tensor& m) { return scatter_add(m, g); }, rand64({E, 3}, 104));
  });
  r.add("scatter_add:index", [] {
    const std::vector<int32_t> index = sources(check_graph());
    return check1([index](const Tensor& m) { return scatter_add(m, index, N); }, rand64({E, 2, 2}, 105));
  });
  r.add("scatter_mean", [] {
    const Graph g = check_graph();
    return check1([g](const Tensor& m) { return scatter_mean(m, g); }, rand64({E, 3}, 106));
  });
  r.add("scatter_mean:index", [] {
    const std::vector<int32_t> index = sources(check_graph());
    return check1([index](const Tensor& m) { return scatter_mean(m, index, N); }, rand64({E, 3}, 107));
  });
  r.add("scatter_max", [] {
    const Graph g = check_graph();
    return check1([g](const Tensor& m) { return scatter_max(m, g); }, rand64({E, 3}, 108));
  });
  r.add("scatter_max:index", [] {
    const std::vector<int32_t> index = targets(check_graph());
    return check1([index](const Tensor& m) { return scatter_max(m, index, N); }, rand64({E, 3}, 109));
  });
  r.add("segment_softmax", [] {
    const Graph g = check_graph();
    return check1([g](const Tensor& s) { return segment_softmax(s, g); }, rand64({E, 3}, 110));
  });
  r.add("segment_softmax:1d", [] {
    const Graph g = check_graph();
    return check1([g](const Tensor& s) { return segment_softmax(s, g); }, rand64({E}, 111));
  });
  // Any index: sorted (a batch vector, used in place) and unsorted (grouped, then put back),
  // with an empty segment (3) and a one-row segment (4: output 1, gradient 0).
  r.add("segment_softmax:index", [] {
    const std::vector<int32_t> batch = {0, 0, 0, 1, 1, 2, 2, 2, 2, 4};
    return check1([batch](const Tensor& s) { return segment_softmax(s, batch, 5); }, rand64({10, 2}, 130));
  });
  r.add("segment_softmax:index_unsorted", [] {
    const std::vector<int32_t> index = {2, 0, 4, 1, 0, 2, 1, 2, 0, 2};
    return check1([index](const Tensor& s) { return segment_softmax(s, index, 5); }, rand64({10}, 131));
  });
  // Readouts of 10 nodes into 4 graphs (graph 2 empty, graph 3 a single node), unsorted.
  const std::vector<int32_t> batch = {1, 0, 0, 3, 1, 0, 1, 1, 0, 0};
  r.add("readout:sum", [batch] {
    return check1([batch](const Tensor& x) { return global_add_pool(x, batch, 4); }, rand64({10, 3}, 132));
  });
  r.add("readout:mean", [batch] {
    return check1([batch](const Tensor& x) { return global_mean_pool(x, batch, 4); }, rand64({10, 3}, 133));
  });
  r.add("readout:max", [batch] {
    return check1([batch](const Tensor& x) { return global_max_pool(x, batch, 4); }, rand64({10, 3}, 134));
  });
  r.add("readout:attention", [batch] {
    return gradcheck([batch](const std::vector<Tensor>& in) { return attention_pool(in[0], in[1], batch, 4); },
                     {rand64({10, 3}, 135), rand64({10, 1}, 136)});
  });
  r.add("head_dot", [] {
    return gradcheck([](const std::vector<Tensor>& in) { return head_dot(in[0], in[1]); },
                     {rand64({N, 2, 3}, 112), rand64({2, 3}, 113)});
  });
  r.add("edge_add", [] {
    const Graph g = check_graph();
    return gradcheck([g](const std::vector<Tensor>& in) { return edge_add(in[0], in[1], g); },
                     {rand64({N, 2}, 114), rand64({N, 2}, 115)});
  });
  r.add("aggregate", [] {
    const Graph g = check_graph();
    return gradcheck([g](const std::vector<Tensor>& in) { return aggregate(in[0], in[1], g); },
                     {rand64({E, 2}, 116), rand64({N, 2, 3}, 117)});
  });
  r.add("gat_attention", [] { return check_gat(0.0); });
  r.add("gat_attention:dropout", [] { return check_gat(0.5); });
  // The att form: the scores computed inside from att = [a_1 | a_2] [H, 2F].
  r.add("gat_attention:att", [] {
    const Graph g = check_graph();
    return gradcheck([g](const std::vector<Tensor>& in) { return gat_attention(in[0], in[1], g, 0.2, 0.5, 77); },
                     {rand64({N, 2, 3}, 204), rand64({2, 6}, 205)});
  });
  // The att form with the layer's bias added inside (dbias summed per node block).
  r.add("gat_attention:att+bias", [] {
    const Graph g = check_graph();
    return gradcheck(
        [g](const std::vector<Tensor>& in) { return gat_attention(in[0], in[1], g, 0.2, 0.5, 77, nullptr, {in[2]}); },
        {rand64({N, 2, 3}, 206), rand64({2, 6}, 207), rand64({6}, 208)});
  });
  // ... and the ELU after it (the hidden layer's σ).
  r.add("gat_attention:att+bias+elu", [] {
    const Graph g = check_graph();
    return gradcheck(
        [g](const std::vector<Tensor>& in) {
          return gat_attention(in[0], in[1], g, 0.2, 0.5, 77, nullptr, {in[2], true, 1.3});
        },
        {rand64({N, 2, 3}, 209), rand64({2, 6}, 210), rand64({6}, 211)});
  });
  // On a block: sources [S, ...] send, destinations [D, ...] receive.
  r.add("gather:bipartite", [] {
    const Graph g = check_block();
    return gradcheck(
        [g](const std::vector<Tensor>& in) { return gather(in[0], g, Endpoint::src) * gather(in[1], g, Endpoint::dst); },
        {rand64({6, 3}, 120), rand64({3, 3}, 121)});
  });
  r.add("edge_add:bipartite", [] {
    const Graph g = check_block();
    return gradcheck([g](const std::vector<Tensor>& in) { return edge_add(in[0], in[1], g); },
                     {rand64({3, 2}, 122), rand64({6, 2}, 123)});
  });
  r.add("aggregate:bipartite", [] {
    const Graph g = check_block();
    return gradcheck([g](const std::vector<Tensor>& in) { return aggregate(segment_softmax(in[0], g), in[1], g); },
                     {rand64({8, 2}, 124), rand64({6, 2, 3}, 125)});
  });
  r.add("gat_attention:bipartite", [] {
    const Graph g = check_block();
    return gradcheck([g](const std::vector<Tensor>& in) { return gat_attention(in[0], in[1], in[2], g, 0.2, 0.5, 77); },
                     {rand64({6, 2, 3}, 212), rand64({3, 2}, 213), rand64({6, 2}, 214)});
  });
  r.add("gat_attention:bipartite_att+bias+elu", [] {
    const Graph g = check_block();
    return gradcheck(
        [g](const std::vector<Tensor>& in) {
          return gat_attention(in[0], in[1], g, 0.2, 0.5, 77, nullptr, {in[2], true, 1.3});
        },
        {rand64({6, 2, 3}, 215), rand64({2, 6}, 216), rand64({6}, 217)});
  });
  // The composed path the fused op equals, checked through the primitives alone.
  r.add("gat_attention:composed", [] {
    const Graph g = check_graph();
    return gradcheck(
        [g](const std::vector<Tensor>& in) {
          const Tensor e = leaky_relu(gather(in[1], g, Endpoint::dst) + gather(in[2], g, Endpoint::src), 0.2);
          return aggregate(dropout(segment_softmax(e, g), 0.5, 77), in[0], g);
        },
        {rand64({N, 2, 3}, 201), rand64({N, 2}, 202), rand64({N, 2}, 203)});
  });
}

}  // namespace gatgrad
