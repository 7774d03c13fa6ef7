/// @file
/// Writing a differentiable op outside autograd/: what autograd's own ops use, as public API.
/// graph/gat_attention.cpp (GAT's fused attention) is written with exactly this header, and
/// examples/custom_op.cpp is a small op of a user's own (docs/custom-model.md, section 10).
///
/// An op is a function that computes its output and, when a gradient is wanted, records its
/// backward on the tape (autograd/tape.hpp):
/// ```
///   Tensor y = Tensor::empty(x.shape(), x.dtype());              // forward: a fresh output
///   dispatch(x.dtype(), [&]<class T>() { ... y.data<T>() ... });  // float32 or float64
///   if (any_requires_grad({&x}))                                  // nothing to record otherwise
///     record("my_op", y, [x](const Tensor& dy) {                  // keep what backward reads
///       Tensor dx = ...;                                          // d loss / d x from dy
///       accumulate_grad(x, dx);                                   // grad(x) += dx
///     });
///   return y;
/// ```
/// - The closure keeps tensor handles (they share storage: no copy). Keep only what backward
///   needs; the tape frees it all when backward() has run (or tape_clear()).
/// - Backward *adds* into the inputs' gradients: an input used by two ops gets both parts.
/// - Record only when any_requires_grad() says so, and compute only the gradients of inputs
///   with requires_grad().
/// - Ops called inside a closure would record on the tape being replayed: run them under a
///   NoGradGuard, or write plain loops as gat_attention does.
/// - Check it with gradcheck (autograd/gradcheck.hpp) in float64.
#pragma once
#include "autograd/tape.hpp"
#include "autograd/tensor.hpp"

namespace gatgrad {

// Defined in namespace detail, where autograd's own ops call them; the using-declarations
// below make them gatgrad::accumulate_grad and gatgrad::grad_for_write.
namespace detail {

// grad(target) += g summed down to target's shape (g has the broadcast output shape).
// Summation order is fixed, so the result does not depend on the thread count.
// When target has no gradient yet and g has its shape and is held by nobody else (a temporary,
// or the d output backward() hands over), g itself becomes target's gradient: no copy, no
// zero-fill, no add pass. So a closure must not write into g after passing it here.
void accumulate_grad(const Tensor& target, const Tensor& g);

// target's gradient for a kernel that writes it in place. When target has none yet, a new
// uninitialised one is made and `fresh` is set: the kernel must then overwrite every element
// (beta = 0) instead of adding (beta = 1), which saves the zero-fill and a read of the buffer.
Tensor grad_for_write(const Tensor& target, bool& fresh);

// True when no other handle shares t or its storage: the d output that backward() hands a
// closure usually is, and the closure may then overwrite it (a gradient computed in place).
bool exclusively_held(const Tensor& t);

}  // namespace detail

using detail::accumulate_grad;
using detail::grad_for_write;

}  // namespace gatgrad
