// The dense float64 references of tests/reference.hpp, in xtensor expressions that read like
// their equations. The only file of the suites that compiles xtensor's templates for them: the
// suites include the declarations and link this file's library (tests/CMakeLists.txt).
// Two traps of xtensor 0.24, both met here: a reduction with xt::keep_dims left lazy inside a
// broadcasting expression computes wrong values (`p * (d - xt::sum(p * d, {2}, xt::keep_dims))`
// differs from the same with the sum evaluated first), so every such reduction is assigned to a
// container before use; and a lazy expression keeps references to the scalars it was built from,
// so a function returning one must evaluate it (leaky_relu).
#include "reference.hpp"

#include <cmath>
#include <limits>

#include <xtensor/xadapt.hpp>
#include <xtensor/xbroadcast.hpp>
#include <xtensor/xbuilder.hpp>
#include <xtensor/xmanipulation.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xnoalias.hpp>
#include <xtensor/xoperation.hpp>
#include <xtensor/xstrided_view.hpp>
#include <xtensor/xtensor.hpp>
#include <xtensor/xview.hpp>

#include "interop/xtensor.hpp"

namespace gatgrad::reference {

namespace {

using Vector = xt::xtensor<double, 1>;
using Matrix = xt::xtensor<double, 2>;
using Cube = xt::xtensor<double, 3>;
using Array4 = xt::xtensor<double, 4>;
constexpr double kInf = std::numeric_limits<double>::infinity();

// ---- between tensors and references ----

/// Tensor t's values in float64 (a copy; t either dtype), as an xt::xtensor<double, N>.
template <std::size_t N>
xt::xtensor<double, N> values(const Tensor& t) {
  if (t.dtype() == DType::f64) return adapt<double, N>(t);
  return xt::cast<double>(adapt<float, N>(t));
}

/// A float64 tensor of expression e's values: e evaluated once into its container, whose values
/// are copied (not from_xtensor, which would compile an assignment of every expression type for
/// both dtypes).
template <class E>
Tensor tensor(const E& e) {
  const auto c = xt::eval(e);
  return Tensor::from_vector({c.data(), c.data() + c.size()}, Shape(c.shape().begin(), c.shape().end()), DType::f64);
}

/// A matrix's values, row-major.
std::vector<double> flat(const Matrix& m) { return {m.data(), m.data() + m.size()}; }

std::size_t size(int64_t n) { return static_cast<std::size_t>(n); }

// ---- dense linear algebra ----

/// C = A B:  C_i = Σ_k A_ik B_k  (row i of C, the rows B_k of B weighted by row i of A).
template <class EA, class EB>
Matrix matmul(const EA& a_expr, const EB& b_expr) {
  const Matrix a = a_expr, b = b_expr;
  Matrix c = xt::zeros<double>({a.shape(0), b.shape(1)});
  for (std::size_t i = 0; i < a.shape(0); ++i) {
    auto c_i = xt::row(c, static_cast<std::ptrdiff_t>(i));
    for (std::size_t k = 0; k < a.shape(1); ++k) xt::noalias(c_i) += a(i, k) * xt::row(b, static_cast<std::ptrdiff_t>(k));
  }
  return c;
}

/// op(X) of a stored matrix: its first cols columns, transposed when asked.
Matrix op(const Stored& x) {
  const auto stored = xt::adapt(x.values.data(), x.values.size(), xt::no_ownership(),
                                std::vector<std::size_t>{size(x.rows), size(x.ld)});
  const Matrix m = xt::view(stored, xt::all(), xt::range(0, x.cols));
  return x.transposed ? Matrix(xt::transpose(m)) : m;
}

/// A CSR matrix as the dense [rows, cols] it stands for (duplicate entries added).
Matrix dense(const CsrMatrix& m) {
  Matrix a = xt::zeros<double>({size(m.rows), size(m.cols)});
  for (int64_t r = 0; r < m.rows; ++r)
    for (int64_t e = m.indptr[size(r)]; e < m.indptr[size(r) + 1]; ++e) a(r, m.indices[size(e)]) += m.values[size(e)];
  return a;
}

// ---- graphs as dense matrices ----

/// Row e is x's row at index[e] (an edge's source or destination).   x [N, D] -> [E, D]
Matrix rows_at(const Matrix& x, std::span<const int32_t> index) {
  return xt::view(x, xt::keep(std::vector<int64_t>(index.begin(), index.end())), xt::all());
}

/// The adjacency of edges src -> dst of n_dst × n_src nodes: A_ij = the number of edges j -> i.
Matrix adjacency(std::span<const int32_t> src, std::span<const int32_t> dst, int64_t n_dst, int64_t n_src) {
  Matrix a = xt::zeros<double>({size(n_dst), size(n_src)});
  for (std::size_t e = 0; e < src.size(); ++e) a(dst[e], src[e]) += 1;
  return a;
}
Matrix adjacency(const Graph& g) { return adjacency(g.src(), g.dst(), g.num_dst_nodes(), g.num_src_nodes()); }

/// One-hot incidence of an index: S_ve = 1 when index[e] = v ([n, E]); S m sums rows of m by index.
Matrix incidence(std::span<const int32_t> index, int64_t n) {
  Matrix s = xt::zeros<double>({size(n), index.size()});
  for (std::size_t e = 0; e < index.size(); ++e) s(index[e], e) = 1;
  return s;
}

/// Per-edge values [E, H] of a per-head dense [H, N, N]: row e is M[:, dst(e), src(e)].
Matrix on_edges(const Graph& g, const Cube& m) {
  Matrix out({size(g.num_edges()), m.shape(0)});
  for (int64_t e = 0; e < g.num_edges(); ++e) xt::row(out, e) = xt::view(m, xt::all(), g.dst()[e], g.src()[e]);
  return out;
}

/// A per-head dense [H, N, N] of per-edge values s [E, H] (no repeated pair): L_hij = s_eh for
/// the edge e = j -> i, `empty` elsewhere.
Cube from_edges(const Graph& g, const Matrix& s, double empty) {
  Cube l = xt::ones<double>({s.shape(1), size(g.num_dst_nodes()), size(g.num_src_nodes())}) * empty;
  for (int64_t e = 0; e < g.num_edges(); ++e) xt::view(l, xt::all(), g.dst()[e], g.src()[e]) = xt::row(s, e);
  return l;
}

/// The per-head dense [H, N, S] of per-edge weights w [E, H]: W_hij = Σ_{e: j -> i} w_eh.
Cube edge_weights(const Graph& g, const Matrix& w) {
  Cube out = xt::zeros<double>({w.shape(1), size(g.num_dst_nodes()), size(g.num_src_nodes())});
  for (int64_t e = 0; e < g.num_edges(); ++e) xt::view(out, xt::all(), g.dst()[e], g.src()[e]) += xt::row(w, e);
  return out;
}

// ---- attention ----

/// Softmax over the last axis where mask > 0, weighted by it (a count of repeated edges):
///   P_hij = A_ij exp(e_hij - m_hi) / Σ_k A_ik exp(e_hik - m_hi),   m_hi = max_{k: A_ik > 0} e_hik
/// (m only for stability); a row without any entry is 0.   A [N, S], e [H, N, S] -> [H, N, S]
Cube masked_softmax(const Matrix& a, const Cube& e) {
  const auto present = xt::view(a, xt::newaxis(), xt::all(), xt::all()) > 0;
  const Cube m = xt::amax(xt::where(present, e, -kInf), {2}, xt::keep_dims);
  const Cube w = xt::where(present, xt::view(a, xt::newaxis(), xt::all(), xt::all()) * xt::exp(e - m), 0.0);
  const Cube total = xt::sum(w, {2}, xt::keep_dims);
  return xt::where(total > 0, w / total, 0.0);
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
Cube weighted_sums(const Cube& p, const Cube& v) {
  Cube out = xt::zeros<double>({p.shape(1), p.shape(0), v.shape(2)});
  for (std::size_t h = 0; h < p.shape(0); ++h)
    xt::view(out, xt::all(), h, xt::all()) = matmul(xt::view(p, h, xt::all(), xt::all()), xt::view(v, xt::all(), h, xt::all()));
  return out;
}

// ---- layers ----

/// W x per head: x [N, Fin], w [Fin, K·F] -> [N, K, F].
Cube per_head(const Tensor& x, const Tensor& w, int64_t heads, int64_t features) {
  const Matrix xw = matmul(values<2>(x), values<2>(w));
  return xt::reshape_view(xw, {xw.shape(0), size(heads), size(features)});
}

/// Pairs of per-head rows: [K, N, N, F] with (k, i, j) holding v_ik (`first`) or v_jk.
Array4 pairs(const Cube& v, bool first) {
  const std::size_t n = v.shape(0), k = v.shape(1), f = v.shape(2);
  const Cube t = xt::transpose(v, {1, 0, 2});  // [K, N, F]
  if (first) return xt::broadcast(xt::view(t, xt::all(), xt::all(), xt::newaxis(), xt::all()), {k, n, n, f});
  return xt::broadcast(xt::view(t, xt::all(), xt::newaxis(), xt::all(), xt::all()), {k, n, n, f});
}

/// The layer's output from the heads' h' [N, K, F]: concatenated [N, K·F] or averaged [N, F], plus the bias.
Tensor finish(const Cube& hp, bool concat, const Tensor& bias) {
  const std::size_t n = hp.shape(0), k = hp.shape(1), f = hp.shape(2);
  if (concat) return tensor(xt::reshape_view(hp, {n, k * f}) + values<1>(bias));
  const Matrix mean = xt::mean(hp, {1});  // (evaluated before it is broadcast)
  return tensor(mean + values<1>(bias));
}

// ---- losses ----

/// log Σ_c exp(z_rc), row by row, stable:  m_r + log Σ_c exp(z_rc - m_r).   z [R, C] -> [R]
Vector logsumexp(const Matrix& z) {
  const Matrix m = xt::amax(z, {1}, xt::keep_dims);
  const Vector total = xt::sum(xt::exp(z - m), {1});
  return xt::view(m, xt::all(), 0) + xt::log(total);
}

/// The rows `rows` of z, and the one-hot [R, C] of their labels.
Matrix rows_of(const Matrix& z, const std::vector<int64_t>& rows) { return xt::view(z, xt::keep(rows), xt::all()); }
Matrix one_hot(const std::vector<int64_t>& labels, const std::vector<int64_t>& rows, std::size_t classes) {
  Matrix y = xt::zeros<double>({rows.size(), classes});
  for (std::size_t r = 0; r < rows.size(); ++r) y(r, labels[size(rows[r])]) = 1;
  return y;
}

}  // namespace

// ---- dense linear algebra ----

Product gemm(double alpha, const Stored& a, const Stored& b, double beta, const Stored& c) {
  const Matrix op_a = op(a), op_b = op(b);
  Matrix value = alpha * matmul(op_a, op_b), magnitude = std::abs(alpha) * matmul(xt::abs(op_a), xt::abs(op_b));
  if (beta != 0) {
    const Matrix cv = op(c);
    value += beta * cv;
    magnitude += xt::abs(beta * cv);
  }
  return {flat(value), flat(magnitude)};
}

Product sparse_product(const CsrMatrix& a, bool transposed, std::span<const double> b, int64_t n) {
  const Matrix dense_a = dense(a), op_a = transposed ? Matrix(xt::transpose(dense_a)) : dense_a;
  const Matrix bv = xt::adapt(b.data(), b.size(), xt::no_ownership(), std::vector<std::size_t>{b.size() / size(n), size(n)});
  return {flat(matmul(op_a, bv)), flat(matmul(xt::abs(op_a), xt::abs(bv)))};
}

// ---- message passing ----

Tensor gather(const Tensor& x, std::span<const int32_t> index) { return tensor(rows_at(values<2>(x), index)); }

Tensor edge_add(const Graph& g, const Tensor& s_dst, const Tensor& s_src) {
  return tensor(rows_at(values<2>(s_dst), g.dst()) + rows_at(values<2>(s_src), g.src()));
}

Tensor head_dot(const Tensor& wh, const Tensor& a) {
  return tensor(xt::sum(values<3>(wh) * xt::view(values<2>(a), xt::newaxis(), xt::all(), xt::all()), {2}));
}

Tensor scatter_add(std::span<const int32_t> index, const Tensor& m, int64_t n) {
  return tensor(matmul(incidence(index, n), values<2>(m)));
}

Tensor scatter_mean(std::span<const int32_t> index, const Tensor& m, int64_t n) {
  const Matrix s = incidence(index, n);
  const Matrix count = xt::sum(s, {1}, xt::keep_dims);  // [n, 1]
  return tensor(matmul(s, values<2>(m)) / xt::maximum(count, 1.0));
}

Tensor scatter_max(std::span<const int32_t> index, const Tensor& m, int64_t n) {
  const Matrix s = incidence(index, n);
  const Cube masked = xt::where(xt::view(s, xt::all(), xt::all(), xt::newaxis()) > 0,
                                xt::view(values<2>(m), xt::newaxis(), xt::all(), xt::all()), -kInf);  // [n, E, D]
  const Matrix best = xt::amax(masked, {1});
  const Vector count = xt::sum(s, {1});
  return tensor(xt::where(xt::view(count, xt::all(), xt::newaxis()) > 0, best, 0.0));
}

Tensor aggregate(const Graph& g, const Tensor& alpha, const Tensor& wh) {
  return tensor(weighted_sums(edge_weights(g, values<2>(alpha)), values<3>(wh)));
}

Tensor segment_softmax(const Graph& g, const Tensor& s) {
  return tensor(on_edges(g, masked_softmax(adjacency(g), from_edges(g, values<2>(s), 0.0))));
}

Tensor segment_softmax_backward(const Graph& g, const Tensor& alpha_t, const Tensor& dy_t) {
  const Matrix alpha = values<2>(alpha_t), dy = values<2>(dy_t);
  const Matrix s = incidence(g.dst(), g.num_dst_nodes());
  const Matrix per_node = matmul(s, alpha * dy);                    // Σ_{e' into i} α_e' dy_e'   [N, H]
  return tensor(alpha * (dy - matmul(xt::transpose(s), per_node)));  // read back at each edge's dst
}

// ---- GAT attention ----

Attention gat_attention(const Graph& g, const Tensor& wh, const Tensor& s_dst, const Tensor& s_src, double slope) {
  const Matrix a = adjacency(g);
  const auto a_h = xt::view(a, xt::newaxis(), xt::all(), xt::all());  // [1, N, S]
  const Cube z = xt::view(xt::transpose(values<2>(s_dst)), xt::all(), xt::all(), xt::newaxis()) +
                 xt::view(xt::transpose(values<2>(s_src)), xt::all(), xt::newaxis(), xt::all());  // [H, N, S]
  const Cube p = masked_softmax(a, leaky_relu(z, slope));
  return {tensor(z), tensor(p), tensor(weighted_sums(p, values<3>(wh))), tensor(on_edges(g, xt::where(a_h > 0, p / a_h, 0.0)))};
}

AttentionGrads gat_attention_backward(const Attention& f, const Tensor& wh_t, const Tensor& dout_t, double slope) {
  const Cube p = values<3>(f.p), wh = values<3>(wh_t), dout = values<3>(dout_t);
  Cube dp(p.shape()), dwh = xt::zeros<double>(wh.shape());
  for (std::size_t h = 0; h < p.shape(0); ++h) {
    const Matrix p_h = xt::view(p, h, xt::all(), xt::all());
    const Matrix d = xt::view(dout, xt::all(), h, xt::all());
    const Matrix v = xt::view(wh, xt::all(), h, xt::all());
    xt::view(dwh, xt::all(), h, xt::all()) = matmul(xt::transpose(p_h), d);
    xt::view(dp, h, xt::all(), xt::all()) = matmul(d, xt::transpose(v));
  }
  const Cube weighted = xt::sum(p * dp, {2}, xt::keep_dims);  // Σ_k P_hik ∂L/∂P_hik   [H, N, 1]
  const Cube de = p * (dp - weighted);
  const Cube dz = de * leaky_relu_grad(values<3>(f.z), slope);
  const Matrix by_dst = xt::sum(dz, {2}), by_src = xt::sum(dz, {1});  // [H, N], [H, S]
  return {tensor(dwh), tensor(xt::transpose(by_dst)), tensor(xt::transpose(by_src))};
}

// ---- layers ----

Tensor gat_conv(const Tensor& x, const Tensor& weight, const Tensor& att, const Tensor& bias, const Edges& edges,
                int64_t heads, int64_t features, bool concat, double slope) {
  const Cube wh = per_head(x, weight, heads, features);                                       // W h     [N, K, F]
  const Array4 cat = xt::concatenate(xt::xtuple(pairs(wh, true), pairs(wh, false)), 3);       // [W h_i ‖ W h_j]  [K, N, N, 2F]
  const Matrix a = values<2>(att);                                                            // [K, 2F]
  const Cube e = leaky_relu(xt::sum(cat * xt::view(a, xt::all(), xt::newaxis(), xt::newaxis(), xt::all()), {3}), slope);
  const Matrix adj = adjacency(edges.src, edges.dst, edges.n, edges.n);
  return finish(weighted_sums(masked_softmax(adj, e), wh), concat, bias);
}

Tensor gatv2_conv(const Tensor& x, const Tensor& w_src, const Tensor& w_dst, const Tensor& att, const Tensor& bias,
                  const Edges& edges, int64_t heads, int64_t features, bool concat, double slope) {
  const Cube wd = per_head(x, w_dst, heads, features), ws = per_head(x, w_src, heads, features);
  const Array4 z = pairs(wd, true) + pairs(ws, false);                                        // W [h_i ‖ h_j]  [K, N, N, F]
  const Matrix a = values<2>(att);                                                            // [K, F]
  const Cube e = xt::sum(leaky_relu(z, slope) * xt::view(a, xt::all(), xt::newaxis(), xt::newaxis(), xt::all()), {3});
  const Matrix adj = adjacency(edges.src, edges.dst, edges.n, edges.n);
  return finish(weighted_sums(masked_softmax(adj, e), ws), concat, bias);
}

// ---- losses ----

Loss cross_entropy(const Tensor& z_t, const std::vector<int64_t>& labels, const std::vector<int64_t>& rows) {
  const Matrix z = values<2>(z_t), zr = rows_of(z, rows), y = one_hot(labels, rows, z.shape(1));
  const double n = static_cast<double>(rows.size());
  const Vector lse = logsumexp(zr);
  const Vector picked = xt::sum(zr * y, {1});  // z_r,y_r
  const double value = xt::sum(lse - picked)() / n;
  Matrix grad = xt::zeros<double>(z.shape());
  xt::view(grad, xt::keep(rows), xt::all()) = (xt::exp(zr - xt::view(lse, xt::all(), xt::newaxis())) - y) / n;
  return {value, tensor(grad)};
}

Loss binary_cross_entropy_with_logits(const Tensor& z_t, const Tensor& t, const std::vector<int64_t>& rows) {
  const Matrix z = values<2>(z_t), zr = rows_of(z, rows), tr = rows_of(values<2>(t), rows);
  const double n = static_cast<double>(zr.size());
  const double value = xt::sum(xt::maximum(zr, 0.0) - zr * tr + xt::log1p(xt::exp(-xt::abs(zr))))() / n;
  Matrix grad = xt::zeros<double>(z.shape());
  xt::view(grad, xt::keep(rows), xt::all()) = (1.0 / (1.0 + xt::exp(-zr)) - tr) / n;
  return {value, tensor(grad)};
}

// ---- metrics ----

double accuracy(const Tensor& z_t, const std::vector<int64_t>& labels, const std::vector<int64_t>& rows) {
  const Matrix z = rows_of(values<2>(z_t), rows);
  double right = 0;
  for (std::size_t r = 0; r < rows.size(); ++r) {  // the first maximal logit of each row
    const auto row = xt::row(z, static_cast<std::ptrdiff_t>(r));
    right += std::distance(row.begin(), std::max_element(row.begin(), row.end())) == labels[size(rows[r])];
  }
  return right / static_cast<double>(rows.size());
}

double micro_f1(const Tensor& z, const Tensor& t, const std::vector<int64_t>& rows, double threshold) {
  const Matrix predicted = xt::cast<double>(rows_of(values<2>(z), rows) > threshold), target = rows_of(values<2>(t), rows);
  const double tp = xt::sum(predicted * target)(), fp = xt::sum(predicted * (1.0 - target))(),
               fn = xt::sum((1.0 - predicted) * target)();
  return 2 * tp + fp + fn == 0 ? 0.0 : 2 * tp / (2 * tp + fp + fn);
}

// Every pair at once: P [P, 1] against N [1, M].
double roc_auc(const std::vector<double>& pos_v, const std::vector<double>& neg_v) {
  const Matrix p = xt::view(xt::adapt(pos_v), xt::all(), xt::newaxis()), n = xt::view(xt::adapt(neg_v), xt::newaxis(), xt::all());
  const Matrix wins = xt::cast<double>(p > n) + 0.5 * xt::cast<double>(xt::equal(p, n));  // [P, M]
  return xt::sum(wins)() / static_cast<double>(wins.size());
}

double mrr(const std::vector<double>& pos_v, const std::vector<double>& neg_v) {
  const Matrix p = xt::view(xt::adapt(pos_v), xt::all(), xt::newaxis()), n = xt::view(xt::adapt(neg_v), xt::newaxis(), xt::all());
  const Vector rank = 1.0 + xt::sum(xt::cast<double>(n > p) + 0.5 * xt::cast<double>(xt::equal(n, p)), {1});  // [P]
  return xt::mean(1.0 / rank)();
}

Tensor above(const Tensor& x, double threshold) {
  const std::vector<double> v = x.to_vector();
  const Vector is_above = xt::cast<double>(xt::adapt(v) > threshold);
  return Tensor::from_vector({is_above.begin(), is_above.end()}, x.shape(), x.dtype());
}

// ---- optimisers ----

void SGD::step(std::vector<double>& theta_v, const std::vector<double>& grad_v) {
  auto theta = xt::adapt(theta_v);
  const auto grad = xt::adapt(grad_v);
  ++t;
  Vector g = grad + weight_decay * theta;
  if (momentum != 0) {
    Vector buf = t == 1 ? g : Vector(momentum * xt::adapt(b) + (1 - dampening) * g);
    b.assign(buf.begin(), buf.end());
    g = nesterov ? Vector(g + momentum * buf) : buf;
  }
  theta -= lr * g;
}

void Adam::step(std::vector<double>& theta_v, const std::vector<double>& grad_v) {
  auto theta = xt::adapt(theta_v);
  if (t++ == 0) m = v = std::vector<double>(theta_v.size(), 0.0);
  auto m_a = xt::adapt(m), v_a = xt::adapt(v);
  Vector g = xt::adapt(grad_v);
  if (decoupled)
    theta -= lr * weight_decay * theta;
  else
    g += weight_decay * theta;
  m_a = beta1 * m_a + (1 - beta1) * g;
  v_a = beta2 * v_a + (1 - beta2) * g * g;
  theta -= lr * (m_a / (1 - std::pow(beta1, t))) / (xt::sqrt(v_a / (1 - std::pow(beta2, t))) + eps);
}

// ---- comparing ----

double max_abs_difference(const Tensor& got, const std::vector<double>& want) {
  const std::vector<double> values = got.to_vector();
  if (values.size() != want.size()) return kInf;
  return want.empty() ? 0.0 : xt::amax(xt::abs(xt::adapt(values) - xt::adapt(want)))();
}

}  // namespace gatgrad::reference
