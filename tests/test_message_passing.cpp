// Message-passing primitives against the dense float64 references of tests/reference.hpp
// (one-hot incidences and N×N adjacencies, in xtensor in tests/reference.cpp).
// To add a test for a new primitive: write its reference there (its equation in xtensor), compare
// with `close` (to_vector() gives the values), and run `grad_ok` on an awkward_graph.
#define BOOST_TEST_MODULE message_passing
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <set>
#include <tbb/global_control.h>

#include "autograd/creation.hpp"
#include "autograd/gradcheck.hpp"
#include "autograd/ops.hpp"
#include "graph/message_passing.hpp"
#include "reference.hpp"
#include "testing.hpp"

using namespace gatgrad;
namespace ref = gatgrad::reference;

namespace {

using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

using testing::message_has;  // (tests/testing.hpp)

// Random edges among nodes [0, N-3) plus every awkward case: self-loops on 0 and 1, node N-3
// with exactly one incoming edge, node N-2 that only sends, node N-1 isolated, and (when
// `duplicates`) repeated edges; without, each (j, i) pair appears once.
Graph awkward_graph(int64_t n, int64_t e, uint32_t seed, bool duplicates = true) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int32_t> node(0, static_cast<int32_t>(n - 4));
  std::vector<int32_t> src, dst;
  auto add = [&](int32_t j, int32_t i) {
    src.push_back(j);
    dst.push_back(i);
  };
  for (int64_t k = 0; k < e; ++k) {  // (two statements: the order of argument evaluation is the compiler's)
    const int32_t j = node(rng);
    add(j, node(rng));
  }
  add(0, 0);
  add(1, 1);
  add(2, static_cast<int32_t>(n - 3));
  add(static_cast<int32_t>(n - 2), 0);
  add(static_cast<int32_t>(n - 2), 3);
  if (duplicates) {
    add(src[0], dst[0]);
    add(src[1], dst[1]);
    add(src[1], dst[1]);
  } else {
    std::set<std::pair<int32_t, int32_t>> seen;
    std::vector<int32_t> s, d;
    for (size_t k = 0; k < src.size(); ++k)
      if (seen.insert({src[k], dst[k]}).second) {
        s.push_back(src[k]);
        d.push_back(dst[k]);
      }
    src = s;
    dst = d;
  }
  return Graph::from_edges(src, dst, n);
}

Tensor rand64(const Shape& s, uint64_t seed, double lo = -1, double hi = 1) {
  return uniform(s, lo, hi, seed, DType::f64).requires_grad_();
}

// Worst |a - b| / (1 + |b|) is at most tol; reports the worst element.
void close(const std::vector<double>& a, const std::vector<double>& b, double tol, const std::string& what) {
  BOOST_REQUIRE_EQUAL(a.size(), b.size());
  double worst = 0;
  size_t at = 0;
  for (size_t k = 0; k < a.size(); ++k) {
    const double err = std::abs(a[k] - b[k]) / (1 + std::abs(b[k]));
    if (!(err <= worst)) {
      worst = err;
      at = k;
    }
  }
  BOOST_TEST(worst <= tol, what << ": worst element " << at << " got " << a[at] << " want " << b[at]
                                << " (err " << worst << ")");
}

void grad_ok(const Fn& f, const std::vector<Tensor>& inputs, const std::string& name) {
  const GradcheckResult r = gradcheck(f, inputs);
  BOOST_TEST(r.checked > 0);
  BOOST_TEST(r.pass, name << ": max_abs_err=" << r.max_abs_err << " worst " << r.worst);
}

// Output and input gradients of Σ w ⊙ f(inputs) for fixed random w.
struct Run {
  std::vector<double> out;
  std::vector<std::vector<double>> grads;
};
Run run(const Fn& f, const std::vector<Tensor>& inputs, uint64_t wseed = 5) {
  for (const Tensor& x : inputs) x.zero_grad();
  tape_clear();
  Tensor y = f(inputs);
  backward(sum(mul(y, uniform(y.shape(), -1, 1, wseed, y.dtype()))));
  Run r{y.to_vector(), {}};
  for (const Tensor& x : inputs) r.grads.push_back(x.has_grad() ? x.grad().to_vector() : std::vector<double>());
  for (const Tensor& x : inputs) x.zero_grad();
  return r;
}

// Rows of [rows, D] as a double matrix.
std::vector<double> row(const std::vector<double>& v, int64_t r, int64_t D) {
  return {v.begin() + r * D, v.begin() + (r + 1) * D};
}

}  // namespace

BOOST_AUTO_TEST_CASE(gather_against_loops) {
  const Graph g = awkward_graph(12, 30, 1);
  const int64_t N = g.num_nodes(), E = g.num_edges(), D = 3;
  Tensor x = rand64({N, D}, 2);
  const std::vector<double> want_dst = ref::gather(x, g.dst()).to_vector(), want_src = ref::gather(x, g.src()).to_vector();
  close(gather(x, g, Endpoint::dst).to_vector(), want_dst, 0, "gather dst");
  close(gather(x, g, Endpoint::src).to_vector(), want_src, 0, "gather src");
  const std::vector<int32_t> index(g.src().begin(), g.src().end());
  close(gather(x, index).to_vector(), want_src, 0, "gather index");
  // Backward of a gather is a sum onto the endpoint: dx[v] = Σ_{e: endpoint v} w[e].
  const Run r = run([&](const std::vector<Tensor>& in) { return gather(in[0], g, Endpoint::src); }, {x});
  const Tensor w = uniform({E, D}, -1, 1, 5, DType::f64);
  close(r.grads[0], ref::scatter_add(g.src(), w, N).to_vector(), 1e-14, "gather src backward");
  BOOST_TEST(gather(rand64({N, 2, 2}, 3), g, Endpoint::dst).shape() == Shape({E, 2, 2}));
}

BOOST_AUTO_TEST_CASE(scatters_against_loops) {
  const Graph g = awkward_graph(12, 30, 4);
  const int64_t N = g.num_nodes(), E = g.num_edges(), D = 2;
  Tensor m = rand64({E, D}, 5);
  close(scatter_add(m, g).to_vector(), ref::scatter_add(g.dst(), m, N).to_vector(), 1e-14, "scatter_add");
  close(scatter_mean(m, g).to_vector(), ref::scatter_mean(g.dst(), m, N).to_vector(), 1e-14, "scatter_mean");
  close(scatter_max(m, g).to_vector(), ref::scatter_max(g.dst(), m, N).to_vector(), 0, "scatter_max");
  // A user's index, with nodes that receive nothing (the output has 20 rows).
  std::vector<int32_t> index(static_cast<size_t>(E));
  std::mt19937 rng(6);
  for (auto& v : index) v = static_cast<int32_t>(rng() % 15);
  close(scatter_add(m, index, 20).to_vector(), ref::scatter_add(index, m, 20).to_vector(), 1e-14, "scatter_add index");
  close(scatter_mean(m, index, 20).to_vector(), ref::scatter_mean(index, m, 20).to_vector(), 1e-14, "scatter_mean index");
  close(scatter_max(m, index, 20).to_vector(), ref::scatter_max(index, m, 20).to_vector(), 0, "scatter_max index");
  // scatter_max's gradient goes to the first maximal edge only, even on exact ties.
  Tensor tie = Tensor::from_vector(std::vector<double>(static_cast<size_t>(E), 1.0), {E}, DType::f64).requires_grad_();
  backward(sum(scatter_max(tie, g)));
  std::vector<double> want(static_cast<size_t>(E), 0.0);
  for (int64_t i = 0; i < N; ++i)
    if (g.in_degree(i) > 0) want[g.dst_ptr()[i]] = 1;
  close(tie.grad().to_vector(), want, 0, "scatter_max ties");
}

BOOST_AUTO_TEST_CASE(segment_softmax_against_dense_masked_softmax) {
  const Graph g = awkward_graph(12, 40, 7, /*duplicates=*/false);
  const int64_t E = g.num_edges();
  // Every way heads are vectorised: flat runs (1, 2, 4), padded rows (3), whole batches (8).
  for (int64_t H : {1, 2, 3, 4, 8}) {
    Tensor s = rand64({E, H}, 8, -3, 3);
    // Dense reference: L[h][i][j] = s_e for the edge j -> i, -∞ elsewhere; softmax over j.
    const Tensor alpha = ref::segment_softmax(g, s);
    close(segment_softmax(s, g).to_vector(), alpha.to_vector(), 1e-14, "segment_softmax H=" + std::to_string(H));
    // Its backward against the reference's, ∂L/∂s = α (dy - Σ_{into i} α dy) for dy = run()'s weights.
    const Run mine = run([&](const std::vector<Tensor>& in) { return segment_softmax(in[0], g); }, {s});
    const Tensor dy = uniform({E, H}, -1, 1, 5, DType::f64);
    close(mine.grads[0], ref::segment_softmax_backward(g, alpha, dy).to_vector(), 1e-13,
          "segment_softmax backward H=" + std::to_string(H));
  }
}

BOOST_AUTO_TEST_CASE(segment_softmax_huge_logits_and_empty_segments) {
  const Graph g = awkward_graph(12, 40, 9);
  const int64_t E = g.num_edges(), H = 2;
  std::vector<double> v(static_cast<size_t>(E * H));
  for (size_t k = 0; k < v.size(); ++k) v[k] = (k % 3 == 0 ? 1e4 : -1e4) + static_cast<double>(k % 5);
  for (DType dt : {DType::f32, DType::f64}) {
    Tensor s = Tensor::from_vector(v, {E, H}, dt).requires_grad_();
    Tensor a = segment_softmax(s, g);
    backward(sum(mul(a, uniform({E, H}, -1, 1, 3, dt))));
    for (double x : a.to_vector()) BOOST_TEST(std::isfinite(x));
    for (double x : s.grad().to_vector()) BOOST_TEST(std::isfinite(x));
    // Each non-empty segment sums to 1 per head.
    const std::vector<double> av = a.to_vector();
    for (int64_t i = 0; i < g.num_nodes(); ++i)
      for (int64_t h = 0; h < H; ++h) {
        if (g.in_degree(i) == 0) continue;
        double total = 0;
        for (int64_t e = g.dst_ptr()[i]; e < g.dst_ptr()[i + 1]; ++e) total += av[e * H + h];
        BOOST_TEST(std::abs(total - 1) < 1e-6);
      }
  }
}

BOOST_AUTO_TEST_CASE(edge_helpers_against_loops) {
  const Graph g = awkward_graph(12, 30, 10);
  const int64_t N = g.num_nodes(), E = g.num_edges(), H = 3, F = 5;
  Tensor wh = rand64({N, H, F}, 11), a = rand64({H, F}, 12), alpha = rand64({E, H}, 13);
  Tensor sd = rand64({N, H}, 14), ss = rand64({N, H}, 15);
  const std::vector<double> dot = ref::head_dot(wh, a).to_vector();
  const std::vector<double> z = ref::edge_add(g, sd, ss).to_vector();  // s_dst[i] + s_src[j]
  const std::vector<double> agg = ref::aggregate(g, alpha, wh).to_vector();
  close(head_dot(wh, a).to_vector(), dot, 1e-14, "head_dot");
  close(edge_add(sd, ss, g).to_vector(), z, 0, "edge_add");
  close(aggregate(alpha, wh, g).to_vector(), agg, 1e-14, "aggregate");
  // aggregate equals scatter_add(scale_heads(gather(wh, src), alpha)): values and gradients.
  const Run fused = run([&](const std::vector<Tensor>& in) { return aggregate(in[0], in[1], g); }, {alpha, wh});
  const Run composed = run(
      [&](const std::vector<Tensor>& in) { return scatter_add(scale_heads(gather(in[1], g, Endpoint::src), in[0]), g); },
      {alpha, wh});
  close(fused.out, composed.out, 1e-14, "aggregate vs composed");
  close(fused.grads[0], composed.grads[0], 1e-14, "aggregate dalpha");
  close(fused.grads[1], composed.grads[1], 1e-14, "aggregate dwh");
  // Nodes without incoming edges get zero rows.
  const std::vector<double> out = aggregate(alpha, wh, g).to_vector();
  for (int64_t i = 0; i < N; ++i)
    if (g.in_degree(i) == 0)
      for (double x : row(out, i, H * F)) BOOST_TEST(x == 0.0);
  // head_dot's backward against the engine: Σ_f (wh ⊙ a)
  const Run hd = run([&](const std::vector<Tensor>& in) { return head_dot(in[0], in[1]); }, {wh, a});
  const Run hd_ref = run([&](const std::vector<Tensor>& in) { return sum(mul(in[0], in[1]), 2); }, {wh, a});
  close(hd.grads[0], hd_ref.grads[0], 1e-14, "head_dot dwh");
  close(hd.grads[1], hd_ref.grads[1], 1e-13, "head_dot da");
}

BOOST_AUTO_TEST_CASE(gradchecks_on_awkward_graphs) {
  for (uint32_t seed : {21u, 22u}) {
    const Graph g = awkward_graph(10, 20, seed);
    const int64_t N = g.num_nodes(), E = g.num_edges();
    const std::vector<int32_t> index(g.src().begin(), g.src().end());
    grad_ok([&](const std::vector<Tensor>& in) { return gather(in[0], g, Endpoint::dst); }, {rand64({N, 2}, 1)}, "gather");
    grad_ok([&](const std::vector<Tensor>& in) { return gather(in[0], g, Endpoint::src); }, {rand64({N, 2}, 2)}, "gather:src");
    grad_ok([&](const std::vector<Tensor>& in) { return gather(in[0], index); }, {rand64({N, 2}, 3)}, "gather:index");
    grad_ok([&](const std::vector<Tensor>& in) { return scatter_add(in[0], g); }, {rand64({E, 2}, 4)}, "scatter_add");
    grad_ok([&](const std::vector<Tensor>& in) { return scatter_mean(in[0], g); }, {rand64({E, 2}, 5)}, "scatter_mean");
    grad_ok([&](const std::vector<Tensor>& in) { return scatter_max(in[0], g); }, {rand64({E, 2}, 6)}, "scatter_max");
    grad_ok([&](const std::vector<Tensor>& in) { return scatter_add(in[0], index, N); }, {rand64({E, 2}, 7)}, "scatter_add:index");
    grad_ok([&](const std::vector<Tensor>& in) { return scatter_mean(in[0], index, N); }, {rand64({E, 2}, 8)}, "scatter_mean:index");
    grad_ok([&](const std::vector<Tensor>& in) { return scatter_max(in[0], index, N); }, {rand64({E, 2}, 9)}, "scatter_max:index");
    grad_ok([&](const std::vector<Tensor>& in) { return segment_softmax(in[0], g); }, {rand64({E, 3}, 10)}, "segment_softmax");
    grad_ok([&](const std::vector<Tensor>& in) { return head_dot(in[0], in[1]); }, {rand64({N, 2, 3}, 11), rand64({2, 3}, 12)}, "head_dot");
    grad_ok([&](const std::vector<Tensor>& in) { return edge_add(in[0], in[1], g); }, {rand64({N, 2}, 13), rand64({N, 2}, 14)}, "edge_add");
    grad_ok([&](const std::vector<Tensor>& in) { return aggregate(in[0], in[1], g); }, {rand64({E, 2}, 15), rand64({N, 2, 3}, 16)}, "aggregate");
  }
}

BOOST_AUTO_TEST_CASE(primitives_are_thread_count_independent) {
  const Graph g = awkward_graph(20000, 200000, 30);
  const int64_t N = g.num_nodes(), E = g.num_edges(), H = 4, F = 8;
  Tensor wh = uniform({N, H, F}, -1, 1, 31).requires_grad_();
  Tensor a = uniform({H, F}, -1, 1, 32).requires_grad_();
  Tensor m = uniform({E, H}, -1, 1, 33).requires_grad_();
  const Fn f = [&](const std::vector<Tensor>& in) {
    Tensor s = head_dot(in[0], in[1]);                                                   // [N, H]
    Tensor e = segment_softmax(edge_add(s, s, g) + in[2], g);                            // [E, H]
    Tensor x = aggregate(e, in[0], g);                                                   // [N, H, F]
    Tensor y = reshape(scatter_max(gather(reshape(x, {N, H * F}), g, Endpoint::src), g), {N, H, F});
    return x + y + reshape(scatter_mean(gather(s, g, Endpoint::dst) * in[2], g), {N, H, 1});
  };
  Run one, two;
  {
    tbb::global_control c(tbb::global_control::max_allowed_parallelism, 1);
    one = run(f, {wh, a, m});
  }
  {
    tbb::global_control c(tbb::global_control::max_allowed_parallelism, 2);
    two = run(f, {wh, a, m});
  }
  BOOST_TEST((one.out == two.out));
  for (size_t k = 0; k < one.grads.size(); ++k) BOOST_TEST((one.grads[k] == two.grads[k]), "gradient " << k);
}

BOOST_AUTO_TEST_CASE(edges_back_in_input_order) {
  const std::vector<int32_t> src = {0, 2, 1, 2}, dst = {1, 1, 0, 2};
  const Graph g = Graph::from_edges(src, dst, 3);
  // Per edge in graph order, the input position times 10.
  std::vector<double> v;
  for (int32_t o : g.edge_origin()) v.push_back(10.0 * o);
  const Tensor t = Tensor::from_vector(v, {4}, DType::f64);
  close(edges_in_input_order(t, g).to_vector(), {0, 10, 20, 30}, 0, "input order");
}

BOOST_AUTO_TEST_CASE(shape_and_index_errors) {
  const Graph g = awkward_graph(12, 30, 40);
  const int64_t N = g.num_nodes(), E = g.num_edges();
  BOOST_CHECK_EXCEPTION(gather(rand64({N + 1, 2}, 1), g, Endpoint::src), Error,
                        [](const Error& e) { return message_has(e, "gather") && message_has(e, "one per source node"); });
  BOOST_CHECK_EXCEPTION(scatter_add(rand64({E - 1, 2}, 1), g), Error,
                        [](const Error& e) { return message_has(e, "scatter_add") && message_has(e, "one per edge"); });
  BOOST_CHECK_EXCEPTION(segment_softmax(rand64({E, 2, 2}, 1), g), Error,
                        [](const Error& e) { return message_has(e, "segment_softmax"); });
  BOOST_CHECK_EXCEPTION(aggregate(rand64({E, 3}, 1), rand64({N, 2, 4}, 2), g), Error,
                        [](const Error& e) { return message_has(e, "aggregate"); });
  BOOST_CHECK_EXCEPTION(head_dot(rand64({N, 2, 4}, 1), rand64({2, 3}, 2)), Error,
                        [](const Error& e) { return message_has(e, "head_dot"); });
  BOOST_CHECK_EXCEPTION(gather(rand64({4, 2}, 1), std::vector<int32_t>{0, 3, 4}), DataError,
                        [](const Error& e) { return message_has(e, "index 4 at position 2"); });
  BOOST_CHECK_EXCEPTION(scatter_add(rand64({2, 2}, 1), std::vector<int32_t>{0, -1}, 3), DataError,
                        [](const Error& e) { return message_has(e, "index -1 at position 1"); });
}
