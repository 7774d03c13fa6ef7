// Dense/CSR feature conversion and row normalisation. See features.hpp. The normalisation of a
// row is its equation in xtensor (once per dataset, at load time: no hot loop).
#include "graph/features.hpp"

#include <algorithm>
#include <array>

#include <xtensor/xadapt.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xtensor.hpp>

namespace gatgrad {

CsrMatrix dense_to_csr(std::span<const float> x, int64_t rows, int64_t cols) {
  CsrMatrix m;
  m.rows = rows;
  m.cols = cols;
  const int64_t nnz = std::count_if(x.begin(), x.end(), [](float v) { return v != 0.0f; });
  m.indptr.resize(static_cast<size_t>(rows + 1));
  m.indices.resize(static_cast<size_t>(nnz));
  m.values.resize(static_cast<size_t>(nnz));
  int64_t k = 0;
  for (int64_t r = 0; r < rows; ++r) {
    m.indptr[r] = k;
    const float* row = x.data() + r * cols;
    for (int64_t c = 0; c < cols; ++c) {
      if (row[c] == 0.0f) continue;
      m.indices[k] = static_cast<int32_t>(c);
      m.values[k++] = row[c];
    }
  }
  m.indptr[rows] = k;
  return m;
}

std::vector<float> csr_to_dense(const CsrMatrix& m) {
  std::vector<float> x(static_cast<size_t>(m.rows * m.cols), 0.0f);
  for (int64_t r = 0; r < m.rows; ++r)
    for (int64_t k = m.indptr[r]; k < m.indptr[r + 1]; ++k) x[r * m.cols + m.indices[k]] += m.values[k];
  return x;
}

double feature_density(const Dataset& d) {
  const double cells = static_cast<double>(d.num_nodes) * static_cast<double>(d.num_features);
  if (cells == 0) return 0.0;
  const int64_t nnz = d.x_is_sparse
                          ? d.x_sparse.nnz()
                          : std::count_if(d.dense_values().begin(), d.dense_values().end(), [](float v) { return v != 0.0f; });
  return static_cast<double>(nnz) / cells;
}

void set_feature_format(Dataset& d, double sparse_threshold) {
  const bool sparse = feature_density(d) <= sparse_threshold;
  if (sparse && !d.x_is_sparse) {
    d.x_sparse = dense_to_csr(d.dense_values(), d.num_nodes, d.num_features);
    d.x_dense = {};
    d.x_mapped = {};
  } else if (!sparse && d.x_is_sparse) {
    d.x_dense = csr_to_dense(d.x_sparse);
    d.x_sparse = {};
  }
  d.x_is_sparse = sparse;
}

void normalize_rows(Dataset& d) {
  // x_i <- x_i / max(Σ_j x_ij, 1) for one row's values: the sum in double, in column order, rounded
  // to float once; the quotient in float. A CSR row holds its nonzeros in column order, and a zero
  // adds nothing to a double sum, so both forms give the same floats.
  auto divide = [](float* values, int64_t n) {
    auto x_i = xt::adapt(values, static_cast<size_t>(n), xt::no_ownership(), std::array<size_t, 1>{static_cast<size_t>(n)});
    x_i /= static_cast<float>(std::max(xt::sum<double>(x_i)(), 1.0));
  };
  if (d.x_is_sparse) {
    CsrMatrix& m = d.x_sparse;
    for (int64_t r = 0; r < m.rows; ++r) divide(m.values.data() + m.indptr[r], m.indptr[r + 1] - m.indptr[r]);
  } else {
    if (d.x_mapped.defined()) {  // the values change: no longer the file's
      const std::span<const float> v = d.dense_values();
      d.x_dense.assign(v.begin(), v.end());
      d.x_mapped = {};
    }
    for (int64_t r = 0; r < d.num_nodes; ++r) divide(d.x_dense.data() + r * d.num_features, d.num_features);
  }
  d.features_normalized = true;
}

}  // namespace gatgrad
