// The kernels of the composed message-passing ops (graph/message_passing.hpp): head_dot,
// segment_softmax, segment sums and aggregate, each over a block of nodes. They share their
// arithmetic with the fused attention (dot.hpp, segment_softmax.hpp, weighted_sum.hpp), so the
// composed layer and the fused op agree to the last bit. Private to the units.
#pragma once
#include "graph/kernels/dot.hpp"
#include "graph/kernels/segment_softmax.hpp"
#include "graph/kernels/weighted_sum.hpp"

namespace gatgrad::GATGRAD_ISA_NS::graph {

template <class T>
void head_dot_rows(const T* w, const T* a, int64_t H, int64_t F, T* s, int64_t n0, int64_t n1) {
  dot_heads_rows(w, a, H, F, s, n0, n1);
}

template <class T>
void head_dot_backward_rows(const T* ds, const T* a, int64_t H, int64_t F, T* dw, int64_t n0, int64_t n1) {
  for (int64_t n = n0; n < n1; ++n) axpy_heads(dw + n * H * F, ds + n * H, a, H, F);
}

template <class T>
void head_dot_backward_sum(const T* ds, const T* w, int64_t H, int64_t F, T* acc, int64_t n0, int64_t n1) {
  for (int64_t n = n0; n < n1; ++n) axpy_heads(acc, ds + n * H, w + n * H * F, H, F);
}

template <class T>
void segment_softmax(T* a, const int64_t* ptr, int64_t H, int64_t i0, int64_t i1) {
  for (int64_t i = i0; i < i1; ++i) softmax_rows(a + ptr[i] * H, ptr[i + 1] - ptr[i], H);
}

template <class T>
void segment_softmax_backward(const T* y, const T* g, T* ds, const int64_t* ptr, int64_t H, int64_t i0, int64_t i1) {
  for (int64_t i = i0; i < i1; ++i) {
    const int64_t off = ptr[i] * H;
    softmax_backward_rows<true>(y + off, g + off, ds + off, ptr[i + 1] - ptr[i], H);
  }
}

// out[v, :] = Σ_{edges e of v} m[e, :] (each sum in segment order from 0), or out[v, :] += that
// sum when accumulating (the sum is formed first, then added).
template <class T>
void segment_sum(const T* m, const gk::SegmentsView& s, int64_t D, bool accumulate, T* out, int64_t v0, int64_t v1,
                 gk::ScratchFn scratch) {
  T* sum = accumulate ? scratch_of<T>(scratch, 0, D) : nullptr;
  for (int64_t v = v0; v < v1; ++v) {
    if (accumulate && s.ptr[v] == s.ptr[v + 1]) continue;
    T* row = accumulate ? sum : out + v * D;
    zero_row(row, D);
    for (int64_t p = s.ptr[v]; p < s.ptr[v + 1]; ++p) add_row(row, m + static_cast<int64_t>(s.perm ? s.perm[p] : p) * D, D);
    if (accumulate) add_row(out + v * D, row, D);
  }
}

template <class T>
void aggregate(const T* alpha, const T* wh, const gk::GraphArrays& g, int64_t H, int64_t F, T* out, int64_t i0, int64_t i1) {
  for (int64_t i = i0; i < i1; ++i)
    weighted_sum_rows(out + i * H * F, alpha + g.dst_ptr[i] * H, H, g.src + g.dst_ptr[i], g.dst_ptr[i + 1] - g.dst_ptr[i], wh,
                      wh + g.num_src * H * F, H, F);
}

template <class T>
void aggregate_backward_alpha(const T* dout, const T* wh, const gk::GraphArrays& g, int64_t H, int64_t F, T* dalpha,
                              int64_t i0, int64_t i1, gk::ScratchFn scratch) {
  T* dot = scratch_of<T>(scratch, 0, H);
  for (int64_t i = i0; i < i1; ++i)
    for (int64_t e = g.dst_ptr[i]; e < g.dst_ptr[i + 1]; ++e) {
      dot_heads(dout + i * H * F, wh + int64_t{g.src[e]} * H * F, H, F, dot);
      add_row(dalpha + e * H, dot, H);
    }
}

template <class T>
void aggregate_backward_wh(const T* alpha, const T* dout, const gk::GraphArrays& g, int64_t H, int64_t F, T* dwh, int64_t j0,
                           int64_t j1, gk::ScratchFn scratch) {
  const int64_t HF = H * F;
  T* acc = scratch_of<T>(scratch, 0, HF);
  for (int64_t j = j0; j < j1; ++j) {
    const int64_t b = g.src_ptr[j], deg = g.src_ptr[j + 1] - b;
    if (deg == 0) continue;
    T* c = scratch_of<T>(scratch, 1, deg * H);  // alpha of each edge leaving j, gathered
    for (int64_t r = 0; r < deg; ++r) copy_row(c + r * H, alpha + int64_t{g.src_perm[b + r]} * H, H);
    weighted_sum_rows(acc, c, H, g.src_grouped_dst + b, deg, dout, dout + g.num_dst * HF, H, F);
    add_row(dwh + j * HF, acc, HF);
  }
}

}  // namespace gatgrad::GATGRAD_ISA_NS::graph
