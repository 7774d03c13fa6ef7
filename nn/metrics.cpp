#include "nn/metrics.hpp"

namespace gatgrad::nn {

namespace {

std::vector<int64_t> all_rows(int64_t n) {
  std::vector<int64_t> rows(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) rows[static_cast<size_t>(i)] = i;
  return rows;
}

// Logits must be [N, C] with C > 0, rows non-empty and in [0, N).
void check_logits_rows(const char* op, const Tensor& logits, const std::vector<int64_t>& rows) {
  if (logits.dim() != 2 || logits.size(1) == 0)
    throw Error(std::string(op) + ": logits must be [N, C] with C > 0, got " + logits.describe());
  if (rows.empty()) throw Error(std::string(op) + ": no rows to evaluate");
  const int64_t n = logits.size(0);
  for (size_t k = 0; k < rows.size(); ++k)
    if (rows[k] < 0 || rows[k] >= n)
      throw Error(std::string(op) + ": row " + std::to_string(rows[k]) + " (position " + std::to_string(k) +
                  ") is out of range for " + std::to_string(n) + " rows");
}

using Counts = F1Counts;

template <class Target>
Counts count_decisions(const Tensor& logits, const std::vector<int64_t>& rows, double threshold, Target target) {
  const int64_t c = logits.size(1);
  Counts k;
  dispatch(logits.dtype(), [&]<class T>() {
    const T* z = logits.data<T>();
    for (int64_t r : rows)
      for (int64_t j = 0; j < c; ++j) {
        const bool pred = static_cast<double>(z[r * c + j]) > threshold;
        const bool truth = target(r * c + j);
        k.tp += pred && truth;
        k.fp += pred && !truth;
        k.fn += !pred && truth;
      }
  });
  return k;
}

[[noreturn]] void bad_target(int64_t index, double value) {
  throw Error("micro_f1: target element " + std::to_string(index) + " = " + std::to_string(value) + " is not 0 or 1");
}

// TP, FP, FN of (logit > threshold) against targets [N, C] of 0/1 over the rows.
Counts counts_of(const Tensor& logits, const Tensor& targets, const std::vector<int64_t>& rows, double threshold) {
  check_logits_rows("micro_f1", logits, rows);
  if (targets.shape() != logits.shape())
    throw Error("micro_f1: targets " + targets.describe() + " do not match logits " + logits.describe());
  return dispatch(targets.dtype(), [&]<class T>() {
    const T* t = targets.data<T>();
    return count_decisions(logits, rows, threshold, [t](int64_t k) {
      if (t[k] != T(0) && t[k] != T(1)) bad_target(k, static_cast<double>(t[k]));
      return t[k] == T(1);
    });
  });
}

}  // namespace

std::vector<int64_t> mask_to_rows(const std::vector<uint8_t>& mask) {
  std::vector<int64_t> rows;
  for (size_t i = 0; i < mask.size(); ++i)
    if (mask[i]) rows.push_back(static_cast<int64_t>(i));
  return rows;
}

double accuracy(const Tensor& logits, const std::vector<int64_t>& labels, const std::vector<int64_t>& rows) {
  check_logits_rows("accuracy", logits, rows);
  const int64_t n = logits.size(0), c = logits.size(1);
  if (static_cast<int64_t>(labels.size()) != n)
    throw Error("accuracy: " + std::to_string(labels.size()) + " labels for logits " + logits.describe());
  int64_t correct = 0;
  dispatch(logits.dtype(), [&]<class T>() {
    const T* z = logits.data<T>();
    for (int64_t r : rows) {
      const int64_t label = labels[static_cast<size_t>(r)];
      if (label < 0 || label >= c)
        throw Error("accuracy: label " + std::to_string(label) + " of row " + std::to_string(r) + " is not in [0, " +
                    std::to_string(c) + ")");
      const T* zr = z + r * c;
      int64_t best = 0;
      for (int64_t j = 1; j < c; ++j)
        if (zr[j] > zr[best]) best = j;  // strict: ties keep the first
      correct += best == label;
    }
  });
  return static_cast<double>(correct) / static_cast<double>(rows.size());
}

double accuracy(const Tensor& logits, const std::vector<int64_t>& labels) {
  if (logits.dim() != 2) throw Error("accuracy: logits must be [N, C], got " + logits.describe());
  return accuracy(logits, labels, all_rows(logits.size(0)));
}

double F1Counts::f1() const {
  const int64_t denom = 2 * tp + fp + fn;
  return denom == 0 ? 0.0 : 2.0 * static_cast<double>(tp) / static_cast<double>(denom);
}

F1Counts f1_counts(const Tensor& logits, const Tensor& targets, const std::vector<int64_t>& rows) {
  return counts_of(logits, targets, rows, 0.0);
}

F1Counts f1_counts(const Tensor& logits, const Tensor& targets) {
  if (logits.dim() != 2) throw Error("micro_f1: logits must be [N, C], got " + logits.describe());
  return counts_of(logits, targets, all_rows(logits.size(0)), 0.0);
}

double micro_f1(const Tensor& logits, const Tensor& targets, const std::vector<int64_t>& rows, double threshold) {
  return counts_of(logits, targets, rows, threshold).f1();
}

double micro_f1(const Tensor& logits, const std::vector<int64_t>& targets, const std::vector<int64_t>& rows,
                double threshold) {
  check_logits_rows("micro_f1", logits, rows);
  if (static_cast<int64_t>(targets.size()) != logits.numel())
    throw Error("micro_f1: " + std::to_string(targets.size()) + " targets for logits " + logits.describe() +
                " (expected N * C, row-major)");
  return count_decisions(logits, rows, threshold, [&](int64_t k) {
    const int64_t v = targets[static_cast<size_t>(k)];
    if (v != 0 && v != 1) bad_target(k, static_cast<double>(v));
    return v == 1;
  }).f1();
}

double micro_f1(const Tensor& logits, const Tensor& targets) {
  if (logits.dim() != 2) throw Error("micro_f1: logits must be [N, C], got " + logits.describe());
  return micro_f1(logits, targets, all_rows(logits.size(0)));
}

double micro_f1(const Tensor& logits, const std::vector<int64_t>& targets) {
  if (logits.dim() != 2) throw Error("micro_f1: logits must be [N, C], got " + logits.describe());
  return micro_f1(logits, targets, all_rows(logits.size(0)));
}

}  // namespace gatgrad::nn
