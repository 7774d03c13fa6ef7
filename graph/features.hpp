/// @file
/// Node-feature storage and preprocessing: dense <-> CSR conversion, the choice between them by
/// density, and PyG-style row normalisation. Both forms always hold the same values.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "autograd/sparse.hpp"
#include "graph/dataset.hpp"

namespace gatgrad {

/// x [rows, cols] row-major -> CSR of its nonzeros, columns ascending within each row.
CsrMatrix dense_to_csr(std::span<const float> x, int64_t rows, int64_t cols);

/// CSR -> row-major [rows, cols]; duplicate (row, column) entries are added.
std::vector<float> csr_to_dense(const CsrMatrix& m);

/// Fraction of stored nonzeros in d's features: nnz / (N * F) (0 for an empty matrix).
double feature_density(const Dataset& d);

/// Keeps or converts d's features to CSR when feature_density(d) <= sparse_threshold,
/// otherwise to dense. Exactly one of x_dense / x_sparse / x_mapped is filled afterwards (a
/// mapping stays when the features stay dense).
void set_feature_format(Dataset& d, double sparse_threshold);

/// x_i <- x_i / max(sum_j x_ij, 1), exactly x / x.sum(-1, keepdim=True).clamp(min=1) of old PyG
/// NormalizeFeatures (newer PyG first subtracts x.min(), a no-op for non-negative features).
/// Row sums are taken in double in column order, so dense and CSR give identical floats.
/// Sets d.features_normalized. Mapped features are copied into x_dense first.
void normalize_rows(Dataset& d);

}  // namespace gatgrad
