// gat_attention: the fused forward and its two-sweep backward (equations in gat_attention.hpp).
// Legend: i target, j source, e edge (dst order), k = e·H + h the dropout counter,
// seg(i) = [dst_ptr[i], dst_ptr[i+1]) the incoming edges of i, deg = |seg(i)|.
#include "graph/gat_attention.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>

#include "autograd/buffer.hpp"
#include "autograd/custom_op.hpp"
#include "autograd/error.hpp"
#include "graph/full_batch_kernels.hpp"
#include "graph/one_head_kernels.hpp"
#include "graph/score_backward.hpp"
#include "graph/segment_kernels.hpp"

namespace gatgrad {
using namespace graph_kernels;

namespace {

struct Dims {
  int64_t N, E, H, F;
  bool prefetch;         // the node rows outgrow the caches: ask for the rows of later edges early
  bool prefetch_scores;  // ... and the scores [N, H] too (H times smaller: in L2 on small graphs)
};

// Node features of at least this many bytes (half of L2) are prefetched kAheadEdges edges ahead;
// smaller ones (the 2708×7 logits of Cora's second layer) stay in L2, where the prefetch
// instructions would only cost time.
constexpr int64_t kPrefetchFromBytes = int64_t{256} << 10;

// Bytes per edge of the sign bits: bit h % 8 of byte h / 8 is set iff z[e, h] > 0.
inline int64_t sign_bytes(int64_t H) { return (H + 7) / 8; }

// For each target i of [i0, i1): the logits z = LeakyReLU(s_dst[i] + s_src[j]) into i's α rows,
// their softmax in place, then out[i] = Σ α' wh[j] with α' = α · coef (coef = mask/(1-p)).
// With `signs` (when backward will run), the bits z > 0 of i's edges are stored there, so that
// backward needs neither s_src[j] (a random read per edge) nor the logits. The epilogue (the
// layer's bias, then ELU) runs on out[i] while the row is in registers or L1: no pass over out.
template <class T>
void forward_block(int64_t i0, int64_t i1, const Dims& d, const Graph& g, const T* wh, const T* sd,
                   const T* ss, T slope, const DropoutMask& mask, T* alpha, uint8_t* signs, const RowEpilogue<T>& ep,
                   T* out) {
  constexpr int64_t L = lanes<T>();
  const int64_t H = d.H, HF = d.H * d.F, SB = sign_bytes(d.H);
  const int64_t* ptr = g.dst_ptr().data();
  const int32_t* src = g.src().data();
  std::vector<T>& c = thread_scratch<T, 0>();
  if (H == 1)  // one head: first the α of the whole block (then the sums, below)
    for (int64_t i = i0; i < i1; ++i) {
      const int64_t b = ptr[i], deg = ptr[i + 1] - b;
      if (deg > 0 && one_head::aggregates<T>(H, d.F, deg))
        one_head::attention(i, b, deg, d.E, ptr[i1], src, sd, ss, slope, alpha, signs);
    }
  for (int64_t i = i0; i < i1; ++i) {
    T* row = out + i * HF;
    const int64_t b = ptr[i], deg = ptr[i + 1] - b;
    if (deg == 0) {
      std::fill(row, row + HF, T(0));
      epilogue_row(row, HF, ep);
      continue;
    }
    T* a = alpha + b * H;
    if (full_batch::applies<T>(H, d.F)) {  // (prefetches inside, in its loop over the edges)
      full_batch::forward(i, b, deg, src, wh, sd, ss, slope, mask, alpha, signs, ep, out,
                          full_batch::Prefetch{d.prefetch, d.prefetch_scores, d.E});
      continue;
    }
    for (int64_t k = b + kAheadEdges; d.prefetch && k < std::min(b + deg + kAheadEdges, d.E); ++k) {
      if (d.prefetch_scores) prefetch_bytes(ss + int64_t{src[k]} * H, H * sizeof(T));
      prefetch_bytes(wh + int64_t{src[k]} * HF, HF * sizeof(T));
    }
    if (one_head::aggregates<T>(H, d.F, deg)) {  // (α computed above)
      one_head::aggregate(i, i1, b, deg, d.E, d.N, d.F, src, wh, mask, alpha, ep, out);
      continue;
    }
    // e_ij = LeakyReLU(s_dst[i] + s_src[j]): whole batches of heads, or one head at a time
    if (signs) std::fill(signs + b * SB, signs + (b + deg) * SB, uint8_t{0});
    if (H % L == 0) {
      for (int64_t h0 = 0; h0 < H; h0 += L) {
        const batch<T> si = batch<T>::load_unaligned(sd + i * H + h0);
        for (int64_t r = 0; r < deg; ++r) {
          const batch<T> z = si + batch<T>::load_unaligned(ss + int64_t{src[b + r]} * H + h0);
          leaky(z, slope).store_unaligned(a + r * H + h0);
          if (signs) set_positive_bits(z, signs + (b + r) * SB, h0);
        }
      }
    } else {  // branch-free: the signs of logits are random, a branch on them mispredicts half the time
      for (int64_t r = 0; r < deg; ++r) {
        const T* sj = ss + int64_t{src[b + r]} * H;
        for (int64_t h = 0; h < H; ++h) {
          const T z = sd[i * H + h] + sj[h], negative = z * slope;
          const bool positive = z > T(0);
          a[r * H + h] = positive ? z : negative;
          if (signs) signs[(b + r) * SB + h / 8] |= static_cast<uint8_t>(static_cast<unsigned>(positive) << (h % 8));
        }
      }
    }
    softmax_rows(a, deg, H, (ptr[i1] - b) * H);  // α_ij, in place
    const T* weights = a;
    if (mask.active) {  // α'_ij = α_ij · mask/(1-p)
      c.resize(static_cast<size_t>(deg * H));
      dropout_coefs(mask, b * H, deg * H, c.data());
      for (int64_t k = 0; k < deg * H; ++k) c[k] *= a[k];
      weights = c.data();
    }
    weighted_sum_rows(row, weights, H, src + b, deg, wh, wh + d.N * HF, H, d.F);  // out_i = Σ_j α'_ij wh_j
    epilogue_row(row, HF, ep);
  }
}

// What sweep 1 needs to take the gradient back through an ELU epilogue.
template <class T>
struct EluBackward {
  const T* dy;  // [N, H, F] d loss / d y
  const T* y;   // [N, H, F] the op's output
  T alpha;
};

// Sweep 1 over targets i of [i0, i1), in edge order: for each incoming edge e of i, writes the
// row pair[e] = [α'[e, 0..H) | dz[e, 0..H)] (dz only with `scores`): α' for sweep 2's dwh, dz
// (the gradient at z = s_dst[i] + s_src[j]) for its ds_src; and ds_dst[i] (+)= Σ_{e->i} dz[e].
// Its reads are sequential but for wh[j]; the writes are sequential. With `dbias` (the block's
// row of HF partial sums of the bias gradient), dbias += dout[i] for every i of the block. With
// `elu` (the op's output went through ELU), dout is first written row by row from the gradient
// at the ELU's output (elu->dy) and the output itself (elu->y).
template <class T>
void backward_targets(int64_t i0, int64_t i1, const Dims& d, const Graph& g, bool scores, const T* wh,
                      T slope, const DropoutMask& mask, const T* alpha, const uint8_t* signs, T* dout,
                      T* ds_dst, bool ds_dst_fresh, T* pair, T* dbias, const EluBackward<T>* elu) {
  constexpr int64_t L = lanes<T>();
  const int64_t H = d.H, HF = d.H * d.F, SB = sign_bytes(d.H);
  const int64_t* ptr = g.dst_ptr().data();
  const int32_t* src = g.src().data();
  std::vector<T>& gz = thread_scratch<T, 0>();
  std::vector<T>& coef = thread_scratch<T, 1>();
  std::vector<T>& total = thread_scratch<T, 2>();
  total.resize(static_cast<size_t>(H));
  if (dbias) std::fill(dbias, dbias + HF, T(0));
  for (int64_t i = i0; i < i1; ++i) {
    if (elu) elu_backward_row(elu->dy + i * HF, elu->y + i * HF, dout + i * HF, HF, elu->alpha);
    if (dbias) add_row(dbias, dout + i * HF, HF);
    const int64_t b = ptr[i], deg = ptr[i + 1] - b;
    if (deg == 0) {
      if (ds_dst && ds_dst_fresh) std::fill(ds_dst + i * H, ds_dst + (i + 1) * H, T(0));
      continue;
    }
    const bool full = scores && full_batch::applies<T>(H, d.F);  // (prefetches inside)
    for (int64_t k = b + kAheadEdges; scores && !full && d.prefetch && k < std::min(b + deg + kAheadEdges, d.E); ++k)
      prefetch_bytes(wh + int64_t{src[k]} * HF, HF * sizeof(T));
    if (scores && one_head::applies<T>(H, deg)) {
      one_head::backward_target(i, b, deg, d.E, d.N, d.F, src, wh, slope, mask, alpha, signs, dout, ds_dst,
                                ds_dst_fresh, pair);
      continue;
    }
    if (full) {
      gz.resize(static_cast<size_t>(deg * H));
      full_batch::backward_target(i, b, deg, src, wh, slope, mask, alpha, signs, dout, ds_dst, ds_dst_fresh, pair,
                                  gz.data(), full_batch::Prefetch{d.prefetch, false, d.E});
      continue;
    }
    const T* a = alpha + b * H;
    // α'[e] = α[e] · mask/(1-p), the weights of sweep 2
    if (mask.active) {
      coef.resize(static_cast<size_t>(deg * H));
      dropout_coefs(mask, b * H, deg * H, coef.data());
      for (int64_t r = 0; r < deg; ++r) mul_row(pair + (b + r) * 2 * H, a + r * H, coef.data() + r * H, H);
    } else {
      for (int64_t r = 0; r < deg; ++r) copy_row(pair + (b + r) * 2 * H, a + r * H, H);
    }
    if (!scores) continue;
    gz.resize(static_cast<size_t>(deg * H + L));  // + L: room to read the last batch whole
    // dα'[e,h] = <dout[i,h,:], wh[j,h,:]>, then through the mask: dα = dα' · mask/(1-p)
    for (int64_t r = 0; r < deg; ++r)
      dot_heads(dout + i * HF, wh + int64_t{src[b + r]} * HF, H, d.F, gz.data() + r * H, dout + d.N * HF,
                wh + d.N * HF);
    if (mask.active)
      for (int64_t k = 0; k < deg * H; ++k) gz[k] *= coef[k];
    // de = α (dα - Σ α dα)
    softmax_backward_rows<false>(a, gz.data(), gz.data(), deg, H, std::min((ptr[i1] - b) * H, deg * H + L));
    // dz = de · LeakyReLU'(z) (z > 0 read from the forward's sign bits);  ds_dst[i] (+)= Σ dz
    if (H % L == 0) {
      for (int64_t h0 = 0; h0 < H; h0 += L) {
        batch<T> sum_dz(T(0));
        for (int64_t r = 0; r < deg; ++r) {
          const batch<T> dz =
              leaky_backward_bits(signs + (b + r) * SB, h0, batch<T>::load_unaligned(gz.data() + r * H + h0), slope);
          dz.store_unaligned(pair + (b + r) * 2 * H + H + h0);
          sum_dz += dz;
        }
        if (ds_dst) {
          if (!ds_dst_fresh) sum_dz += batch<T>::load_unaligned(ds_dst + i * H + h0);
          sum_dz.store_unaligned(ds_dst + i * H + h0);
        }
      }
      continue;
    }
    std::fill(total.begin(), total.end(), T(0));
    for (int64_t r = 0; r < deg; ++r) {
      const uint8_t* bits = signs + (b + r) * SB;
      T* dz = pair + (b + r) * 2 * H + H;
      for (int64_t h = 0; h < H; ++h) {  // branch-free, as the forward's logits
        const T de = gz[r * H + h], negative = de * slope;
        dz[h] = (bits[h / 8] >> (h % 8)) & 1u ? de : negative;
        total[h] += dz[h];
      }
    }
    if (ds_dst)
      for (int64_t h = 0; h < H; ++h) ds_dst[i * H + h] = ds_dst_fresh ? total[h] : ds_dst[i * H + h] + total[h];
  }
}

// Sweep 2 over sources j of [j0, j1), through their outgoing edges p (source-grouped positions,
// e = src_perm[p] the edge, i = its target), reading pair[e] (one random row per edge):
//   ds_src[j] (+)= Σ_p dz[e];
//   dwh[j,h,:] (+)= Σ_p α'[e,h] dout[i,h,:]
// and, with `sb`, the scores' backward for node j (see ScoreBackward).
template <class T>
void backward_sources(int64_t j0, int64_t j1, const Dims& d, const Graph& g, const T* pair, const T* dout,
                      T* ds_src, bool ds_src_fresh, T* dwh, bool dwh_fresh, const ScoreBackward<T>* sb) {
  const int64_t H = d.H, HF = d.H * d.F;
  const int64_t* ptr = g.src_ptr().data();
  const int32_t* perm = g.src_perm().data();
  const int32_t* target = g.src_grouped_dst().data();
  std::vector<T>& acc = thread_scratch<T, 0>();
  std::vector<T>& sum = thread_scratch<T, 1>();
  std::vector<T>& weights = thread_scratch<T, 2>();
  acc.resize(static_cast<size_t>(HF));
  sum.resize(static_cast<size_t>(H));
  T* part = sb && sb->part ? sb->part + (j0 / kNodeBlock) * sb->stride : nullptr;
  if (part) std::fill(part, part + 2 * HF, T(0));
  // The scores' backward for node j, given its ds_src in sum (after the attention's part of dwh[j]).
  auto scores_backward = [&](int64_t j) {
    if (!sb) return;
    const T* dsd = sb->ds_dst + j * H;
    if (dwh) {  // in the order of the two head_dot backwards of the composed layer: s_src's first
      axpy_heads(dwh + j * HF, sum.data(), sb->a2, H, d.F);
      axpy_heads(dwh + j * HF, dsd, sb->a1, H, d.F);
    }
    if (part) {
      axpy_heads(part, dsd, sb->wh + j * HF, H, d.F);
      axpy_heads(part + HF, sum.data(), sb->wh + j * HF, H, d.F);
    }
  };
  for (int64_t j = j0; j < j1; ++j) {
    const int64_t b = ptr[j], deg = ptr[j + 1] - b;
    if (deg == 0) {  // no outgoing edge: a zero gradient (written only into a fresh buffer)
      if (ds_src && ds_src_fresh) std::fill(ds_src + j * H, ds_src + (j + 1) * H, T(0));
      if (dwh && dwh_fresh) std::fill(dwh + j * HF, dwh + (j + 1) * HF, T(0));
      std::fill(sum.begin(), sum.end(), T(0));
      scores_backward(j);
      continue;
    }
    for (int64_t p = b + kAheadEdges; d.prefetch && p < std::min(b + deg + kAheadEdges, d.E); ++p) {
      prefetch_bytes(pair + int64_t{perm[p]} * 2 * H, 2 * H * sizeof(T));
      if (dwh) prefetch_bytes(dout + int64_t{target[p]} * HF, HF * sizeof(T));
    }
    if (ds_src || sb) {
      std::fill(sum.begin(), sum.end(), T(0));
      for (int64_t p = b; p < b + deg; ++p) add_row(sum.data(), pair + int64_t{perm[p]} * 2 * H + H, H);
      if (ds_src && ds_src_fresh)
        copy_row(ds_src + j * H, sum.data(), H);
      else if (ds_src)
        add_row(ds_src + j * H, sum.data(), H);
    }
    if (dwh) {
      weights.resize(static_cast<size_t>(deg * H));
      for (int64_t r = 0; r < deg; ++r)  // α'[e, :] of the outgoing edges, in order
        copy_row(weights.data() + r * H, pair + int64_t{perm[b + r]} * 2 * H, H);
      if (dwh_fresh) {  // the sum goes straight into the new gradient row
        weighted_sum_rows(dwh + j * HF, weights.data(), H, target + b, deg, dout, dout + d.N * HF, H, d.F);
      } else {
        weighted_sum_rows(acc.data(), weights.data(), H, target + b, deg, dout, dout + d.N * HF, H, d.F);
        add_row(dwh + j * HF, acc.data(), HF);
      }
    }
    scores_backward(j);
  }
}

// The forward pass shared by both forms: α, the sign bits (when `signs`) and out.
template <class T>
void run_forward(const Dims& d, const Graph& g, const Tensor& wh, const T* sd, const T* ss, double negative_slope,
                 const DropoutMask& mask, const Tensor& alpha, uint8_t* signs, const RowEpilogue<T>& ep,
                 const Tensor& out) {
  const T slope = static_cast<T>(negative_slope);
  parallel_blocks(d.N, kNodeBlock, [&](int64_t i0, int64_t i1) {
    forward_block(i0, i1, d, g, wh.data<T>(), sd, ss, slope, mask, alpha.data<T>(), signs, ep, out.data<T>());
  });
}

// Sweeps 1 and 2 (ds_dst, ds_src, dwh: null when not wanted; sweep 2 runs the scores' backward
// when `sb` is given; sweep 1 sums dout per block into dbias_part + block · dbias_stride when given).
template <class T>
void run_backward(const Dims& d, const Graph& g, const Tensor& wh, double negative_slope, const DropoutMask& mask,
                  const Tensor& alpha, const uint8_t* signs, const Tensor& dout, T* ds_dst, bool ds_dst_fresh,
                  T* ds_src, bool ds_src_fresh, T* dwh, bool dwh_fresh, const ScoreBackward<T>* sb,
                  T* dbias_part = nullptr, int64_t dbias_stride = 0, const Tensor& elu_out = Tensor(),
                  double elu_alpha = 1.0) {
  const T slope = static_cast<T>(negative_slope);
  const bool scores = ds_dst || ds_src || sb;
  // [α' | dz] per edge, in edge order: sweep 1 writes it, sweep 2 reads it by source
  Tensor pair = Tensor::empty({d.E, 2 * d.H}, wh.dtype());
  // With an ELU epilogue, the gradient before it: written by sweep 1, row by row, read by both sweeps
  const Tensor grad = elu_out.defined() ? Tensor::empty(dout.shape(), dout.dtype()) : dout;
  const EluBackward<T> elu{dout.data<T>(), elu_out.defined() ? elu_out.data<T>() : nullptr, static_cast<T>(elu_alpha)};
  parallel_blocks(d.N, kNodeBlock, [&](int64_t i0, int64_t i1) {
    backward_targets(i0, i1, d, g, scores, wh.data<T>(), slope, mask, alpha.data<T>(), signs, grad.data<T>(),
                     ds_dst, ds_dst_fresh, pair.data<T>(),
                     dbias_part ? dbias_part + (i0 / kNodeBlock) * dbias_stride : nullptr,
                     elu_out.defined() ? &elu : nullptr);
  });
  if (ds_src || dwh || sb)
    parallel_blocks(d.N, kNodeBlock, [&](int64_t j0, int64_t j1) {
      if (d.H == 1 && d.F <= lanes<T>())
        one_head::backward_sources(j0, j1, d.N, d.E, d.F, d.prefetch, g, static_cast<const T*>(pair.data<T>()),
                                   grad.data<T>(), ds_src, ds_src_fresh, dwh, dwh_fresh, sb);
      else if (full_batch::applies<T>(d.H, d.F))
        full_batch::backward_sources(j0, j1, d.E, d.prefetch, g, static_cast<const T*>(pair.data<T>()), grad.data<T>(),
                                     ds_src, ds_src_fresh, dwh, dwh_fresh, sb);
      else
        backward_sources(j0, j1, d, g, static_cast<const T*>(pair.data<T>()), grad.data<T>(), ds_src, ds_src_fresh,
                         dwh, dwh_fresh, sb);
    });
}

void check_options(double negative_slope, double attn_dropout) {
  if (!(attn_dropout >= 0.0 && attn_dropout < 1.0))
    throw Error("gat_attention: attention dropout " + std::to_string(attn_dropout) + " is not in [0, 1)");
  if (!std::isfinite(negative_slope))
    throw Error("gat_attention: negative_slope must be finite, got " + std::to_string(negative_slope));
}

Dims dims_of(const Tensor& wh, const Graph& g) {
  const int64_t N = g.num_nodes(), H = wh.size(1), F = wh.size(2), size = static_cast<int64_t>(dtype_size(wh.dtype()));
  return Dims{N, g.num_edges(), H, F, N * H * F * size >= kPrefetchFromBytes, N * H * size >= kPrefetchFromBytes};
}

// dst[0..n) (=, +=) Σ_b part[b · stride + 0..n) over the blocks b in order (fresh: overwritten).
template <class T>
void add_block_sums(T* dst, bool fresh, const T* part, int64_t blocks, int64_t stride, int64_t n) {
  if (fresh) std::fill(dst, dst + n, T(0));
  for (int64_t b = 0; b < blocks; ++b) add_row(dst, part + b * stride, n);
}

// The sign bits of the logits, kept for backward: E · ⌈H/8⌉ bytes.
std::shared_ptr<Buffer> sign_buffer(const Dims& d) {
  return std::make_shared<Buffer>(static_cast<size_t>(std::max<int64_t>(1, d.E * sign_bytes(d.H))));
}

}  // namespace

Tensor gat_attention(const Tensor& wh, const Tensor& s_dst, const Tensor& s_src, const Graph& g,
                     double negative_slope, double attn_dropout, uint64_t key, Tensor* alpha_out) {
  if (wh.dim() != 3 || wh.size(0) != g.num_nodes() || s_dst.shape() != Shape({wh.size(0), wh.size(1)}) ||
      s_src.shape() != s_dst.shape())
    throw Error("gat_attention: expected wh [N, H, F], s_dst [N, H], s_src [N, H] with N = " +
                std::to_string(g.num_nodes()) + ", got " + wh.describe() + ", " + s_dst.describe() + ", " +
                s_src.describe());
  if (wh.dtype() != s_dst.dtype() || wh.dtype() != s_src.dtype())
    throw Error("gat_attention: inputs have different dtypes " + wh.describe() + ", " + s_dst.describe() + ", " +
                s_src.describe());
  check_options(negative_slope, attn_dropout);
  const Dims d = dims_of(wh, g);
  const DropoutMask mask(attn_dropout, key);
  const bool needs_backward = any_requires_grad({&wh, &s_dst, &s_src});
  Tensor out = Tensor::empty(wh.shape(), wh.dtype());
  Tensor alpha = Tensor::empty({d.E, d.H}, wh.dtype());
  std::shared_ptr<Buffer> signs = needs_backward ? sign_buffer(d) : nullptr;
  dispatch(wh.dtype(), [&]<class T>() {
    run_forward<T>(d, g, wh, s_dst.data<T>(), s_src.data<T>(), negative_slope, mask, alpha,
                   signs ? static_cast<uint8_t*>(signs->data()) : nullptr, RowEpilogue<T>{}, out);
  });
  if (alpha_out) *alpha_out = alpha.detach();
  if (needs_backward)
    record("gat_attention", out, [wh, s_dst, s_src, g, d, mask, alpha, signs, negative_slope](const Tensor& dout) {
      dispatch(wh.dtype(), [&]<class T>() {
        // Each gradient is overwritten when it is new (fresh) and added into otherwise.
        bool ds_dst_fresh = false, ds_src_fresh = false, dwh_fresh = false;
        T* ds_dst = s_dst.requires_grad() ? detail::grad_for_write(s_dst, ds_dst_fresh).template data<T>() : nullptr;
        T* ds_src = s_src.requires_grad() ? detail::grad_for_write(s_src, ds_src_fresh).template data<T>() : nullptr;
        T* dwh = wh.requires_grad() ? detail::grad_for_write(wh, dwh_fresh).template data<T>() : nullptr;
        run_backward<T>(d, g, wh, negative_slope, mask, alpha, static_cast<const uint8_t*>(signs->data()), dout,
                        ds_dst, ds_dst_fresh, ds_src, ds_src_fresh, dwh, dwh_fresh, nullptr);
      });
    });
  return out;
}

Tensor gat_attention(const Tensor& wh, const Tensor& att, const Graph& g, double negative_slope, double attn_dropout,
                     uint64_t key, Tensor* alpha_out, const AttentionEpilogue& epilogue) {
  const Tensor& bias = epilogue.bias;
  if (wh.dim() != 3 || wh.size(0) != g.num_nodes() || att.shape() != Shape({wh.size(1), 2 * wh.size(2)}))
    throw Error("gat_attention: expected wh [N, H, F] and att [H, 2F] with N = " + std::to_string(g.num_nodes()) +
                ", got " + wh.describe() + " and " + att.describe());
  if (wh.dtype() != att.dtype() || (bias.defined() && bias.dtype() != wh.dtype()))
    throw Error("gat_attention: inputs have different dtypes " + wh.describe() + ", " + att.describe() +
                (bias.defined() ? " and bias " + bias.describe() : std::string()));
  if (bias.defined() && bias.shape() != Shape({wh.size(1) * wh.size(2)}))
    throw Error("gat_attention: expected bias [H·F] = [" + std::to_string(wh.size(1) * wh.size(2)) + "] for wh " +
                wh.describe() + ", got " + bias.describe());
  if (epilogue.elu && !(epilogue.elu_alpha > 0 && std::isfinite(epilogue.elu_alpha)))
    throw Error("gat_attention: the ELU's alpha must be positive and finite, got " + std::to_string(epilogue.elu_alpha));
  check_options(negative_slope, attn_dropout);
  const Dims d = dims_of(wh, g);
  const int64_t H = d.H, F = d.F, HF = H * F;
  const DropoutMask mask(attn_dropout, key);
  const bool needs_backward = any_requires_grad({&wh, &att, &bias});
  Tensor out = Tensor::empty(wh.shape(), wh.dtype());
  Tensor alpha = Tensor::empty({d.E, d.H}, wh.dtype());
  // a_1 = att[:, :F] and a_2 = att[:, F:] as [H, F] arrays, then s_dst and s_src ([N, H] each),
  // exactly as head_dot computes them.
  Tensor halves = Tensor::empty({2, H, F}, wh.dtype());
  Tensor scores = Tensor::empty({2, d.N, H}, wh.dtype());
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
    T* ss = sd + d.N * H;
    parallel_blocks(d.N, kNodeBlock, [&](int64_t n0, int64_t n1) {
      dot_heads_rows(pw, a1, n0, n1, H, F, sd, pw + d.N * HF);
      dot_heads_rows(pw, a2, n0, n1, H, F, ss, pw + d.N * HF);
    });
    run_forward<T>(d, g, wh, sd, ss, negative_slope, mask, alpha,
                   signs ? static_cast<uint8_t*>(signs->data()) : nullptr,
                   RowEpilogue<T>{bias.defined() ? bias.data<T>() : nullptr, epilogue.elu,
                                  static_cast<T>(epilogue.elu_alpha)},
                   out);
  });
  if (alpha_out) *alpha_out = alpha.detach();
  if (needs_backward)
    // (with ELU, backward needs the output y: kept as a plain handle to out's data, not out
    // itself, whose record holds this closure)
    record("gat_attention", out, [wh, att, bias, g, d, mask, alpha, signs, halves, negative_slope,
                                  y = epilogue.elu ? out.detach() : Tensor(), elu_alpha = epilogue.elu_alpha](
                                     const Tensor& dout) {
      dispatch(wh.dtype(), [&]<class T>() {
        const int64_t H = d.H, HF = d.H * d.F, blocks = (d.N + kNodeBlock - 1) / kNodeBlock;
        bool dwh_fresh = false;
        T* dwh = wh.requires_grad() ? detail::grad_for_write(wh, dwh_fresh).template data<T>() : nullptr;
        Tensor ds_dst = Tensor::empty({d.N, H}, wh.dtype());  // written whole by sweep 1
        Tensor part;
        const int64_t stride = padded_to_lines<T>(2 * HF);
        if (att.requires_grad()) part = Tensor::empty({std::max<int64_t>(blocks, 1), stride}, wh.dtype());
        const ScoreBackward<T> sb{halves.data<T>(), halves.data<T>() + HF, ds_dst.data<T>(), wh.data<T>(),
                                  part.defined() ? part.data<T>() : nullptr, stride};
        // dbias = Σ_i dout[i]: per block in sweep 1, then the blocks in order
        Tensor bias_part;
        const int64_t bias_stride = padded_to_lines<T>(HF);
        if (bias.defined() && bias.requires_grad())
          bias_part = Tensor::empty({std::max<int64_t>(blocks, 1), bias_stride}, wh.dtype());
        run_backward<T>(d, g, wh, negative_slope, mask, alpha, static_cast<const uint8_t*>(signs->data()), dout,
                        ds_dst.data<T>(), true, nullptr, false, dwh, dwh_fresh, &sb,
                        bias_part.defined() ? bias_part.data<T>() : nullptr, bias_stride, y, elu_alpha);
        if (bias_part.defined()) {
          bool fresh = false;
          T* dbias = detail::grad_for_write(bias, fresh).template data<T>();
          add_block_sums(dbias, fresh, bias_part.data<T>(), blocks, bias_stride, HF);
        }
        if (!part.defined()) return;
        // datt[h] = [Σ_blocks da_1 | Σ_blocks da_2], the blocks in order
        bool datt_fresh = false;
        T* datt = detail::grad_for_write(att, datt_fresh).template data<T>();
        const T* pp = part.data<T>();
        for (int64_t h = 0; h < H; ++h)
          for (int half = 0; half < 2; ++half)
            add_block_sums(datt + h * 2 * d.F + half * d.F, datt_fresh, pp + half * HF + h * d.F, blocks, stride, d.F);
      });
    });
  return out;
}

}  // namespace gatgrad
