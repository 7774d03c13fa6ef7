/// @file
/// Losses over a subset of rows, mean reduction, returning a scalar [] on the tape. They wrap
/// the engine's fused ops (autograd/ops/loss.cpp); what they add is the row subset kept with
/// the loss (transductive training averages over the train nodes only) and its checks.
///
///   nn::CrossEntropyLoss loss = nn::CrossEntropyLoss::from_mask(data.train_mask);
///   Tensor l = loss(logits, data.y);  // 1/|train| Σ_{r in train} -log softmax(z_r)[y_r]
#pragma once
#include <cstdint>
#include <vector>

#include "autograd/tensor.hpp"

namespace gatgrad::nn {

/// Which rows a loss averages over: all of them, an explicit list, or the set rows of a mask.
class RowSubset {
 public:
  RowSubset() = default;                          ///< all rows
  explicit RowSubset(std::vector<int64_t> rows);  ///< these rows (must be non-empty)
  static RowSubset from_mask(const std::vector<uint8_t>& mask);  ///< rows where mask != 0 (>= 1)

  bool all() const { return all_; }
  const std::vector<int64_t>& rows() const { return rows_; }  ///< empty when all()
  /// Throws Error naming `op` when a mask of a different length was given for n rows.
  void check_rows(const char* op, int64_t n) const;

 private:
  bool all_ = true;
  std::vector<int64_t> rows_;
  int64_t mask_size_ = -1;  ///< length of the mask it came from, -1 otherwise
};

/// Softmax cross entropy: logits [N, C], labels [N] class ids in [0, C) (only the chosen rows'
/// labels are read, so unlabelled rows may hold anything).
class CrossEntropyLoss {
 public:
  CrossEntropyLoss() = default;
  explicit CrossEntropyLoss(std::vector<int64_t> rows) : rows_(std::move(rows)) {}
  explicit CrossEntropyLoss(RowSubset rows) : rows_(std::move(rows)) {}
  static CrossEntropyLoss from_mask(const std::vector<uint8_t>& mask) { return CrossEntropyLoss(RowSubset::from_mask(mask)); }

  Tensor forward(const Tensor& logits, const std::vector<int64_t>& labels) const;
  Tensor operator()(const Tensor& logits, const std::vector<int64_t>& labels) const { return forward(logits, labels); }
  const RowSubset& rows() const { return rows_; }

 private:
  RowSubset rows_;
};

/// Sigmoid binary cross entropy for multi-label targets: logits and targets [N, C] (same dtype,
/// targets in [0, 1]); the mean over the |rows| * C elements.
class BCEWithLogitsLoss {
 public:
  BCEWithLogitsLoss() = default;
  explicit BCEWithLogitsLoss(std::vector<int64_t> rows) : rows_(std::move(rows)) {}
  explicit BCEWithLogitsLoss(RowSubset rows) : rows_(std::move(rows)) {}
  static BCEWithLogitsLoss from_mask(const std::vector<uint8_t>& mask) { return BCEWithLogitsLoss(RowSubset::from_mask(mask)); }

  Tensor forward(const Tensor& logits, const Tensor& targets) const;
  Tensor operator()(const Tensor& logits, const Tensor& targets) const { return forward(logits, targets); }
  const RowSubset& rows() const { return rows_; }

 private:
  RowSubset rows_;
};

}  // namespace gatgrad::nn
