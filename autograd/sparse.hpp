/// @file
/// CsrMatrix: a constant sparse matrix in compressed-sparse-row form (input features, mostly).
/// Row r holds columns indices[indptr[r] .. indptr[r+1]) with the matching values.
/// It carries no gradient: it is data, and the ops that use it differentiate only the dense side.
#pragma once
#include <cstdint>
#include <vector>

namespace gatgrad {

struct CsrMatrix {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<int64_t> indptr;   ///< [rows + 1], indptr[0] = 0, non-decreasing
  std::vector<int32_t> indices;  ///< [nnz] column of each stored value, in [0, cols)
  std::vector<float> values;     ///< [nnz]

  int64_t nnz() const { return static_cast<int64_t>(values.size()); }
};

}  // namespace gatgrad
