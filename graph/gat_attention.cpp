// gat_attention: the fused forward and its two-sweep backward (equations in gat_attention.hpp).
// Legend: i target, j source, e edge (dst order), k = e·H + h the dropout counter,
// seg(i) = [dst_ptr[i], dst_ptr[i+1]) the incoming edges of i, deg = |seg(i)|.
#include "graph/gat_attention.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>

#include "autograd/buffer.hpp"
#include "autograd/error.hpp"
#include "autograd/ops/common.hpp"
#include "autograd/tape.hpp"
#include "graph/segment_kernels.hpp"

namespace gatgrad {
using namespace graph_kernels;

namespace {

struct Dims {
  int64_t N, E, H, F;
  bool prefetch;  // the node rows outgrow the caches: ask for the rows of later edges early
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
// backward needs neither s_src[j] (a random read per edge) nor the logits.
template <class T>
void forward_block(int64_t i0, int64_t i1, const Dims& d, const Graph& g, const T* wh, const T* sd,
                   const T* ss, T slope, const DropoutMask& mask, T* alpha, uint8_t* signs, T* out) {
  constexpr int64_t L = lanes<T>();
  const int64_t H = d.H, HF = d.H * d.F, SB = sign_bytes(d.H);
  const int64_t* ptr = g.dst_ptr().data();
  const int32_t* src = g.src().data();
  std::vector<T> c;
  for (int64_t i = i0; i < i1; ++i) {
    T* row = out + i * HF;
    const int64_t b = ptr[i], deg = ptr[i + 1] - b;
    if (deg == 0) {
      std::fill(row, row + HF, T(0));
      continue;
    }
    T* a = alpha + b * H;
    for (int64_t k = b + kAheadEdges; d.prefetch && k < std::min(b + deg + kAheadEdges, d.E); ++k) {
      prefetch_bytes(ss + int64_t{src[k]} * H, H * sizeof(T));
      prefetch_bytes(wh + int64_t{src[k]} * HF, HF * sizeof(T));
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
    } else {
      for (int64_t r = 0; r < deg; ++r)
        for (int64_t h = 0; h < H; ++h) {
          const T z = sd[i * H + h] + ss[int64_t{src[b + r]} * H + h];
          a[r * H + h] = z > T(0) ? z : z * slope;
          if (signs && z > T(0)) signs[(b + r) * SB + h / 8] |= static_cast<uint8_t>(1u << (h % 8));
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
  }
}

// Sweep 1 over targets i of [i0, i1), in edge order: for each incoming edge e of i, writes the
// row pair[e] = [α'[e, 0..H) | dz[e, 0..H)] (dz only with `scores`): α' for sweep 2's dwh, dz
// (the gradient at z = s_dst[i] + s_src[j]) for its ds_src; and ds_dst[i] (+)= Σ_{e->i} dz[e].
// Its reads are sequential but for wh[j]; the writes are sequential.
template <class T>
void backward_targets(int64_t i0, int64_t i1, const Dims& d, const Graph& g, bool scores, const T* wh,
                      T slope, const DropoutMask& mask, const T* alpha, const uint8_t* signs, const T* dout,
                      T* ds_dst, bool ds_dst_fresh, T* pair) {
  constexpr int64_t L = lanes<T>();
  const int64_t H = d.H, HF = d.H * d.F, SB = sign_bytes(d.H);
  const int64_t* ptr = g.dst_ptr().data();
  const int32_t* src = g.src().data();
  std::vector<T> gz, coef, total(static_cast<size_t>(H));
  for (int64_t i = i0; i < i1; ++i) {
    const int64_t b = ptr[i], deg = ptr[i + 1] - b;
    if (deg == 0) {
      if (ds_dst && ds_dst_fresh) std::fill(ds_dst + i * H, ds_dst + (i + 1) * H, T(0));
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
    for (int64_t k = b + kAheadEdges; d.prefetch && k < std::min(b + deg + kAheadEdges, d.E); ++k)
      prefetch_bytes(wh + int64_t{src[k]} * HF, HF * sizeof(T));
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
      for (int64_t h = 0; h < H; ++h) {
        const T de = gz[r * H + h];
        dz[h] = (bits[h / 8] >> (h % 8)) & 1u ? de : de * slope;
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
template <class T>
void backward_sources(int64_t j0, int64_t j1, const Dims& d, const Graph& g, const T* pair, const T* dout,
                      T* ds_src, bool ds_src_fresh, T* dwh, bool dwh_fresh) {
  const int64_t H = d.H, HF = d.H * d.F;
  const int64_t* ptr = g.src_ptr().data();
  const int32_t* perm = g.src_perm().data();
  const int32_t* target = g.src_grouped_dst().data();
  std::vector<T> acc(static_cast<size_t>(HF)), sum(static_cast<size_t>(H)), weights;
  for (int64_t j = j0; j < j1; ++j) {
    const int64_t b = ptr[j], deg = ptr[j + 1] - b;
    if (deg == 0) {  // no outgoing edge: a zero gradient (written only into a fresh buffer)
      if (ds_src && ds_src_fresh) std::fill(ds_src + j * H, ds_src + (j + 1) * H, T(0));
      if (dwh && dwh_fresh) std::fill(dwh + j * HF, dwh + (j + 1) * HF, T(0));
      continue;
    }
    for (int64_t p = b + kAheadEdges; d.prefetch && p < std::min(b + deg + kAheadEdges, d.E); ++p) {
      prefetch_bytes(pair + int64_t{perm[p]} * 2 * H, 2 * H * sizeof(T));
      if (dwh) prefetch_bytes(dout + int64_t{target[p]} * HF, HF * sizeof(T));
    }
    if (ds_src) {
      std::fill(sum.begin(), sum.end(), T(0));
      for (int64_t p = b; p < b + deg; ++p) add_row(sum.data(), pair + int64_t{perm[p]} * 2 * H + H, H);
      if (ds_src_fresh)
        copy_row(ds_src + j * H, sum.data(), H);
      else
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
  }
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
  if (!(attn_dropout >= 0.0 && attn_dropout < 1.0))
    throw Error("gat_attention: attention dropout " + std::to_string(attn_dropout) + " is not in [0, 1)");
  if (!std::isfinite(negative_slope))
    throw Error("gat_attention: negative_slope must be finite, got " + std::to_string(negative_slope));
  const Dims d{g.num_nodes(), g.num_edges(), wh.size(1), wh.size(2),
               wh.numel() * static_cast<int64_t>(dtype_size(wh.dtype())) >= kPrefetchFromBytes};
  const DropoutMask mask(attn_dropout, key);
  const bool needs_backward = any_requires_grad({&wh, &s_dst, &s_src});
  Tensor out = Tensor::empty(wh.shape(), wh.dtype());
  Tensor alpha = Tensor::empty({d.E, d.H}, wh.dtype());
  // The signs of the logits, kept for backward: E · ⌈H/8⌉ bytes instead of re-reading s_src[j].
  std::shared_ptr<Buffer> signs;
  if (needs_backward) signs = std::make_shared<Buffer>(static_cast<size_t>(std::max<int64_t>(1, d.E * sign_bytes(d.H))));
  uint8_t* sign_bits = signs ? static_cast<uint8_t*>(signs->data()) : nullptr;
  dispatch(wh.dtype(), [&]<class T>() {
    const T slope = static_cast<T>(negative_slope);
    parallel_blocks(d.N, kNodeBlock, [&](int64_t i0, int64_t i1) {
      forward_block(i0, i1, d, g, wh.data<T>(), s_dst.data<T>(), s_src.data<T>(), slope, mask,
                    alpha.data<T>(), sign_bits, out.data<T>());
    });
  });
  if (alpha_out) *alpha_out = alpha.detach();
  if (needs_backward)
    record("gat_attention", out, [wh, s_dst, s_src, g, d, mask, alpha, signs, negative_slope](const Tensor& dout) {
      const bool scores = s_dst.requires_grad() || s_src.requires_grad();
      dispatch(wh.dtype(), [&]<class T>() {
        const T slope = static_cast<T>(negative_slope);
        // Each gradient is overwritten when it is new (fresh) and added into otherwise.
        bool ds_dst_fresh = false, ds_src_fresh = false, dwh_fresh = false;
        T* ds_dst = s_dst.requires_grad() ? detail::grad_for_write(s_dst, ds_dst_fresh).template data<T>() : nullptr;
        T* ds_src = s_src.requires_grad() ? detail::grad_for_write(s_src, ds_src_fresh).template data<T>() : nullptr;
        T* dwh = wh.requires_grad() ? detail::grad_for_write(wh, dwh_fresh).template data<T>() : nullptr;
        // [α' | dz] per edge, in edge order: sweep 1 writes it, sweep 2 reads it by source
        Tensor pair = Tensor::empty({d.E, 2 * d.H}, wh.dtype());
        parallel_blocks(d.N, kNodeBlock, [&](int64_t i0, int64_t i1) {
          backward_targets(i0, i1, d, g, scores, wh.data<T>(), slope, mask, alpha.data<T>(),
                           static_cast<const uint8_t*>(signs->data()), dout.data<T>(), ds_dst, ds_dst_fresh,
                           pair.data<T>());
        });
        if (ds_src || dwh)
          parallel_blocks(d.N, kNodeBlock, [&](int64_t j0, int64_t j1) {
            backward_sources(j0, j1, d, g, static_cast<const T*>(pair.data<T>()), dout.data<T>(), ds_src,
                             ds_src_fresh, dwh, dwh_fresh);
          });
      });
    });
  return out;
}

}  // namespace gatgrad
