// The graph kernels as one table of entry points per dtype, filled by every instruction-set unit
// (graph/kernels/unit.cpp, compiled once per level like autograd's) and picked by the active
// level (autograd/isa.hpp). The graph ops (graph/*.cpp, baseline code) cut the work into
// fixed blocks of nodes and call one entry per block; no level's code calls oneTBB.
//
// Legend: N_dst destinations and N_src >= N_dst sources (destination i is source i; a square
// graph has N_dst = N_src = N), E edges, H heads, F features per head, D a row's width.
// Edge e runs j = src(e) -> i = dst(e); edges are numbered grouped by destination.
#pragma once
#include <cstddef>
#include <cstdint>

#include "autograd/kernels/table.hpp"

namespace gatgrad::graph_kernels {

// Nodes per parallel block: a few thousand edges of work at typical degrees. Fixed (a block's
// partial sums are added in block order), never derived from the machine.
constexpr int64_t kNodeBlock = 512;

// A kernel's working memory for the calling thread: `slot` distinguishes rows used at the same
// time. Grow-only and kept across calls, so the steady state allocates nothing.
using ScratchFn = void* (*)(int slot, size_t bytes);

// A graph's arrays as the kernels read them.
struct GraphArrays {
  int64_t num_dst, num_src, num_edges;
  const int64_t* dst_ptr;          // [N_dst + 1] destination i owns edges dst_ptr[i] .. dst_ptr[i+1]
  const int32_t* src;              // [E] source of each edge
  const int64_t* src_ptr;          // [N_src + 1] source j sends the edges src_perm[src_ptr[j] ..]
  const int32_t* src_perm;         // [E] edge ids grouped by source, ascending within a source
  const int32_t* src_grouped_dst;  // [E] destination of the edge at each source-grouped position
};

// Edges grouped by node: node v owns positions ptr[v] .. ptr[v+1], edge perm[p] (p if no perm).
struct SegmentsView {
  const int64_t* ptr;
  const int32_t* perm;
  int64_t count;
};

// The layer's epilogue on each output row: + bias, then ELU.
template <class T>
struct Epilogue {
  const T* bias = nullptr;  // [H·F] or null
  bool elu = false;
  T elu_alpha = T(1);
};

// How the fused attention reaches the rows of later edges early on graphs that outgrow the caches.
struct Prefetch {
  bool rows = false;    // node rows of H·F values
  bool scores = false;  // and the [N, H] scores
};

// gat_attention forward for the destinations of a block: logits z = s_dst[i] + s_src[j]
// (+ s_edge[e]), their signs, α and out.
template <class T>
struct AttentionForward {
  GraphArrays g;
  int64_t H, F;
  const T* wh;      // [N_src, H, F]
  const T* s_dst;   // [N_dst, H]  a_1ᵀ W h_i
  const T* s_src;   // [N_src, H]  a_2ᵀ W h_j
  const T* s_edge;  // [E, H] added to the logit of edge e (a_edgeᵀ W_e x_ij), or null
  T slope;          // LeakyReLU's negative slope
  bool dropout;     // attention dropout on α (mask counter e·H + h)
  kernels::DropoutRule mask;
  T* alpha;         // [E, H] written: α before dropout
  uint8_t* signs;   // [E, ⌈H/8⌉] written when not null: bit h % 8 of byte h / 8 is z[e, h] > 0
  Epilogue<T> epilogue;
  T* out;           // [N_dst, H, F] written
  Prefetch prefetch;
  ScratchFn scratch;
};

// Sweep 1 (over destinations): α' and dz into pair, ds_dst, and the bias gradient per block.
template <class T>
struct AttentionTargets {
  GraphArrays g;
  int64_t H, F;
  const T* wh;             // [N_src, H, F]
  T slope;
  bool dropout;
  kernels::DropoutRule mask;
  const T* alpha;          // [E, H] from the forward
  const uint8_t* signs;    // [E, ⌈H/8⌉] from the forward
  T* dout;                 // [N_dst, H, F] d loss / d out (written first from elu_dy when elu_y is set)
  const T* elu_dy;         // [N_dst, H, F] d loss / d y, y = ELU(out + bias) the op's output; or null
  const T* elu_y;          // [N_dst, H, F] y
  T elu_alpha;
  bool scores;             // the logits' gradient is wanted (dz and ds_dst)
  T* ds_dst;               // [N_dst, H] or null
  bool ds_dst_fresh;       // overwrite instead of add
  T* pair;                 // [E, 2H] written: [α'[e] | dz[e]]
  T* dbias_part;           // block b's [H·F] partial sums at dbias_part + b · dbias_stride, or null
  int64_t dbias_stride;
  Prefetch prefetch;
  ScratchFn scratch;
};

// The scores' own backward in sweep 2, when the op computed them from att [H, 2F]:
//   dwh[n,h,:] += ds_src[n,h] a_2[h,:] + ds_dst[n,h] a_1[h,:]   (ds_dst only for n < N_dst)
//   da_1[h,:] += Σ_n ds_dst[n,h] wh[n,h,:],  da_2[h,:] += Σ_n ds_src[n,h] wh[n,h,:]
// the sums per block of kNodeBlock sources into part[block] = [da_1 | da_2], added in block
// order afterwards, so they do not depend on the thread count.
template <class T>
struct ScoreBackward {
  const T* a1;      // [H, F]
  const T* a2;      // [H, F]
  const T* ds_dst;  // [N_dst, H], from sweep 1
  const T* wh;      // [N_src, H, F]
  T* part;          // block b's [2, H, F] at part + b · stride, or null when att needs no gradient
  int64_t stride;   // a whole number of cache lines (blocks run on different threads)
};

// Sweep 2 (over sources): ds_src and dwh, and the scores' backward.
template <class T>
struct AttentionSources {
  GraphArrays g;
  int64_t H, F;
  const T* pair;       // [E, 2H] from sweep 1
  const T* dout;       // [N_dst, H, F]
  T* ds_src;           // [N_src, H] or null
  bool ds_src_fresh;
  T* dwh;              // [N_src, H, F] or null
  bool dwh_fresh;
  const ScoreBackward<T>* scores;  // or null
  Prefetch prefetch;
  ScratchFn scratch;
};

template <class T>
struct Kernels {
  const char* isa;

  // ---- head_dot: s[n,h] = Σ_f w[n,h,f] a[h,f] for the rows [n0, n1) of w [N, H, F] ----
  void (*head_dot_rows)(const T* w, const T* a, int64_t H, int64_t F, T* s, int64_t n0, int64_t n1);
  // dw[n,h,:] += ds[n,h] · a[h,:] for n in [n0, n1)
  void (*head_dot_backward_rows)(const T* ds, const T* a, int64_t H, int64_t F, T* dw, int64_t n0, int64_t n1);
  // acc[h,:] += Σ_{n in [n0, n1), in order} ds[n,h] · w[n,h,:]
  void (*head_dot_backward_sum)(const T* ds, const T* w, int64_t H, int64_t F, T* acc, int64_t n0, int64_t n1);

  // ---- softmax over each destination's edges, in place on a [E, H]; nodes [i0, i1) ----
  void (*segment_softmax)(T* a, const int64_t* dst_ptr, int64_t H, int64_t i0, int64_t i1);
  // ds += y (g - Σ_seg y g) per destination segment
  void (*segment_softmax_backward)(const T* y, const T* g, T* ds, const int64_t* dst_ptr, int64_t H, int64_t i0,
                                   int64_t i1);

  // ---- out[v] (=, +=) Σ_{edges e of v, in segment order} m[e] (rows of D); nodes [v0, v1) ----
  void (*segment_sum)(const T* m, const SegmentsView& seg, int64_t D, bool accumulate, T* out, int64_t v0, int64_t v1,
                      ScratchFn scratch);

  // ---- aggregate: out[i,h,:] = Σ_{e -> i} alpha[e,h] wh[src(e),h,:]; destinations [i0, i1) ----
  void (*aggregate)(const T* alpha, const T* wh, const GraphArrays& g, int64_t H, int64_t F, T* out, int64_t i0,
                    int64_t i1);
  // dalpha[e,h] += <dout[i,h,:], wh[src(e),h,:]>
  void (*aggregate_backward_alpha)(const T* dout, const T* wh, const GraphArrays& g, int64_t H, int64_t F, T* dalpha,
                                   int64_t i0, int64_t i1, ScratchFn scratch);
  // dwh[j,h,:] += Σ_{e: j ->} alpha[e,h] dout[dst(e),h,:]; sources [j0, j1)
  void (*aggregate_backward_wh)(const T* alpha, const T* dout, const GraphArrays& g, int64_t H, int64_t F, T* dwh,
                                int64_t j0, int64_t j1, ScratchFn scratch);

  // ---- the fused attention (graph/gat_attention.hpp): forward and the two backward sweeps ----
  void (*attention_forward)(const AttentionForward<T>& args, int64_t i0, int64_t i1);
  void (*attention_targets)(const AttentionTargets<T>& args, int64_t i0, int64_t i1);
  void (*attention_sources)(const AttentionSources<T>& args, int64_t j0, int64_t j1);
  // ---- scores of node pairs (graph/pair_scores.hpp; graph/kernels/pair_rows.hpp) ----
  // y[k] = <h[src[k]], h[dst[k]]> for the pairs [k0, k1), h [N, D]
  void (*pair_dot_rows)(const T* h, int64_t D, const int32_t* src, const int32_t* dst, T* y, int64_t k0, int64_t k1);
  // dh[n,:] += Σ_{its endpoints e, in order} g_k ⊙ h[ends[e ^ 1],:], k = e / 2 (g [P] or, per
  // feature, [P, D]); the endpoints of node n are perm[ptr[n] .. ptr[n+1]); nodes [n0, n1)
  void (*pair_grad_rows)(const T* h, int64_t D, const int32_t* ends, const int64_t* ptr, const int32_t* perm,
                         const T* g, bool per_feature, T* dh, int64_t n0, int64_t n1);
};

// The table of the active level, or of level `isa`.
template <class T>
const Kernels<T>& table();
template <class T>
const Kernels<T>& table_of(kernels::Isa isa);

// The scratch of graph/kernels/table.cpp (per thread, per slot).
void* thread_scratch(int slot, size_t bytes);

// Elements from one block's partial sums to the next: at least n, a whole number of cache lines.
template <class T>
inline int64_t padded_to_lines(int64_t n) {
  constexpr int64_t per_line = 64 / static_cast<int64_t>(sizeof(T));
  return (n + per_line - 1) / per_line * per_line;
}

// Bytes of sign bits per edge.
inline int64_t sign_bytes(int64_t H) { return (H + 7) / 8; }

}  // namespace gatgrad::graph_kernels
