// Ops on constant sparse input features. Legend: x [N, F] CSR (no gradient), w [F, D],
// y [N, D], dy = d loss / d y.
//   sparse_matmul:  y = x · w                 backward: dw += xᵀ · dy (through the cached transpose)
//   sparse_dropout: x' = x ⊙ m / (1-p) on the stored values only (a dropped zero stays zero)
//   sparse_dropout_matmul: y = x' · w            backward: dw += x'ᵀ · dy (x' made and used per block of rows)
#include <algorithm>
#include <mutex>

#include "autograd/kernels/spmm.hpp"
#include "autograd/ops/common.hpp"
#include "autograd/sparse_ops.hpp"

namespace gatgrad {
using namespace detail;

struct SparseFeatures::DropoutCache {
  std::mutex lock;
  std::shared_ptr<CsrMatrix> x, xt;  // copies of the structure; their values are overwritten
};

SparseFeatures::SparseFeatures(CsrMatrix x) {
  const int64_t rows = x.rows, cols = x.cols, nnz = x.nnz();
  if (rows < 0 || cols < 0 || static_cast<int64_t>(x.indptr.size()) != rows + 1 || x.indptr[0] != 0 ||
      x.indptr[static_cast<size_t>(rows)] != nnz || static_cast<int64_t>(x.indices.size()) != nnz)
    throw DataError("SparseFeatures: inconsistent CSR structure (indptr must have rows+1 entries from 0 to nnz)");
  for (int64_t r = 0; r < rows; ++r)
    if (x.indptr[static_cast<size_t>(r + 1)] < x.indptr[static_cast<size_t>(r)])
      throw DataError("SparseFeatures: indptr decreases at row " + std::to_string(r));
  for (int64_t k = 0; k < nnz; ++k)
    if (x.indices[static_cast<size_t>(k)] < 0 || x.indices[static_cast<size_t>(k)] >= cols)
      throw DataError("SparseFeatures: column index " + std::to_string(x.indices[static_cast<size_t>(k)]) +
                      " of stored value " + std::to_string(k) + " is out of range for " + std::to_string(cols) +
                      " columns");
  kernels::CsrTranspose t = kernels::csr_transpose(x);
  x_ = std::make_shared<const CsrMatrix>(std::move(x));
  xt_ = std::make_shared<const CsrMatrix>(std::move(t.t));
  perm_ = std::make_shared<const std::vector<int64_t>>(std::move(t.perm));
  dropout_cache_ = std::make_shared<DropoutCache>();
}

Tensor sparse_matmul(const SparseFeatures& x, const Tensor& w) {
  if (w.dim() != 2 || w.size(0) != x.cols())
    throw Error("sparse_matmul: sparse [" + std::to_string(x.rows()) + ", " + std::to_string(x.cols()) +
                "] · " + w.describe() + ": inner dimensions differ");
  const int64_t d = w.size(1);
  Tensor y = Tensor::empty({x.rows(), d}, w.dtype());
  dispatch(w.dtype(), [&]<class T>() { kernels::spmm<T>(x.matrix(), w.data<T>(), d, y.data<T>(), false); });
  if (any_requires_grad({&w}))
    record("sparse_matmul", y, [x, w, d](const Tensor& dy) {
      dispatch(w.dtype(), [&]<class T>() {
        bool fresh;
        T* dw = grad_for_write(w, fresh).template data<T>();
        kernels::spmm<T>(x.transposed(), dy.data<T>(), d, dw, /*accumulate=*/!fresh);
      });
    });
  return y;
}

namespace {

// Features made by the constructor carry a cache (copy, copy_t): the previous dropout's matrices
// are reused unless someone (a tape, a caller) still holds them. Others (results of
// sparse_dropout itself) get new matrices each time. Called with the cache's lock held.
void ready_matrices(std::shared_ptr<CsrMatrix>& copy, std::shared_ptr<CsrMatrix>& copy_t, const CsrMatrix& x,
                    const CsrMatrix& xt) {
  if (!copy || copy.use_count() > 1 || copy_t.use_count() > 1) {
    copy = std::make_shared<CsrMatrix>(x);
    copy_t = std::make_shared<CsrMatrix>(xt);
  }
}

// Rows of A per parallel task of the fused forward, at least: about 2^14 multiply-adds at A's
// average row length. Each row's arithmetic is the same under any cut, so the cut is free.
int64_t row_grain(const CsrMatrix& A, int64_t n) {
  const int64_t per_row = std::max<int64_t>(1, (A.nnz() + A.rows) * n / std::max<int64_t>(A.rows, 1));
  return std::max<int64_t>(1, (int64_t{1} << 14) / per_row);
}

// x'ᵀ's stored values from x''s: value k of the transpose is value perm[k] of the matrix.
void transpose_values(const CsrMatrix& dropped, CsrMatrix& dropped_t, const std::vector<int64_t>& perm) {
  const float* out = dropped.values.data();
  float* out_t = dropped_t.values.data();
  const int64_t* at = perm.data();
  parallel_blocks(static_cast<int64_t>(perm.size()), kBlock, [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k) out_t[k] = out[at[k]];
  });
}

kernels::CsrView view(const CsrMatrix& A) {
  return kernels::CsrView{A.rows, A.cols, A.indptr.data(), A.indices.data(), A.values.data()};
}

}  // namespace

SparseFeatures sparse_dropout(const SparseFeatures& x, double p, uint64_t key) {
  if (!(p >= 0.0 && p < 1.0)) throw Error("sparse_dropout: probability " + std::to_string(p) + " is not in [0, 1)");
  if (p == 0.0 || !x.defined()) return x;
  SparseFeatures::DropoutCache fresh;
  SparseFeatures::DropoutCache& cache = x.dropout_cache_ ? *x.dropout_cache_ : fresh;
  std::lock_guard<std::mutex> guard(cache.lock);
  ready_matrices(cache.x, cache.xt, x.matrix(), x.transposed());
  const std::vector<float>& in = x.matrix().values;
  float* out = cache.x->values.data();
  dropout_kernel<float>(kernels::dropout_rule(p, key), in.data(), out, x.nnz());  // dropout()'s mask, on stored values
  transpose_values(*cache.x, *cache.xt, x.transpose_perm());
  SparseFeatures result;
  result.x_ = cache.x;
  result.xt_ = cache.xt;
  result.perm_ = x.perm_;
  return result;
}

Tensor sparse_dropout_matmul(const SparseFeatures& x, double p, uint64_t key, const Tensor& w) {
  if (!(p >= 0.0 && p < 1.0))
    throw Error("sparse_dropout_matmul: probability " + std::to_string(p) + " is not in [0, 1)");
  if (p == 0.0 || !x.defined()) return sparse_matmul(x, w);
  if (w.dim() != 2 || w.size(0) != x.cols())
    throw Error("sparse_dropout_matmul: sparse [" + std::to_string(x.rows()) + ", " + std::to_string(x.cols()) +
                "] · " + w.describe() + ": inner dimensions differ");
  const int64_t d = w.size(1);
  SparseFeatures::DropoutCache fresh;
  SparseFeatures::DropoutCache& cache = x.dropout_cache_ ? *x.dropout_cache_ : fresh;
  std::unique_lock<std::mutex> guard(cache.lock);
  ready_matrices(cache.x, cache.xt, x.matrix(), x.transposed());
  // x' and x'ᵀ: the tape's closure holds them, so no later call writes into them before backward
  const std::shared_ptr<CsrMatrix> dropped = cache.x, dropped_t = cache.xt;
  const kernels::DropoutRule rule = kernels::dropout_rule(p, key);
  Tensor y = Tensor::empty({x.rows(), d}, w.dtype());
  dispatch(w.dtype(), [&]<class T>() {
    const auto drop = kernels::table<float>().dropout;  // dropout()'s mask on stored value k: element k's
    const auto rows = kernels::table<T>().spmm_rows;
    const float* in = x.matrix().values.data();
    float* out = dropped->values.data();
    const int64_t* ptr = dropped->indptr.data();
    const kernels::SpmmArgs<T> args{view(*dropped), w.data<T>(), d, y.data<T>(), false};
    parallel_range(x.rows(), row_grain(*dropped, d), [&](int64_t r0, int64_t r1) {
      drop(rule, ptr[r0], in + ptr[r0], out + ptr[r0], ptr[r1] - ptr[r0]);  // rows r0..r1's values
      rows(args, r0, r1);                                                  // y[r0..r1) = x'[r0..r1) · w
    });
  });
  // x'ᵀ's values for the backward, gathered now while x' is in cache (in the backward they would
  // be 49k reads from memory on Cora, after the rest of the epoch evicted x')
  transpose_values(*dropped, *dropped_t, x.transpose_perm());
  guard.unlock();
  if (any_requires_grad({&w}))
    record("sparse_dropout_matmul", y, [dropped, dropped_t, w, d](const Tensor& dy) {
      dispatch(w.dtype(), [&]<class T>() {
        bool fresh_grad;
        T* dw = grad_for_write(w, fresh_grad).template data<T>();
        kernels::spmm<T>(*dropped_t, dy.data<T>(), d, dw, /*accumulate=*/!fresh_grad);  // dw (+)= x'ᵀ · dy
      });
    });
  return y;
}

Tensor sparse_to_dense(const SparseFeatures& x, DType dtype) {
  Tensor t = Tensor::zeros({x.rows(), x.cols()}, dtype);
  const CsrMatrix& m = x.matrix();
  dispatch(dtype, [&]<class T>() {
    T* p = t.data<T>();
    for (int64_t r = 0; r < m.rows; ++r)
      for (int64_t k = m.indptr[static_cast<size_t>(r)]; k < m.indptr[static_cast<size_t>(r + 1)]; ++k)
        p[r * m.cols + m.indices[static_cast<size_t>(k)]] = static_cast<T>(m.values[static_cast<size_t>(k)]);
  });
  return t;
}

}  // namespace gatgrad
