// GEMM packing: operands copied into micro-panels of R "rows" (R = MR for A, NR for B) laid out
// k-major, dst[k*R + r], k in [0, kc), zero-padded for r >= valid. Packing handles the
// transposes, so the four trans_a/trans_b combinations run the same micro-kernel. Also the
// reusable aligned buffers and the prefetch stream the micro-kernels feed. Private to the units.
#pragma once
#include <cstring>
#include <new>
#include <vector>

#include "autograd/kernels/gemm/blocking.hpp"

namespace gatgrad::GATGRAD_ISA_NS::gemm {

// ---- reusable 64-byte aligned buffers (grow-only: no malloc per call in steady state) ----

template <class T>
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  AlignedBuffer(AlignedBuffer&& o) noexcept : p_(o.p_), cap_(o.cap_) {
    o.p_ = nullptr;
    o.cap_ = 0;
  }
  ~AlignedBuffer() { release(); }

  T* get(int64_t n) {
    if (n > cap_) {
      release();
      const int64_t cap = round_up(max64(n, 1024), 1024);
      p_ = static_cast<T*>(::operator new(static_cast<size_t>(cap) * sizeof(T), std::align_val_t{kCacheLine}));
      cap_ = cap;
    }
    return p_;
  }

 private:
  void release() {
    if (p_) ::operator delete(p_, std::align_val_t{kCacheLine});
    p_ = nullptr;
    cap_ = 0;
  }
  T* p_ = nullptr;
  int64_t cap_ = 0;
};

// Packed A block: used inside one task body only (no parallel call while it is held), so one
// per thread suffices.
template <class T>
T* thread_a_buffer(int64_t n) {
  thread_local AlignedBuffer<T> buf;
  return buf.get(n);
}

// Packed B region: held by the calling thread across a parallel loop, during which the thread
// may run a stolen task that calls gemm again. Hence a per-thread stack (LIFO nesting).
template <class T>
class BRegionLease {
 public:
  explicit BRegionLease(int64_t n) {
    Stack& s = stack();
    if (s.depth == s.bufs.size()) s.bufs.emplace_back();
    ptr_ = s.bufs[s.depth].get(n);  // may throw: take the level only once it succeeded
    ++s.depth;
  }
  ~BRegionLease() { --stack().depth; }
  BRegionLease(const BRegionLease&) = delete;
  BRegionLease& operator=(const BRegionLease&) = delete;
  T* get() const { return ptr_; }

 private:
  struct Stack {
    std::vector<AlignedBuffer<T>> bufs;
    size_t depth = 0;
  };
  static Stack& stack() {
    thread_local Stack s;
    return s;
  }
  T* ptr_;
};

// ---- prefetching the next A source while the micro-kernels run ----
// Rows × `per_row` addresses `step` bytes apart, one address every two k steps, so that memory
// traffic overlaps the FMAs instead of stalling the packing.
struct PrefetchStream {
  const char* row = nullptr;
  int64_t ld = 0;       // bytes between rows
  int64_t step = 0;     // bytes between addresses of one row
  int64_t per_row = 0;  // addresses per row
  int64_t col = 0;      // next address of the current row
  int64_t left = 0;     // addresses still to prefetch
  void next() {
    __builtin_prefetch(row + col * step, 0, 3);
    if (++col == per_row) {
      col = 0;
      row += ld;
    }
    --left;
  }
  const char* take() {  // the next address, consumed without prefetching it
    const char* p = row + col * step;
    if (++col == per_row) {
      col = 0;
      row += ld;
    }
    --left;
    return p;
  }
  void drain() {
    while (left > 0) next();
  }
};

// ---- packing ----

// Panels of R "rows" side by side: for panel q (q < ceil(width/R)),
//   dst[q*R*kc + k*R + r] = src[k*ld + q*R + r]  (0 where q*R + r >= width),  k < kc.
// Walks the source row by row (contiguous reads of `width` values), writing each panel's slot.
template <class T, int64_t R>
void copy_pack(const T* src, int64_t ld, int64_t width, int64_t kc, T* dst) {
  const int64_t full = width / R, rest = width - full * R;
  const int64_t pstride = R * kc;
  constexpr int64_t kAhead = 8;  // rows prefetched ahead (source rows are far apart in memory)
  const int64_t line = kCacheLine / static_cast<int64_t>(sizeof(T));
  for (int64_t k = 0; k < kc; ++k) {
    const T* s = src + k * ld;
    if (k + kAhead < kc)
      for (int64_t off = 0; off < width; off += line) __builtin_prefetch(s + kAhead * ld + off, 0, 3);
    T* d = dst + k * R;
    for (int64_t q = 0; q < full; ++q) std::memcpy(d + q * pstride, s + q * R, R * sizeof(T));
    if (rest > 0) {
      T* dr = d + full * pstride;
      int64_t r = 0;
      for (; r < rest; ++r) dr[r] = s[full * R + r];
      for (; r < R; ++r) dr[r] = T(0);
    }
  }
}

#if GATGRAD_ISA_X86_AVX
// Stores the first `count` (1..8) lanes of v.
inline void store_first(float* d, __m256 v, int64_t count) {
  if (count == 8) {
    _mm256_storeu_ps(d, v);
    return;
  }
  if (count == 6) {
    _mm_storeu_ps(d, _mm256_castps256_ps128(v));
    _mm_storel_pi(reinterpret_cast<__m64*>(d + 4), _mm256_extractf128_ps(v, 1));
    return;
  }
  // lanes [0, count) of the mask set: lane l holds l - count, negative (sign bit set) below count
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  _mm256_maskstore_ps(d, _mm256_sub_epi32(lane, _mm256_set1_epi32(static_cast<int>(count))), v);
}
inline void store_first(double* d, __m256d v, int64_t count) {
  if (count == 4) {
    _mm256_storeu_pd(d, v);
  } else if (count == 2) {
    _mm_storeu_pd(d, _mm256_castpd256_pd128(v));
  } else {
    alignas(32) double tmp[4];
    _mm256_store_pd(tmp, v);
    std::memcpy(d, tmp, static_cast<size_t>(count) * sizeof(double));
  }
}

// In-register 8×8 transpose: on return r[k] holds column k of the input rows.
inline void transpose8(__m256 r[8]) {
  const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
  const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  const __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  const __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  const __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  const __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  r[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
  r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
  r[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
  r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
  r[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
  r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
  r[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
  r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

// In-register 4×4 transpose of doubles.
inline void transpose4(__m256d r[4]) {
  const __m256d t0 = _mm256_unpacklo_pd(r[0], r[1]), t1 = _mm256_unpackhi_pd(r[0], r[1]);
  const __m256d t2 = _mm256_unpacklo_pd(r[2], r[3]), t3 = _mm256_unpackhi_pd(r[2], r[3]);
  r[0] = _mm256_permute2f128_pd(t0, t2, 0x20);
  r[1] = _mm256_permute2f128_pd(t1, t3, 0x20);
  r[2] = _mm256_permute2f128_pd(t0, t2, 0x31);
  r[3] = _mm256_permute2f128_pd(t1, t3, 0x31);
}

template <class T>
struct Avx;
template <>
struct Avx<float> {
  using reg = __m256;
  static constexpr int64_t G = 8;
  static reg load(const float* p) { return _mm256_loadu_ps(p); }
  static reg zero() { return _mm256_setzero_ps(); }
  static void transpose(reg* r) { transpose8(r); }
};
template <>
struct Avx<double> {
  using reg = __m256d;
  static constexpr int64_t G = 4;
  static reg load(const double* p) { return _mm256_loadu_pd(p); }
  static reg zero() { return _mm256_setzero_pd(); }
  static void transpose(reg* r) { transpose4(r); }
};
#endif

// dst[k*R + r] = r < valid ? src[r*ld + k] : 0  for k < kc (a pure copy: the AVX levels move
// 8×8 blocks through registers, every level gets the same values).
template <class T, int64_t R>
void transpose_pack(const T* src, int64_t ld, int64_t valid, int64_t kc, T* dst) {
  int64_t k0 = 0;
#if GATGRAD_ISA_X86_AVX
  using X = Avx<T>;
  constexpr int64_t G = X::G;  // rows (and ks) per in-register transpose
  const int64_t kv = kc / G * G;
  for (int64_t g = 0; g < R; g += G) {
    const int64_t count = min64(G, R - g);                        // lanes stored per k
    const int64_t rows = max64(0, min64(valid - g, count));      // rows read from src
    for (int64_t k = 0; k < kv; k += G) {
      typename X::reg v[G];
      for (int64_t i = 0; i < G; ++i) v[i] = i < rows ? X::load(src + (g + i) * ld + k) : X::zero();
      X::transpose(v);
      for (int64_t i = 0; i < G; ++i) store_first(dst + (k + i) * R + g, v[i], count);
    }
  }
  k0 = kv;
#endif
  for (int64_t k = k0; k < kc; ++k) {
    T* d = dst + k * R;
    int64_t r = 0;
    for (; r < valid; ++r) d[r] = src[r * ld + k];
    for (; r < R; ++r) d[r] = T(0);
  }
}

// Packs op(A)[i0 : i0+mc, p0 : p0+kc] into MR-row micro-panels (panel q at dst + q*MR*kc).
template <class T>
void pack_a(bool trans_a, const T* A, int64_t lda, int64_t i0, int64_t mc, int64_t p0, int64_t kc, T* dst) {
  constexpr int64_t MR = Blocking<T>::MR;
  if (trans_a) {  // op(A)[i][k] = A[k][i]: rows of A are contiguous along i
    copy_pack<T, MR>(A + p0 * lda + i0, lda, mc, kc, dst);
    return;
  }
  for (int64_t ir = 0; ir < mc; ir += MR)  // op(A)[i][k] = A[i][k]
    transpose_pack<T, MR>(A + (i0 + ir) * lda + p0, lda, min64(MR, mc - ir), kc, dst + ir * kc);
}

// The source of op(A)[i0 : i0+mc, p0 : p0+kc] as a prefetch stream (one micro-panel when
// mc <= MR: for a transposed A, only the line of each row's last value is needed, the first
// value's line being the same or holding the previous panel's last value).
template <class T>
PrefetchStream a_prefetch(bool trans_a, const T* A, int64_t lda, int64_t i0, int64_t mc, int64_t p0, int64_t kc) {
  constexpr int64_t S = static_cast<int64_t>(sizeof(T));
  PrefetchStream pf;
  pf.ld = lda * S;
  pf.step = kCacheLine;
  if (trans_a && mc <= Blocking<T>::MR) {  // kc rows of A, mc values each
    pf.row = reinterpret_cast<const char*>(A + p0 * lda + i0 + mc - 1);
    pf.per_row = 1;
    pf.left = kc;
  } else if (trans_a) {  // kc rows of A, mc values each
    pf.row = reinterpret_cast<const char*>(A + p0 * lda + i0);
    pf.per_row = ceil_div(mc * S, kCacheLine) + 1;
    pf.left = kc * pf.per_row;
  } else {  // mc rows of A, kc values each
    pf.row = reinterpret_cast<const char*>(A + i0 * lda + p0);
    pf.per_row = ceil_div(kc * S, kCacheLine) + 1;
    pf.left = mc * pf.per_row;
  }
  return pf;
}

// Packs op(B)[p0 : p0+kc, j0 : j0+nc] into NR-column micro-panels (panel q at dst + q*NR*kc).
template <class T>
void pack_b(bool trans_b, const T* B, int64_t ldb, int64_t p0, int64_t kc, int64_t j0, int64_t nc, T* dst) {
  constexpr int64_t NR = Blocking<T>::NR;
  if (!trans_b) {  // op(B)[k][j] = B[k][j]: rows of B are contiguous along j
    copy_pack<T, NR>(B + p0 * ldb + j0, ldb, nc, kc, dst);
    return;
  }
  for (int64_t jr = 0; jr < nc; jr += NR)  // op(B)[k][j] = B[j][k]
    transpose_pack<T, NR>(B + (j0 + jr) * ldb + p0, ldb, min64(NR, nc - jr), kc, dst + jr * kc);
}

}  // namespace gatgrad::GATGRAD_ISA_NS::gemm
