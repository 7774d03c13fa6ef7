// gat_attention: the fused forward and its two-sweep backward (equations in gat_attention.hpp).
// This file checks the arguments, allocates, and cuts the work into blocks of nodes; the
// kernels (graph/kernels/attention*.hpp, one copy per instruction-set level) do the rest.
// Legend: i target, j source, e edge (dst order), k = e·H + h the dropout counter.
#include "graph/gat_attention.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>

#include "autograd/buffer.hpp"
#include "autograd/custom_op.hpp"
#include "autograd/error.hpp"
#include "graph/kernels/calls.hpp"

namespace gatgrad {
using namespace graph_kernels;

namespace {

// Node features of at least this many bytes (half of L2) are prefetched a few edges ahead;
// smaller ones (the 2708×7 logits of Cora's second layer) stay in L2, where the prefetch
// instructions would only cost time.
constexpr int64_t kPrefetchFromBytes = int64_t{256} << 10;

// D destinations, S >= D sources (square: D = S = N). The rows read at random are the sources'.
struct Dims {
  int64_t D, S, E, H, F;
  Prefetch prefetch;
};

Dims dims_of(const Tensor& wh, const Graph& g) {
  const int64_t D = g.num_dst_nodes(), S = g.num_src_nodes(), H = wh.size(1), F = wh.size(2);
  const int64_t size = static_cast<int64_t>(dtype_size(wh.dtype()));
  return Dims{D, S, g.num_edges(), H, F, Prefetch{S * H * F * size >= kPrefetchFromBytes, S * H * size >= kPrefetchFromBytes}};
}

// "with N = 2708" for a square graph, "with S = 900 sources, D = 64 destinations" for a block.
std::string node_counts(const Graph& g) {
  if (!g.is_bipartite()) return "N = " + std::to_string(g.num_dst_nodes());
  return "S = " + std::to_string(g.num_src_nodes()) + " sources, D = " + std::to_string(g.num_dst_nodes()) +
         " destinations";
}

void check_options(double negative_slope, double attn_dropout) {
  if (!(attn_dropout >= 0.0 && attn_dropout < 1.0))
    throw Error("gat_attention: attention dropout " + std::to_string(attn_dropout) + " is not in [0, 1)");
  if (!std::isfinite(negative_slope))
    throw Error("gat_attention: negative_slope must be finite, got " + std::to_string(negative_slope));
}

// The sign bits of the logits, kept for backward: E · ⌈H/8⌉ bytes.
std::shared_ptr<Buffer> sign_buffer(const Dims& d) {
  return std::make_shared<Buffer>(static_cast<size_t>(std::max<int64_t>(1, d.E * sign_bytes(d.H))));
}

// The forward pass shared by both forms: α, the sign bits (when `signs`) and out.
template <class T>
void run_forward(const Dims& d, const Graph& g, const Tensor& wh, const T* sd, const T* ss, const Tensor& s_edge,
                 double negative_slope, double attn_dropout, uint64_t key, const Tensor& alpha, uint8_t* signs,
                 const Epilogue<T>& ep, const Tensor& out) {
  const AttentionForward<T> args{arrays_of(g), d.H, d.F, wh.data<T>(), sd, ss,
                                 s_edge.defined() ? s_edge.data<T>() : nullptr, static_cast<T>(negative_slope),
                                 attn_dropout > 0, kernels::dropout_rule(attn_dropout, key), alpha.data<T>(), signs, ep,
                                 out.data<T>(), d.prefetch, &thread_scratch};
  const auto kernel = table<T>().attention_forward;
  for_node_blocks(d.D, [&](int64_t i0, int64_t i1) { kernel(args, i0, i1); });
}

// What the backward needs beyond the forward's α and signs.
template <class T>
struct BackwardOutputs {
  T* ds_dst = nullptr;
  bool ds_dst_fresh = false;
  T* ds_src = nullptr;
  bool ds_src_fresh = false;
  T* ds_edge = nullptr;  // [E, H] d loss / d s_edge = dz, the logits' gradient before the LeakyReLU
  bool ds_edge_fresh = false;
  T* dwh = nullptr;
  bool dwh_fresh = false;
  const ScoreBackward<T>* scores = nullptr;  // the att form's scores backward
  T* dbias_part = nullptr;                   // per-block bias sums
  int64_t dbias_stride = 0;
};

// Sweeps 1 and 2. With an ELU epilogue (elu_y, the op's output), dout is the gradient at the
// ELU's output: sweep 1 turns it into the gradient before it, row by row, into dout itself when
// the closure holds it alone (each row read before it is written), else into a new buffer.
template <class T>
void run_backward(const Dims& d, const Graph& g, const Tensor& wh, double negative_slope, double attn_dropout,
                  uint64_t key, const Tensor& alpha, const uint8_t* signs, const Tensor& dout,
                  const BackwardOutputs<T>& o, const Tensor& elu_y = Tensor(), double elu_alpha = 1.0) {
  const bool scores = o.ds_dst || o.ds_src || o.ds_edge || o.scores;
  // [α' | dz] per edge, in edge order: sweep 1 writes it, sweep 2 reads it by source
  Tensor pair = Tensor::empty({d.E, 2 * d.H}, wh.dtype());
  // (in place, over dout, when nobody else holds it: one [D, H·F] buffer less at the peak)
  const Tensor grad = !elu_y.defined() || detail::exclusively_held(dout) ? dout : Tensor::empty(dout.shape(), dout.dtype());
  const GraphArrays ga = arrays_of(g);
  const T slope = static_cast<T>(negative_slope);
  const kernels::DropoutRule mask = kernels::dropout_rule(attn_dropout, key);
  const AttentionTargets<T> targets{ga, d.H, d.F, wh.data<T>(), slope, attn_dropout > 0, mask, alpha.data<T>(), signs,
                                    grad.data<T>(), elu_y.defined() ? dout.data<T>() : nullptr,
                                    elu_y.defined() ? elu_y.data<T>() : nullptr, static_cast<T>(elu_alpha), scores,
                                    o.ds_dst, o.ds_dst_fresh, pair.data<T>(), o.dbias_part, o.dbias_stride, d.prefetch,
                                    &thread_scratch};
  const auto sweep1 = table<T>().attention_targets;
  for_node_blocks(d.D, [&](int64_t i0, int64_t i1) { sweep1(targets, i0, i1); });
  if (o.ds_edge) {  // z = s_dst[i] + s_src[j] + s_edge[e], so d s_edge[e] = dz[e]: the second half of pair[e]
    const T* pair_dz = pair.data<T>() + d.H;
    for_node_blocks(d.D, [&](int64_t i0, int64_t i1) {
      for (int64_t k = ga.dst_ptr[i0] * d.H; k < ga.dst_ptr[i1] * d.H; ++k) {
        const T dz = pair_dz[k / d.H * 2 * d.H + k % d.H];
        o.ds_edge[k] = o.ds_edge_fresh ? dz : o.ds_edge[k] + dz;
      }
    });
  }
  if (!o.ds_src && !o.dwh && !o.scores) return;
  const AttentionSources<T> sources{ga, d.H, d.F, pair.data<T>(), grad.data<T>(), o.ds_src, o.ds_src_fresh, o.dwh,
                                    o.dwh_fresh, o.scores, Prefetch{d.prefetch.rows, false}, &thread_scratch};
  const auto sweep2 = table<T>().attention_sources;
  for_node_blocks(d.S, [&](int64_t j0, int64_t j1) { sweep2(sources, j0, j1); });
}

// dst[0..n) (=, +=) Σ_b part[b · stride + 0..n) over the blocks b in order (fresh: overwritten).
template <class T>
void add_block_sums(T* dst, bool fresh, const T* part, int64_t blocks, int64_t stride, int64_t n) {
  if (fresh) std::fill(dst, dst + n, T(0));
  for (int64_t b = 0; b < blocks; ++b)
    for (int64_t k = 0; k < n; ++k) dst[k] += part[b * stride + k];
}


// s_edge, when given: [E, H] in the graph's edge order, of wh's dtype.
void check_edge_score(const Tensor& s_edge, const Tensor& wh, const Graph& g) {
  if (!s_edge.defined()) return;
  if (s_edge.shape() != Shape({g.num_edges(), wh.size(1)}) || s_edge.dtype() != wh.dtype())
    throw Error("gat_attention: expected the edge score s_edge [E, H] = [" + std::to_string(g.num_edges()) + ", " +
                std::to_string(wh.size(1)) + "] of wh's dtype for wh " + wh.describe() + ", got " + s_edge.describe());
}

}  // namespace

Tensor gat_attention(const Tensor& wh, const Tensor& s_dst, const Tensor& s_src, const Graph& g,
                     double negative_slope, double attn_dropout, uint64_t key, Tensor* alpha_out,
                     const Tensor& s_edge) {
  if (wh.dim() != 3 || wh.size(0) != g.num_src_nodes() || s_dst.shape() != Shape({g.num_dst_nodes(), wh.size(1)}) ||
      s_src.shape() != Shape({wh.size(0), wh.size(1)}))
    throw Error("gat_attention: expected wh [S, H, F], s_dst [D, H], s_src [S, H] with " + node_counts(g) +
                ", got " + wh.describe() + ", " + s_dst.describe() + ", " + s_src.describe());
  if (wh.dtype() != s_dst.dtype() || wh.dtype() != s_src.dtype())
    throw Error("gat_attention: inputs have different dtypes " + wh.describe() + ", " + s_dst.describe() + ", " +
                s_src.describe());
  check_options(negative_slope, attn_dropout);
  check_edge_score(s_edge, wh, g);
  const Dims d = dims_of(wh, g);
  const bool needs_backward = any_requires_grad({&wh, &s_dst, &s_src, &s_edge});
  Tensor out = Tensor::empty({d.D, d.H, d.F}, wh.dtype());
  Tensor alpha = Tensor::empty({d.E, d.H}, wh.dtype());
  std::shared_ptr<Buffer> signs = needs_backward ? sign_buffer(d) : nullptr;
  dispatch(wh.dtype(), [&]<class T>() {
    run_forward<T>(d, g, wh, s_dst.data<T>(), s_src.data<T>(), s_edge, negative_slope, attn_dropout, key, alpha,
                   signs ? static_cast<uint8_t*>(signs->data()) : nullptr, Epilogue<T>{}, out);
  });
  if (alpha_out) *alpha_out = alpha.detach();
  if (needs_backward)
    record("gat_attention", out,
           [wh, s_dst, s_src, s_edge, g, d, attn_dropout, key, alpha, signs, negative_slope](const Tensor& dout) {
      dispatch(wh.dtype(), [&]<class T>() {
        // Each gradient is overwritten when it is new (fresh) and added into otherwise.
        BackwardOutputs<T> o;
        if (s_dst.requires_grad()) o.ds_dst = detail::grad_for_write(s_dst, o.ds_dst_fresh).template data<T>();
        if (s_src.requires_grad()) o.ds_src = detail::grad_for_write(s_src, o.ds_src_fresh).template data<T>();
        if (wh.requires_grad()) o.dwh = detail::grad_for_write(wh, o.dwh_fresh).template data<T>();
        if (s_edge.defined() && s_edge.requires_grad())
          o.ds_edge = detail::grad_for_write(s_edge, o.ds_edge_fresh).template data<T>();
        run_backward<T>(d, g, wh, negative_slope, attn_dropout, key, alpha, static_cast<const uint8_t*>(signs->data()),
                        dout, o);
      });
    });
  return out;
}

Tensor gat_attention(const Tensor& wh, const Tensor& att, const Graph& g, double negative_slope, double attn_dropout,
                     uint64_t key, Tensor* alpha_out, const AttentionEpilogue& epilogue, const Tensor& s_edge) {
  const Tensor& bias = epilogue.bias;
  if (wh.dim() != 3 || wh.size(0) != g.num_src_nodes() || att.shape() != Shape({wh.size(1), 2 * wh.size(2)}))
    throw Error("gat_attention: expected wh [S, H, F] and att [H, 2F] with " + node_counts(g) + ", got " +
                wh.describe() + " and " + att.describe());
  if (wh.dtype() != att.dtype() || (bias.defined() && bias.dtype() != wh.dtype()))
    throw Error("gat_attention: inputs have different dtypes " + wh.describe() + ", " + att.describe() +
                (bias.defined() ? " and bias " + bias.describe() : std::string()));
  if (bias.defined() && bias.shape() != Shape({wh.size(1) * wh.size(2)}))
    throw Error("gat_attention: expected bias [H·F] = [" + std::to_string(wh.size(1) * wh.size(2)) + "] for wh " +
                wh.describe() + ", got " + bias.describe());
  if (epilogue.elu && !(epilogue.elu_alpha > 0 && std::isfinite(epilogue.elu_alpha)))
    throw Error("gat_attention: the ELU's alpha must be positive and finite, got " + std::to_string(epilogue.elu_alpha));
  check_options(negative_slope, attn_dropout);
  check_edge_score(s_edge, wh, g);
  const Dims d = dims_of(wh, g);
  const int64_t H = d.H, F = d.F, HF = H * F;
  const bool needs_backward = any_requires_grad({&wh, &att, &bias, &s_edge});
  Tensor out = Tensor::empty({d.D, H, F}, wh.dtype());
  Tensor alpha = Tensor::empty({d.E, d.H}, wh.dtype());
  // a_1 = att[:, :F] and a_2 = att[:, F:] as [H, F] arrays, then s_dst [D, H] over the first D
  // rows of wh (destination i is source i) and s_src [S, H] over all of them, exactly as
  // head_dot computes them.
  Tensor halves = Tensor::empty({2, H, F}, wh.dtype());
  Tensor scores = Tensor::empty({d.D + d.S, H}, wh.dtype());
  std::shared_ptr<Buffer> signs = needs_backward ? sign_buffer(d) : nullptr;
  dispatch(wh.dtype(), [&]<class T>() {
    const T* pa = att.data<T>();
    T* a1 = halves.data<T>();
    T* a2 = a1 + HF;
    for (int64_t h = 0; h < H; ++h) {
      std::copy(pa + h * 2 * F, pa + h * 2 * F + F, a1 + h * F);
      std::copy(pa + h * 2 * F + F, pa + (h + 1) * 2 * F, a2 + h * F);
    }
    const T* pw = wh.data<T>();
    T* sd = scores.data<T>();
    T* ss = sd + d.D * H;
    const auto head_dot = table<T>().head_dot_rows;
    for_node_blocks(d.S, [&](int64_t n0, int64_t n1) {
      if (n0 < d.D) head_dot(pw, a1, H, F, sd, n0, std::min(n1, d.D));
      head_dot(pw, a2, H, F, ss, n0, n1);
    });
    run_forward<T>(d, g, wh, sd, ss, s_edge, negative_slope, attn_dropout, key, alpha,
                   signs ? static_cast<uint8_t*>(signs->data()) : nullptr,
                   Epilogue<T>{bias.defined() ? bias.data<T>() : nullptr, epilogue.elu, static_cast<T>(epilogue.elu_alpha)},
                   out);
  });
  if (alpha_out) *alpha_out = alpha.detach();
  if (needs_backward)
    // (with ELU, backward needs the output y: kept as a plain handle to out's data, not out
    // itself, whose record holds this closure)
    record("gat_attention", out, [wh, att, bias, s_edge, g, d, attn_dropout, key, alpha, signs, halves, negative_slope,
                                  y = epilogue.elu ? out.detach() : Tensor(), elu_alpha = epilogue.elu_alpha](
                                     const Tensor& dout) {
      dispatch(wh.dtype(), [&]<class T>() {
        // bias sums per block of destinations (sweep 1), att sums per block of sources (sweep 2)
        const int64_t H = d.H, HF = d.H * d.F, dst_blocks = (d.D + kNodeBlock - 1) / kNodeBlock,
                      src_blocks = (d.S + kNodeBlock - 1) / kNodeBlock;
        BackwardOutputs<T> o;
        if (wh.requires_grad()) o.dwh = detail::grad_for_write(wh, o.dwh_fresh).template data<T>();
        Tensor ds_dst = Tensor::empty({d.D, H}, wh.dtype());  // written whole by sweep 1
        Tensor part;
        const int64_t stride = padded_to_lines<T>(2 * HF);
        if (att.requires_grad()) part = Tensor::empty({std::max<int64_t>(src_blocks, 1), stride}, wh.dtype());
        const ScoreBackward<T> sb{halves.data<T>(), halves.data<T>() + HF, ds_dst.data<T>(), wh.data<T>(),
                                  part.defined() ? part.data<T>() : nullptr, stride};
        // dbias = Σ_i dout[i]: per block in sweep 1, then the blocks in order
        Tensor bias_part;
        const int64_t bias_stride = padded_to_lines<T>(HF);
        if (bias.defined() && bias.requires_grad())
          bias_part = Tensor::empty({std::max<int64_t>(dst_blocks, 1), bias_stride}, wh.dtype());
        o.ds_dst = ds_dst.data<T>();
        o.ds_dst_fresh = true;
        if (s_edge.defined() && s_edge.requires_grad())
          o.ds_edge = detail::grad_for_write(s_edge, o.ds_edge_fresh).template data<T>();
        o.scores = &sb;
        o.dbias_part = bias_part.defined() ? bias_part.data<T>() : nullptr;
        o.dbias_stride = bias_stride;
        run_backward<T>(d, g, wh, negative_slope, attn_dropout, key, alpha, static_cast<const uint8_t*>(signs->data()),
                        dout, o, y, elu_alpha);
        if (bias_part.defined()) {
          bool fresh = false;
          T* dbias = detail::grad_for_write(bias, fresh).template data<T>();
          add_block_sums(dbias, fresh, bias_part.data<T>(), dst_blocks, bias_stride, HF);
        }
        if (!part.defined()) return;
        // datt[h] = [Σ_blocks da_1 | Σ_blocks da_2], the blocks in order
        bool datt_fresh = false;
        T* datt = detail::grad_for_write(att, datt_fresh).template data<T>();
        const T* pp = part.data<T>();
        for (int64_t h = 0; h < H; ++h)
          for (int half = 0; half < 2; ++half)
            add_block_sums(datt + h * 2 * d.F + half * d.F, datt_fresh, pp + half * HF + h * d.F, src_blocks, stride, d.F);
      });
    });
  return out;
}

}  // namespace gatgrad
