/// @file
/// Evaluation metrics on logits (no tape), over a subset of rows.
#pragma once
#include <cstdint>
#include <vector>

#include "autograd/tensor.hpp"

namespace gatgrad::nn {

/// The indices i with mask[i] != 0, in increasing order.
std::vector<int64_t> mask_to_rows(const std::vector<uint8_t>& mask);

/// Fraction of `rows` whose argmax over logits [N, C] (ties go to the first maximal class)
/// equals labels[row]. `rows` must be non-empty; the overload without rows uses all N rows.
double accuracy(const Tensor& logits, const std::vector<int64_t>& labels, const std::vector<int64_t>& rows);
double accuracy(const Tensor& logits, const std::vector<int64_t>& labels);

/// The decisions behind micro-F1 (logit > threshold against a 0/1 target), which add up over
/// parts of a set (an evaluation graph by graph): F1 = 2 TP / (2 TP + FP + FN), 0 when there is
/// no positive at all (as scikit-learn).
struct F1Counts {
  int64_t tp = 0, fp = 0, fn = 0;
  F1Counts& operator+=(const F1Counts& o) {
    tp += o.tp;
    fp += o.fp;
    fn += o.fn;
    return *this;
  }
  double f1() const;
};
/// The counts over `rows` (default: all N) of logits [N, C] against targets [N, C] of 0/1, threshold 0.
F1Counts f1_counts(const Tensor& logits, const Tensor& targets, const std::vector<int64_t>& rows);
F1Counts f1_counts(const Tensor& logits, const Tensor& targets);

/// Multi-label micro-averaged F1 over the |rows| * C decisions, a label predicted when its
/// logit > threshold (0 on logits = probability 0.5):
///   F1 = 2 TP / (2 TP + FP + FN), 0 when there is no positive at all (as scikit-learn).
/// targets: [N, C] of 0/1, as a tensor or as Dataset::y's flat row-major vector.
double micro_f1(const Tensor& logits, const Tensor& targets, const std::vector<int64_t>& rows, double threshold = 0.0);
double micro_f1(const Tensor& logits, const std::vector<int64_t>& targets, const std::vector<int64_t>& rows,
                double threshold = 0.0);
/// Over all N rows (inductive evaluation on whole test graphs), threshold 0.
double micro_f1(const Tensor& logits, const Tensor& targets);
double micro_f1(const Tensor& logits, const std::vector<int64_t>& targets);

}  // namespace gatgrad::nn
