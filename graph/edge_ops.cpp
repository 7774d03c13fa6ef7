// Edge-wise helpers of attention: head_dot, edge_add, aggregate.
// Legend: edge e runs j = src(e) -> i = dst(e); wh [N, H, F] the projected features W h,
// (on a bipartite block, [S, ...] for what the sources send and [D, ...] for the destinations),
// a [H, F] an attention vector per head, s [N, H] per-node scores, alpha [E, H] edge weights.
//
// Why scores are per node (DGL's remark): GAT's logit is e_ij = aᵀ [W h_i ‖ W h_j], and splitting
// a = [a_1 ‖ a_2] gives e_ij = a_1ᵀ W h_i + a_2ᵀ W h_j, so s_dst = head_dot(wh, a_1) and
// s_src = head_dot(wh, a_2) are computed once per node (N×H) and edge_add merely adds two numbers
// per edge and head, instead of building an E×2F concatenation.
#include <string>

#include "autograd/error.hpp"
#include "graph/message_passing.hpp"
#include "graph/kernels/calls.hpp"

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
    const auto kernel = table<T>().head_dot_rows;
    parallel_blocks(N, kRowBlock, [&](int64_t n0, int64_t n1) { kernel(pw, pa, H, F, ps, n0, n1); });
  });
  if (any_requires_grad({&wh, &a}))
    record("head_dot", s, [wh, a, N, H, F](const Tensor& ds) {
      dispatch(wh.dtype(), [&]<class T>() {
        const T* pw = wh.data<T>();
        const T* pa = a.data<T>();
        const T* g = ds.data<T>();
        if (wh.requires_grad()) {
          T* dw = wh.grad_accum().template data<T>();
          const auto kernel = table<T>().head_dot_backward_rows;
          parallel_blocks(N, kRowBlock, [&](int64_t n0, int64_t n1) { kernel(g, pa, H, F, dw, n0, n1); });
        }
        if (a.requires_grad()) {
          const int64_t nblocks = (N + kRowBlock - 1) / kRowBlock;
          std::vector<T> part(static_cast<size_t>(nblocks * H * F), T(0));
          const auto kernel = table<T>().head_dot_backward_sum;
          parallel_blocks(N, kRowBlock, [&](int64_t n0, int64_t n1) {
            kernel(g, pw, H, F, part.data() + (n0 / kRowBlock) * H * F, n0, n1);
          });
          T* da = a.grad_accum().template data<T>();
          for (int64_t b = 0; b < nblocks; ++b)
            for (int64_t k = 0; k < H * F; ++k) da[k] += part[static_cast<size_t>(b * H * F + k)];
        }
      });
    });
  return s;
}

// ---- edge_add: z[e,h] = s_dst[i,h] + s_src[j,h] ----
//   ds_dst[i] += Σ_{e->i} dz[e] (dst segments);   ds_src[j] += Σ_{e: j->} dz[e] (source grouping)
Tensor edge_add(const Tensor& s_dst, const Tensor& s_src, const Graph& g) {
  const int64_t D = g.num_dst_nodes(), S = g.num_src_nodes();
  if (s_dst.dim() < 1 || s_src.dim() != s_dst.dim() || s_dst.size(0) != D || s_src.size(0) != S ||
      (D && S && s_dst.numel() / D != s_src.numel() / S))
    throw Error("edge_add: expected s_dst [D, ...] and s_src [S, ...] with D = " + std::to_string(D) +
                " destinations, S = " + std::to_string(S) + " sources, got " + s_dst.describe() + " and " +
                s_src.describe());
  check_same_dtype("edge_add", s_dst, s_src);
  const int64_t H = D ? s_dst.numel() / D : 0;
  Shape zs = s_dst.shape();
  zs[0] = g.num_edges();
  Tensor z = Tensor::empty(zs, s_dst.dtype());
  dispatch(z.dtype(), [&]<class T>() {
    const T* pd = s_dst.data<T>();
    const T* ps = s_src.data<T>();
    T* pz = z.data<T>();
    const int64_t* ptr = g.dst_ptr().data();
    const int32_t* src = g.src().data();
    parallel_blocks(D, kNodeBlock, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i)
        for (int64_t e = ptr[i]; e < ptr[i + 1]; ++e)
          for (int64_t h = 0; h < H; ++h) pz[e * H + h] = pd[i * H + h] + ps[int64_t{src[e]} * H + h];
    });
  });
  if (any_requires_grad({&s_dst, &s_src}))
    record("edge_add", z, [s_dst, s_src, g, H](const Tensor& dz) {
      dispatch(dz.dtype(), [&]<class T>() {
        const auto segment_sum = table<T>().segment_sum;
        auto sum_into = [&](const Tensor& target, const SegmentsView& seg) {
          T* out = target.grad_accum().template data<T>();
          for_node_blocks(seg.count, [&](int64_t v0, int64_t v1) {
            segment_sum(dz.data<T>(), seg, H, true, out, v0, v1, &thread_scratch);
          });
        };
        if (s_dst.requires_grad()) sum_into(s_dst, SegmentsView{g.dst_ptr().data(), nullptr, g.num_dst_nodes()});
        if (s_src.requires_grad())
          sum_into(s_src, SegmentsView{g.src_ptr().data(), g.src_perm().data(), g.num_src_nodes()});
      });
    });
  return z;
}

// ---- aggregate: out[i,h,:] = Σ_{e: j->i} alpha[e,h] wh[j,h,:] ----
//   dalpha[e,h] += <dout[i,h,:], wh[j,h,:]>             over targets (e is owned by i)
//   dwh[j,h,:]  += Σ_{e: j->i} alpha[e,h] dout[i,h,:]   over sources (src_ptr / src_perm)
Tensor aggregate(const Tensor& alpha, const Tensor& wh, const Graph& g) {
  if (alpha.dim() != 2 || wh.dim() != 3 || alpha.size(0) != g.num_edges() || wh.size(0) != g.num_src_nodes() ||
      alpha.size(1) != wh.size(1))
    throw Error("aggregate: expected alpha [E, H] and wh [S, H, F] with E = " + std::to_string(g.num_edges()) +
                ", S = " + std::to_string(g.num_src_nodes()) + " source nodes, got " + alpha.describe() + " and " +
                wh.describe());
  check_same_dtype("aggregate", alpha, wh);
  const int64_t D = g.num_dst_nodes(), S = wh.size(0), H = wh.size(1), F = wh.size(2);
  Tensor out = Tensor::empty({D, H, F}, wh.dtype());
  dispatch(wh.dtype(), [&]<class T>() {
    const T* pa = alpha.data<T>();
    const T* pw = wh.data<T>();
    T* po = out.data<T>();
    const GraphArrays ga = arrays_of(g);
    const auto kernel = table<T>().aggregate;
    for_node_blocks(D, [&](int64_t i0, int64_t i1) { kernel(pa, pw, ga, H, F, po, i0, i1); });
  });
  if (any_requires_grad({&alpha, &wh}))
    record("aggregate", out, [alpha, wh, g, D, S, H, F](const Tensor& dout) {
      dispatch(wh.dtype(), [&]<class T>() {
        const T* pa = alpha.data<T>();
        const T* pw = wh.data<T>();
        const T* go = dout.data<T>();
        const GraphArrays ga = arrays_of(g);
        if (alpha.requires_grad()) {
          T* da = alpha.grad_accum().template data<T>();
          const auto kernel = table<T>().aggregate_backward_alpha;
          for_node_blocks(D, [&](int64_t i0, int64_t i1) { kernel(go, pw, ga, H, F, da, i0, i1, &thread_scratch); });
        }
        if (wh.requires_grad()) {
          T* dw = wh.grad_accum().template data<T>();
          const auto kernel = table<T>().aggregate_backward_wh;
          for_node_blocks(S, [&](int64_t j0, int64_t j1) { kernel(pa, go, ga, H, F, dw, j0, j1, &thread_scratch); });
        }
      });
    });
  return out;
}

}  // namespace gatgrad
