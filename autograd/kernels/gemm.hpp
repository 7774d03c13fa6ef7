// Dense matrix multiply kernels (no tape): cache-blocked, register-tiled, xsimd-vectorised,
// parallel over output tiles with oneTBB. Each element of C is computed by exactly one task
// with a fixed order over K, so results are bit-identical for any number of threads.
#pragma once
#include <cstdint>

namespace gatgrad::kernels {

// C[M,N] = alpha * op(A)[M,K] · op(B)[K,N] + beta * C[M,N], all row-major.
//   op(A) = A  when !trans_a: A is stored M×K with row stride lda (lda >= K)
//   op(A) = Aᵀ when  trans_a: A is stored K×M with row stride lda (lda >= M)
//   op(B) likewise with ldb; C has row stride ldc (ldc >= N).
// beta == 0 overwrites C without reading it (C may hold garbage or NaN).
template <class T>
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
          int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc);

}  // namespace gatgrad::kernels
