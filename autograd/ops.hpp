/// @file
/// The differentiable ops. Each one computes its output and, when an input requires grad,
/// records on the tape a closure that adds d loss / d input into that input's gradient.
/// Forward and backward of each op sit side by side in `autograd/ops/<family>.cpp`.
///
/// Shapes: binary arithmetic broadcasts like NumPy (align trailing axes; an extent of 1
/// stretches). Every op throws gatgrad::Error naming the op and the shapes on a mismatch.
/// Both dtypes work everywhere, but the inputs of one op must share a dtype.
#pragma once
#include <cstdint>
#include <vector>

#include "autograd/tape.hpp"
#include "autograd/tensor.hpp"

namespace gatgrad {

// ---- arithmetic (ops/arithmetic.cpp) ----
Tensor add(const Tensor& a, const Tensor& b);  ///< a + b, broadcasting
Tensor sub(const Tensor& a, const Tensor& b);  ///< a - b
Tensor mul(const Tensor& a, const Tensor& b);  ///< a * b (elementwise)
Tensor div(const Tensor& a, const Tensor& b);  ///< a / b
Tensor neg(const Tensor& x);                   ///< -x
Tensor add_scalar(const Tensor& x, double s);  ///< x + s
Tensor mul_scalar(const Tensor& x, double s);  ///< x * s

// ---- elementwise math (ops/math.cpp) ----
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor pow(const Tensor& x, double p);  ///< x^p

// ---- activations (ops/activation.cpp) ----
Tensor relu(const Tensor& x);
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);
Tensor elu(const Tensor& x, double alpha = 1.0);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);

// ---- reductions (ops/reduce.cpp); axis may be negative ----
Tensor sum(const Tensor& x);                                 ///< over all -> scalar []
Tensor sum(const Tensor& x, int axis, bool keepdim = false);
Tensor mean(const Tensor& x);
Tensor mean(const Tensor& x, int axis, bool keepdim = false);
Tensor max(const Tensor& x);  ///< gradient flows to the first maximal element
Tensor max(const Tensor& x, int axis, bool keepdim = false);

// ---- linear algebra (ops/matmul.cpp) ----
/// [M,K]·[K,N] -> [M,N]; trans_a / trans_b use the stored matrix transposed, without a copy.
/// @throws Error when an input is not 2-D, the dtypes differ, or the inner dimensions differ
Tensor matmul(const Tensor& a, const Tensor& b, bool trans_a = false, bool trans_b = false);

// ---- shape (ops/shape.cpp) ----
Tensor reshape(const Tensor& x, const std::vector<int64_t>& extents);  ///< same data; one extent may be -1
Tensor transpose(const Tensor& x, int axis0 = -2, int axis1 = -1);  ///< swap two axes (copies)
Tensor concat(const std::vector<Tensor>& xs, int axis);
Tensor slice(const Tensor& x, int axis, int64_t start, int64_t end);  ///< [start, end) on axis
Tensor index_select(const Tensor& x, const std::vector<int64_t>& rows);  ///< x[rows] along axis 0

// ---- softmax family (ops/softmax.cpp) ----
Tensor softmax(const Tensor& x, int axis = -1);
Tensor log_softmax(const Tensor& x, int axis = -1);

// ---- dropout (ops/dropout.cpp) ----
/// Zeroes each element with probability p and scales the rest by 1/(1-p). The mask is a pure
/// function of (key, element index) (autograd/random.hpp), so backward regenerates it exactly.
/// p == 0 returns x itself.
/// @throws Error when p is not in [0, 1)
Tensor dropout(const Tensor& x, double p, uint64_t key);

// ---- losses (ops/loss.cpp); both return the mean over the rows used, as a scalar [] ----
/// logits [N,C], labels [N] class ids in [0,C). rows: the subset of rows to average over
/// (empty = all rows).
/// @return the mean of -log softmax(logits[r])[labels[r]] over those rows, a scalar []
/// @throws Error when logits are not [N,C], labels.size() != N, a row is out of range, or the
///         label of a used row is not in [0,C)
Tensor cross_entropy(const Tensor& logits, const std::vector<int64_t>& labels,
                     const std::vector<int64_t>& rows = {});
/// logits and targets [N,C] (targets 0/1, no gradient); mean over all N*C elements, or over the
/// given rows only.
Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& targets,
                                        const std::vector<int64_t>& rows = {});

// ---- operators, for equations that read like the paper ----
inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
inline Tensor operator-(const Tensor& x) { return neg(x); }
inline Tensor operator+(const Tensor& x, double s) { return add_scalar(x, s); }
inline Tensor operator-(const Tensor& x, double s) { return add_scalar(x, -s); }
inline Tensor operator*(const Tensor& x, double s) { return mul_scalar(x, s); }
inline Tensor operator*(double s, const Tensor& x) { return mul_scalar(x, s); }
inline Tensor operator/(const Tensor& x, double s) { return mul_scalar(x, 1.0 / s); }

}  // namespace gatgrad
