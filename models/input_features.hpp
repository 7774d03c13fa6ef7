/// @file
/// InputFeatures: node features as a layer receives them, dense [N, F] or sparse CSR [N, F].
/// The first GAT layer of a bag-of-words dataset takes them sparse (Cora is 98.7% zeros), so
/// dropout touches only the stored values and x·W is a sparse-dense product; hidden layers
/// receive dense tensors. Both convert implicitly, so `conv(x, g)` works with either.
#pragma once
#include <cstdint>
#include <span>

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

/// The first n rows of x [N, F] -> [n, F] (x itself when n == N): a block's x_dst, its
/// destinations being the first n of its sources. Dense: a slice (the gradient flows back into
/// x); sparse: the prefix of the CSR, so stored value k keeps its number and dropout its mask.
InputFeatures first_rows(const InputFeatures& x, int64_t n);

/// t [N, ...] -> its first n rows (t itself when n == N), with gradient.
Tensor first_rows(const Tensor& t, int64_t n);

/// Rows `ids` of x [N, F] -> [ids.size(), F], without gradient (the input rows of a mini-batch:
/// a block's src_global). Dense rows are copied from wherever x's data lives (a memory-mapped
/// x.npy too); sparse rows keep their stored values in order. Throws DataError for an id out of
/// [0, N), naming it.
InputFeatures gather_rows(const InputFeatures& x, std::span<const int32_t> ids);

/// out row r = table row index[r] (row_bytes each) for every r with index[r] >= 0; the other
/// rows of out are left as they are. Rows are copied in parallel blocks, each row's cache lines
/// prefetched a few rows ahead: a mini-batch's input rows are read at random from a table far
/// larger than the caches (a mapped x.npy of 4 KB pages too), and waiting for each row in turn
/// took twice as long (gather_rows, and a rank's own rows in dist::RankGraph::fetch_rows).
template <class Index>
void copy_rows(char* out, const char* table, size_t row_bytes, std::span<const Index> index);

}  // namespace gatgrad
