// Logical SIMD vectors: Vec<T, N> holds N lanes of T whatever the hardware's register width.
// Private to the instruction-set units (autograd/kernels/unit.cpp, graph/kernels/unit.cpp),
// which are compiled once per level with GATGRAD_ISA_LEVEL and GATGRAD_ISA_NS set by the build:
//
//   level    registers a Vec<float, 16> is made of     FMA
//   sse2     four  128-bit (xsimd::sse2)                 no: fma(a, b, c) is a·b then + c
//   avx2     two   256-bit (xsimd::fma3<avx2>)           yes
//   avx512   one   512-bit (xsimd::avx512bw)             yes (vfmadd: xsimd 8.1's avx512 fma is unfused)
//   neon     four  128-bit (xsimd::neon64)               yes
//
// Kernels are written on Vec only, so every lane-count decision (which path a segment takes, how
// partial sums are reduced, how bits are packed) is made in logical lanes and never depends on
// the register width: the hardware width is known in this file alone. A Vec<T, N> uses the widest
// register of the level with at most N lanes (Vec<float, 8> is one ymm register on avx512 too).
// Every operation is elementwise except the few named reductions in simd/reduce.hpp, whose order
// is fixed in logical lanes.
//
// Each unit puts all of this in its own namespace gatgrad::GATGRAD_ISA_NS (isa_sse2, isa_avx2,
// ...), so no inline function compiled for one level can be the copy another level links.
#pragma once
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "autograd/kernels/isa_levels.hpp"

#if !defined(GATGRAD_ISA_LEVEL) || !defined(GATGRAD_ISA_NS)
#error "simd/vec.hpp belongs to an instruction-set unit: the build defines GATGRAD_ISA_LEVEL and GATGRAD_ISA_NS"
#endif

#include "autograd/kernels/simd/xsimd_include.hpp"

#if GATGRAD_ISA_LEVEL == GATGRAD_ISA_AVX2 || GATGRAD_ISA_LEVEL == GATGRAD_ISA_AVX512
#include <immintrin.h>
#define GATGRAD_ISA_X86_AVX 1
#else
#define GATGRAD_ISA_X86_AVX 0
#endif
#if GATGRAD_ISA_LEVEL == GATGRAD_ISA_NEON
#include <arm_neon.h>
#endif

// The small functions of the SIMD layer are always inlined: they are a few instructions each,
// and a call would pass their registers through memory.
#define GATGRAD_INLINE inline __attribute__((always_inline))
#if defined(__clang__)
#define GATGRAD_LAMBDA_INLINE
#else
#define GATGRAD_LAMBDA_INLINE [[gnu::always_inline]]
#endif

namespace gatgrad::GATGRAD_ISA_NS::simd {

// ---- the registers of this level ----

// The xsimd architecture of the widest register of this level holding at most `lanes` values of T.
template <class T, int lanes>
struct NativeArch {
  static constexpr int bytes = lanes * static_cast<int>(sizeof(T));
#if GATGRAD_ISA_LEVEL == GATGRAD_ISA_SSE2
  using type = xsimd::sse2;
#elif GATGRAD_ISA_LEVEL == GATGRAD_ISA_AVX2
  using type = std::conditional_t<(bytes >= 32), xsimd::fma3<xsimd::avx2>, xsimd::sse4_2>;
#elif GATGRAD_ISA_LEVEL == GATGRAD_ISA_AVX512
  using type = std::conditional_t<(bytes >= 64), xsimd::avx512bw,
                                  std::conditional_t<(bytes >= 32), xsimd::fma3<xsimd::avx2>, xsimd::sse4_2>>;
#elif GATGRAD_ISA_LEVEL == GATGRAD_ISA_NEON
  using type = xsimd::neon64;
#endif
};

// Whether this level has a fused multiply-add (one rounding).
constexpr bool kFusedMultiplyAdd = GATGRAD_ISA_LEVEL != GATGRAD_ISA_SSE2;

// a·b + c for one register: one rounding on the levels with FMA, two on sse2.
template <class B>
GATGRAD_INLINE B fma_native(const B& a, const B& b, const B& c) {
  using A = typename B::arch_type;
  using T [[maybe_unused]] = typename B::value_type;
  if constexpr (std::is_same_v<A, xsimd::sse2>) {
    return a * b + c;
#if GATGRAD_ISA_X86_AVX
  } else if constexpr (std::is_same_v<A, xsimd::sse4_2>) {  // xsimd treats sse4_2 as FMA-less
    if constexpr (std::is_same_v<T, float>)
      return B(_mm_fmadd_ps(a, b, c));
    else
      return B(_mm_fmadd_pd(a, b, c));
#endif
#if GATGRAD_ISA_LEVEL == GATGRAD_ISA_AVX512
  } else if constexpr (std::is_same_v<A, xsimd::avx512bw>) {  // xsimd 8.1 computes a·b + c unfused here
    if constexpr (std::is_same_v<T, float>)
      return B(_mm512_fmadd_ps(a, b, c));
    else
      return B(_mm512_fmadd_pd(a, b, c));
#endif
  } else {  // fma3<avx2>, neon64: xsimd's fma is the hardware's
    return xsimd::fma(a, b, c);
  }
}

// a·b + c on scalars with this level's rounding (so scalar and vector code agree).
template <class T>
GATGRAD_INLINE T fma_scalar(T a, T b, T c) {
  if constexpr (kFusedMultiplyAdd) {
    return __builtin_fma(a, b, c);  // compiled to the FMA instruction on these levels
  } else {
    const T p = a * b;  // (-ffp-contract=off: never fused behind our back)
    return p + c;
  }
}
GATGRAD_INLINE float fma_scalar(float a, float b, float c) {
  if constexpr (kFusedMultiplyAdd) {
    return __builtin_fmaf(a, b, c);
  } else {
    const float p = a * b;
    return p + c;
  }
}

template <class T, class A>
GATGRAD_INLINE uint32_t mask_bits_generic(const xsimd::batch_bool<T, A>& m);

// Bit l of the result is lane l of the mask.
template <class T, class A>
GATGRAD_INLINE uint32_t mask_bits_native(const xsimd::batch_bool<T, A>& m) {
  using M [[maybe_unused]] = xsimd::batch_bool<T, A>;
#if GATGRAD_ISA_LEVEL == GATGRAD_ISA_AVX512
  if constexpr (std::is_same_v<A, xsimd::avx512bw>) {
    return static_cast<uint32_t>(static_cast<typename M::register_type>(m));
  } else
#endif
#if GATGRAD_ISA_X86_AVX
  if constexpr (std::is_same_v<A, xsimd::fma3<xsimd::avx2>>) {
    if constexpr (std::is_same_v<T, float>)
      return static_cast<uint32_t>(_mm256_movemask_ps(m));
    else
      return static_cast<uint32_t>(_mm256_movemask_pd(m));
  } else
#endif
#if GATGRAD_ISA_LEVEL != GATGRAD_ISA_NEON
  if constexpr (std::is_same_v<A, xsimd::sse2> || std::is_same_v<A, xsimd::sse4_2>) {
    if constexpr (std::is_same_v<T, float>)
      return static_cast<uint32_t>(_mm_movemask_ps(m));
    else
      return static_cast<uint32_t>(_mm_movemask_pd(m));
  } else
#endif
  {
    return mask_bits_generic(m);
  }
}

// Bit l of the result is lane l of the mask (through memory: any register).
template <class T, class A>
GATGRAD_INLINE uint32_t mask_bits_generic(const xsimd::batch_bool<T, A>& m) {
  constexpr int W = static_cast<int>(xsimd::batch_bool<T, A>::size);
  alignas(64) bool lane[W];
  m.store_aligned(lane);
  uint32_t bits = 0;
  for (int l = 0; l < W; ++l) bits |= static_cast<uint32_t>(lane[l]) << l;
  return bits;
}

// The lanes of every chunked loop over an array: 16, on every level.
constexpr int kLanes = 16;

// f(k, m) for the chunks [k, k + m) of [0, n), m = kLanes but for the last.
template <class F>
GATGRAD_INLINE void for_chunks(int64_t n, F&& f) {
  int64_t k = 0;
  for (; k + kLanes <= n; k += kLanes) f(k, int64_t{kLanes});
  if (k < n) f(k, n - k);
}

// ---- Vec<T, N>: N lanes as N / W registers of W lanes ----

template <class T, int N>
struct Mask;

template <class T, int N>
struct Vec {
  using value_type = T;
  using B = xsimd::batch<T, typename NativeArch<T, N>::type>;
  static constexpr int W = static_cast<int>(B::size);  // lanes per register (this level's business)
  static constexpr int R = N / W;                      // registers
  static constexpr int size = N;
  static_assert(N % W == 0 && R >= 1, "a Vec is a whole number of registers");
  B r[R];

  GATGRAD_INLINE static Vec zero() { return splat(T(0)); }
  GATGRAD_INLINE static Vec splat(T v) {
    Vec x;
    for (int k = 0; k < R; ++k) x.r[k] = B(v);
    return x;
  }
  GATGRAD_INLINE static Vec load(const T* p) {  // p need not be aligned
    Vec x;
    for (int k = 0; k < R; ++k) x.r[k] = B::load_unaligned(p + k * W);
    return x;
  }
  GATGRAD_INLINE void store(T* p) const {
    for (int k = 0; k < R; ++k) r[k].store_unaligned(p + k * W);
  }
  // Lanes [0, n) from p, the others 0 (n <= N); reads nothing at or past p + n.
  static Vec load_first(const T* p, int64_t n);
  // Lanes [0, n) to p (n <= N); writes nothing at or past p + n.
  void store_first(T* p, int64_t n) const;
  // The lanes, in order.
  void to_array(T* out) const { store(out); }
  T lane(int l) const {
    alignas(64) T a[N];
    store(a);
    return a[l];
  }
};

template <class T, int N>
struct Mask {
  using BB = typename Vec<T, N>::B::batch_bool_type;
  static constexpr int R = Vec<T, N>::R, W = Vec<T, N>::W;
  BB r[R];
  // Bit l is lane l (N <= 32).
  GATGRAD_INLINE uint32_t bits() const {
    uint32_t b = 0;
    for (int k = 0; k < R; ++k) b |= mask_bits_native(r[k]) << (k * W);
    return b;
  }
};

// ---- elementwise arithmetic ----
#define GATGRAD_VEC_BINARY(op)                                            \
  template <class T, int N>                                               \
  GATGRAD_INLINE Vec<T, N> operator op(const Vec<T, N>& a, const Vec<T, N>& b) {  \
    Vec<T, N> y;                                                          \
    for (int k = 0; k < Vec<T, N>::R; ++k) y.r[k] = a.r[k] op b.r[k];     \
    return y;                                                             \
  }
GATGRAD_VEC_BINARY(+)
GATGRAD_VEC_BINARY(-)
GATGRAD_VEC_BINARY(*)
#undef GATGRAD_VEC_BINARY

// a / b and √a for one register, correctly rounded on every level (xsimd 8.1's float division
// and square root on NEON are reciprocal estimates refined by Newton steps: not IEEE, and not
// the bits of any other level).
template <class B>
GATGRAD_INLINE B div_native(const B& a, const B& b) {
#if GATGRAD_ISA_LEVEL == GATGRAD_ISA_NEON
  if constexpr (std::is_same_v<typename B::value_type, float>)
    return B(vdivq_f32(a, b));
  else
    return B(vdivq_f64(a, b));
#else
  return a / b;
#endif
}
template <class B>
GATGRAD_INLINE B sqrt_native(const B& a) {
#if GATGRAD_ISA_LEVEL == GATGRAD_ISA_NEON
  if constexpr (std::is_same_v<typename B::value_type, float>)
    return B(vsqrtq_f32(a));
  else
    return B(vsqrtq_f64(a));
#else
  return xsimd::sqrt(a);
#endif
}

// x rounded to the nearest integer, ties to even, for |x| < 2^22 (float) or 2^51 (double): one
// rounding instruction where the level has one, else by adding and subtracting 1.5 · 2^mantissa
// (exact IEEE arithmetic); the same value either way.
template <class B>
GATGRAD_INLINE B nearest_integer_native(const B& x) {
  using A = typename B::arch_type;
  using T = typename B::value_type;
#if GATGRAD_ISA_LEVEL == GATGRAD_ISA_NEON
  (void)sizeof(A);
  if constexpr (std::is_same_v<T, float>)
    return B(vrndnq_f32(x));
  else
    return B(vrndnq_f64(x));
#else
  if constexpr (std::is_same_v<A, xsimd::sse2>) {
    const B magic(std::is_same_v<T, float> ? T(12582912.0) : T(6755399441055744.0));
    return (x + magic) - magic;
  } else {
    return xsimd::nearbyint(x);  // roundps / vrndscaleps, to nearest (MXCSR's default)
  }
#endif
}

template <class T, int N>
GATGRAD_INLINE Vec<T, N> operator/(const Vec<T, N>& a, const Vec<T, N>& b) {
  Vec<T, N> y;
  for (int k = 0; k < Vec<T, N>::R; ++k) y.r[k] = div_native(a.r[k], b.r[k]);
  return y;
}

template <class T, int N>
GATGRAD_INLINE Vec<T, N> operator-(const Vec<T, N>& a) {
  Vec<T, N> y;
  for (int k = 0; k < Vec<T, N>::R; ++k) y.r[k] = -a.r[k];
  return y;
}

// a·b + c, lane by lane, with this level's rounding (see fma_native).
template <class T, int N>
GATGRAD_INLINE Vec<T, N> fma(const Vec<T, N>& a, const Vec<T, N>& b, const Vec<T, N>& c) {
  Vec<T, N> y;
  for (int k = 0; k < Vec<T, N>::R; ++k) y.r[k] = fma_native(a.r[k], b.r[k], c.r[k]);
  return y;
}

template <class T, int N>
GATGRAD_INLINE Vec<T, N> max(const Vec<T, N>& a, const Vec<T, N>& b) {
  Vec<T, N> y;
  for (int k = 0; k < Vec<T, N>::R; ++k) y.r[k] = xsimd::max(a.r[k], b.r[k]);
  return y;
}
template <class T, int N>
GATGRAD_INLINE Vec<T, N> min(const Vec<T, N>& a, const Vec<T, N>& b) {
  Vec<T, N> y;
  for (int k = 0; k < Vec<T, N>::R; ++k) y.r[k] = xsimd::min(a.r[k], b.r[k]);
  return y;
}
template <class T, int N>
GATGRAD_INLINE Vec<T, N> abs(const Vec<T, N>& a) {
  Vec<T, N> y;
  for (int k = 0; k < Vec<T, N>::R; ++k) y.r[k] = xsimd::abs(a.r[k]);
  return y;
}
template <class T, int N>
GATGRAD_INLINE Vec<T, N> nearest_integer(const Vec<T, N>& a) {
  Vec<T, N> y;
  for (int k = 0; k < Vec<T, N>::R; ++k) y.r[k] = nearest_integer_native(a.r[k]);
  return y;
}
template <class T, int N>
GATGRAD_INLINE Vec<T, N> sqrt(const Vec<T, N>& a) {  // correctly rounded on every level
  Vec<T, N> y;
  for (int k = 0; k < Vec<T, N>::R; ++k) y.r[k] = sqrt_native(a.r[k]);
  return y;
}

// ---- comparisons and selection ----
#define GATGRAD_VEC_COMPARE(op)                                           \
  template <class T, int N>                                               \
  GATGRAD_INLINE Mask<T, N> operator op(const Vec<T, N>& a, const Vec<T, N>& b) { \
    Mask<T, N> m;                                                         \
    for (int k = 0; k < Vec<T, N>::R; ++k) m.r[k] = a.r[k] op b.r[k];     \
    return m;                                                             \
  }
GATGRAD_VEC_COMPARE(>)
GATGRAD_VEC_COMPARE(>=)
GATGRAD_VEC_COMPARE(<)
GATGRAD_VEC_COMPARE(<=)
GATGRAD_VEC_COMPARE(==)
#undef GATGRAD_VEC_COMPARE
// (No operator!=: xsimd's is ordered on AVX and AVX-512, NaN != NaN being false there and true on
// SSE. The comparisons above are ordered on every level: false whenever a lane is NaN.)

// The NaN lanes.
template <class T, int N>
GATGRAD_INLINE Mask<T, N> is_nan(const Vec<T, N>& a) {
  Mask<T, N> m;
  for (int k = 0; k < Vec<T, N>::R; ++k) m.r[k] = xsimd::isnan(a.r[k]);
  return m;
}

template <class T, int N>
GATGRAD_INLINE Mask<T, N> operator&(const Mask<T, N>& a, const Mask<T, N>& b) {
  Mask<T, N> m;
  for (int k = 0; k < Mask<T, N>::R; ++k) m.r[k] = a.r[k] && b.r[k];
  return m;
}
template <class T, int N>
GATGRAD_INLINE Mask<T, N> operator|(const Mask<T, N>& a, const Mask<T, N>& b) {
  Mask<T, N> m;
  for (int k = 0; k < Mask<T, N>::R; ++k) m.r[k] = a.r[k] || b.r[k];
  return m;
}

// m ? a : b, lane by lane.
template <class T, int N>
GATGRAD_INLINE Vec<T, N> select(const Mask<T, N>& m, const Vec<T, N>& a, const Vec<T, N>& b) {
  Vec<T, N> y;
  for (int k = 0; k < Vec<T, N>::R; ++k) y.r[k] = xsimd::select(m.r[k], a.r[k], b.r[k]);
  return y;
}

// 0, 1, 2, ..., N-1.
template <class T, int N>
struct Iota {
  alignas(64) T lane[N];
  constexpr Iota() : lane() {
    for (int l = 0; l < N; ++l) lane[l] = static_cast<T>(l);
  }
};
template <class T, int N>
GATGRAD_INLINE Vec<T, N> iota() {
  static constexpr Iota<T, N> values{};
  return Vec<T, N>::load(values.lane);
}

// The mask whose lanes l < n are set.
template <class T, int N>
GATGRAD_INLINE Mask<T, N> first_lanes(int64_t n) {
  return iota<T, N>() < Vec<T, N>::splat(static_cast<T>(n));
}

// The mask of the lanes whose bit is set in `bits` (bit l = lane l).
template <class T, int N>
GATGRAD_INLINE Mask<T, N> mask_from_bits(uint32_t bits) {
  using M = Mask<T, N>;
  using A = typename Vec<T, N>::B::arch_type;
  constexpr int W = M::W;
  M m;
  for (int k = 0; k < M::R; ++k) {
    const uint32_t b = (bits >> (k * W)) & ((W >= 32 ? 0u : (1u << W)) - 1u);
#if GATGRAD_ISA_LEVEL == GATGRAD_ISA_AVX512
    if constexpr (std::is_same_v<A, xsimd::avx512bw>) {
      m.r[k] = typename M::BB(static_cast<typename M::BB::register_type>(b));
      continue;
    }
#endif
#if GATGRAD_ISA_X86_AVX
    if constexpr (std::is_same_v<A, xsimd::fma3<xsimd::avx2>>) {
      if constexpr (std::is_same_v<T, float>) {
        const __m256i lane_bit = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
        const __m256i v = _mm256_and_si256(_mm256_set1_epi32(static_cast<int>(b)), lane_bit);
        m.r[k] = typename M::BB(_mm256_castsi256_ps(_mm256_cmpeq_epi32(v, lane_bit)));
      } else {
        const __m256i lane_bit = _mm256_setr_epi64x(1, 2, 4, 8);
        const __m256i v = _mm256_and_si256(_mm256_set1_epi64x(b), lane_bit);
        m.r[k] = typename M::BB(_mm256_castsi256_pd(_mm256_cmpeq_epi64(v, lane_bit)));
      }
      continue;
    }
#endif
    alignas(64) T a[W];
    for (int l = 0; l < W; ++l) a[l] = static_cast<T>((b >> l) & 1u);
    m.r[k] = xsimd::batch<T, A>::load_aligned(a) > xsimd::batch<T, A>(T(0));
  }
  return m;
}

// ---- partial loads and stores ----

// Copies n < 16 values without letting the compiler turn the loop into a memcpy call (which costs
// several times the copy for a handful of values).
template <class T>
GATGRAD_INLINE void copy_few(T* dst, const T* src, int64_t n) {
  for (int64_t k = 0; k < n; ++k) {
    T v = src[k];
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    asm("" : "+x"(v));
#elif defined(__GNUC__) && defined(__aarch64__)
    asm("" : "+w"(v));
#endif
    dst[k] = v;
  }
}

#if GATGRAD_ISA_X86_AVX
// The AVX mask of the first n (0..W) lanes of a 256-bit register of T.
template <class T>
GATGRAD_INLINE __m256i avx_first_lanes(int64_t n) {
  if constexpr (std::is_same_v<T, float>)
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  else
    return _mm256_cmpgt_epi64(_mm256_set1_epi64x(n), _mm256_setr_epi64x(0, 1, 2, 3));
}
#endif

template <class T, int N>
GATGRAD_INLINE Vec<T, N> Vec<T, N>::load_first(const T* p, int64_t n) {
  if (n >= N) return load(p);
#if GATGRAD_ISA_LEVEL == GATGRAD_ISA_AVX512
  if constexpr (std::is_same_v<typename B::arch_type, xsimd::avx512bw> && R == 1) {
    Vec x;
    if constexpr (std::is_same_v<T, float>)
      x.r[0] = B(_mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << n) - 1u), p));
    else
      x.r[0] = B(_mm512_maskz_loadu_pd(static_cast<__mmask8>((1u << n) - 1u), p));
    return x;
  }
#endif
#if GATGRAD_ISA_X86_AVX
  if constexpr (std::is_same_v<typename B::arch_type, xsimd::fma3<xsimd::avx2>>) {  // vmaskmov per register
    Vec x;
    for (int k = 0; k < R; ++k) {
      const int64_t m = n - k * W;
      if (m <= 0) {
        x.r[k] = B(T(0));
      } else if (m >= W) {
        x.r[k] = B::load_unaligned(p + k * W);
      } else if constexpr (std::is_same_v<T, float>) {
        x.r[k] = B(_mm256_maskload_ps(p + k * W, avx_first_lanes<T>(m)));
      } else {
        x.r[k] = B(_mm256_maskload_pd(p + k * W, avx_first_lanes<T>(m)));
      }
    }
    return x;
  }
#endif
  alignas(64) T a[N] = {};
  copy_few(a, p, n);
  return load(a);
}

template <class T, int N>
GATGRAD_INLINE void Vec<T, N>::store_first(T* p, int64_t n) const {
  if (n >= N) {
    store(p);
    return;
  }
#if GATGRAD_ISA_LEVEL == GATGRAD_ISA_AVX512
  if constexpr (std::is_same_v<typename B::arch_type, xsimd::avx512bw> && R == 1) {
    if constexpr (std::is_same_v<T, float>)
      _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << n) - 1u), r[0]);
    else
      _mm512_mask_storeu_pd(p, static_cast<__mmask8>((1u << n) - 1u), r[0]);
    return;
  }
#endif
#if GATGRAD_ISA_X86_AVX
  if constexpr (std::is_same_v<typename B::arch_type, xsimd::fma3<xsimd::avx2>>) {
    for (int k = 0; k < R; ++k) {
      const int64_t m = n - k * W;
      if (m <= 0) break;
      if (m >= W)
        r[k].store_unaligned(p + k * W);
      else if constexpr (std::is_same_v<T, float>)
        _mm256_maskstore_ps(p + k * W, avx_first_lanes<T>(m), r[k]);
      else
        _mm256_maskstore_pd(p + k * W, avx_first_lanes<T>(m), r[k]);
    }
    return;
  }
#endif
  alignas(64) T a[N];
  store(a);
  copy_few(p, a, n);
}

// v[idx[l]] for the lanes l < n (the others 0); reads no idx[l] for l >= n.
template <class T, int N>
GATGRAD_INLINE Vec<T, N> gather(const T* v, const int32_t* idx, int64_t n) {
  using V = Vec<T, N>;
#if GATGRAD_ISA_X86_AVX
  if constexpr (std::is_same_v<T, float> && std::is_same_v<typename V::B::arch_type, xsimd::fma3<xsimd::avx2>>) {
    V x;
    for (int k = 0; k < V::R; ++k) {
      const int64_t m = n - k * 8;
      if (m <= 0) {
        x.r[k] = typename V::B(0.0f);
        continue;
      }
      const __m256i in = avx_first_lanes<float>(m);
      const __m256i at = _mm256_maskload_epi32(idx + k * 8, in);
      x.r[k] = typename V::B(_mm256_mask_i32gather_ps(_mm256_setzero_ps(), v, at, _mm256_castsi256_ps(in), 4));
    }
    return x;
  }
#endif
  alignas(64) T a[N] = {};
  const int64_t m = n < N ? n : N;
  for (int64_t l = 0; l < m; ++l) a[l] = v[idx[l]];
  return V::load(a);
}

// ---- unsigned 32-bit lanes beside the float lanes (for counter-based random numbers) ----

template <int N>
struct U32Vec {
  using B = xsimd::batch<uint32_t, typename NativeArch<float, N>::type>;
  static constexpr int W = static_cast<int>(B::size), R = N / W;
  B r[R];
  GATGRAD_INLINE static U32Vec splat(uint32_t v) {
    U32Vec x;
    for (int k = 0; k < R; ++k) x.r[k] = B(v);
    return x;
  }
  GATGRAD_INLINE static U32Vec iota() {  // 0, 1, ..., N-1
    alignas(64) uint32_t a[N];
    for (int l = 0; l < N; ++l) a[l] = static_cast<uint32_t>(l);
    U32Vec x;
    for (int k = 0; k < R; ++k) x.r[k] = B::load_aligned(a + k * W);
    return x;
  }
  void store(uint32_t* p) const {
    for (int k = 0; k < R; ++k) r[k].store_unaligned(p + k * W);
  }
};
#define GATGRAD_U32_BINARY(op)                                         \
  template <int N>                                                     \
  GATGRAD_INLINE U32Vec<N> operator op(const U32Vec<N>& a, const U32Vec<N>& b) { \
    U32Vec<N> y;                                                       \
    for (int k = 0; k < U32Vec<N>::R; ++k) y.r[k] = a.r[k] op b.r[k];  \
    return y;                                                          \
  }
GATGRAD_U32_BINARY(+)
GATGRAD_U32_BINARY(*)
GATGRAD_U32_BINARY(^)
GATGRAD_U32_BINARY(&)
GATGRAD_U32_BINARY(|)
#undef GATGRAD_U32_BINARY
template <int N>
GATGRAD_INLINE U32Vec<N> operator>>(const U32Vec<N>& a, int s) {
  U32Vec<N> y;
  for (int k = 0; k < U32Vec<N>::R; ++k) y.r[k] = a.r[k] >> s;
  return y;
}
// The lanes (all below 2^24) as exact floats.
template <int N>
GATGRAD_INLINE Vec<float, N> to_float(const U32Vec<N>& a) {
  Vec<float, N> y;
  for (int k = 0; k < U32Vec<N>::R; ++k)
    y.r[k] = xsimd::batch_cast<float>(xsimd::bitwise_cast<xsimd::batch<int32_t, typename NativeArch<float, N>::type>>(a.r[k]));
  return y;
}

}  // namespace gatgrad::GATGRAD_ISA_NS::simd
