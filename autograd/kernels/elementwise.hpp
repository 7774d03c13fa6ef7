// Elementwise kernels over arrays (unary functions and their derivatives, binary arithmetic,
// dropout) and the engine's sum. Arrays go through Vec<T, 16> chunks; the last, partial chunk
// through the same code on its first lanes (load_first / store_first), so a value never depends
// on where a caller's block starts. Private to the instruction-set units.
#pragma once
#include "autograd/kernels/element.hpp"
#include "autograd/kernels/simd/reduce.hpp"

namespace gatgrad::GATGRAD_ISA_NS {

using simd::Vec;

// Lanes per chunk of every elementwise loop and of the sum's partial sums: 16 whatever the level.
constexpr int kChunk = simd::kLanes;
using simd::for_chunks;

// y = f(x) over [0, n)
template <class T, class F>
inline void map_unary(const T* x, T* y, int64_t n, F f) {
  using V = Vec<T, kChunk>;
  for_chunks(n, [&](int64_t k, int64_t m) {
    if (m == kChunk)
      f(V::load(x + k)).store(y + k);
    else
      f(V::load_first(x + k, m)).store_first(y + k, m);
  });
}

// dx = g(a, dy) over [0, n), a being x or y
template <class T, class G>
inline void map_backward(const T* a, const T* dy, T* dx, int64_t n, G g) {
  using V = Vec<T, kChunk>;
  for_chunks(n, [&](int64_t k, int64_t m) {
    if (m == kChunk)
      g(V::load(a + k), V::load(dy + k)).store(dx + k);
    else
      g(V::load_first(a + k, m), V::load_first(dy + k, m)).store_first(dx + k, m);
  });
}

template <class T>
void unary(kernels::UnaryOp op, T param, const T* x, T* y, int64_t n) {
  using kernels::UnaryOp;
  using V = Vec<T, kChunk>;
  switch (op) {
    case UnaryOp::relu: return map_unary(x, y, n, [](const V& v) { return element::relu(v); });
    case UnaryOp::leaky_relu: return map_unary(x, y, n, [param](const V& v) { return element::leaky_relu(v, param); });
    case UnaryOp::elu: return map_unary(x, y, n, [param](const V& v) { return element::elu(v, param); });
    case UnaryOp::sigmoid: return map_unary(x, y, n, [](const V& v) { return element::sigmoid(v); });
    case UnaryOp::tanh: return map_unary(x, y, n, [](const V& v) { return element::tanh(v); });
    case UnaryOp::exp: return map_unary(x, y, n, [](const V& v) { return element::exp(v); });
    case UnaryOp::log: return map_unary(x, y, n, [](const V& v) { return element::log(v); });
    case UnaryOp::sqrt: return map_unary(x, y, n, [](const V& v) { return element::sqrt(v); });
    case UnaryOp::square: return map_unary(x, y, n, [](const V& v) { return element::square(v); });
    case UnaryOp::pow: return map_unary(x, y, n, [param](const V& v) { return element::pow(v, param); });
    case UnaryOp::neg: return map_unary(x, y, n, [](const V& v) { return -v; });
    case UnaryOp::add_scalar: return map_unary(x, y, n, [param](const V& v) { return v + V::splat(param); });
    case UnaryOp::mul_scalar: return map_unary(x, y, n, [param](const V& v) { return v * V::splat(param); });
  }
}

template <class T>
void unary_backward(kernels::UnaryOp op, T param, const T* x, const T* y, const T* dy, T* dx, int64_t n) {
  using kernels::UnaryOp;
  using V = Vec<T, kChunk>;
  switch (op) {
    case UnaryOp::relu: return map_backward(x, dy, dx, n, [](const V& a, const V& g) { return element::relu_grad(a, g); });
    case UnaryOp::leaky_relu:
      return map_backward(x, dy, dx, n, [param](const V& a, const V& g) {
        return element::leaky_relu_grad(a > V::zero(), g, param);
      });
    case UnaryOp::elu: return map_backward(y, dy, dx, n, [param](const V& a, const V& g) { return element::elu_grad(a, g, param); });
    case UnaryOp::sigmoid: return map_backward(y, dy, dx, n, [](const V& a, const V& g) { return element::sigmoid_grad(a, g); });
    case UnaryOp::tanh: return map_backward(y, dy, dx, n, [](const V& a, const V& g) { return element::tanh_grad(a, g); });
    case UnaryOp::exp: return map_backward(y, dy, dx, n, [](const V& a, const V& g) { return element::exp_grad(a, g); });
    case UnaryOp::log: return map_backward(x, dy, dx, n, [](const V& a, const V& g) { return element::log_grad(a, g); });
    case UnaryOp::sqrt: return map_backward(y, dy, dx, n, [](const V& a, const V& g) { return element::sqrt_grad(a, g); });
    case UnaryOp::square: return map_backward(x, dy, dx, n, [](const V& a, const V& g) { return element::square_grad(a, g); });
    case UnaryOp::pow: return map_backward(x, dy, dx, n, [param](const V& a, const V& g) { return element::pow_grad(a, g, param); });
    case UnaryOp::neg: return map_backward(dy, dy, dx, n, [](const V&, const V& g) { return -g; });
    case UnaryOp::add_scalar: return map_backward(dy, dy, dx, n, [](const V&, const V& g) { return g; });
    case UnaryOp::mul_scalar: return map_backward(dy, dy, dx, n, [param](const V&, const V& g) { return g * V::splat(param); });
  }
}

// y[k] = a[k · a_step] op b[k · b_step] (a step is 0 or 1)
template <class T, class Op>
inline void map_binary(const T* a, int64_t a_step, const T* b, int64_t b_step, T* y, int64_t n, Op op) {
  using V = Vec<T, kChunk>;
  const V a_one = a_step == 0 ? V::splat(*a) : V::zero(), b_one = b_step == 0 ? V::splat(*b) : V::zero();
  for_chunks(n, [&](int64_t k, int64_t m) {
    const V va = a_step == 0 ? a_one : m == kChunk ? V::load(a + k) : V::load_first(a + k, m);
    const V vb = b_step == 0 ? b_one : m == kChunk ? V::load(b + k) : V::load_first(b + k, m);
    if (m == kChunk)
      op(va, vb).store(y + k);
    else
      op(va, vb).store_first(y + k, m);
  });
}

template <class T>
void binary(kernels::BinaryOp op, const T* a, int64_t a_step, const T* b, int64_t b_step, T* y, int64_t n) {
  using kernels::BinaryOp;
  using V = Vec<T, kChunk>;
  switch (op) {
    case BinaryOp::add: return map_binary(a, a_step, b, b_step, y, n, [](const V& p, const V& q) { return p + q; });
    case BinaryOp::sub: return map_binary(a, a_step, b, b_step, y, n, [](const V& p, const V& q) { return p - q; });
    case BinaryOp::mul: return map_binary(a, a_step, b, b_step, y, n, [](const V& p, const V& q) { return p * q; });
    case BinaryOp::div: return map_binary(a, a_step, b, b_step, y, n, [](const V& p, const V& q) { return p / q; });
  }
}

// y[k] = x[k] · coefficient(first + k)
template <class T>
void dropout(const kernels::DropoutRule& rule, int64_t first, const T* x, T* y, int64_t n) {
  using V = Vec<T, kChunk>;
  for_chunks(n, [&](int64_t k, int64_t m) {
    const V c = element::dropout_coefficients<T, kChunk>(rule, first + k);
    if (m == kChunk)
      (V::load(x + k) * c).store(y + k);
    else
      (V::load_first(x + k, m) * c).store_first(y + k, m);
  });
}

// AdamStep (table.hpp) on [k0, k1); a last partial chunk runs on its first lanes (the other lanes
// read as 0: v = 0 gives the denominator eps > 0, no trap).
template <class T>
void adam(const kernels::AdamStep<T>& s, int64_t k0, int64_t k1) {
  using V = Vec<T, kChunk>;
  const V decay = V::splat(static_cast<T>(s.decay_factor)), l2 = V::splat(static_cast<T>(s.l2));
  const V w1 = V::splat(static_cast<T>(1.0 - s.beta1)), one_minus_w1 = V::splat(static_cast<T>(s.beta1));
  const V beta2 = V::splat(static_cast<T>(s.beta2)), w2 = V::splat(static_cast<T>(1.0 - s.beta2));
  const V eps = V::splat(static_cast<T>(s.eps)), step_size = V::splat(static_cast<T>(s.step_size));
  const V bc2_sqrt = V::splat(static_cast<T>(s.bc2_sqrt));
  const bool lerp_low = 1.0 - s.beta1 < 0.5, decoupled = s.decay_factor != 1.0, use_l2 = s.l2 != 0.0;
  for_chunks(k1 - k0, [&](int64_t c, int64_t n) {
    const int64_t k = k0 + c;
    V p = V::load_first(s.p + k, n), g = V::load_first(s.g + k, n);
    V m = V::load_first(s.m + k, n), v = V::load_first(s.v + k, n);
    if (decoupled) p = p * decay;                                             // p (1 - lr wd)
    if (use_l2) g = g + l2 * p;                                               // g + wd p
    m = lerp_low ? m + w1 * (g - m) : g - (g - m) * one_minus_w1;              // lerp(m, g, 1 - beta1)
    v = v * beta2 + w2 * (g * g);                                             // beta2 v + (1 - beta2) g²
    const V denom = simd::sqrt(v) / bc2_sqrt + eps;                           // sqrt(v̂) + eps
    p = p - step_size * (m / denom);                                          // p - step_size m / denom
    p.store_first(s.p + k, n);
    m.store_first(s.m + k, n);
    v.store_first(s.v + k, n);
  });
}

// Σ x[0..n): chunk c of 16 values goes to accumulator c % 2 (two independent chains), the last
// partial chunk to the other one; then acc0 + acc1 and the halving tree of its 16 lanes.
template <class T>
T sum(const T* x, int64_t n) {
  using V = Vec<T, kChunk>;
  V acc0 = V::zero(), acc1 = V::zero();
  int64_t k = 0;
  for (; k + 2 * kChunk <= n; k += 2 * kChunk) {
    acc0 = acc0 + V::load(x + k);
    acc1 = acc1 + V::load(x + k + kChunk);
  }
  if (k + kChunk <= n) {
    acc0 = acc0 + V::load(x + k);
    k += kChunk;
  }
  if (k < n) acc1 = acc1 + V::load_first(x + k, n - k);
  return simd::tree_sum(acc0 + acc1);
}

}  // namespace gatgrad::GATGRAD_ISA_NS
