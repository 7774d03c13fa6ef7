// The scores' backward of gat_attention's att form, shared by its sweep-2 kernels
// (graph/gat_attention.cpp and the kernels of one_head_kernels.hpp and full_batch_kernels.hpp).
#pragma once
#include <cstdint>

namespace gatgrad::graph_kernels {

// The scores' own backward, when the op computed them from att (the att form of gat_attention):
// with s_dst[n,h] = <wh[n,h,:], a_1[h,:]> and s_src[n,h] = <wh[n,h,:], a_2[h,:]>,
//   dwh[n,h,:] += ds_src[n,h] a_2[h,:] + ds_dst[n,h] a_1[h,:]
//   da_1[h,:] += Σ_n ds_dst[n,h] wh[n,h,:],   da_2[h,:] += Σ_n ds_src[n,h] wh[n,h,:]
// The sums over n run per block of kNodeBlock nodes into part[block] = [da_1 | da_2] (2·H·F),
// added in block order afterwards, so they do not depend on the thread count.
template <class T>
struct ScoreBackward {
  const T* a1;      // [H, F]
  const T* a2;      // [H, F]
  const T* ds_dst;  // [N, H], from sweep 1
  const T* wh;      // [N, H, F]
  T* part;          // block b's [2, H, F] at part + b * stride, or null when att needs no gradient
  int64_t stride;   // elements between blocks: 2·H·F rounded up to whole cache lines (the blocks
                    // run on different threads, and a shared line would bounce between them)
};

// Elements from one block's partial sums to the next: at least n, a whole number of cache lines.
template <class T>
inline int64_t padded_to_lines(int64_t n) {
  constexpr int64_t per_line = 64 / static_cast<int64_t>(sizeof(T));
  return (n + per_line - 1) / per_line * per_line;
}

}  // namespace gatgrad::graph_kernels
