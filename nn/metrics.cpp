// Evaluation metrics (nn/metrics.hpp), each written as its formula in xtensor over views of the
// logits: ŷ = argmax, TP = Σ pred ∧ truth, ... Evaluation runs them once per epoch on a few
// thousand rows, so they are no hot loop; xtensor's templates stay in this file (no header).
#include "nn/metrics.hpp"

#include <algorithm>

// GCC 12 at -O2 and above reports a false -Warray-bounds inside xtensor 0.24's xt::argmax
// (xsort.hpp's get_permutations inserting into a small vector): silenced in xtensor's lines only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Warray-bounds"
#include <xtensor/xadapt.hpp>
#include <xtensor/xbuilder.hpp>
#include <xtensor/xindex_view.hpp>
#include <xtensor/xsort.hpp>
#include <xtensor/xtensor.hpp>
#include <xtensor/xview.hpp>
#pragma GCC diagnostic pop

namespace gatgrad::nn {

namespace {

// The rows `rows` of a row-major matrix m [N, C], in the order of rows: [R, C], each row one
// contiguous copy (an xt::keep view is stepped element by element, several times slower, and an
// xt::row view per row costs more than the row's copy on a batch's few classes).
template <class T>
xt::xtensor<T, 2> at_rows(const T* m, int64_t c, const std::vector<int64_t>& rows) {
  xt::xtensor<T, 2> out = xt::empty<T>({rows.size(), static_cast<size_t>(c)});
  for (size_t k = 0; k < rows.size(); ++k) std::copy_n(m + rows[k] * c, c, out.data() + static_cast<int64_t>(k) * c);
  return out;
}

// The same of a tensor [N, C] holding T.
template <class T>
xt::xtensor<T, 2> at_rows(const Tensor& t, const std::vector<int64_t>& rows) {
  return at_rows(t.data<T>(), t.size(1), rows);
}

using Decisions = xt::xtensor<bool, 2>;  // [R, C]

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

// TP, FP, FN of predictions against targets, both [R, C]:
//   TP = Σ pred ∧ truth,  FP = Σ pred ∧ ¬truth,  FN = Σ ¬pred ∧ truth.
F1Counts count_decisions(const Decisions& pred, const Decisions& truth) {
  return {xt::sum<int64_t>(pred && truth)(), xt::sum<int64_t>(pred && !truth)(), xt::sum<int64_t>(!pred && truth)()};
}

// pred_rc = z_rc > threshold over the rows (the logit in double, whatever its dtype).
Decisions predictions(const Tensor& logits, const std::vector<int64_t>& rows, double threshold) {
  return dispatch(logits.dtype(), [&]<class T>() -> Decisions {
    return xt::cast<double>(at_rows<T>(logits, rows)) > threshold;
  });
}

// truth_rc = [t_rc = 1] for targets t [R, C] of 0/1 (the rows already taken); element (r, c) of
// t is element rows[r] * C + c of the whole targets, which an error names.
template <class T>
Decisions truths(const xt::xtensor<T, 2>& t, const std::vector<int64_t>& rows) {
  Decisions one = xt::equal(t, T(1));
  const auto bad = !one && xt::not_equal(t, T(0));
  if (xt::any(bad)) {
    const auto [r, c] = xt::argwhere(bad).front();
    throw Error("micro_f1: target element " + std::to_string(rows[r] * static_cast<int64_t>(t.shape(1)) + static_cast<int64_t>(c)) +
                " = " + std::to_string(static_cast<double>(t(r, c))) + " is not 0 or 1");
  }
  return one;
}

// The counts of (logit > threshold) against targets [N, C] of 0/1 over the rows.
F1Counts counts_of(const Tensor& logits, const Tensor& targets, const std::vector<int64_t>& rows, double threshold) {
  check_logits_rows("micro_f1", logits, rows);
  if (targets.shape() != logits.shape())
    throw Error("micro_f1: targets " + targets.describe() + " do not match logits " + logits.describe());
  const Decisions truth =
      dispatch(targets.dtype(), [&]<class T>() { return truths(at_rows<T>(targets, rows), rows); });
  return count_decisions(predictions(logits, rows, threshold), truth);
}

}  // namespace

std::vector<int64_t> mask_to_rows(const std::vector<uint8_t>& mask) {
  std::vector<int64_t> rows;
  for (size_t i = 0; i < mask.size(); ++i)
    if (mask[i]) rows.push_back(static_cast<int64_t>(i));
  return rows;
}

// accuracy = (1 / |rows|) Σ_{r in rows} [argmax_j z_rj = y_r], the argmax the first maximal
// class (xt::argmax keeps the first on a tie: it moves on a strictly greater value only).
double accuracy(const Tensor& logits, const std::vector<int64_t>& labels, const std::vector<int64_t>& rows) {
  check_logits_rows("accuracy", logits, rows);
  const int64_t n = logits.size(0), c = logits.size(1);
  if (static_cast<int64_t>(labels.size()) != n)
    throw Error("accuracy: " + std::to_string(labels.size()) + " labels for logits " + logits.describe());
  for (int64_t r : rows) {
    const int64_t label = labels[static_cast<size_t>(r)];
    if (label < 0 || label >= c)
      throw Error("accuracy: label " + std::to_string(label) + " of row " + std::to_string(r) + " is not in [0, " +
                  std::to_string(c) + ")");
  }
  const auto y = xt::index_view(xt::adapt(labels), rows);  // [R]
  const int64_t correct = dispatch(logits.dtype(), [&]<class T>() {
    const xt::xtensor<size_t, 1> predicted = xt::argmax(at_rows<T>(logits, rows), 1);  // [R]
    return xt::sum<int64_t>(xt::equal(xt::cast<int64_t>(predicted), y))();
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
  const Decisions truth = truths(at_rows(targets.data(), logits.size(1), rows), rows);
  return count_decisions(predictions(logits, rows, threshold), truth).f1();
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
