// Sparse (CSR, constant) × dense kernels (no tape): the forward X·W of a layer whose input X is a
// sparse feature matrix, and the weight gradient Xᵀ·G through an explicit transpose of X.
//
// Dimension legend
//   A     the CSR matrix, rows × cols, nnz stored values (float, cast to T)
//   n     columns of the dense operands (row-major, row stride n)
//   B     dense [A.cols, n];  Y  dense [A.rows, n]
//   G     dense [A.rows, n];  dW dense [A.cols, n]  (the transposed product)
//
// Determinism: each output row is owned by one task and sums its row's stored values in CSR
// order, so results are bit-identical for any number of threads (no atomics, no split rows).
#pragma once
#include <cstdint>
#include <vector>

#include "autograd/sparse.hpp"

namespace gatgrad::kernels {

// Y[A.rows, n] = A · B[A.cols, n]     (accumulate: Y += A · B, the product summed first, then added)
// Parallel over rows of A (oneTBB), vectorised along n (xsimd).
template <class T>
void spmm(const CsrMatrix& A, const T* B, int64_t n, T* Y, bool accumulate);

// Aᵀ in CSR form, with the map back to A's stored values:
//   t[A.cols, A.rows];  t.values[k] = A.values[perm[k]]
// Within each row of t (a column of A) the entries are in increasing row-of-A order.
struct CsrTranspose {
  CsrMatrix t;
  std::vector<int64_t> perm;  // [nnz]
};

// Builds Aᵀ in O(nnz + rows + cols), deterministically (counting sort by column).
CsrTranspose csr_transpose(const CsrMatrix& A);

// After A's values changed (same structure, e.g. dropout on the stored non-zeros):
//   T.t.values[k] = A.values[T.perm[k]]  in O(nnz), without rebuilding the structure.
// Throws gatgrad::Error if A's nnz does not match T.
void csr_transpose_refresh_values(const CsrMatrix& A, CsrTranspose& T);

// The weight gradient dW[A.cols, n] (= or +=) Aᵀ · G[A.rows, n] is spmm(T.t, G, n, dW, accumulate).

}  // namespace gatgrad::kernels
