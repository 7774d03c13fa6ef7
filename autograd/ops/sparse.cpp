// Ops on constant sparse input features. Legend: x [N, F] CSR (no gradient), w [F, D],
// y [N, D], dy = d loss / d y.
//   sparse_matmul:  y = x · w                 backward: dw += xᵀ · dy (through the cached transpose)
//   sparse_dropout: x' = x ⊙ m / (1-p) on the stored values only (a dropped zero stays zero)
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

SparseFeatures sparse_dropout(const SparseFeatures& x, double p, uint64_t key) {
  if (!(p >= 0.0 && p < 1.0)) throw Error("sparse_dropout: probability " + std::to_string(p) + " is not in [0, 1)");
  if (p == 0.0 || !x.defined()) return x;
  // Features made by the constructor carry a cache: the previous result's matrices are reused
  // unless someone (a tape, a caller) still holds them. Others (results of sparse_dropout
  // itself) get new matrices each time.
  SparseFeatures::DropoutCache fresh;
  SparseFeatures::DropoutCache& cache = x.dropout_cache_ ? *x.dropout_cache_ : fresh;
  std::lock_guard<std::mutex> guard(cache.lock);
  if (!cache.x || cache.x.use_count() > 1 || cache.xt.use_count() > 1) {
    cache.x = std::make_shared<CsrMatrix>(x.matrix());
    cache.xt = std::make_shared<CsrMatrix>(x.transposed());
  }
  const std::vector<float>& in = x.matrix().values;
  float* out = cache.x->values.data();
  dropout_kernel<float>(kernels::dropout_rule(p, key), in.data(), out, x.nnz());  // dropout()'s mask, on stored values
  float* out_t = cache.xt->values.data();
  const int64_t* perm = x.transpose_perm().data();
  parallel_blocks(x.nnz(), kBlock, [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k) out_t[k] = out[perm[k]];
  });
  SparseFeatures result;
  result.x_ = cache.x;
  result.xt_ = cache.xt;
  result.perm_ = x.perm_;
  return result;
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
