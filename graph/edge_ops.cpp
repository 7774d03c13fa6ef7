// Edge-wise helpers of attention: head_dot, edge_add, aggregate.
// Legend: edge e runs j = src(e) -> i = dst(e); wh [N, H, F] the projected features W h,
// a [H, F] an attention vector per head, s [N, H] per-node scores, alpha [E, H] edge weights.
//
// Why scores are per node (DGL's remark): GAT's logit is e_ij = aᵀ [W h_i ‖ W h_j], and splitting
// a = [a_1 ‖ a_2] gives e_ij = a_1ᵀ W h_i + a_2ᵀ W h_j, so s_dst = head_dot(wh, a_1) and
// s_src = head_dot(wh, a_2) are computed once per node (N×H) and edge_add merely adds two numbers
// per edge and head, instead of building an E×2F concatenation.
#include <string>

#include "autograd/error.hpp"
#include "graph/message_passing.hpp"
#include "graph/segment_kernels.hpp"

namespace gatgrad {
using namespace graph_kernels;

namespace {

void check_same_dtype(const char* op, const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype())
    throw Error(std::string(op) + ": inputs have different dtypes " + a.describe() + " and " + b.describe());
}

constexpr int64_t kRowBlock = 2048;  // rows per partial sum of a reduction over all nodes

}  // namespace

// ---- head_dot: s[n,h] = Σ_f wh[n,h,f] a[h,f] ----
//   dwh[n,h,:] += ds[n,h] a[h,:];   da[h,:] += Σ_n ds[n,h] wh[n,h,:] (per fixed row block, blocks
//   added in order, so the sum is the same on any thread count)
Tensor head_dot(const Tensor& wh, const Tensor& a) {
  if (wh.dim() != 3 || a.dim() != 2 || a.size(0) != wh.size(1) || a.size(1) != wh.size(2))
    throw Error("head_dot: expected wh [N, H, F] and a [H, F], got " + wh.describe() + " and " + a.describe());
  check_same_dtype("head_dot", wh, a);
  const int64_t N = wh.size(0), H = wh.size(1), F = wh.size(2);
  Tensor s = Tensor::empty({N, H}, wh.dtype());
  dispatch(wh.dtype(), [&]<class T>() {
    const T* pw = wh.data<T>();
    const T* pa = a.data<T>();
    T* ps = s.data<T>();
    parallel_blocks(N, kRowBlock, [&](int64_t n0, int64_t n1) {
      dot_heads_rows(pw, pa, n0, n1, H, F, ps, pw + N * H * F);
    });
  });
  if (any_requires_grad({&wh, &a}))
    record("head_dot", s, [wh, a, N, H, F](const Tensor& ds) {
      dispatch(wh.dtype(), [&]<class T>() {
        const T* pw = wh.data<T>();
        const T* pa = a.data<T>();
        const T* g = ds.data<T>();
        if (wh.requires_grad()) {
          T* dw = wh.grad_accum().template data<T>();
          parallel_blocks(N, kRowBlock, [&](int64_t n0, int64_t n1) {
            for (int64_t n = n0; n < n1; ++n) axpy_heads(dw + n * H * F, g + n * H, pa, H, F);
          });
        }
        if (a.requires_grad()) {
          const int64_t nblocks = (N + kRowBlock - 1) / kRowBlock;
          std::vector<T> part(static_cast<size_t>(nblocks * H * F), T(0));
          parallel_blocks(N, kRowBlock, [&](int64_t n0, int64_t n1) {
            T* acc = part.data() + (n0 / kRowBlock) * H * F;
            for (int64_t n = n0; n < n1; ++n) axpy_heads(acc, g + n * H, pw + n * H * F, H, F);
          });
          T* da = a.grad_accum().template data<T>();
          for (int64_t b = 0; b < nblocks; ++b) add_row(da, part.data() + b * H * F, H * F);
        }
      });
    });
  return s;
}

// ---- edge_add: z[e,h] = s_dst[i,h] + s_src[j,h] ----
//   ds_dst[i] += Σ_{e->i} dz[e] (dst segments);   ds_src[j] += Σ_{e: j->} dz[e] (source grouping)
Tensor edge_add(const Tensor& s_dst, const Tensor& s_src, const Graph& g) {
  if (s_dst.dim() < 1 || s_dst.shape() != s_src.shape() || s_dst.size(0) != g.num_nodes())
    throw Error("edge_add: expected s_dst and s_src [N, ...] with N = " + std::to_string(g.num_nodes()) +
                ", got " + s_dst.describe() + " and " + s_src.describe());
  check_same_dtype("edge_add", s_dst, s_src);
  const int64_t H = g.num_nodes() ? s_dst.numel() / g.num_nodes() : 0;
  Shape zs = s_dst.shape();
  zs[0] = g.num_edges();
  Tensor z = Tensor::empty(zs, s_dst.dtype());
  dispatch(z.dtype(), [&]<class T>() {
    const T* pd = s_dst.data<T>();
    const T* ps = s_src.data<T>();
    T* pz = z.data<T>();
    const int64_t* ptr = g.dst_ptr().data();
    const int32_t* src = g.src().data();
    parallel_blocks(g.num_nodes(), kNodeBlock, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i)
        for (int64_t e = ptr[i]; e < ptr[i + 1]; ++e)
          for (int64_t h = 0; h < H; ++h) pz[e * H + h] = pd[i * H + h] + ps[int64_t{src[e]} * H + h];
    });
  });
  if (any_requires_grad({&s_dst, &s_src}))
    record("edge_add", z, [s_dst, s_src, g, H](const Tensor& dz) {
      dispatch(dz.dtype(), [&]<class T>() {
        if (s_dst.requires_grad())
          segment_sum<true>(dz.data<T>(), Segments{g.dst_ptr().data(), nullptr, g.num_nodes()}, H,
                            s_dst.grad_accum().template data<T>());
        if (s_src.requires_grad())
          segment_sum<true>(dz.data<T>(), Segments{g.src_ptr().data(), g.src_perm().data(), g.num_nodes()}, H,
                            s_src.grad_accum().template data<T>());
      });
    });
  return z;
}

// ---- aggregate: out[i,h,:] = Σ_{e: j->i} alpha[e,h] wh[j,h,:] ----
//   dalpha[e,h] += <dout[i,h,:], wh[j,h,:]>             over targets (e is owned by i)
//   dwh[j,h,:]  += Σ_{e: j->i} alpha[e,h] dout[i,h,:]   over sources (src_ptr / src_perm)
Tensor aggregate(const Tensor& alpha, const Tensor& wh, const Graph& g) {
  if (alpha.dim() != 2 || wh.dim() != 3 || alpha.size(0) != g.num_edges() || wh.size(0) != g.num_nodes() ||
      alpha.size(1) != wh.size(1))
    throw Error("aggregate: expected alpha [E, H] and wh [N, H, F] with E = " + std::to_string(g.num_edges()) +
                ", N = " + std::to_string(g.num_nodes()) + ", got " + alpha.describe() + " and " + wh.describe());
  check_same_dtype("aggregate", alpha, wh);
  const int64_t N = wh.size(0), H = wh.size(1), F = wh.size(2);
  Tensor out = Tensor::empty(wh.shape(), wh.dtype());
  dispatch(wh.dtype(), [&]<class T>() {
    const T* pa = alpha.data<T>();
    const T* pw = wh.data<T>();
    T* po = out.data<T>();
    const int64_t* ptr = g.dst_ptr().data();
    const int32_t* src = g.src().data();
    parallel_blocks(N, kNodeBlock, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) {
        weighted_sum_rows(po + i * H * F, pa + ptr[i] * H, H, src + ptr[i], ptr[i + 1] - ptr[i], pw, pw + N * H * F, H, F);
      }
    });
  });
  if (any_requires_grad({&alpha, &wh}))
    record("aggregate", out, [alpha, wh, g, N, H, F](const Tensor& dout) {
      dispatch(wh.dtype(), [&]<class T>() {
        const T* pa = alpha.data<T>();
        const T* pw = wh.data<T>();
        const T* go = dout.data<T>();
        const int64_t* dst_ptr = g.dst_ptr().data();
        const int32_t* src = g.src().data();
        if (alpha.requires_grad()) {
          T* da = alpha.grad_accum().template data<T>();
          parallel_blocks(N, kNodeBlock, [&](int64_t i0, int64_t i1) {
            std::vector<T> dot(static_cast<size_t>(H));
            for (int64_t i = i0; i < i1; ++i)
              for (int64_t e = dst_ptr[i]; e < dst_ptr[i + 1]; ++e) {
                dot_heads(go + i * H * F, pw + int64_t{src[e]} * H * F, H, F, dot.data(), go + N * H * F, pw + N * H * F);
                add_row(da + e * H, dot.data(), H);
              }
          });
        }
        if (wh.requires_grad()) {
          T* dw = wh.grad_accum().template data<T>();
          const int64_t* src_ptr = g.src_ptr().data();
          const int32_t* perm = g.src_perm().data();
          const int32_t* target = g.src_grouped_dst().data();
          parallel_blocks(N, kNodeBlock, [&](int64_t j0, int64_t j1) {
            std::vector<T> acc(static_cast<size_t>(H * F)), c;
            for (int64_t j = j0; j < j1; ++j) {
              const int64_t b = src_ptr[j], deg = src_ptr[j + 1] - b;
              if (deg == 0) continue;
              c.resize(static_cast<size_t>(deg * H));  // alpha of each edge leaving j, gathered
              for (int64_t r = 0; r < deg; ++r) copy_row(c.data() + r * H, pa + int64_t{perm[b + r]} * H, H);
              weighted_sum_rows(acc.data(), c.data(), H, target + b, deg, go, go + N * H * F, H, F);
              add_row(dw + j * H * F, acc.data(), H * F);
            }
          });
        }
      });
    });
  return out;
}

}  // namespace gatgrad
