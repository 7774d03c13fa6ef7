// Elementary functions on Vec: exp, expm1, log, log1p, tanh, sigmoid, pow, and the unfused
// log / sin / cos of the normal generator. gatgrad's own, not xsimd's: each is a fixed sequence of
// IEEE operations (+ - * /, sqrt, exact bit manipulation) and multiply-adds, so its bits are the
// same on every level with FMA (avx2, avx512, neon), and on sse2 differ only by those roundings.
// (xsimd 8.1's own functions are not: its AVX-512 fma is unfused and some of its kernels differ
// between architectures.)
//
// Method (Cody & Waite range reduction, then a polynomial):
//   exp(x)   = 2^k · P(r),          k = round(x / ln 2), r = x - k ln 2 (|r| <= ln 2 / 2)
//   expm1(x) = 2^k · Q(r) + (2^k - 1),  Q(r) = expm1(r)
//   log(x)   = e ln 2 + 2 atanh(s),  x = m 2^e with m in [√½, √2), s = (m - 1) / (m + 1)
// P and Q are Taylor polynomials long enough for the type (float: error < 1e-8 relative, double:
// < 1e-16), evaluated by Horner with one multiply-add per term. NaN in gives NaN out; overflow
// gives inf; exp below the smallest normal number gives 0 (no subnormal results).
#pragma once
#include <limits>

#include "autograd/kernels/simd/vec.hpp"

namespace gatgrad::GATGRAD_ISA_NS::simd {

// x clamped to [lo, hi], NaN lanes kept NaN: x86's max/min return their second operand when a
// lane is NaN, NEON's return NaN, so max(lo, x) then min(hi, ·) keeps x's NaN on every level.
template <class T, int N>
GATGRAD_INLINE Vec<T, N> clamp(const Vec<T, N>& x, const Vec<T, N>& lo, const Vec<T, N>& hi) {
  return min(hi, max(lo, x));
}

// How a polynomial's multiply-adds round: LevelFma uses this level's fma (one rounding where
// the hardware has it), Unfused always rounds the product and the sum (the same bits on every
// level, sse2 included: the synthetic generator's choice).
struct LevelFma {
  template <class V>
  static V madd(const V& a, const V& b, const V& c) { return fma(a, b, c); }
};
struct Unfused {
  template <class V>
  static V madd(const V& a, const V& b, const V& c) { return a * b + c; }
};

// The IEEE layout of T: mantissa bits, exponent bias, and the unsigned integer of its size.
template <class T>
struct FloatBits;
template <>
struct FloatBits<float> {
  using U = uint32_t;
  static constexpr int mantissa = 23, bias = 127;
};
template <>
struct FloatBits<double> {
  using U = uint64_t;
  static constexpr int mantissa = 52, bias = 1023;
};

// round(x) to the nearest integer (ties to even) for |x| < 2^(mantissa - 1) (vec.hpp).
template <class T, int N>
GATGRAD_INLINE Vec<T, N> round_small(const Vec<T, N>& x) {
  return nearest_integer(x);
}

// 2^k for integer-valued k with k + bias in [1, 2·bias]: the exponent field written directly.
template <class T, int N>
GATGRAD_INLINE Vec<T, N> pow2_integer(const Vec<T, N>& k) {
  using Bits = FloatBits<T>;
  using B = typename Vec<T, N>::B;
  using UB = xsimd::batch<typename Bits::U, typename B::arch_type>;
  // k + 2^mantissa + bias has the integer k + bias in its low mantissa bits
  const B shift = B(static_cast<T>(typename Bits::U{1} << Bits::mantissa) + static_cast<T>(Bits::bias));
  Vec<T, N> y;
  for (int q = 0; q < Vec<T, N>::R; ++q) {
    const UB field = xsimd::bitwise_cast<UB>(k.r[q] + shift) << Bits::mantissa;
    y.r[q] = xsimd::bitwise_cast<B>(field);
  }
  return y;
}

// The coefficients 1/n! for n = 0 .. 15, correctly rounded in each type.
template <class T>
constexpr T kInverseFactorial[16] = {
    T(1.0), T(1.0), T(0.5), T(1.0 / 6), T(1.0 / 24), T(1.0 / 120), T(1.0 / 720), T(1.0 / 5040),
    T(1.0 / 40320), T(1.0 / 362880), T(1.0 / 3628800), T(1.0 / 39916800), T(1.0 / 479001600),
    T(1.0 / 6227020800.0), T(1.0 / 87178291200.0), T(1.0 / 1307674368000.0)};

// Σ_{n=first}^{last} r^(n - first) / n!  (Horner from the highest term)
template <class P, class T, int N>
GATGRAD_INLINE Vec<T, N> taylor_tail(const Vec<T, N>& r, int first, int last) {
  Vec<T, N> p = Vec<T, N>::splat(kInverseFactorial<T>[last]);
  for (int n = last - 1; n >= first; --n) p = P::madd(p, r, Vec<T, N>::splat(kInverseFactorial<T>[n]));
  return p;
}

template <class T>
struct ExpConstants;
template <>
struct ExpConstants<float> {
  static constexpr float log2e = 1.44269504088896341f;
  static constexpr float ln2_hi = 0.693359375f;             // few bits: k · ln2_hi is exact
  static constexpr float ln2_lo = -2.12194440e-4f;
  static constexpr float lowest = -104.0f, highest = 89.0f;  // expm1's clamps
  static constexpr float underflow = -87.3365479f;           // ln FLT_MIN: below, exp = 0 (no subnormals)
  static constexpr float overflow = 88.73f;                  // > ln FLT_MAX: e^overflow rounds to inf
  static constexpr int terms = 7;                           // P up to r^7 / 7!
  static constexpr float expm1_lowest = -30.0f;              // expm1 = -1 below
};
template <>
struct ExpConstants<double> {
  static constexpr double log2e = 1.4426950408889634074;
  static constexpr double ln2_hi = 6.93147180369123816490e-01;
  static constexpr double ln2_lo = 1.90821492927058770002e-10;
  static constexpr double lowest = -746.0, highest = 710.0;
  static constexpr double underflow = -708.39641853226408;  // ln DBL_MIN
  static constexpr double overflow = 709.79;                // > ln DBL_MAX
  static constexpr int terms = 13;
  static constexpr double expm1_lowest = -40.0;
};

// x with NaN lanes of `in` restored (the clamps before may have replaced them).
template <class T, int N>
GATGRAD_INLINE Vec<T, N> keep_nan(const Vec<T, N>& in, const Vec<T, N>& out) {
  return select(is_nan(in), in, out);
}

// r = x - k ln 2 and k = round(x / ln 2), for x already clamped.
template <class P, class T, int N>
GATGRAD_INLINE Vec<T, N> reduce_ln2(const Vec<T, N>& x, Vec<T, N>& k) {
  using C = ExpConstants<T>;
  k = round_small(x * Vec<T, N>::splat(C::log2e));
  Vec<T, N> r = P::madd(-k, Vec<T, N>::splat(C::ln2_hi), x);
  return P::madd(-k, Vec<T, N>::splat(C::ln2_lo), r);
}

// e^x
template <class P = LevelFma, class T, int N>
GATGRAD_INLINE Vec<T, N> exp(const Vec<T, N>& x_in) {
  using C = ExpConstants<T>;
  using V = Vec<T, N>;
  const V x = clamp(x_in, V::splat(C::underflow), V::splat(C::overflow));  // (NaN stays NaN)
  V k;
  const V r = reduce_ln2<P>(x, k);
  const V p = taylor_tail<P>(r, 0, C::terms);
  // 2^k for k <= bias (a normal number); the one k above, bias + 1, as 2^bias · 2
  const V top = V::splat(static_cast<T>(FloatBits<T>::bias));
  const V y = p * pow2_integer(min(k, top));
  return select(x_in < V::splat(C::underflow), V::zero(), select(k > top, y + y, y));
}

// e^x for x <= 0 (larger x are taken as 0): the exponentials of softmax, whose arguments are
// x - max x, and of its relatives (log-sum-exp, cross-entropy's gradient). The same values as
// exp() there, with no overflow to handle: cheaper in the kernels that run it once per edge.
template <class P = LevelFma, class T, int N>
GATGRAD_INLINE Vec<T, N> exp_nonpositive(const Vec<T, N>& x_in) {
  using C = ExpConstants<T>;
  using V = Vec<T, N>;
  const V x = clamp(x_in, V::splat(C::underflow), V::zero());  // (NaN stays NaN)
  V k;
  const V r = reduce_ln2<P>(x, k);
  const V p = taylor_tail<P>(r, 0, C::terms);
  return select(x_in < V::splat(C::underflow), V::zero(), p * pow2_integer(k));
}

// e^x - 1, accurate near 0
template <class P = LevelFma, class T, int N>
GATGRAD_INLINE Vec<T, N> expm1(const Vec<T, N>& x_in) {
  using C = ExpConstants<T>;
  using V = Vec<T, N>;
  const V x = min(max(x_in, V::splat(C::expm1_lowest)), V::splat(static_cast<T>(C::highest - 2)));
  V k;
  const V r = reduce_ln2<P>(x, k);
  const V q = r * taylor_tail<P>(r, 1, C::terms + 1);  // expm1(r) = r (1 + r/2 + r²/6 + ...)
  const V t = pow2_integer(k);
  const V y = P::madd(t, q, t - V::splat(T(1)));      // 2^k (expm1(r) + 1) - 1
  const V big = V::splat(std::numeric_limits<T>::infinity());
  return keep_nan(x_in, select(x_in > V::splat(static_cast<T>(C::highest - 2)), big, y));
}

// ln x (x < 0: NaN; x = 0: -inf; inf: inf)
template <class P = LevelFma, class T, int N>
GATGRAD_INLINE Vec<T, N> log(const Vec<T, N>& x_in) {
  using Bits = FloatBits<T>;
  using V = Vec<T, N>;
  using B = typename V::B;
  using UB = xsimd::batch<typename Bits::U, typename B::arch_type>;
  using U = typename Bits::U;
  // subnormals: scaled into the normal range first
  const T scale_up = static_cast<T>(U{1} << Bits::mantissa);
  const auto tiny = x_in < V::splat(std::numeric_limits<T>::min());
  const V x = select(tiny, x_in * V::splat(scale_up), x_in);
  V m, e;
  const UB mantissa_mask(static_cast<U>((U{1} << Bits::mantissa) - 1));
  const UB one_bits(static_cast<U>(static_cast<U>(Bits::bias) << Bits::mantissa));
  // the exponent field as an exact float: its bits or-ed under 2^mantissa, minus 2^mantissa
  const UB float_of_field(static_cast<U>(static_cast<U>(Bits::bias + Bits::mantissa) << Bits::mantissa));
  for (int q = 0; q < V::R; ++q) {
    const UB bits = xsimd::bitwise_cast<UB>(x.r[q]);
    m.r[q] = xsimd::bitwise_cast<B>((bits & mantissa_mask) | one_bits);  // [1, 2)
    const UB field = bits >> Bits::mantissa;                                // sign is 0 for x > 0
    e.r[q] = xsimd::bitwise_cast<B>(field | float_of_field) - B(static_cast<T>(U{1} << Bits::mantissa));
  }
  e = e - V::splat(static_cast<T>(Bits::bias)) - select(tiny, V::splat(static_cast<T>(Bits::mantissa)), V::zero());
  const auto high = m > V::splat(static_cast<T>(1.41421356237309504880));
  m = select(high, m * V::splat(T(0.5)), m);
  e = select(high, e + V::splat(T(1)), e);
  const V s = (m - V::splat(T(1))) / (m + V::splat(T(1)));
  const V s2 = s * s;
  // 2 atanh(s) = 2 (s + s³/3 + s⁵/5 + ...)
  constexpr int terms = sizeof(T) == 4 ? 5 : 11;  // odd powers up to s^(2 terms - 1)
  V p = V::splat(T(2) / static_cast<T>(2 * terms - 1));
  for (int n = terms - 2; n >= 0; --n) p = P::madd(p, s2, V::splat(T(2) / static_cast<T>(2 * n + 1)));
  const V log_m = s * p;
  const V y = P::madd(e, V::splat(ExpConstants<T>::ln2_hi), P::madd(e, V::splat(ExpConstants<T>::ln2_lo), log_m));
  const V inf = V::splat(std::numeric_limits<T>::infinity());
  V out = select(x_in == V::zero(), -inf, y);
  out = select(x_in == inf, inf, out);
  out = select(x_in < V::zero(), V::splat(std::numeric_limits<T>::quiet_NaN()), out);
  return keep_nan(x_in, out);
}

// ln(1 + u), accurate for small u (u > -1): log(w) · u / (w - 1) with w = 1 + u (Goldberg).
template <class T, int N>
GATGRAD_INLINE Vec<T, N> log1p(const Vec<T, N>& u) {
  using V = Vec<T, N>;
  const V w = u + V::splat(T(1));
  const V d = w - V::splat(T(1));
  const auto exact = d == V::zero();
  const V ratio = u / select(exact, V::splat(T(1)), d);
  return select(exact, u, log(w) * ratio);
}

// tanh x = sign(x) · t / (t + 2), t = expm1(2|x|)
template <class T, int N>
GATGRAD_INLINE Vec<T, N> tanh(const Vec<T, N>& x) {
  using V = Vec<T, N>;
  const V a = min(abs(x), V::splat(static_cast<T>(sizeof(T) == 4 ? 9.5 : 19.5)));  // tanh = 1 beyond
  const V t = expm1(a + a);
  const V y = t / (t + V::splat(T(2)));
  return keep_nan(x, select(x < V::zero(), -y, y));
}

// 1 / (1 + e^-x)
template <class T, int N>
GATGRAD_INLINE Vec<T, N> sigmoid(const Vec<T, N>& x) {
  using V = Vec<T, N>;
  return V::splat(T(1)) / (V::splat(T(1)) + exp(-x));
}

// x^p for a fixed p: e^(p ln |x|), with the sign of an odd whole p, and 0^p as IEEE pow.
template <class T, int N>
GATGRAD_INLINE Vec<T, N> pow(const Vec<T, N>& x, T p) {
  using V = Vec<T, N>;
  const bool whole = p == static_cast<T>(static_cast<int64_t>(p));
  const bool odd = whole && (static_cast<int64_t>(p) % 2 != 0);
  const V magnitude = exp(V::splat(p) * log(abs(x)));
  V y = magnitude;
  if (odd) y = select(x < V::zero(), -magnitude, magnitude);
  if (!whole) y = select(x < V::zero(), V::splat(std::numeric_limits<T>::quiet_NaN()), y);
  if (p == T(0)) y = V::splat(T(1));
  return y;
}

// sin and cos of 2π q / 4 + φ for the quadrant q in {0, 1, 2, 3} and φ in [0, π/2), unfused
// (the normal generator's angles: q and the fraction come from exact integer bits).
template <int N>
GATGRAD_INLINE void sincos_quadrant(const Vec<float, N>& q, const Vec<float, N>& phi, Vec<float, N>& s, Vec<float, N>& c) {
  using V = Vec<float, N>;
  const V p2 = phi * phi;
  // sin φ = φ (1 - φ²/3! + φ⁴/5! - ...), cos φ = 1 - φ²/2! + φ⁴/4! - ...: Horner in -φ²
  const V m = -p2;
  V ps = V::splat(kInverseFactorial<float>[13]);
  for (int n = 11; n >= 1; n -= 2) ps = Unfused::madd(ps, m, V::splat(kInverseFactorial<float>[n]));
  V pc = V::splat(kInverseFactorial<float>[14]);
  for (int n = 12; n >= 0; n -= 2) pc = Unfused::madd(pc, m, V::splat(kInverseFactorial<float>[n]));
  const V sin_phi = phi * ps, cos_phi = pc;
  const auto q1 = q == V::splat(1.0f), q2 = q == V::splat(2.0f), q3 = q == V::splat(3.0f);
  s = select(q1, cos_phi, select(q2, -sin_phi, select(q3, -cos_phi, sin_phi)));
  c = select(q1, -sin_phi, select(q2, -cos_phi, select(q3, sin_phi, cos_phi)));
}

}  // namespace gatgrad::GATGRAD_ISA_NS::simd
