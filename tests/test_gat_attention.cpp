// gat_attention: the fused kernel against the composed primitives, a dense N×N oracle, gradcheck,
// extreme logits, empty neighbourhoods, thread counts, the edge score, and the rows each level's
// kernel writes.
// To add a test: build wh / s_dst / s_src on an awkward_graph, run `run(fused(...))` and compare
// with `run(composed(...))` or the dense reference of tests/reference.hpp (ref::gat_attention and
// its backward) through `close` (values and gradients).
#define BOOST_TEST_MODULE gat_attention
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <set>
#include <tbb/global_control.h>

#include "autograd/creation.hpp"
#include "autograd/gradcheck.hpp"
#include "autograd/isa.hpp"
#include "autograd/ops.hpp"
#include "autograd/tape.hpp"
#include "graph/gat_attention.hpp"
#include "graph/kernels/calls.hpp"
#include "graph/message_passing.hpp"
#include "reference.hpp"

using namespace gatgrad;
namespace ref = gatgrad::reference;

namespace {

using Fn = std::function<Tensor(const std::vector<Tensor>&)>;
constexpr double kSlope = 0.2;

// Random edges among nodes [0, N-3) plus self-loops on 0 and 1, node N-3 with one incoming edge,
// node N-2 that only sends, node N-1 isolated, and repeated edges unless !duplicates.
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
  if (duplicates) {
    add(src[0], dst[0]);
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

struct Inputs {
  Tensor wh, s_dst, s_src;
  std::vector<Tensor> list() const { return {wh, s_dst, s_src}; }
};
Inputs random_inputs(const Graph& g, int64_t H, int64_t F, DType dt, uint64_t seed, double score_scale = 1) {
  const int64_t N = g.num_nodes();
  return {uniform({N, H, F}, -1, 1, seed, dt).requires_grad_(),
          uniform({N, H}, -score_scale, score_scale, seed + 1, dt).requires_grad_(),
          uniform({N, H}, -score_scale, score_scale, seed + 2, dt).requires_grad_()};
}

Fn fused(const Graph& g, double p, uint64_t key, Tensor* alpha = nullptr) {
  return [g, p, key, alpha](const std::vector<Tensor>& in) {
    return gat_attention(in[0], in[1], in[2], g, kSlope, p, key, alpha);
  };
}

// The composed path of the header comment, with the α before dropout exported.
Fn composed(const Graph& g, double p, uint64_t key, Tensor* alpha = nullptr) {
  return [g, p, key, alpha](const std::vector<Tensor>& in) {
    Tensor e = leaky_relu(gather(in[1], g, Endpoint::dst) + gather(in[2], g, Endpoint::src), kSlope);
    Tensor a = segment_softmax(e, g);
    if (alpha) *alpha = a.detach();
    return aggregate(dropout(a, p, key), in[0], g);
  };
}

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

// Worst |a - b| / (1 + |b|) is at most tol; reports the worst element. Returns true if bitwise equal.
bool close(const std::vector<double>& a, const std::vector<double>& b, double tol, const std::string& what) {
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
  return a == b;
}

void same_run(const Run& a, const Run& b, double tol, const std::string& what) {
  close(a.out, b.out, tol, what + " out");
  const char* names[] = {"dwh", "ds_dst", "ds_src"};
  for (size_t k = 0; k < a.grads.size(); ++k) close(a.grads[k], b.grads[k], tol, what + " " + names[k]);
}

bool all_finite(const std::vector<double>& v) {
  for (double x : v)
    if (!std::isfinite(x)) return false;
  return true;
}

}  // namespace

BOOST_AUTO_TEST_CASE(gradcheck_with_and_without_dropout) {
  for (uint32_t seed : {1u, 2u}) {
    const Graph g = awkward_graph(10, 24, seed);
    for (double p : {0.0, 0.5}) {
      const Inputs in = random_inputs(g, 2, 3, DType::f64, seed * 10);
      const GradcheckResult r = gradcheck(fused(g, p, 99), in.list());
      BOOST_TEST(r.checked > 0);
      BOOST_TEST(r.pass, "p=" << p << " seed " << seed << ": max_abs_err=" << r.max_abs_err << " worst " << r.worst);
    }
  }
}

BOOST_AUTO_TEST_CASE(fused_equals_composed) {
  const Graph g = awkward_graph(40, 200, 3);
  // Shapes: each kernel path of graph/kernels/attention.hpp (one_head: H = 1, F <= 16, here Cora's
  // output layer of 7 classes; heads8: H = 8, F = 8, Cora's hidden layer; general: the rest, with
  // feature counts that fill SIMD registers (16) and that leave a short chunk (5, 4)).
  for (auto [H, F] : {std::pair<int64_t, int64_t>{3, 5}, {1, 7}, {8, 8}, {2, 16}, {4, 4}})
    for (DType dt : {DType::f64, DType::f32})
      for (double p : {0.0, 0.6}) {
        const std::string what = "H=" + std::to_string(H) + " F=" + std::to_string(F) + " " + dtype_name(dt) +
                                 " p=" + std::to_string(p);
        // Both paths run the same kernels in the same order: equal to the last bit.
        const double tol = 0;
        const Inputs in = random_inputs(g, H, F, dt, 40);
        Tensor a_fused, a_comp;
        const Run f = run(fused(g, p, 1234, &a_fused), in.list());
        const Run c = run(composed(g, p, 1234, &a_comp), in.list());
        same_run(f, c, tol, what);
        close(a_fused.to_vector(), a_comp.to_vector(), tol, what + " alpha");
        BOOST_TEST(a_fused.shape() == Shape({g.num_edges(), H}));
        BOOST_TEST(!a_fused.requires_grad());
      }
}

BOOST_AUTO_TEST_CASE(dropout_mask_is_the_engines) {
  // Applying the engine's dropout to the exported α [E, H] and aggregating gives the fused output.
  const Graph g = awkward_graph(300, 3000, 4);
  const int64_t H = 4;
  const Inputs in = random_inputs(g, H, 6, DType::f64, 50);
  Tensor alpha;
  const Tensor out = gat_attention(in.wh, in.s_dst, in.s_src, g, kSlope, 0.6, 777, &alpha);
  close(out.to_vector(), aggregate(dropout(alpha, 0.6, 777), in.wh, g).to_vector(), 1e-13, "mask");
  // About 60% of α is dropped: compare with the undropped output to see the mask acted.
  const std::vector<double> kept = dropout(Tensor::full({g.num_edges(), H}, 1.0, DType::f64), 0.6, 777).to_vector();
  double frac = 0;
  for (double k : kept) frac += k == 0.0;
  frac /= static_cast<double>(kept.size());
  BOOST_TEST(std::abs(frac - 0.6) < 0.03);
  BOOST_TEST(out.to_vector() != gat_attention(in.wh, in.s_dst, in.s_src, g, kSlope, 0.0, 777).to_vector());
  tape_clear();
}

BOOST_AUTO_TEST_CASE(fused_equals_dense_oracle) {
  // The GAT authors' formulation (tests/reference.hpp, in xtensor in reference.cpp): dense [H, N, N] logits masked by the
  // adjacency, softmax over j, attention times W h per head; its backward from the same equations.
  const Graph g = awkward_graph(16, 60, 5, /*duplicates=*/false);
  const Inputs in = random_inputs(g, 3, 4, DType::f64, 60);
  Tensor a_fused;
  const Run f = run(fused(g, 0.0, 0, &a_fused), in.list());
  const ref::Attention d = ref::gat_attention(g, in.wh, in.s_dst, in.s_src, kSlope);
  const Tensor dout = uniform({g.num_nodes(), 3, 4}, -1, 1, 5, DType::f64);  // run()'s weights
  const ref::AttentionGrads dd = ref::gat_attention_backward(d, in.wh, dout, kSlope);
  same_run(f, Run{d.out.to_vector(), {dd.dwh.to_vector(), dd.ds_dst.to_vector(), dd.ds_src.to_vector()}}, 1e-12, "dense");
  close(a_fused.to_vector(), d.alpha.to_vector(), 1e-12, "dense alpha");
}

BOOST_AUTO_TEST_CASE(huge_logits_stay_finite) {
  const Graph g = awkward_graph(30, 150, 6);
  for (DType dt : {DType::f32, DType::f64}) {
    const Inputs in = random_inputs(g, 2, 8, dt, 70, /*score_scale=*/1e4);
    Tensor alpha;
    const Run r = run(fused(g, 0.3, 5, &alpha), in.list());
    BOOST_TEST(all_finite(r.out));
    for (const auto& gr : r.grads) BOOST_TEST(all_finite(gr));
    const std::vector<double> av = alpha.to_vector();
    BOOST_TEST(all_finite(av));
    for (int64_t i = 0; i < g.num_nodes(); ++i) {
      if (g.in_degree(i) == 0) continue;
      for (int64_t h = 0; h < 2; ++h) {
        double total = 0;
        for (int64_t e = g.dst_ptr()[i]; e < g.dst_ptr()[i + 1]; ++e) total += av[e * 2 + h];
        BOOST_TEST(std::abs(total - 1) < 1e-5);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(nodes_without_incoming_edges_get_zero_rows) {
  const Graph g = awkward_graph(30, 40, 7);
  const int64_t H = 2, F = 3;
  const Inputs in = random_inputs(g, H, F, DType::f64, 80);
  const Run r = run(fused(g, 0.5, 9), in.list());
  int empty = 0;
  for (int64_t i = 0; i < g.num_nodes(); ++i)
    if (g.in_degree(i) == 0) {
      ++empty;
      for (int64_t k = 0; k < H * F; ++k) BOOST_TEST(r.out[i * H * F + k] == 0.0);
      for (int64_t h = 0; h < H; ++h) BOOST_TEST(r.grads[1][i * H + h] == 0.0);  // ds_dst of an empty target
    }
  BOOST_TEST(empty >= 2);  // the node that only sends and the isolated one
  for (const auto& gr : r.grads) BOOST_TEST(all_finite(gr));
  // A graph without any edge at all.
  const Graph none = Graph::from_edges(std::vector<int32_t>{}, std::vector<int32_t>{}, 4);
  const Inputs z = random_inputs(none, H, F, DType::f32, 81);
  const Run rz = run(fused(none, 0.5, 9), z.list());
  for (double x : rz.out) BOOST_TEST(x == 0.0);
}

BOOST_AUTO_TEST_CASE(thread_count_independent) {
  const Graph g = awkward_graph(20000, 200000, 8).add_self_loops();
  for (auto [H, F] : {std::pair<int64_t, int64_t>{8, 8}, {1, 7}, {2, 3}}) {
    const Inputs in = random_inputs(g, H, F, DType::f32, 90);
    Run one, two;
    std::vector<double> a1, a2;
    {
      tbb::global_control c(tbb::global_control::max_allowed_parallelism, 1);
      Tensor a;
      one = run(fused(g, 0.6, 31, &a), in.list());
      a1 = a.to_vector();
    }
    {
      tbb::global_control c(tbb::global_control::max_allowed_parallelism, 2);
      Tensor a;
      two = run(fused(g, 0.6, 31, &a), in.list());
      a2 = a.to_vector();
    }
    BOOST_TEST((one.out == two.out), "H=" << H << " F=" << F);
    BOOST_TEST((a1 == a2), "H=" << H << " F=" << F);
    for (size_t k = 0; k < 3; ++k) BOOST_TEST((one.grads[k] == two.grads[k]), "H=" << H << " F=" << F << " gradient " << k);
  }
}

BOOST_AUTO_TEST_CASE(only_some_inputs_need_grad) {
  const Graph g = awkward_graph(20, 80, 9);
  const Inputs in = random_inputs(g, 2, 4, DType::f64, 100);
  const Run all = run(fused(g, 0.4, 3), in.list());
  // Each input alone gets the same gradient as when all three need one.
  for (size_t k = 0; k < 3; ++k) {
    std::vector<Tensor> list = in.list();
    for (size_t o = 0; o < 3; ++o)
      if (o != k) list[o] = list[o].detach();
    const Run one = run(fused(g, 0.4, 3), list);
    close(one.grads[k], all.grads[k], 0, "input " + std::to_string(k) + " alone");
  }
  // Nothing needs grad: nothing is recorded.
  tape_clear();
  gat_attention(in.wh.detach(), in.s_dst.detach(), in.s_src.detach(), g, kSlope, 0.4, 3);
  BOOST_TEST(tape_size() == 0u);
}

BOOST_AUTO_TEST_CASE(argument_errors) {
  const Graph g = awkward_graph(20, 80, 10);
  const Inputs in = random_inputs(g, 2, 4, DType::f64, 110);
  auto has = [](const char* what) {
    return [what](const Error& e) { return std::string(e.what()).find(what) != std::string::npos; };
  };
  BOOST_CHECK_EXCEPTION(gat_attention(in.wh, in.s_dst, reshape(in.s_src, {-1}), g, kSlope, 0, 0), Error,
                        has("gat_attention: expected"));
  BOOST_CHECK_EXCEPTION(gat_attention(in.wh, in.s_dst.to(DType::f32), in.s_src, g, kSlope, 0, 0), Error, has("dtypes"));
  BOOST_CHECK_EXCEPTION(gat_attention(in.wh, in.s_dst, in.s_src, g, kSlope, 1.0, 0), Error, has("dropout"));
  tape_clear();
}

// ---- the att form: gat_attention(wh, att [H, 2F], ...) computes the scores itself ----

// wh and att = [a_1 | a_2] per head; the unfused reference is head_dot + the score form.
Fn fused_att(const Graph& g, double p, uint64_t key, Tensor* alpha = nullptr) {
  return [g, p, key, alpha](const std::vector<Tensor>& in) { return gat_attention(in[0], in[1], g, kSlope, p, key, alpha); };
}
Fn head_dot_then_attention(const Graph& g, double p, uint64_t key, Tensor* alpha = nullptr) {
  return [g, p, key, alpha](const std::vector<Tensor>& in) {
    const int64_t F = in[0].size(2);
    // s_dst first, as GATConv::forward_composed does (backward then adds s_src's part first)
    const Tensor s_dst = head_dot(in[0], slice(in[1], 1, 0, F));
    const Tensor s_src = head_dot(in[0], slice(in[1], 1, F, 2 * F));
    return gat_attention(in[0], s_dst, s_src, g, kSlope, p, key, alpha);
  };
}
std::vector<Tensor> att_inputs(const Graph& g, int64_t H, int64_t F, DType dt, uint64_t seed) {
  return {uniform({g.num_nodes(), H, F}, -1, 1, seed, dt).requires_grad_(),
          uniform({H, 2 * F}, -1, 1, seed + 1, dt).requires_grad_()};
}

BOOST_AUTO_TEST_CASE(att_form_equals_head_dot_then_attention) {
  // A graph of 1500 nodes spans three node blocks of the backward's per-block sums of datt.
  const Graph g = awkward_graph(1500, 9000, 12);
  for (auto [H, F] : {std::pair<int64_t, int64_t>{3, 5}, {1, 7}, {8, 8}, {2, 16}, {4, 4}})
    for (DType dt : {DType::f64, DType::f32})
      for (double p : {0.0, 0.6}) {
        const std::string what = "H=" + std::to_string(H) + " F=" + std::to_string(F) + " " + dtype_name(dt) +
                                 " p=" + std::to_string(p);
        const std::vector<Tensor> in = att_inputs(g, H, F, dt, 60);
        Tensor a_fused, a_ref;
        const Run f = run(fused_att(g, p, 4321, &a_fused), in);
        const Run r = run(head_dot_then_attention(g, p, 4321, &a_ref), in);
        // Forward and dwh: the same operations in the same order. datt: sums over other blocks
        // of nodes, so equal up to rounding (1500 float products regrouped: some 1e-5).
        close(f.out, r.out, 0, what + " out");
        close(a_fused.to_vector(), a_ref.to_vector(), 0, what + " alpha");
        close(f.grads[0], r.grads[0], 0, what + " dwh");
        close(f.grads[1], r.grads[1], dt == DType::f64 ? 1e-13 : 5e-5, what + " datt");
      }
}

BOOST_AUTO_TEST_CASE(att_form_gradcheck_and_partial_grads) {
  const Graph g = awkward_graph(12, 30, 13);
  for (double p : {0.0, 0.5}) {
    const std::vector<Tensor> in = att_inputs(g, 2, 3, DType::f64, 70);
    const GradcheckResult r = gradcheck(fused_att(g, p, 99), in);
    BOOST_TEST(r.checked > 0);
    BOOST_TEST(r.pass, "p=" << p << ": max_abs_err=" << r.max_abs_err << " worst " << r.worst);
    // Each input alone gets the same gradient as when both need one.
    const Run both = run(fused_att(g, p, 99), in);
    const Run wh_only = run(fused_att(g, p, 99), {in[0], in[1].detach()});
    const Run att_only = run(fused_att(g, p, 99), {in[0].detach(), in[1]});
    close(wh_only.grads[0], both.grads[0], 0, "wh alone");
    close(att_only.grads[1], both.grads[1], 0, "att alone");
  }
  BOOST_CHECK_THROW(gat_attention(att_inputs(g, 2, 3, DType::f64, 1)[0], uniform({2, 5}, -1, 1, 2, DType::f64), g, kSlope, 0, 0),
                    Error);
  tape_clear();
}

BOOST_AUTO_TEST_CASE(att_form_thread_count_independent) {
  const Graph g = awkward_graph(20000, 200000, 14).add_self_loops();
  for (auto [H, F] : {std::pair<int64_t, int64_t>{8, 8}, {1, 7}}) {
    const std::vector<Tensor> in = att_inputs(g, H, F, DType::f32, 80);
    Run one, two;
    {
      tbb::global_control c(tbb::global_control::max_allowed_parallelism, 1);
      one = run(fused_att(g, 0.6, 31), in);
    }
    {
      tbb::global_control c(tbb::global_control::max_allowed_parallelism, 2);
      two = run(fused_att(g, 0.6, 31), in);
    }
    BOOST_TEST((one.out == two.out), "H=" << H << " F=" << F);
    for (size_t k = 0; k < 2; ++k) BOOST_TEST((one.grads[k] == two.grads[k]), "H=" << H << " F=" << F << " gradient " << k);
  }
}

BOOST_AUTO_TEST_CASE(att_form_bias_equals_adding_it_after) {
  // 1500 nodes: three node blocks of backward's per-block sums of dbias.
  const Graph g = awkward_graph(1500, 9000, 15);
  for (auto [H, F] : {std::pair<int64_t, int64_t>{1, 7}, {8, 8}, {3, 5}, {1, 12}})
    for (DType dt : {DType::f64, DType::f32}) {
      const std::string what = "H=" + std::to_string(H) + " F=" + std::to_string(F) + " " + dtype_name(dt);
      std::vector<Tensor> in = att_inputs(g, H, F, dt, 90);
      in.push_back(uniform({H * F}, -1, 1, 93, dt).requires_grad_());
      const Fn inside = [&g](const std::vector<Tensor>& x) {
        return gat_attention(x[0], x[1], g, kSlope, 0.6, 55, nullptr, {x[2]});
      };
      const Fn after = [&g](const std::vector<Tensor>& x) {
        const Tensor out = gat_attention(x[0], x[1], g, kSlope, 0.6, 55);
        return reshape(reshape(out, {out.size(0), out.size(1) * out.size(2)}) + x[2], {out.size(0), out.size(1), out.size(2)});
      };
      const Run a = run(inside, in), b = run(after, in);
      // The same sum plus the same bias, and the same dout into the attention: equal to the last
      // bit but for dbias, whose sum over nodes runs per block here and row by row there.
      close(a.out, b.out, 0, what + " out");
      close(a.grads[0], b.grads[0], 0, what + " dwh");
      close(a.grads[1], b.grads[1], 0, what + " datt");
      close(a.grads[2], b.grads[2], dt == DType::f64 ? 1e-13 : 1e-5, what + " dbias");
      Run one;
      {
        tbb::global_control c(tbb::global_control::max_allowed_parallelism, 1);
        one = run(inside, in);
      }
      BOOST_TEST((one.out == a.out), what);
      BOOST_TEST((one.grads[2] == a.grads[2]), what << " dbias on 1 thread");
    }
  const std::vector<Tensor> in = att_inputs(g, 2, 3, DType::f64, 1);
  {  // evaluation: nothing recorded, although the bias is a parameter that requires grad
    NoGradGuard no_grad;
    BOOST_TEST(!gat_attention(in[0], in[1], g, kSlope, 0, 0, nullptr, {uniform({6}, -1, 1, 2, DType::f64).requires_grad_()})
                    .requires_grad());
  }
  BOOST_CHECK_THROW(gat_attention(in[0], in[1], g, kSlope, 0, 0, nullptr, {uniform({5}, -1, 1, 2, DType::f64)}), Error);
  BOOST_CHECK_THROW(gat_attention(in[0], in[1], g, kSlope, 0, 0, nullptr, {uniform({6}, -1, 1, 2, DType::f32)}), Error);
  BOOST_CHECK_THROW(gat_attention(in[0], in[1], g, kSlope, 0, 0, nullptr, {Tensor(), true, 0.0}), Error);
  tape_clear();
}

BOOST_AUTO_TEST_CASE(att_form_elu_equals_the_elu_op_after) {
  // The epilogue (bias, then ELU) against the engine's ops after the attention: the same values
  // and, but for dbias (summed per block), the same gradients, to the last bit. Three node
  // blocks; each kernel path (one head in a batch, 8×8 in registers, general).
  const Graph g = awkward_graph(1500, 9000, 16);
  for (auto [H, F] : {std::pair<int64_t, int64_t>{1, 7}, {8, 8}, {3, 5}, {1, 12}})
    for (DType dt : {DType::f64, DType::f32})
      for (bool with_bias : {true, false}) {
        const std::string what = "H=" + std::to_string(H) + " F=" + std::to_string(F) + " " + dtype_name(dt) +
                                 (with_bias ? " bias" : "");
        std::vector<Tensor> in = att_inputs(g, H, F, dt, 95);
        in.push_back(uniform({H * F}, -1, 1, 96, dt).requires_grad_());
        const Fn inside = [&g, with_bias](const std::vector<Tensor>& x) {
          return gat_attention(x[0], x[1], g, kSlope, 0.6, 56, nullptr, {with_bias ? x[2] : Tensor(), true, 0.7});
        };
        const Fn after = [&g, with_bias](const std::vector<Tensor>& x) {
          const Tensor out = gat_attention(x[0], x[1], g, kSlope, 0.6, 56);
          Tensor h = reshape(out, {out.size(0), out.size(1) * out.size(2)});
          if (with_bias) h = h + x[2];
          return reshape(elu(h, 0.7), {out.size(0), out.size(1), out.size(2)});
        };
        const Run a = run(inside, in), b = run(after, in);
        BOOST_TEST(std::count_if(a.out.begin(), a.out.end(), [](double v) { return v < 0; }) > 0, what);
        close(a.out, b.out, 0, what + " out");
        close(a.grads[0], b.grads[0], 0, what + " dwh");
        close(a.grads[1], b.grads[1], 0, what + " datt");
        // (1500 terms of either sign, summed in another order: float's bound is ~n·eps)
        if (with_bias) close(a.grads[2], b.grads[2], dt == DType::f64 ? 1e-12 : 1e-4, what + " dbias");
      }
  tape_clear();
}

// ---- the edge score: s_edge [E, H] added to each logit before the LeakyReLU ----

// The composed path of the header comment with the edge term: gather + gather + s_edge.
Fn composed_edge(const Graph& g, double p, uint64_t key) {
  return [g, p, key](const std::vector<Tensor>& in) {
    Tensor e = leaky_relu(gather(in[1], g, Endpoint::dst) + gather(in[2], g, Endpoint::src) + in[3], kSlope);
    return aggregate(dropout(segment_softmax(e, g), p, key), in[0], g);
  };
}
Fn fused_edge(const Graph& g, double p, uint64_t key) {
  return [g, p, key](const std::vector<Tensor>& in) {
    return gat_attention(in[0], in[1], in[2], g, kSlope, p, key, nullptr, in[3]);
  };
}
std::vector<Tensor> edge_inputs(const Graph& g, int64_t H, int64_t F, DType dt, uint64_t seed) {
  std::vector<Tensor> in = random_inputs(g, H, F, dt, seed).list();
  in.push_back(uniform({g.num_edges(), H}, -1, 1, seed + 3, dt).requires_grad_());
  return in;
}

BOOST_AUTO_TEST_CASE(edge_score_fused_equals_composed) {
  // 1500 nodes: three node blocks. Every kernel path: one head of F <= 3 (narrower than any
  // register), 7 and 12 features; 8 heads of 8; the general path.
  const Graph g = awkward_graph(1500, 9000, 17);
  for (auto [H, F] : {std::pair<int64_t, int64_t>{1, 1}, {1, 2}, {1, 3}, {1, 7}, {1, 12}, {8, 8}, {3, 5}, {2, 16}})
    for (DType dt : {DType::f64, DType::f32})
      for (double p : {0.0, 0.6}) {
        const std::string what = "H=" + std::to_string(H) + " F=" + std::to_string(F) + " " + dtype_name(dt) +
                                 " p=" + std::to_string(p);
        const std::vector<Tensor> in = edge_inputs(g, H, F, dt, 120);
        const Run f = run(fused_edge(g, p, 77), in), c = run(composed_edge(g, p, 77), in);
        close(f.out, c.out, 0, what + " out");
        const char* names[] = {"dwh", "ds_dst", "ds_src", "ds_edge"};
        for (size_t k = 0; k < 4; ++k) close(f.grads[k], c.grads[k], 0, what + " " + names[k]);
        // and the score changes the result (it is not ignored)
        const Run none = run(fused(g, p, 77), {in[0], in[1], in[2]});
        BOOST_TEST((none.out != f.out), what);
        // The att form with the same s_edge: head_dot's scores, then the score form.
        const std::vector<Tensor> ai = att_inputs(g, H, F, dt, 130);
        const Tensor se = uniform({g.num_edges(), H}, -1, 1, 133, dt).requires_grad_();
        const Fn att_fused = [&](const std::vector<Tensor>& x) {
          return gat_attention(x[0], x[1], g, kSlope, p, 78, nullptr, {}, x[2]);
        };
        const Fn att_ref = [&](const std::vector<Tensor>& x) {
          const Tensor s_dst = head_dot(x[0], slice(x[1], 1, 0, F)), s_src = head_dot(x[0], slice(x[1], 1, F, 2 * F));
          return gat_attention(x[0], s_dst, s_src, g, kSlope, p, 78, nullptr, x[2]);
        };
        const Run af = run(att_fused, {ai[0], ai[1], se}), ar = run(att_ref, {ai[0], ai[1], se});
        close(af.out, ar.out, 0, what + " att form out");
        close(af.grads[0], ar.grads[0], 0, what + " att form dwh");
        close(af.grads[2], ar.grads[2], 0, what + " att form ds_edge");
      }
}

BOOST_AUTO_TEST_CASE(edge_score_gradcheck_and_errors) {
  const Graph g = awkward_graph(10, 24, 18);
  for (auto [H, F] : {std::pair<int64_t, int64_t>{2, 3}, {1, 2}})
    for (double p : {0.0, 0.5}) {
      const GradcheckResult r = gradcheck(fused_edge(g, p, 99), edge_inputs(g, H, F, DType::f64, 140));
      BOOST_TEST(r.checked > 0);
      BOOST_TEST(r.pass, "H=" << H << " p=" << p << ": max_abs_err=" << r.max_abs_err << " worst " << r.worst);
    }
  // s_edge alone needing a gradient gets the one it gets with every input
  const std::vector<Tensor> in = edge_inputs(g, 2, 3, DType::f64, 150);
  const Run all = run(fused_edge(g, 0.3, 5), in);
  const Run alone = run(fused_edge(g, 0.3, 5), {in[0].detach(), in[1].detach(), in[2].detach(), in[3]});
  close(alone.grads[3], all.grads[3], 0, "s_edge alone");
  auto has = [](const char* what) {
    return [what](const Error& e) { return std::string(e.what()).find(what) != std::string::npos; };
  };
  BOOST_CHECK_EXCEPTION(gat_attention(in[0], in[1], in[2], g, kSlope, 0, 0, nullptr, uniform({3, 2}, -1, 1, 1, DType::f64)),
                        Error, has("edge score s_edge [E, H]"));
  BOOST_CHECK_EXCEPTION(gat_attention(in[0], in[1], in[2], g, kSlope, 0, 0, nullptr, in[3].to(DType::f32)), Error,
                        has("of wh's dtype"));
  tape_clear();
}

// Each level's forward kernel, called on the destinations [i0, i1) alone, writes the output rows
// of those destinations and nothing else: one head of F < 8 features once stored a whole Vec of
// 8 lanes on its last rows, past i1 (another block's rows, or past the array's end).
BOOST_AUTO_TEST_CASE(forward_kernel_writes_only_its_rows_on_every_level) {
  const Graph g = awkward_graph(40, 200, 19);
  const int64_t N = g.num_nodes();
  const kernels::Isa before = kernels::active_isa();
  int levels = 0;
  for (kernels::Isa isa : kernels::compiled_isas()) {
    if (!kernels::cpu_supports(isa)) continue;
    ++levels;
    kernels::use_isa(isa);
    for (auto [H, F] : {std::pair<int64_t, int64_t>{1, 1}, {1, 2}, {1, 3}, {1, 5}, {1, 9}, {8, 8}, {3, 5}}) {
      const Inputs in = random_inputs(g, H, F, DType::f32, 160);
      const std::vector<float> want = [&] {
        NoGradGuard no_grad;
        const Tensor out = gat_attention(in.wh, in.s_dst, in.s_src, g, kSlope, 0, 0);
        return std::vector<float>(out.data<float>(), out.data<float>() + out.numel());
      }();
      for (auto [i0, i1] : {std::pair<int64_t, int64_t>{3, 9}, {N - 3, N}, {0, 1}}) {
        const int64_t HF = H * F, pad = 32;
        const float sentinel = 12345.0f;
        std::vector<float> out(static_cast<size_t>(N * HF + pad), sentinel), alpha(static_cast<size_t>(g.num_edges() * H));
        const graph_kernels::AttentionForward<float> args{
            graph_kernels::arrays_of(g), H, F, in.wh.data<float>(), in.s_dst.data<float>(), in.s_src.data<float>(),
            nullptr, kSlope, false, kernels::dropout_rule(0, 0), alpha.data(), nullptr, {}, out.data(),
            graph_kernels::Prefetch{}, &graph_kernels::thread_scratch};
        graph_kernels::table<float>().attention_forward(args, i0, i1);
        int64_t outside = 0, wrong = 0;
        for (int64_t k = 0; k < N * HF + pad; ++k) {
          const bool mine = k >= i0 * HF && k < i1 * HF;
          if (!mine) outside += out[k] != sentinel;
          if (mine) wrong += out[k] != want[k];
        }
        BOOST_TEST(outside == 0, kernels::isa_name(isa) << " H=" << H << " F=" << F << " rows [" << i0 << ", " << i1
                                                        << "): " << outside << " values written outside them");
        BOOST_TEST(wrong == 0, kernels::isa_name(isa) << " H=" << H << " F=" << F << " rows [" << i0 << ", " << i1 << ")");
      }
    }
  }
  kernels::use_isa(before);
  BOOST_TEST(levels >= 1);
}
