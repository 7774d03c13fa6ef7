// gemm: checks the arguments, then runs the active level's kernel (autograd/kernels/gemm/, one
// copy per instruction-set unit) with oneTBB behind its parallel loops.
#include "autograd/kernels/gemm.hpp"

#include <algorithm>
#include <string>

#include "autograd/error.hpp"
#include "autograd/kernels/table.hpp"

namespace gatgrad::kernels {

template <class T>
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda, const T* B,
          int64_t ldb, T beta, T* C, int64_t ldc) {
  if (M < 0 || N < 0 || K < 0)
    throw Error("gemm: negative size M=" + std::to_string(M) + " N=" + std::to_string(N) + " K=" + std::to_string(K));
  if (M == 0 || N == 0) return;
  const int64_t min_lda = std::max<int64_t>(1, trans_a ? M : K);
  const int64_t min_ldb = std::max<int64_t>(1, trans_b ? K : N);
  if ((K > 0 && (lda < min_lda || ldb < min_ldb)) || ldc < N)
    throw Error("gemm: leading dimension too small (lda=" + std::to_string(lda) + " ldb=" + std::to_string(ldb) +
                " ldc=" + std::to_string(ldc) + ")");
  table<T>().gemm(GemmArgs<T>{trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc}, tbb_runner());
}

template void gemm<float>(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*, int64_t,
                          float, float*, int64_t);
template void gemm<double>(bool, bool, int64_t, int64_t, int64_t, double, const double*, int64_t, const double*,
                           int64_t, double, double*, int64_t);

}  // namespace gatgrad::kernels
