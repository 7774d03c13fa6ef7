// The dense float64 references the suites compare gatgrad's kernels with: GEMM, the sparse
// product, scatters (aggregation), segment softmax and its backward, GAT attention over a small
// dense adjacency (forward and backward), the GATConv and GATv2Conv layers, the losses, the
// metrics and the optimisers' steps. They are written in tests/reference.cpp as xtensor
// expressions that read like their equations; this header only declares them, in gatgrad's own
// types (tensors in, float64 tensors out), so that xtensor's templates are compiled once, in
// that file, not again in every suite that compares with a reference.
//
//   namespace ref = gatgrad::reference;
//   const Tensor want = ref::scatter_add(g.dst(), m, n);       // out_v = Σ_{e: dst(e) = v} m_e
//   close(scatter_add(m, g).to_vector(), want.to_vector(), 1e-14, "scatter_add");
//
// Arguments may be float32 or float64 tensors (read as float64). Dense N×N and [M, K, N] forms
// are the point: nothing in the references shares code or a loop order with a kernel, so a
// kernel and its reference agreeing says something. Sizes stay small (a test's graph, a GEMM of
// a few hundred).
// To add a reference: declare it here with its equation, and write its body in reference.cpp as
// the same equation in xtensor (no branch on the shapes a kernel vectorises by).
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "autograd/sparse.hpp"
#include "autograd/tensor.hpp"
#include "graph/graph.hpp"

namespace gatgrad::reference {

// ---- dense linear algebra ----

/// A product and the bound of its rounding error, each row-major [rows, cols]: value = A B,
/// magnitude = |A| |B|, so that |computed - value| <= (2K + 4) ε magnitude for a sum of K
/// products in precision ε.
struct Product {
  std::vector<double> value, magnitude;
};

/// A matrix stored row-major as BLAS reads it: `rows` rows of `ld` values (ld >= cols: padded
/// rows), of which the first `cols` count; `transposed` when the product reads its transpose.
struct Stored {
  std::span<const double> values;
  int64_t rows, cols, ld;
  bool transposed = false;
};

/// GEMM: C' = α op(A) op(B) + β C, magnitude |α| |op(A)| |op(B)| + |β C| (β = 0: C unread).
Product gemm(double alpha, const Stored& a, const Stored& b, double beta, const Stored& c);

/// The sparse product op(A) B of a CSR matrix (the dense matrix it stands for, duplicate entries
/// added), op(A) = A or Aᵀ, and its magnitude |op(A)| |B|.   B [op(A) cols, n] row-major
Product sparse_product(const CsrMatrix& a, bool transposed, std::span<const double> b, int64_t n);

// ---- message passing (index: an edge's endpoint, one per row of the per-edge input) ----

/// gather: row e is x's row at index[e].   x [N, D] -> [E, D]
Tensor gather(const Tensor& x, std::span<const int32_t> index);

/// edge_add: z_e = s_dst[dst(e)] + s_src[src(e)].   s_dst [N, H], s_src [S, H] -> [E, H]
Tensor edge_add(const Graph& g, const Tensor& s_dst, const Tensor& s_src);

/// head_dot: d_nh = Σ_f wh_nhf a_hf.   wh [N, H, F], a [H, F] -> [N, H]
Tensor head_dot(const Tensor& wh, const Tensor& a);

/// scatter_add: out_v = Σ_{e: index[e] = v} m_e = S m (S the one-hot incidence [n, E]).   m [E, D] -> [n, D]
Tensor scatter_add(std::span<const int32_t> index, const Tensor& m, int64_t n);

/// scatter_mean: out_v = (S m)_v / max(|{e: index[e] = v}|, 1)  (0 for a row nobody sends to).
Tensor scatter_mean(std::span<const int32_t> index, const Tensor& m, int64_t n);

/// scatter_max: out_v = max_{e: index[e] = v} m_e, 0 for a row nobody sends to.
Tensor scatter_max(std::span<const int32_t> index, const Tensor& m, int64_t n);

/// aggregate: out_ih = Σ_{e = j -> i} α_eh wh_jh, the per-head dense W_hij = Σ_{e: j -> i} α_eh
/// times wh.   α [E, H], wh [S, H, F] -> [N, H, F]
Tensor aggregate(const Graph& g, const Tensor& alpha, const Tensor& wh);

/// segment_softmax over each destination's incoming edges, the GAT authors' dense way:
///   α_ij = exp(s_ij - max_k s_ik) / Σ_{k ∈ N(i)} exp(s_ik - max_k s_ik).   s [E, H] -> α [E, H]
/// (g without repeated pairs: each edge its own logit.)
Tensor segment_softmax(const Graph& g, const Tensor& s);

/// Its backward, y = α, dy = ∂L/∂α:  ∂L/∂s_e = α_e (dy_e - Σ_{e' into dst(e)} α_e' dy_e').   [E, H]
Tensor segment_softmax_backward(const Graph& g, const Tensor& alpha, const Tensor& dy);

// ---- GAT attention ----

/// GAT attention (gat_attention without dropout), over g's dense adjacency A (counts):
///   z_hij = s_dst_ih + s_src_jh,  e = LeakyReLU(z),  P = softmax of e over j where A_ij > 0,
///   weighted by A_ij,  out_ih = Σ_j P_hij wh_jh.   wh [S, H, F], s_dst [N, H], s_src [S, H]
/// z, P [H, N, S]; out [N, H, F]; α [E, H] per edge: P_hij / A_ij (a repeated edge takes its share).
struct Attention {
  Tensor z, p, out, alpha;
};
Attention gat_attention(const Graph& g, const Tensor& wh, const Tensor& s_dst, const Tensor& s_src, double slope);

/// Its backward from dout = ∂L/∂out [N, H, F]:
///   ∂L/∂wh_jh = Σ_i P_hij dout_ih            ∂L/∂P_hij = dout_ih · wh_jh
///   ∂L/∂e_hij = P_hij (∂L/∂P_hij - Σ_k P_hik ∂L/∂P_hik)       (softmax; summed over repeated edges)
///   ∂L/∂z = ∂L/∂e LeakyReLU'(z);   ∂L/∂s_dst_ih = Σ_j ∂L/∂z_hij,   ∂L/∂s_src_jh = Σ_i ∂L/∂z_hij
struct AttentionGrads {
  Tensor dwh, ds_dst, ds_src;
};
AttentionGrads gat_attention_backward(const Attention& f, const Tensor& wh, const Tensor& dout, double slope);

// ---- layers (eval mode: no dropout), over the edges j -> i listed in src/dst ----

/// The edges a layer attends over, as parallel lists (j = src[k] -> i = dst[k]) of n nodes.
struct Edges {
  std::vector<int32_t> src, dst;
  int64_t n;
};

/// GATConv, literally (the concatenation form):
///   e_ij = LeakyReLU(a_kᵀ [W h_i ‖ W h_j]) per head k,  α_ij = softmax_j e_ij,  h'_ik = Σ_j α_ij W_k h_j;
///   out = [h'_i1 ‖ ... ‖ h'_iK] + b (concat) or (1/K) Σ_k h'_ik + b.
/// x [N, Fin], weight [Fin, K·F], att [K, 2F], bias [K·F] or [F] -> [N, K·F] or [N, F]
Tensor gat_conv(const Tensor& x, const Tensor& weight, const Tensor& att, const Tensor& bias, const Edges& edges,
                int64_t heads, int64_t features, bool concat, double slope);

/// GATv2Conv, literally:  e_ij = a_kᵀ LeakyReLU(W [h_i ‖ h_j]) with W = [W_dst | W_src],
/// h'_ik = Σ_j α_ij W_src,k h_j, finished as GATConv's.   w_src, w_dst [Fin, K·F], att [K, F]
Tensor gatv2_conv(const Tensor& x, const Tensor& w_src, const Tensor& w_dst, const Tensor& att, const Tensor& bias,
                  const Edges& edges, int64_t heads, int64_t features, bool concat, double slope);

// ---- losses (the mean over the rows given) ----

/// A loss's value and its gradient with respect to the logits (0 on the rows not given).
struct Loss {
  double value;
  Tensor grad;
};

/// Cross-entropy: L = (1/R) Σ_r (logsumexp(z_r) - z_r,y_r);  ∂L/∂z_r = (softmax(z_r) - onehot(y_r)) / R.
/// z [N, C]
Loss cross_entropy(const Tensor& z, const std::vector<int64_t>& labels, const std::vector<int64_t>& rows);

/// Binary cross-entropy with logits, over the R·C entries of the rows:
///   L = mean(max(z, 0) - z t + log(1 + exp(-|z|))),   ∂L/∂z = (σ(z) - t) / (R C).
Loss binary_cross_entropy_with_logits(const Tensor& z, const Tensor& t, const std::vector<int64_t>& rows);

// ---- metrics ----

/// Accuracy: the fraction of the rows whose first maximal logit is the label.
double accuracy(const Tensor& z, const std::vector<int64_t>& labels, const std::vector<int64_t>& rows);

/// Micro-F1 of the decisions z > threshold against t of 0/1 over the rows:
///   TP = Σ [ẑ = 1][t = 1],  FP = Σ [ẑ = 1][t = 0],  FN = Σ [ẑ = 0][t = 1];  F1 = 2TP / (2TP + FP + FN), 0 without positives.
double micro_f1(const Tensor& z, const Tensor& t, const std::vector<int64_t>& rows, double threshold);

/// ROC AUC over every (positive, negative) pair, a tie counting one half (the Mann-Whitney U
/// statistic over P M; scikit-learn's roc_auc_score with ties):
///   AUC = (1 / (P M)) Σ_i Σ_j ([pos_i > neg_j] + [pos_i = neg_j] / 2)
double roc_auc(const std::vector<double>& pos, const std::vector<double>& neg);

/// OGB's MRR with every positive ranked among all the negatives, over every pair:
///   rank_i = 1 + Σ_j [neg_j > pos_i] + Σ_j [neg_j = pos_i] / 2,  MRR = (1 / P) Σ_i 1 / rank_i
double mrr(const std::vector<double>& pos, const std::vector<double>& neg);

/// 0/1 of a tensor: t_i = [x_i > threshold], same shape and dtype (random multi-label targets
/// from uniform values).
Tensor above(const Tensor& x, double threshold);

// ---- optimisers: torch.optim's documented algorithms, on whole parameter vectors ----

/// SGD: g = ∇ + λ θ;  b = μ b + (1 - τ) g (b = g on the first step);  g = nesterov ? g + μ b : b;  θ -= γ g.
struct SGD {
  double lr, momentum = 0, weight_decay = 0, dampening = 0;
  bool nesterov = false;
  std::vector<double> b{};
  int t = 0;
  void step(std::vector<double>& theta, const std::vector<double>& grad);
};

/// Adam (λ added to the gradient) and AdamW (decoupled: θ -= γ λ θ first):
///   m = β1 m + (1 - β1) g,  v = β2 v + (1 - β2) g²,  θ -= γ (m / (1 - β1^t)) / (sqrt(v / (1 - β2^t)) + ε).
struct Adam {
  double lr, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0;
  bool decoupled = false;
  std::vector<double> m{}, v{};
  int t = 0;
  void step(std::vector<double>& theta, const std::vector<double>& grad);
};

// ---- comparing ----

/// max_k |got_k - want_k| (got of either dtype, read as float64); infinity when the sizes differ.
double max_abs_difference(const Tensor& got, const std::vector<double>& want);

}  // namespace gatgrad::reference
