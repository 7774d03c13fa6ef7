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

template <class T>
T log_sum_exp(const T* z, int64_t c) {
  T m = z[0];
  for (int64_t k = 1; k < c; ++k) m = std::max(m, z[k]);
  T s = 0;
  for (int64_t k = 0; k < c; ++k) s += std::exp(z[k] - m);
  return m + std::log(s);
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
    const T* z = logits.data<T>();
    double total = 0;  // rows in order: deterministic
    for (int64_t r : rows) {
      const T* zr = z + r * c;
      total += static_cast<double>(log_sum_exp(zr, c) - zr[labels[static_cast<size_t>(r)]]);
    }
    loss.data<T>()[0] = static_cast<T>(total / static_cast<double>(rows.size()));
  });
  if (any_requires_grad({&logits}))
    record("cross_entropy", loss, [logits, labels, rows, c](const Tensor& dl) {
      dispatch(logits.dtype(), [&]<class T>() {
        const T scale = static_cast<T>(dl.item() / static_cast<double>(rows.size()));
        const T* z = logits.data<T>();
        T* dz = logits.grad_accum().template data<T>();
        for (int64_t r : rows) {
          const T* zr = z + r * c;
          T* dr = dz + r * c;
          const T lse = log_sum_exp(zr, c);
          for (int64_t k = 0; k < c; ++k) dr[k] += scale * std::exp(zr[k] - lse);
          dr[labels[static_cast<size_t>(r)]] -= scale;
        }
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
  const int64_t n = logits.size(0), c = logits.size(1);
  std::vector<int64_t> rows = rows_or_all("binary_cross_entropy_with_logits", rows_in, n);
  if (rows.empty() || c == 0) throw Error("binary_cross_entropy_with_logits: no elements to average over");
  const double count = static_cast<double>(rows.size()) * static_cast<double>(c);
  Tensor loss = Tensor::empty({}, logits.dtype());
  dispatch(logits.dtype(), [&]<class T>() {
    const T* z = logits.data<T>();
    const T* t = targets.data<T>();
    double total = 0;
    for (int64_t r : rows)
      for (int64_t k = r * c; k < (r + 1) * c; ++k)
        total += static_cast<double>(std::max(z[k], T(0)) - z[k] * t[k] + std::log1p(std::exp(-std::abs(z[k]))));
    loss.data<T>()[0] = static_cast<T>(total / count);
  });
  if (any_requires_grad({&logits}))
    record("binary_cross_entropy_with_logits", loss, [logits, targets, rows, c, count](const Tensor& dl) {
      dispatch(logits.dtype(), [&]<class T>() {
        const T scale = static_cast<T>(dl.item() / count);
        const T* z = logits.data<T>();
        const T* t = targets.data<T>();
        T* dz = logits.grad_accum().template data<T>();
        for (int64_t r : rows)
          for (int64_t k = r * c; k < (r + 1) * c; ++k) dz[k] += scale * (T(1) / (T(1) + std::exp(-z[k])) - t[k]);
      });
    });
  return loss;
}

}  // namespace gatgrad
