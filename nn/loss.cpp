#include "nn/loss.hpp"

#include "autograd/ops.hpp"
#include "nn/metrics.hpp"

namespace gatgrad::nn {

RowSubset::RowSubset(std::vector<int64_t> rows) : all_(false), rows_(std::move(rows)) {
  if (rows_.empty())
    throw Error("loss: the row subset is empty (use the default constructor to average over all rows)");
}

RowSubset RowSubset::from_mask(const std::vector<uint8_t>& mask) {
  std::vector<int64_t> rows = mask_to_rows(mask);
  if (rows.empty())
    throw Error("loss: the mask of " + std::to_string(mask.size()) + " rows selects no row");
  RowSubset s(std::move(rows));
  s.mask_size_ = static_cast<int64_t>(mask.size());
  return s;
}

void RowSubset::check_rows(const char* op, int64_t n) const {
  if (mask_size_ >= 0 && mask_size_ != n)
    throw Error(std::string(op) + ": the mask has " + std::to_string(mask_size_) + " rows but the logits have " +
                std::to_string(n));
}

Tensor CrossEntropyLoss::forward(const Tensor& logits, const std::vector<int64_t>& labels) const {
  if (logits.dim() >= 1) rows_.check_rows("CrossEntropyLoss", logits.size(0));
  return cross_entropy(logits, labels, rows_.rows());  // empty rows = all rows
}

Tensor BCEWithLogitsLoss::forward(const Tensor& logits, const Tensor& targets) const {
  if (logits.dim() >= 1) rows_.check_rows("BCEWithLogitsLoss", logits.size(0));
  return binary_cross_entropy_with_logits(logits, targets, rows_.rows());
}

}  // namespace gatgrad::nn
