// Losses, fused with their softmax / sigmoid for stability. Legend: z logits [N,C], R the rows
// averaged over (all rows when none are given), dL = d loss / d L (a scalar).
//   cross_entropy:  L = 1/|R| Σ_{r∈R} -log softmax(z_r)[y_r] = 1/|R| Σ_r (lse(z_r) - z_r[y_r])
//     backward:     dz_r += dL/|R| (softmax(z_r) - onehot(y_r)) for r ∈ R
//   binary_cross_entropy_with_logits (t targets in [0,1]), over the n = |R|·C elements:
//     L = 1/n Σ max(z,0) - z t + log(1 + e^{-|z|})
//     backward:     dz += dL/n (σ(z) - t)
#include <cmath>

#include "autograd/ops/common.hpp"

namespace gatgrad {
using namespace detail;

namespace {

std::vector<int64_t> rows_or_all(const char* op, const std::vector<int64_t>& rows, int64_t n) {
  if (rows.empty()) {
    std::vector<int64_t> all(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) all[static_cast<size_t>(i)] = i;
    return all;
  }
  for (size_t k = 0; k < rows.size(); ++k)
    if (rows[k] < 0 || rows[k] >= n)
      throw Error(std::string(op) + ": row " + std::to_string(rows[k]) + " (position " +
                  std::to_string(k) + ") is out of range for " + std::to_string(n) + " rows");
  return rows;
}

}  // namespace

Tensor cross_entropy(const Tensor& logits, const std::vector<int64_t>& labels,
                     const std::vector<int64_t>& rows_in) {
  if (logits.dim() != 2 || logits.size(1) == 0)
    throw Error("cross_entropy: logits must be [N, C] with C > 0, got " + logits.describe());
  const int64_t n = logits.size(0), c = logits.size(1);
  if (static_cast<int64_t>(labels.size()) != n)
    throw Error("cross_entropy: " + std::to_string(labels.size()) + " labels for logits " + logits.describe());
  std::vector<int64_t> rows = rows_or_all("cross_entropy", rows_in, n);
  if (rows.empty()) throw Error("cross_entropy: no rows to average over");
  for (int64_t r : rows)
    if (labels[static_cast<size_t>(r)] < 0 || labels[static_cast<size_t>(r)] >= c)
      throw Error("cross_entropy: label " + std::to_string(labels[static_cast<size_t>(r)]) + " of row " +
                  std::to_string(r) + " is not in [0, " + std::to_string(c) + ")");
  Tensor loss = Tensor::empty({}, logits.dtype());
  dispatch(logits.dtype(), [&]<class T>() {
    const kernels::LossRows<T> lr{logits.data<T>(), c, rows.data(), static_cast<int64_t>(rows.size()), labels.data(), nullptr};
    const double total = kernels::table<T>().cross_entropy(lr);  // rows in order: deterministic
    loss.data<T>()[0] = static_cast<T>(total / static_cast<double>(rows.size()));
  });
  if (any_requires_grad({&logits}))
    record("cross_entropy", loss, [logits, labels, rows, c](const Tensor& dl) {
      dispatch(logits.dtype(), [&]<class T>() {
        const T scale = static_cast<T>(dl.item() / static_cast<double>(rows.size()));
        const kernels::LossRows<T> lr{logits.data<T>(), c, rows.data(), static_cast<int64_t>(rows.size()), labels.data(),
                                      nullptr};
        kernels::table<T>().cross_entropy_backward(lr, scale, logits.grad_accum().template data<T>());
      });
    });
  return loss;
}

Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& targets,
                                        const std::vector<int64_t>& rows_in) {
  check_same_dtype("binary_cross_entropy_with_logits", logits, targets);
  if (logits.shape() != targets.shape() || logits.dim() != 2)
    throw Error("binary_cross_entropy_with_logits: logits " + logits.describe() + " and targets " +
                targets.describe() + " must be the same [N, C] shape");
  const int64_t n = logits.size(0);
  int64_t c = logits.size(1);
  if (n == 0 || c == 0) throw Error("binary_cross_entropy_with_logits: no elements to average over");
  const double count = static_cast<double>(rows_in.empty() ? n : static_cast<int64_t>(rows_in.size())) * static_cast<double>(c);
  // Every row, in order: the n·C elements are one run, which the kernel takes as one row of n·C
  // values (the same elements in the same order, so the same sum) in whole 16-lane chunks rather
  // than one short chunk per row (link prediction's scores are [P, 1]: P chunks of one lane).
  std::vector<int64_t> rows{0};
  if (rows_in.empty()) c *= n;
  else rows = rows_or_all("binary_cross_entropy_with_logits", rows_in, n);
  Tensor loss = Tensor::empty({}, logits.dtype());
  dispatch(logits.dtype(), [&]<class T>() {
    const kernels::LossRows<T> lr{logits.data<T>(), c, rows.data(), static_cast<int64_t>(rows.size()), nullptr,
                                  targets.data<T>()};
    loss.data<T>()[0] = static_cast<T>(kernels::table<T>().binary_cross_entropy(lr) / count);
  });
  if (any_requires_grad({&logits}))
    record("binary_cross_entropy_with_logits", loss, [logits, targets, rows, c, count](const Tensor& dl) {
      dispatch(logits.dtype(), [&]<class T>() {
        const T scale = static_cast<T>(dl.item() / count);
        const kernels::LossRows<T> lr{logits.data<T>(), c, rows.data(), static_cast<int64_t>(rows.size()), nullptr,
                                      targets.data<T>()};
        kernels::table<T>().binary_cross_entropy_backward(lr, scale, logits.grad_accum().template data<T>());
      });
    });
  return loss;
}

}  // namespace gatgrad
