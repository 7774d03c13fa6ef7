// matmul: C[M,N] = op(A)[M,K] · op(B)[K,N], op(X) = X or Xᵀ as stored (no copy for transposes).
// backward (dC = d loss / d C):
//   dA += dC · op(B)ᵀ   (written in A's stored layout: if A is stored transposed, dAᵀ = op(B) · dCᵀ)
//   dB += op(A)ᵀ · dC   (likewise: if B is stored transposed, dBᵀ = dCᵀ · op(A))
// Both go straight into the gradients (no temporary): beta = 1 adds to an existing gradient,
// beta = 0 overwrites a fresh one (grad_for_write), which saves its zero-fill.
#include "autograd/kernels/gemm.hpp"
#include "autograd/ops/common.hpp"

namespace gatgrad {
using namespace detail;

Tensor matmul(const Tensor& a, const Tensor& b, bool trans_a, bool trans_b) {
  check_same_dtype("matmul", a, b);
  if (a.dim() != 2 || b.dim() != 2)
    throw Error("matmul: expects 2-D inputs, got " + a.describe() + " and " + b.describe());
  const int64_t M = trans_a ? a.size(1) : a.size(0), K = trans_a ? a.size(0) : a.size(1);
  const int64_t Kb = trans_b ? b.size(1) : b.size(0), N = trans_b ? b.size(0) : b.size(1);
  if (K != Kb)
    throw Error("matmul: inner dimensions differ: " + a.describe() + (trans_a ? "ᵀ" : "") + " · " +
                b.describe() + (trans_b ? "ᵀ" : ""));
  const int64_t lda = a.size(1), ldb = b.size(1);
  Tensor c = Tensor::empty({M, N}, a.dtype());
  dispatch(a.dtype(), [&]<class T>() {
    kernels::gemm<T>(trans_a, trans_b, M, N, K, T(1), a.data<T>(), lda, b.data<T>(), ldb, T(0),
                     c.data<T>(), N);
  });
  if (any_requires_grad({&a, &b}))
    record("matmul", c, [a, b, trans_a, trans_b, M, N, K, lda, ldb](const Tensor& dc) {
      dispatch(a.dtype(), [&]<class T>() {
        const T* g = dc.data<T>();
        if (a.requires_grad()) {
          bool fresh;
          T* da = grad_for_write(a, fresh).template data<T>();
          const T beta = fresh ? T(0) : T(1);
          if (!trans_a)
            kernels::gemm<T>(false, !trans_b, M, K, N, T(1), g, N, b.data<T>(), ldb, beta, da, lda);
          else
            kernels::gemm<T>(trans_b, true, K, M, N, T(1), b.data<T>(), ldb, g, N, beta, da, lda);
        }
        if (b.requires_grad()) {
          bool fresh;
          T* db = grad_for_write(b, fresh).template data<T>();
          const T beta = fresh ? T(0) : T(1);
          if (!trans_b)
            kernels::gemm<T>(!trans_a, false, K, N, M, T(1), a.data<T>(), lda, g, N, beta, db, ldb);
          else
            kernels::gemm<T>(true, trans_a, N, K, M, T(1), g, N, a.data<T>(), lda, beta, db, ldb);
        }
      });
    });
  return c;
}

}  // namespace gatgrad
