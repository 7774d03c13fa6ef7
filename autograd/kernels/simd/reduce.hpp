// Reductions across the lanes of a Vec, in an order fixed in logical lanes (never by the
// hardware's width): the halving tree. For N lanes v[0..N):
//   while N > 1:  v[l] = v[l] + v[l + N/2]  for l < N/2;  N = N/2
// so tree_sum of 8 lanes is ((v0+v4) + (v2+v6)) + ((v1+v5) + (v3+v7)). Each level runs on whole
// registers where the halves are registers, and in-register shuffles below that; the generic
// path (through memory) computes the same additions in the same order and is what the unusual
// shapes and the tests use.
//
// A zero lane added by a tree is an identity here: every sum these kernels reduce starts from +0
// through fma(x, y, +0) or +0 + x, which never yields -0, so a tree over N lanes of which the top
// half is zero equals the tree over the bottom half (the 16-lane and 8-lane forms agree).
#pragma once
#include "autograd/kernels/simd/vec.hpp"

namespace gatgrad::GATGRAD_ISA_NS::simd {

// The halving tree of one register, through memory (any register, any level).
template <class B, class Op>
GATGRAD_INLINE typename B::value_type tree_native_generic(const B& v, Op op) {
  using T = typename B::value_type;
  constexpr int W = static_cast<int>(B::size);
  alignas(64) T a[W];
  v.store_aligned(a);
  for (int n = W; n > 1; n /= 2)
    for (int l = 0; l < n / 2; ++l) a[l] = op(a[l], a[l + n / 2]);
  return a[0];
}

// Sum of one register by the halving tree.
template <class B>
GATGRAD_INLINE typename B::value_type tree_sum_native(const B& v) {
  using A = typename B::arch_type;
  using T = typename B::value_type;
#if GATGRAD_ISA_LEVEL != GATGRAD_ISA_NEON
  if constexpr (std::is_same_v<T, float>) {
    __m128 x;
    if constexpr (B::size == 4) {
      x = v;
#if GATGRAD_ISA_X86_AVX
    } else if constexpr (B::size == 8) {
      const __m256 y = v;
      x = _mm_add_ps(_mm256_castps256_ps128(y), _mm256_extractf128_ps(y, 1));
#endif
#if GATGRAD_ISA_LEVEL == GATGRAD_ISA_AVX512
    } else if constexpr (B::size == 16) {
      const __m512 z = v;
      const __m256 y = _mm256_add_ps(_mm512_castps512_ps256(z), _mm512_extractf32x8_ps(z, 1));
      x = _mm_add_ps(_mm256_castps256_ps128(y), _mm256_extractf128_ps(y, 1));
#endif
    } else {
      return tree_native_generic(v, [](T p, T q) { return p + q; });
    }
    x = _mm_add_ps(x, _mm_movehl_ps(x, x));                         // v0+v2, v1+v3
    return _mm_cvtss_f32(_mm_add_ss(x, _mm_shuffle_ps(x, x, 1)));   // (v0+v2) + (v1+v3)
  }
#else
  if constexpr (std::is_same_v<T, float> && std::is_same_v<A, xsimd::neon64>) {
    const float32x4_t x = v;
    const float32x2_t h = vadd_f32(vget_low_f32(x), vget_high_f32(x));  // v0+v2, v1+v3
    return vget_lane_f32(vpadd_f32(h, h), 0);
  }
#endif
  (void)sizeof(A);
  return tree_native_generic(v, [](T p, T q) { return p + q; });
}

// Σ lanes of v by the halving tree.
template <class T, int N>
GATGRAD_INLINE T tree_sum(const Vec<T, N>& v) {
  static_assert((N & (N - 1)) == 0, "the halving tree needs a power-of-two lane count");
  typename Vec<T, N>::B r[Vec<T, N>::R];
  for (int k = 0; k < Vec<T, N>::R; ++k) r[k] = v.r[k];
  for (int n = Vec<T, N>::R; n > 1; n /= 2)  // the levels whose halves are whole registers
    for (int k = 0; k < n / 2; ++k) r[k] = r[k] + r[k + n / 2];
  return tree_sum_native(r[0]);
}

// The largest lane (the order of a max does not change its value; the tree is kept anyway).
template <class T, int N>
GATGRAD_INLINE T max_lane(const Vec<T, N>& v) {
  typename Vec<T, N>::B r[Vec<T, N>::R];
  for (int k = 0; k < Vec<T, N>::R; ++k) r[k] = v.r[k];
  for (int n = Vec<T, N>::R; n > 1; n /= 2)
    for (int k = 0; k < n / 2; ++k) r[k] = xsimd::max(r[k], r[k + n / 2]);
  return tree_native_generic(r[0], [](T p, T q) { return p > q ? p : q; });
}

// The halving tree stopped at `stride` (a power of two dividing N): lane l < stride holds the
// sum of the lanes l, l + stride, l + 2·stride, ... in tree order; then every lane l gets the
// value of lane l % stride. (Per-head sums of a flat run of rows of `stride` heads.)
//
// In registers (x86 floats, the softmax's per-destination folds): the levels whose halves are
// whole registers add registers, as tree_sum does; inside a register, level n (halves of n/2
// lanes) is a butterfly x[l] op x[l ^ n/2] on every lane. For l < n/2 that is the tree's own
// a[l] op a[l + n/2], operands in the tree's order, and lanes below n/2 only ever read lanes
// below n, so lanes [0, stride) end with the tree's values bit for bit; the other lanes (their
// operands swapped) are then overwritten by lanes [0, stride), exactly as the generic form does.
// The generic form (through memory) is the definition, and what the other registers use.
template <class T, int N, class Op>
GATGRAD_INLINE Vec<T, N> fold_lanes_generic(const Vec<T, N>& v, int64_t stride, Op op) {
  alignas(64) T a[N];
  v.store(a);
  for (int64_t n = N; n > stride; n /= 2)
    for (int64_t l = 0; l < n / 2; ++l) a[l] = op(a[l], a[l + n / 2]);
  for (int64_t l = stride; l < N; ++l) a[l] = a[l - stride];
  return Vec<T, N>::load(a);
}

// One float register's butterflies down to `stride` lanes (stride < W), then lanes [0, stride)
// repeated; `add`: + or max (x86's max(p, q) is p > q ? p : q, the generic form's).
template <class B>
GATGRAD_INLINE bool fold_register(B& x, int64_t stride, bool add) {
#if GATGRAD_ISA_LEVEL == GATGRAD_ISA_AVX512
  if constexpr (std::is_same_v<typename B::value_type, float> && B::size == 16) {
    __m512 y = x;
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    for (int64_t d = 8; d >= stride; d /= 2) {
      const __m512 other = _mm512_permutexvar_ps(_mm512_xor_si512(lane, _mm512_set1_epi32(static_cast<int>(d))), y);
      y = add ? _mm512_add_ps(y, other) : _mm512_max_ps(y, other);
    }
    x = B(_mm512_permutexvar_ps(_mm512_and_si512(lane, _mm512_set1_epi32(static_cast<int>(stride - 1))), y));
    return true;
  }
#endif
#if GATGRAD_ISA_X86_AVX
  if constexpr (std::is_same_v<typename B::value_type, float> && B::size == 8) {
    __m256 y = x;
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    for (int64_t d = 4; d >= stride; d /= 2) {
      const __m256 other = _mm256_permutevar8x32_ps(y, _mm256_xor_si256(lane, _mm256_set1_epi32(static_cast<int>(d))));
      y = add ? _mm256_add_ps(y, other) : _mm256_max_ps(y, other);
    }
    x = B(_mm256_permutevar8x32_ps(y, _mm256_and_si256(lane, _mm256_set1_epi32(static_cast<int>(stride - 1)))));
    return true;
  }
#endif
  (void)x, (void)stride, (void)add;
  return false;
}

// max(p, q) as the generic form takes it, p > q ? p : q: x86's maxps is exactly that; NEON's
// vmaxq is not (a NaN in either operand gives NaN, and ±0 either way +0), so there a select.
template <class B>
GATGRAD_INLINE B max_as_generic(const B& p, const B& q) {
#if GATGRAD_ISA_LEVEL == GATGRAD_ISA_NEON
  return xsimd::select(p > q, p, q);
#else
  return xsimd::max(p, q);
#endif
}

template <class T, int N>
GATGRAD_INLINE Vec<T, N> fold_lanes_registers(const Vec<T, N>& v, int64_t stride, bool add) {
  using V = Vec<T, N>;
  constexpr int W = V::W, R = V::R;
  if (stride >= N) return v;
  V x = v;
  // the levels whose halves are whole registers: n lanes in n / W registers
  for (int64_t n = N; n > stride && n / 2 >= W; n /= 2)
    for (int64_t k = 0; k < n / 2 / W; ++k)
      x.r[k] = add ? x.r[k] + x.r[k + n / 2 / W] : max_as_generic(x.r[k], x.r[k + n / 2 / W]);
  if (stride >= W) {  // registers [0, stride / W) hold the result
    const int64_t kept = stride / W;
    for (int64_t k = kept; k < R; ++k) x.r[k] = x.r[k - kept];
    return x;
  }
  if (!fold_register(x.r[0], stride, add))
    return add ? fold_lanes_generic(v, stride, [](T p, T q) { return p + q; })
               : fold_lanes_generic(v, stride, [](T p, T q) { return p > q ? p : q; });
  for (int k = 1; k < R; ++k) x.r[k] = x.r[0];
  return x;
}

template <class T, int N>
GATGRAD_INLINE Vec<T, N> fold_lanes(const Vec<T, N>& v, int64_t stride) {
  return fold_lanes_registers(v, stride, true);
}

// The same fold with max (order-free but for NaN and ±0, where the tree's order is kept too).
template <class T, int N>
GATGRAD_INLINE Vec<T, N> fold_lanes_max(const Vec<T, N>& v, int64_t stride) {
  return fold_lanes_registers(v, stride, false);
}

// ---- eight tree sums at once ----
// out lane l = tree_sum(rows[l]) for eight rows of eight lanes: the dot products of 8 heads of 8
// features (GAT's hidden layer) or of 8 rows of one head's 8 logits' features.

template <class T>
GATGRAD_INLINE Vec<T, 8> tree_sum_rows8_generic(const Vec<T, 8> rows[8]) {
  alignas(64) T out[8];
  for (int l = 0; l < 8; ++l) out[l] = tree_sum(rows[l]);
  return Vec<T, 8>::load(out);
}

#if GATGRAD_ISA_LEVEL != GATGRAD_ISA_NEON
// Levels 2 and 1 of the tree of four 4-lane rows, at once: out lane k = (a_k0+a_k2) + (a_k1+a_k3).
GATGRAD_INLINE __m128 tree_sum_rows4_sse(__m128 a, __m128 b, __m128 c, __m128 d) {
  // +2: [a0+a2, a1+a3, b0+b2, b1+b3] and the same for c, d
  const __m128 ab = _mm_add_ps(_mm_shuffle_ps(a, b, _MM_SHUFFLE(1, 0, 1, 0)), _mm_shuffle_ps(a, b, _MM_SHUFFLE(3, 2, 3, 2)));
  const __m128 cd = _mm_add_ps(_mm_shuffle_ps(c, d, _MM_SHUFFLE(1, 0, 1, 0)), _mm_shuffle_ps(c, d, _MM_SHUFFLE(3, 2, 3, 2)));
  // +1: [ab0+ab1, ab2+ab3, cd0+cd1, cd2+cd3] = [a, b, c, d]
  return _mm_add_ps(_mm_shuffle_ps(ab, cd, _MM_SHUFFLE(2, 0, 2, 0)), _mm_shuffle_ps(ab, cd, _MM_SHUFFLE(3, 1, 3, 1)));
}
#else
GATGRAD_INLINE float32x4_t tree_sum_rows4_neon(float32x4_t a, float32x4_t b, float32x4_t c, float32x4_t d) {
  auto lo = [](float32x4_t x, float32x4_t y) {  // [x0, x1, y0, y1]
    return vreinterpretq_f32_f64(vzip1q_f64(vreinterpretq_f64_f32(x), vreinterpretq_f64_f32(y)));
  };
  auto hi = [](float32x4_t x, float32x4_t y) {  // [x2, x3, y2, y3]
    return vreinterpretq_f32_f64(vzip2q_f64(vreinterpretq_f64_f32(x), vreinterpretq_f64_f32(y)));
  };
  const float32x4_t ab = vaddq_f32(lo(a, b), hi(a, b));
  const float32x4_t cd = vaddq_f32(lo(c, d), hi(c, d));
  return vaddq_f32(vuzp1q_f32(ab, cd), vuzp2q_f32(ab, cd));
}
#endif

template <class T>
GATGRAD_INLINE Vec<T, 8> tree_sum_rows8(const Vec<T, 8> rows[8]) {
  if constexpr (std::is_same_v<T, float>) {
    using V = Vec<float, 8>;
#if GATGRAD_ISA_X86_AVX
    if constexpr (V::R == 1) {  // one ymm per row
      // +4: rows paired (0,4), (1,5), (2,6), (3,7), so that the last level lands in order
      auto half_sums = [&](int p, int q) {
        const __m256 x = rows[p].r[0], y = rows[q].r[0];
        return _mm256_add_ps(_mm256_permute2f128_ps(x, y, 0x20), _mm256_permute2f128_ps(x, y, 0x31));
      };
      const __m256 s04 = half_sums(0, 4), s15 = half_sums(1, 5), s26 = half_sums(2, 6), s37 = half_sums(3, 7);
      // +2, then +1, in each 128-bit half: the low half ends as rows 0..3, the high as 4..7
      const __m256 t01 = _mm256_add_ps(_mm256_shuffle_ps(s04, s15, _MM_SHUFFLE(1, 0, 1, 0)),
                                       _mm256_shuffle_ps(s04, s15, _MM_SHUFFLE(3, 2, 3, 2)));
      const __m256 t23 = _mm256_add_ps(_mm256_shuffle_ps(s26, s37, _MM_SHUFFLE(1, 0, 1, 0)),
                                       _mm256_shuffle_ps(s26, s37, _MM_SHUFFLE(3, 2, 3, 2)));
      V out;
      out.r[0] = typename V::B(_mm256_add_ps(_mm256_shuffle_ps(t01, t23, _MM_SHUFFLE(2, 0, 2, 0)),
                                             _mm256_shuffle_ps(t01, t23, _MM_SHUFFLE(3, 1, 3, 1))));
      return out;
    }
#endif
#if !GATGRAD_ISA_X86_AVX  // (sse2 and neon: two 4-lane registers per row; +4 is lo + hi)
    static_assert(V::R == 2);
#if GATGRAD_ISA_LEVEL != GATGRAD_ISA_NEON
    __m128 s[8];
    for (int k = 0; k < 8; ++k) s[k] = _mm_add_ps(rows[k].r[0], rows[k].r[1]);
    V out;
    out.r[0] = typename V::B(tree_sum_rows4_sse(s[0], s[1], s[2], s[3]));
    out.r[1] = typename V::B(tree_sum_rows4_sse(s[4], s[5], s[6], s[7]));
    return out;
#else
    float32x4_t s[8];
    for (int k = 0; k < 8; ++k) s[k] = vaddq_f32(rows[k].r[0], rows[k].r[1]);
    V out;
    out.r[0] = typename V::B(tree_sum_rows4_neon(s[0], s[1], s[2], s[3]));
    out.r[1] = typename V::B(tree_sum_rows4_neon(s[4], s[5], s[6], s[7]));
    return out;
#endif
#endif
  }
  return tree_sum_rows8_generic(rows);
}

}  // namespace gatgrad::GATGRAD_ISA_NS::simd
