// The dense float64 references the suites compare gatgrad's kernels with, written in xtensor
// expressions that read like their equations: GEMM, the sparse product, scatters (aggregation),
// segment softmax and its backward, GAT attention over a small dense adjacency (forward and
// backward), the losses, the metrics and the optimisers' steps. Dense N×N and [M, K, N] forms
// are the point: nothing here shares code or a loop order with a kernel, so a kernel and its
// reference agreeing says something. Sizes stay small (a test's graph, a GEMM of a few hundred).
//
//   namespace ref = gatgrad::reference;
//   const ref::Matrix want = ref::matmul(a, b);                       // C_i = Σ_k A_ik B_k
//   close(got.to_vector(), ref::flat(want), 1e-12, "matmul");
//
// To add a reference: a function of xt::xtensor<double, N> arguments, its equation in a comment
// and its body the same equation in xtensor; no branch on the shapes a kernel vectorises by.
// Two traps of xtensor 0.24, both met here: a reduction with xt::keep_dims left lazy inside a
// broadcasting expression computes wrong values (`p * (d - xt::sum(p * d, {2}, xt::keep_dims))`
// differs from the same with the sum evaluated first), so every such reduction is assigned to a
// container before use; and a lazy expression keeps references to the scalars it was built from,
// so a function returning one must evaluate it (leaky_relu).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include <xtensor/xbroadcast.hpp>
#include <xtensor/xbuilder.hpp>
#include <xtensor/xmanipulation.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xnoalias.hpp>
#include <xtensor/xoperation.hpp>
#include <xtensor/xstrided_view.hpp>
#include <xtensor/xtensor.hpp>
#include <xtensor/xview.hpp>

#include "autograd/sparse.hpp"
#include "autograd/tensor.hpp"
#include "graph/graph.hpp"
#include "interop/xtensor.hpp"

namespace gatgrad::reference {

using Vector = xt::xtensor<double, 1>;
using Matrix = xt::xtensor<double, 2>;
using Cube = xt::xtensor<double, 3>;
using Array4 = xt::xtensor<double, 4>;
inline constexpr double kInf = std::numeric_limits<double>::infinity();

// ---- between tensors and references ----

/// Tensor t's values in float64 (a copy; t either dtype), as an xt::xtensor<double, N>.
template <std::size_t N>
xt::xtensor<double, N> values(const Tensor& t) {
  if (t.dtype() == DType::f64) return adapt<double, N>(t);
  return xt::cast<double>(adapt<float, N>(t));
}

/// Expression e's values, row-major, for the suites' element-wise comparisons.
template <class E>
std::vector<double> flat(const xt::xexpression<E>& e) {
  const xt::xarray<double> a = e.derived_cast();
  return {a.begin(), a.end()};
}

// ---- dense linear algebra ----

/// C = A B:  C_i = Σ_k A_ik B_k  (row i of C, the rows B_k of B weighted by row i of A).
template <class EA, class EB>
Matrix matmul(const EA& a_expr, const EB& b_expr) {
  const Matrix a = a_expr, b = b_expr;
  Matrix c = xt::zeros<double>({a.shape(0), b.shape(1)});
  for (std::size_t i = 0; i < a.shape(0); ++i)
    for (std::size_t k = 0; k < a.shape(1); ++k) xt::noalias(xt::row(c, i)) += a(i, k) * xt::row(b, k);
  return c;
}

/// A product and the bound of its rounding error: value = A B, magnitude = |A| |B|, so that
/// |computed - value| <= (2K + 4) ε magnitude for a sum of K products in precision ε.
struct Product {
  Matrix value, magnitude;
};
template <class EA, class EB>
Product product(const EA& a_expr, const EB& b_expr) {
  const Matrix a = a_expr, b = b_expr;
  return {matmul(a, b), matmul(xt::abs(a), xt::abs(b))};
}

/// GEMM: C' = α op(A) op(B) + β C, and its magnitude |α| |op(A)| |op(B)| + |β C| (β = 0: C unread).
inline Product gemm(double alpha, const Matrix& a, const Matrix& b, double beta, const Matrix& c) {
  Product p = product(a, b);
  p.value *= alpha;
  p.magnitude *= std::abs(alpha);
  if (beta != 0) {
    p.value += beta * c;
    p.magnitude += xt::abs(beta * c);
  }
  return p;
}

/// A CSR matrix as the dense [rows, cols] it stands for (duplicate entries added).
inline Matrix dense(const CsrMatrix& m) {
  Matrix a = xt::zeros<double>({static_cast<std::size_t>(m.rows), static_cast<std::size_t>(m.cols)});
  for (int64_t r = 0; r < m.rows; ++r)
    for (int64_t e = m.indptr[static_cast<std::size_t>(r)]; e < m.indptr[static_cast<std::size_t>(r) + 1]; ++e)
      a(r, m.indices[static_cast<std::size_t>(e)]) += m.values[static_cast<std::size_t>(e)];
  return a;
}

// ---- graphs as dense matrices ----

/// The adjacency of g: A_ij = the number of edges j -> i.
inline Matrix adjacency(const Graph& g) {
  Matrix a = xt::zeros<double>({static_cast<std::size_t>(g.num_dst_nodes()), static_cast<std::size_t>(g.num_src_nodes())});
  for (int64_t e = 0; e < g.num_edges(); ++e) a(g.dst()[e], g.src()[e]) += 1;
  return a;
}

/// One-hot incidence of an index: S_ve = 1 when index[e] = v ([n, E]); S m sums rows of m by index.
inline Matrix incidence(std::span<const int32_t> index, int64_t n) {
  Matrix s = xt::zeros<double>({static_cast<std::size_t>(n), index.size()});
  for (std::size_t e = 0; e < index.size(); ++e) s(index[e], e) = 1;
  return s;
}

/// Per-edge values [E, H] of a per-head dense [H, N, N]: row e is M[:, dst(e), src(e)].
inline Matrix on_edges(const Graph& g, const Cube& m) {
  Matrix out({static_cast<std::size_t>(g.num_edges()), m.shape(0)});
  for (int64_t e = 0; e < g.num_edges(); ++e) xt::row(out, e) = xt::view(m, xt::all(), g.dst()[e], g.src()[e]);
  return out;
}

/// A per-head dense [H, N, N] of per-edge values s [E, H] (no repeated pair): L_hij = s_eh for
/// the edge e = j -> i, `empty` elsewhere.
inline Cube from_edges(const Graph& g, const Matrix& s, double empty) {
  Cube l = xt::ones<double>({s.shape(1), static_cast<std::size_t>(g.num_dst_nodes()), static_cast<std::size_t>(g.num_src_nodes())}) * empty;
  for (int64_t e = 0; e < g.num_edges(); ++e) xt::view(l, xt::all(), g.dst()[e], g.src()[e]) = xt::row(s, e);
  return l;
}

/// The per-head dense [H, N, S] of per-edge weights w [E, H]: W_hij = Σ_{e: j -> i} w_eh.
inline Cube edge_weights(const Graph& g, const Matrix& w) {
  Cube out = xt::zeros<double>({w.shape(1), static_cast<std::size_t>(g.num_dst_nodes()), static_cast<std::size_t>(g.num_src_nodes())});
  for (int64_t e = 0; e < g.num_edges(); ++e) xt::view(out, xt::all(), g.dst()[e], g.src()[e]) += xt::row(w, e);
  return out;
}

// ---- message passing ----

/// gather: row e of the result is x's row at index[e] (an edge's source or destination).   x [N, D] -> [E, D]
inline Matrix gather(const Matrix& x, std::span<const int32_t> index) {
  return xt::view(x, xt::keep(std::vector<int64_t>(index.begin(), index.end())), xt::all());
}

/// head_dot: d_nh = Σ_f wh_nhf a_hf.   wh [N, H, F], a [H, F] -> [N, H]
inline Matrix head_dot(const Cube& wh, const Matrix& a) { return xt::sum(wh * xt::view(a, xt::newaxis(), xt::all(), xt::all()), {2}); }

/// scatter_add: out_v = Σ_{e: index[e] = v} m_e  = S m.   m [E, D] -> [n, D]
inline Matrix scatter_add(std::span<const int32_t> index, const Matrix& m, int64_t n) { return matmul(incidence(index, n), m); }

/// scatter_mean: out_v = (S m)_v / max(|{e: index[e] = v}|, 1)  (0 for a row nobody sends to).
inline Matrix scatter_mean(std::span<const int32_t> index, const Matrix& m, int64_t n) {
  const Matrix s = incidence(index, n);
  const Matrix count = xt::sum(s, {1}, xt::keep_dims);  // [n, 1]
  return matmul(s, m) / xt::maximum(count, 1.0);
}

/// scatter_max: out_v = max_{e: index[e] = v} m_e, 0 for a row nobody sends to.
inline Matrix scatter_max(std::span<const int32_t> index, const Matrix& m, int64_t n) {
  const Matrix s = incidence(index, n);
  const Cube masked = xt::where(xt::view(s, xt::all(), xt::all(), xt::newaxis()) > 0,
                                xt::view(m, xt::newaxis(), xt::all(), xt::all()), -kInf);  // [n, E, D]
  const Matrix best = xt::amax(masked, {1});
  const Vector count = xt::sum(s, {1});
  return xt::where(xt::view(count, xt::all(), xt::newaxis()) > 0, best, 0.0);
}

/// Softmax over the last axis where mask > 0, weighted by it (a count of repeated edges):
///   P_hij = A_ij exp(e_hij - m_hi) / Σ_k A_ik exp(e_hik - m_hi),   m_hi = max_{k: A_ik > 0} e_hik
/// (m only for stability); a row without any entry is 0.   A [N, S], e [H, N, S] -> [H, N, S]
inline Cube masked_softmax(const Matrix& a, const Cube& e) {
  const auto present = xt::view(a, xt::newaxis(), xt::all(), xt::all()) > 0;
  const Cube m = xt::amax(xt::where(present, e, -kInf), {2}, xt::keep_dims);
  const Cube w = xt::where(present, xt::view(a, xt::newaxis(), xt::all(), xt::all()) * xt::exp(e - m), 0.0);
  const Cube total = xt::sum(w, {2}, xt::keep_dims);
  return xt::where(total > 0, w / total, 0.0);
}

/// segment_softmax over each destination's incoming edges, the GAT authors' dense way:
///   α_ij = exp(s_ij - max_k s_ik) / Σ_{k ∈ N(i)} exp(s_ik - max_k s_ik).   s [E, H] -> α [E, H]
/// (g without repeated pairs: each edge its own logit.)
inline Matrix segment_softmax(const Graph& g, const Matrix& s) {
  return on_edges(g, masked_softmax(adjacency(g), from_edges(g, s, 0.0)));
}

/// Its backward, y = α, dy = ∂L/∂α:  ∂L/∂s_e = α_e (dy_e - Σ_{e' into dst(e)} α_e' dy_e').   [E, H]
inline Matrix segment_softmax_backward(const Graph& g, const Matrix& alpha, const Matrix& dy) {
  const std::span<const int32_t> dst = g.dst();
  const Matrix s = incidence(dst, g.num_dst_nodes());
  const Matrix per_node = matmul(s, alpha * dy);           // Σ_{e' into i} α_e' dy_e'   [N, H]
  return alpha * (dy - matmul(xt::transpose(s), per_node));  // read back at each edge's dst
}

/// LeakyReLU(z) = z for z > 0, slope z otherwise; and its derivative. Evaluated here: a lazy
/// expression would keep a reference to `slope`, gone when the function returns.
template <class E>
auto leaky_relu(const E& z, double slope) {
  return xt::eval(xt::where(z > 0, z, slope * z));
}
template <class E>
auto leaky_relu_grad(const E& z, double slope) {
  return xt::eval(xt::where(z > 0, 1.0, slope));
}

/// Attention-weighted sums per head: out_ih = Σ_j P_hij v_jh.   P [H, N, S], v [S, H, F] -> [N, H, F]
inline Cube aggregate(const Cube& p, const Cube& v) {
  Cube out = xt::zeros<double>({p.shape(1), p.shape(0), v.shape(2)});
  for (std::size_t h = 0; h < p.shape(0); ++h)
    xt::view(out, xt::all(), h, xt::all()) =
        matmul(xt::view(p, h, xt::all(), xt::all()), xt::view(v, xt::all(), h, xt::all()));
  return out;
}

/// GAT attention (gat_attention without dropout), over g's dense adjacency A (counts):
///   z_hij = s_dst_ih + s_src_jh,  e = LeakyReLU(z),  P = masked_softmax(A, e),
///   out_ih = Σ_j P_hij wh_jh.   wh [S, H, F], s_dst [N, H], s_src [S, H] -> out [N, H, F]
/// α [E, H] per edge: P_hij / A_ij (a repeated edge takes its share).
struct Attention {
  Cube z, p, out;
  Matrix alpha;
};
inline Attention gat_attention(const Graph& g, const Cube& wh, const Matrix& s_dst, const Matrix& s_src, double slope) {
  const Matrix a = adjacency(g);
  Attention r;
  r.z = xt::view(xt::transpose(s_dst), xt::all(), xt::all(), xt::newaxis()) +
        xt::view(xt::transpose(s_src), xt::all(), xt::newaxis(), xt::all());  // [H, N, S]
  r.p = masked_softmax(a, leaky_relu(r.z, slope));
  r.out = aggregate(r.p, wh);
  r.alpha = on_edges(g, xt::where(xt::view(a, xt::newaxis(), xt::all(), xt::all()) > 0,
                                  r.p / xt::view(a, xt::newaxis(), xt::all(), xt::all()), 0.0));
  return r;
}

/// Its backward from dout = ∂L/∂out [N, H, F]:
///   ∂L/∂wh_jh = Σ_i P_hij dout_ih            ∂L/∂P_hij = dout_ih · wh_jh
///   ∂L/∂e_hij = P_hij (∂L/∂P_hij - Σ_k P_hik ∂L/∂P_hik)       (softmax; summed over repeated edges)
///   ∂L/∂z = ∂L/∂e LeakyReLU'(z);   ∂L/∂s_dst_ih = Σ_j ∂L/∂z_hij,   ∂L/∂s_src_jh = Σ_i ∂L/∂z_hij
struct AttentionGrads {
  Cube dwh;
  Matrix ds_dst, ds_src;
};
inline AttentionGrads gat_attention_backward(const Attention& f, const Cube& wh, const Cube& dout, double slope) {
  const std::size_t heads = f.p.shape(0);
  Cube dp(f.p.shape());
  AttentionGrads r{xt::zeros<double>(wh.shape()), {}, {}};
  for (std::size_t h = 0; h < heads; ++h) {
    const Matrix p = xt::view(f.p, h, xt::all(), xt::all());
    const Matrix d = xt::view(dout, xt::all(), h, xt::all());
    const Matrix v = xt::view(wh, xt::all(), h, xt::all());
    xt::view(r.dwh, xt::all(), h, xt::all()) = matmul(xt::transpose(p), d);
    xt::view(dp, h, xt::all(), xt::all()) = matmul(d, xt::transpose(v));
  }
  const Cube weighted = xt::sum(f.p * dp, {2}, xt::keep_dims);  // Σ_k P_hik ∂L/∂P_hik   [H, N, 1]
  const Cube de = f.p * (dp - weighted);
  const Cube dz = de * leaky_relu_grad(f.z, slope);
  const Matrix by_dst = xt::sum(dz, {2}), by_src = xt::sum(dz, {1});  // [H, N], [H, S]
  r.ds_dst = xt::transpose(by_dst);
  r.ds_src = xt::transpose(by_src);
  return r;
}

// ---- losses (the mean over the rows given) ----

/// log Σ_c exp(z_rc), row by row, stable:  m_r + log Σ_c exp(z_rc - m_r).   z [R, C] -> [R]
inline Vector logsumexp(const Matrix& z) {
  const Matrix m = xt::amax(z, {1}, xt::keep_dims);
  const Vector total = xt::sum(xt::exp(z - m), {1});
  return xt::view(m, xt::all(), 0) + xt::log(total);
}

/// The rows `rows` of z, and the one-hot [R, C] of their labels.
inline Matrix rows_of(const Matrix& z, const std::vector<int64_t>& rows) {
  return xt::view(z, xt::keep(rows), xt::all());
}
inline Matrix one_hot(const std::vector<int64_t>& labels, const std::vector<int64_t>& rows, std::size_t classes) {
  Matrix y = xt::zeros<double>({rows.size(), classes});
  for (std::size_t r = 0; r < rows.size(); ++r) y(r, labels[rows[r]]) = 1;
  return y;
}

/// Cross-entropy: L = (1/R) Σ_r (logsumexp(z_r) - z_r,y_r);  ∂L/∂z_r = (softmax(z_r) - onehot(y_r)) / R
/// (0 on the rows not in `rows`).   z [N, C] -> L, ∂L/∂z [N, C]
struct Loss {
  double value;
  Matrix grad;
};
inline Loss cross_entropy(const Matrix& z, const std::vector<int64_t>& labels, const std::vector<int64_t>& rows) {
  const Matrix zr = rows_of(z, rows), y = one_hot(labels, rows, z.shape(1));
  const double n = static_cast<double>(rows.size());
  const Vector lse = logsumexp(zr);
  const Vector picked = xt::sum(zr * y, {1});  // z_r,y_r
  const double value = xt::sum(lse - picked)() / n;
  const Matrix dzr = (xt::exp(zr - xt::view(lse, xt::all(), xt::newaxis())) - y) / n;
  Matrix grad = xt::zeros<double>(z.shape());
  xt::view(grad, xt::keep(rows), xt::all()) = dzr;
  return {value, grad};
}

/// Binary cross-entropy with logits, over the R·C entries of the rows:
///   L = mean(max(z, 0) - z t + log(1 + exp(-|z|))),   ∂L/∂z = (σ(z) - t) / (R C).
inline Loss binary_cross_entropy_with_logits(const Matrix& z, const Matrix& t, const std::vector<int64_t>& rows) {
  const Matrix zr = rows_of(z, rows), tr = rows_of(t, rows);
  const double n = static_cast<double>(zr.size());
  const double value = xt::sum(xt::maximum(zr, 0.0) - zr * tr + xt::log1p(xt::exp(-xt::abs(zr))))() / n;
  Matrix grad = xt::zeros<double>(z.shape());
  xt::view(grad, xt::keep(rows), xt::all()) = (1.0 / (1.0 + xt::exp(-zr)) - tr) / n;
  return {value, grad};
}

// ---- metrics ----

/// The predicted class of each row: the first maximal logit.   z [N, C] -> [N]
inline std::vector<int64_t> predictions(const Matrix& z) {
  std::vector<int64_t> out(z.shape(0));
  for (std::size_t i = 0; i < z.shape(0); ++i) {
    const auto row = xt::row(z, i);
    out[i] = std::distance(row.begin(), std::max_element(row.begin(), row.end()));
  }
  return out;
}

/// Accuracy: the fraction of rows whose prediction is the label.
inline double accuracy(const Matrix& z, const std::vector<int64_t>& labels, const std::vector<int64_t>& rows) {
  const std::vector<int64_t> p = predictions(z);
  double right = 0;
  for (int64_t r : rows) right += p[r] == labels[r];
  return right / static_cast<double>(rows.size());
}

/// Micro-F1 of the decisions z > threshold against t of 0/1 over the rows:
///   TP = Σ [ẑ = 1][t = 1],  FP = Σ [ẑ = 1][t = 0],  FN = Σ [ẑ = 0][t = 1];  F1 = 2TP / (2TP + FP + FN), 0 without positives.
inline double micro_f1(const Matrix& z, const Matrix& t, const std::vector<int64_t>& rows, double threshold) {
  const Matrix predicted = xt::cast<double>(rows_of(z, rows) > threshold), target = rows_of(t, rows);
  const double tp = xt::sum(predicted * target)(), fp = xt::sum(predicted * (1.0 - target))(),
               fn = xt::sum((1.0 - predicted) * target)();
  return 2 * tp + fp + fn == 0 ? 0.0 : 2 * tp / (2 * tp + fp + fn);
}

// ---- optimisers: torch.optim's documented algorithms, on whole parameter vectors ----

/// SGD: g = ∇ + λ θ;  b = μ b + (1 - τ) g (b = g on the first step);  g = nesterov ? g + μ b : b;  θ -= γ g.
struct SGD {
  double lr, momentum = 0, weight_decay = 0, dampening = 0;
  bool nesterov = false;
  Vector b{};
  int t = 0;
  void step(Vector& theta, const Vector& grad) {
    ++t;
    Vector g = grad + weight_decay * theta;
    if (momentum != 0) {
      if (t == 1)
        b = g;
      else
        b = momentum * b + (1 - dampening) * g;
      if (nesterov)
        g = g + momentum * b;
      else
        g = b;
    }
    theta -= lr * g;
  }
};

/// Adam (λ added to the gradient) and AdamW (decoupled: θ -= γ λ θ first):
///   m = β1 m + (1 - β1) g,  v = β2 v + (1 - β2) g²,  θ -= γ (m / (1 - β1^t)) / (sqrt(v / (1 - β2^t)) + ε).
struct Adam {
  double lr, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0;
  bool decoupled = false;
  Vector m{}, v{};
  int t = 0;
  void step(Vector& theta, const Vector& grad) {
    if (t++ == 0) m = v = xt::zeros<double>(theta.shape());
    Vector g = grad;
    if (decoupled)
      theta -= lr * weight_decay * theta;
    else
      g += weight_decay * theta;
    m = beta1 * m + (1 - beta1) * g;
    v = beta2 * v + (1 - beta2) * g * g;
    theta -= lr * (m / (1 - std::pow(beta1, t))) / (xt::sqrt(v / (1 - std::pow(beta2, t))) + eps);
  }
};

}  // namespace gatgrad::reference
