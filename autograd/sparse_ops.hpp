/// @file
/// Ops on a constant sparse matrix (input features that are mostly zeros, such as Cora's
/// bag-of-words, 98.7% zeros). Only the dense side carries a gradient.
///   N rows (nodes), F columns (input features), D output columns, nnz stored values.
#pragma once
#include <cstdint>
#include <memory>

#include "autograd/sparse.hpp"
#include "autograd/tensor.hpp"

namespace gatgrad {

/// A CSR matrix with its transpose built once, so that the weight gradient xᵀ·dY is an
/// owner-computes product (deterministic, no atomics). Cheap to copy (shared, immutable).
class SparseFeatures {
 public:
  SparseFeatures() = default;
  explicit SparseFeatures(CsrMatrix x);  ///< validates the CSR structure (throws DataError)

  int64_t rows() const { return x_ ? x_->rows : 0; }
  int64_t cols() const { return x_ ? x_->cols : 0; }
  int64_t nnz() const { return x_ ? x_->nnz() : 0; }
  bool defined() const { return x_ != nullptr; }
  const CsrMatrix& matrix() const { return *x_; }
  const CsrMatrix& transposed() const { return *xt_; }
  /// Position in matrix().values of each value of transposed() (to refresh values in O(nnz)).
  const std::vector<int64_t>& transpose_perm() const { return *perm_; }

 private:
  friend SparseFeatures sparse_dropout(const SparseFeatures& x, double p, uint64_t key);
  friend Tensor sparse_dropout_matmul(const SparseFeatures& x, double p, uint64_t key, const Tensor& w);
  struct DropoutCache;  // the matrices of the last sparse_dropout, reused once nobody holds them

  std::shared_ptr<const CsrMatrix> x_, xt_;
  std::shared_ptr<const std::vector<int64_t>> perm_;
  std::shared_ptr<DropoutCache> dropout_cache_;  // shared by the copies of these features
};

/// sparse_matmul: x [N, F] (constant) · w [F, D] -> y [N, D]
///   backward: dw += xᵀ · dy   (owner-computes over the rows of xᵀ)
Tensor sparse_matmul(const SparseFeatures& x, const Tensor& w);

/// sparse_dropout: drops each *stored* value with probability p and scales the rest by 1/(1-p).
/// A dropped zero stays zero, so this is dense dropout's distribution on a sparse matrix.
/// The mask of stored value k is the engine's dropout mask for element k of key `key`.
/// The result's matrices are those of the previous call on the same features when nothing holds
/// that result any more (a training loop's steady state allocates nothing); otherwise new ones.
SparseFeatures sparse_dropout(const SparseFeatures& x, double p, uint64_t key);

/// sparse_dropout_matmul: sparse_matmul(sparse_dropout(x, p, key), w), the same bits, with two
/// parallel regions forward instead of three: each block of rows drops its own stored values and
/// multiplies them at once (then x'ᵀ's values are gathered for the backward, as sparse_dropout
/// does). p = 0 is sparse_matmul(x, w).
///   forward:  x' = x ⊙ m / (1-p) on the stored values;  y [N, D] = x' · w
///   backward: dw += x'ᵀ · dy
Tensor sparse_dropout_matmul(const SparseFeatures& x, double p, uint64_t key, const Tensor& w);

/// x as a dense float32 tensor [N, F] (tests and small inputs).
Tensor sparse_to_dense(const SparseFeatures& x, DType dtype = DType::f32);

}  // namespace gatgrad
