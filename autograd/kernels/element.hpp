// The element functions, each defined once, forward and derivative side by side: the autograd
// ops (through elementwise.hpp) and the graph kernels (the fused attention's LeakyReLU, dropout
// and ELU epilogue) all call these, so the fused kernels compute the ops' values bit for bit.
// Legend: x input, y = f(x) output, dy = d loss / d y, dx = dy · f'(x) (from x or y, whichever
// the function needs: kernels::backward_input says which, so an op keeps only that).
// Private to the instruction-set units.
#pragma once
#include "autograd/kernels/simd/math.hpp"
#include "autograd/kernels/table.hpp"

namespace gatgrad::GATGRAD_ISA_NS::element {

using simd::select;
using simd::Vec;

// relu: y = x < 0 ? 0 : x  (NaN stays NaN).   dx = dy · [x > 0]
template <class V>
GATGRAD_INLINE V relu(const V& x) { return select(x < V::zero(), V::zero(), x); }
template <class V>
GATGRAD_INLINE V relu_grad(const V& x, const V& dy) { return select(x > V::zero(), dy, V::zero()); }

// leaky_relu: y = x > 0 ? x : s·x.   dx = dy · (x > 0 ? 1 : s)
template <class V, class T>
GATGRAD_INLINE V leaky_relu(const V& x, T s) { return select(x > V::zero(), x, x * V::splat(s)); }
// (from the mask x > 0: the fused attention keeps only the signs of its logits)
template <class M, class V, class T>
GATGRAD_INLINE V leaky_relu_grad(const M& positive, const V& dy, T s) { return select(positive, dy, dy * V::splat(s)); }

// elu: y = x > 0 ? x : α (eˣ - 1).   dx = dy · (x > 0 ? 1 : y + α); α > 0, so x > 0 iff y > 0
template <class V, class T>
GATGRAD_INLINE V elu(const V& x, T alpha) { return select(x > V::zero(), x, V::splat(alpha) * simd::expm1(x)); }
template <class V, class T>
GATGRAD_INLINE V elu_grad(const V& y, const V& dy, T alpha) { return select(y > V::zero(), dy, dy * (y + V::splat(alpha))); }

// sigmoid: y = 1 / (1 + e^-x).   dx = dy · y (1 - y)
template <class V>
GATGRAD_INLINE V sigmoid(const V& x) { return simd::sigmoid(x); }
template <class V>
GATGRAD_INLINE V sigmoid_grad(const V& y, const V& dy) { return dy * y * (V::splat(1) - y); }

// tanh: y = tanh x.   dx = dy (1 - y²)
template <class V>
GATGRAD_INLINE V tanh(const V& x) { return simd::tanh(x); }
template <class V>
GATGRAD_INLINE V tanh_grad(const V& y, const V& dy) { return dy * (V::splat(1) - y * y); }

// exp: y = eˣ.   dx = dy · y
template <class V>
GATGRAD_INLINE V exp(const V& x) { return simd::exp(x); }
template <class V>
GATGRAD_INLINE V exp_grad(const V& y, const V& dy) { return dy * y; }

// log: y = ln x.   dx = dy / x
template <class V>
GATGRAD_INLINE V log(const V& x) { return simd::log(x); }
template <class V>
GATGRAD_INLINE V log_grad(const V& x, const V& dy) { return dy / x; }

// sqrt: y = √x.   dx = dy / (2 y)
template <class V>
GATGRAD_INLINE V sqrt(const V& x) { return simd::sqrt(x); }
template <class V>
GATGRAD_INLINE V sqrt_grad(const V& y, const V& dy) { return dy / (y + y); }

// square: y = x².   dx = dy · 2x
template <class V>
GATGRAD_INLINE V square(const V& x) { return x * x; }
template <class V>
GATGRAD_INLINE V square_grad(const V& x, const V& dy) { return dy * (x + x); }

// pow: y = x^p.   dx = dy · p · x^(p-1)
template <class V, class T>
GATGRAD_INLINE V pow(const V& x, T p) { return simd::pow(x, p); }
template <class V, class T>
GATGRAD_INLINE V pow_grad(const V& x, const V& dy, T p) { return dy * V::splat(p) * simd::pow(x, static_cast<T>(p - 1)); }

// ---- dropout's keep rule on lanes: the engine's hash32 (autograd/random.hpp), bit for bit ----

// hash32(key, counter) for the counters of the lanes.
template <int N>
GATGRAD_INLINE simd::U32Vec<N> hash32(simd::U32Vec<N> h, uint64_t key) {
  using U = simd::U32Vec<N>;
  h = h ^ U::splat(static_cast<uint32_t>(key));
  h = (h ^ (h >> 16)) * U::splat(0x7feb352dU);
  h = h ^ U::splat(static_cast<uint32_t>(key >> 32));
  h = (h ^ (h >> 15)) * U::splat(0x846ca68bU);
  h = (h ^ (h >> 16)) * U::splat(0x7feb352dU);
  return h ^ (h >> 15);
}

// The dropout coefficients (scale or 0) of the counters first .. first + N - 1 (taken mod 2^32,
// as the engine's dropout does). The 24-bit draws are exact in float and double. The rule's
// threshold and scale are converted to lanes once, when this is made: a loop over edges that
// makes it before the loop does not convert them per edge (conversions may raise floating-point
// flags, so the compiler does not move them out of a loop's conditional code by itself).
template <class T, int N>
struct DropoutLanes {
  uint64_t key;
  Vec<float, N> threshold;
  Vec<T, N> scale;
  GATGRAD_INLINE explicit DropoutLanes(const kernels::DropoutRule& rule)
      : key(rule.key),
        threshold(Vec<float, N>::splat(static_cast<float>(rule.threshold))),
        scale(Vec<T, N>::splat(static_cast<T>(rule.scale))) {}
  GATGRAD_INLINE Vec<T, N> coefficients(int64_t first) const {
    const simd::U32Vec<N> counters = simd::U32Vec<N>::splat(static_cast<uint32_t>(first)) + simd::U32Vec<N>::iota();
    const Vec<float, N> draw = simd::to_float(hash32(counters, key) >> 8);
    const auto keep = draw >= threshold;
    if constexpr (std::is_same_v<T, float>)
      return select(keep, scale, Vec<float, N>::zero());
    else
      return select(simd::mask_from_bits<T, N>(keep.bits()), scale, Vec<T, N>::zero());
  }
};

template <class T, int N>
GATGRAD_INLINE Vec<T, N> dropout_coefficients(const kernels::DropoutRule& rule, int64_t first) {
  return DropoutLanes<T, N>(rule).coefficients(first);
}

}  // namespace gatgrad::GATGRAD_ISA_NS::element
