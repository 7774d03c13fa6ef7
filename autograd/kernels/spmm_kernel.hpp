// Sparse (CSR) × dense rows: Y[r, :] (=, +=) Σ_{e in row r, CSR order} A.values[e] · B[A.indices[e], :]
// (see spmm.hpp). Row r's n columns go in blocks of four 16-lane Vecs, then one Vec at a time,
// the last partial one on its first lanes; every output element is the chain
// acc = fma(value, b, acc) from 0 over the row's entries, whatever the level or the block.
// Private to the units.
#pragma once
#include "autograd/kernels/simd/vec.hpp"
#include "autograd/kernels/table.hpp"

namespace gatgrad::GATGRAD_ISA_NS {

template <class T, int NB>
[[gnu::always_inline]] inline void spmm_columns(const kernels::CsrView& A, int64_t e0, int64_t e1, const T* B, int64_t n,
                                                int64_t j, int64_t width, T* y, bool accumulate) {
  using V = simd::Vec<T, 16>;
  V s[NB];
  for (int b = 0; b < NB; ++b) s[b] = V::zero();
  for (int64_t e = e0; e < e1; ++e) {
    const V v = V::splat(static_cast<T>(A.values[e]));
    const T* brow = B + static_cast<int64_t>(A.indices[e]) * n + j;
    for (int b = 0; b < NB; ++b)
      s[b] = simd::fma(v, width == 16 * NB ? V::load(brow + b * 16) : V::load_first(brow + b * 16, width - b * 16), s[b]);
  }
  for (int b = 0; b < NB; ++b) {
    const int64_t m = width - b * 16;
    if (accumulate) s[b] = s[b] + V::load_first(y + j + b * 16, m);
    s[b].store_first(y + j + b * 16, m);
  }
}

template <class T>
void spmm_rows(const kernels::SpmmArgs<T>& a, int64_t r0, int64_t r1) {
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t e0 = a.A.indptr[r], e1 = a.A.indptr[r + 1];
    T* y = a.Y + r * a.n;
    int64_t j = 0;
    for (; j + 64 <= a.n; j += 64) spmm_columns<T, 4>(a.A, e0, e1, a.B, a.n, j, 64, y, a.accumulate);
    for (; j < a.n; j += 16) {
      const int64_t width = a.n - j < 16 ? a.n - j : 16;
      spmm_columns<T, 1>(a.A, e0, e1, a.B, a.n, j, width, y, a.accumulate);
    }
  }
}

}  // namespace gatgrad::GATGRAD_ISA_NS
