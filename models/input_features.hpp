/// @file
/// InputFeatures: node features as a layer receives them, dense [N, F] or sparse CSR [N, F].
/// The first GAT layer of a bag-of-words dataset takes them sparse (Cora is 98.7% zeros), so
/// dropout touches only the stored values and x·W is a sparse-dense product; hidden layers
/// receive dense tensors. Both convert implicitly, so `conv(x, g)` works with either.
#pragma once
#include <cstdint>

#include "autograd/sparse_ops.hpp"
#include "autograd/tensor.hpp"

namespace gatgrad {

struct InputFeatures {
  Tensor dense;            ///< [N, F], when not sparse
  SparseFeatures sparse;   ///< when sparse

  InputFeatures() = default;
  InputFeatures(Tensor x) : dense(std::move(x)) {}             ///< NOLINT: implicit on purpose
  InputFeatures(SparseFeatures x) : sparse(std::move(x)) {}    ///< NOLINT: implicit on purpose

  bool is_sparse() const { return sparse.defined(); }
  int64_t rows() const { return is_sparse() ? sparse.rows() : dense.size(0); }
  int64_t cols() const { return is_sparse() ? sparse.cols() : dense.size(1); }
};

/// dropout(x, p) · w on whichever form x has:  x [N, F], w [F, D] -> [N, D].
/// p = 0 skips the dropout; key keys the counter-based mask (autograd/random.hpp).
Tensor dropout_matmul(const InputFeatures& x, const Tensor& w, double p, uint64_t key);

}  // namespace gatgrad
