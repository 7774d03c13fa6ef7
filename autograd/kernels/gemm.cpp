// Dense GEMM: C[M,N] = alpha · op(A)[M,K] · op(B)[K,N] + beta · C[M,N], row-major (see gemm.hpp).
//
// Dimension legend
//   M, N, K   rows of C, columns of C, length of the dot products
//   MR × NR   register tile of the micro-kernel (6×16 floats / 6×8 doubles on AVX2)
//   KC        depth of one packed block (K is cut into near-equal blocks of <= KC, fixed by K only)
//   MC        rows of op(A) packed together (one task's A block, lives in L2)
//   NC        columns of op(B) packed together (the shared packed B region, lives in L3)
//
// Structure (Goto/BLIS):
//   for each packed-B region (NC columns × a group of KC blocks):   pack B once, shared by tasks
//     parallel for each task (an M block × an N sub-range; M blocks first, so that narrow
//     products such as N = 64 still split across threads):
//       for each KC block in the region:
//         pack the A block (MC × KC) into a thread-local buffer
//         for each NR micro-panel of B:  for each MR micro-panel of A:  micro-kernel
//       (narrow N range and non-transposed A: each A micro-panel is packed right before its
//        micro-kernels instead, while those kernels prefetch the next micro-panel's source)
// Packing handles the transposes, so the four trans_a/trans_b combinations run the same kernel.
// A is read from memory once per call, which for big operands is DRAM bound: the micro-kernel
// issues software prefetches of the next A source (PrefetchStream) so that this traffic
// overlaps the FMAs.
//
// Determinism: every element of C belongs to exactly one task; its value is the micro-kernel's
// sequential FMA chain over each KC block, the blocks added into C in increasing K order. The KC
// blocks depend only on K, never on the number of threads, and task boundaries are multiples of
// MR/NR (so a tile is "full" or "edge" independently of the split): the bits of C are identical
// for any thread count.
#include "autograd/kernels/gemm.hpp"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <new>
#include <string>
#include <type_traits>
#include <vector>

#include <tbb/blocked_range.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>
#include <tbb/task_arena.h>
#include <xsimd/xsimd.hpp>

#if defined(__AVX__)
#include <immintrin.h>
#endif

#include "autograd/error.hpp"

namespace gatgrad::kernels {
namespace {

// ------------------------------------------------------------------------------------------
// Blocking parameters
// ------------------------------------------------------------------------------------------

template <class T>
struct Blocking {
  using V = xsimd::batch<T>;
  static constexpr int64_t W = static_cast<int64_t>(V::size);  // lanes per batch
  static constexpr int64_t MR = 6;                             // rows of the register tile
  static constexpr int64_t NR = 2 * W;                         // columns of the register tile
  // KC·NR·sizeof(T) = 16 KiB: one B micro-panel stays in half of L1d.
  static constexpr int64_t KC = 16384 / (NR * static_cast<int64_t>(sizeof(T)));
  // MC·KC·sizeof(T) = 144 KiB: the packed A block stays in L2 (512 KiB). A multiple of MR.
  static constexpr int64_t MC = 147456 / (KC * static_cast<int64_t>(sizeof(T))) / MR * MR;
  // Elements of the shared packed B region (8 MiB of float, 8 MiB of double): fits in L3.
  static constexpr int64_t kBRegion = (8 << 20) / static_cast<int64_t>(sizeof(T));
};

constexpr int64_t kCacheLine = 64;

// Problems with fewer multiply-adds (M·N·K) than this run on the calling thread: ~10 µs of work,
// about what handing tasks to oneTBB costs.
constexpr int64_t kSerialWork = int64_t{1} << 18;

// A task whose packed B slice (its columns × KC) is at most this many bytes (so stays in L2)
// packs A one micro-panel at a time, right before use (see gemm_impl).
constexpr int64_t kFusedBBytes = 160 * 1024;

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
inline int64_t round_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }

// ------------------------------------------------------------------------------------------
// Reusable 64-byte aligned buffers (grow-only: no malloc per call in steady state)
// ------------------------------------------------------------------------------------------

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
      const int64_t cap = round_up(std::max<int64_t>(n, 1024), 1024);
      p_ = static_cast<T*>(::operator new(static_cast<size_t>(cap) * sizeof(T),
                                          std::align_val_t{kCacheLine}));
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

// Packed A block: used inside one task body only (no TBB call while it is held), so one per
// thread suffices.
template <class T>
T* thread_a_buffer(int64_t n) {
  thread_local AlignedBuffer<T> buf;
  return buf.get(n);
}

// Packed B region: held by the calling thread across a parallel_for, during which the thread may
// run a stolen task that calls gemm again. Hence a per-thread stack (LIFO nesting) of buffers.
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

// Prefetches spread over the k loops of micro-kernel calls: the source of the next A micro-panel
// or block (rows × `per_row` addresses `step` bytes apart), one address every two k steps, so
// that memory traffic overlaps the FMAs instead of stalling the packing.
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

// ------------------------------------------------------------------------------------------
// Packing
// ------------------------------------------------------------------------------------------
// Both operands are packed into micro-panels of R "rows" (R = MR for A, NR for B) laid out
// k-major: dst[k*R + r], k in [0, kc), zero-padded for r >= valid.
//   copy_pack:      the R values of one k are contiguous in the source: src[k*ld + r]
//   transpose_pack: the kc values of one r are contiguous in the source: src[r*ld + k]

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

#if defined(__AVX__)
// Stores the first `count` (1..8) lanes of v.
inline void store_first(float* d, __m256 v, int64_t count) {
  if (count == 8) {
    _mm256_storeu_ps(d, v);
    return;
  }
  alignas(32) float tmp[8];
  if (count == 6) {
    _mm_storeu_ps(d, _mm256_castps256_ps128(v));
    _mm_storel_pi(reinterpret_cast<__m64*>(d + 4), _mm256_extractf128_ps(v, 1));
    return;
  }
  _mm256_store_ps(tmp, v);
  std::memcpy(d, tmp, static_cast<size_t>(count) * sizeof(float));
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

// dst[k*R + r] = r < valid ? src[r*ld + k] : 0  for k < kc.
template <class T, int64_t R>
void transpose_pack(const T* src, int64_t ld, int64_t valid, int64_t kc, T* dst) {
  int64_t k0 = 0;
#if defined(__AVX__)
  using X = Avx<T>;
  constexpr int64_t G = X::G;  // rows (and ks) per in-register transpose
  const int64_t kv = kc / G * G;
  for (int64_t g = 0; g < R; g += G) {
    const int64_t count = std::min<int64_t>(G, R - g);     // lanes stored per k
    const int64_t rows = std::clamp<int64_t>(valid - g, 0, count);  // rows read from src
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
void pack_a(bool trans_a, const T* A, int64_t lda, int64_t i0, int64_t mc, int64_t p0, int64_t kc,
            T* dst) {
  constexpr int64_t MR = Blocking<T>::MR;
  if (trans_a) {  // op(A)[i][k] = A[k][i]: rows of A are contiguous along i
    copy_pack<T, MR>(A + p0 * lda + i0, lda, mc, kc, dst);
    return;
  }
  for (int64_t ir = 0; ir < mc; ir += MR)  // op(A)[i][k] = A[i][k]
    transpose_pack<T, MR>(A + (i0 + ir) * lda + p0, lda, std::min(MR, mc - ir), kc, dst + ir * kc);
}

// The source of op(A)[i0 : i0+mc, p0 : p0+kc] as a prefetch stream (one micro-panel when
// mc <= MR: for a transposed A, only the line of each row's last value is needed, the first
// value's line being the same or holding the previous panel's last value).
template <class T>
PrefetchStream a_prefetch(bool trans_a, const T* A, int64_t lda, int64_t i0, int64_t mc,
                          int64_t p0, int64_t kc) {
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
void pack_b(bool trans_b, const T* B, int64_t ldb, int64_t p0, int64_t kc, int64_t j0, int64_t nc,
            T* dst) {
  constexpr int64_t NR = Blocking<T>::NR;
  if (!trans_b) {  // op(B)[k][j] = B[k][j]: rows of B are contiguous along j
    copy_pack<T, NR>(B + p0 * ldb + j0, ldb, nc, kc, dst);
    return;
  }
  for (int64_t jr = 0; jr < nc; jr += NR)  // op(B)[k][j] = B[j][k]
    transpose_pack<T, NR>(B + (j0 + jr) * ldb + p0, ldb, std::min(NR, nc - jr), kc, dst + jr * kc);
}

// ------------------------------------------------------------------------------------------
// Micro-kernel: C[MR,NR] (mode) alpha · Ã[MR,kc] · B̃[kc,NR]
// ------------------------------------------------------------------------------------------
// a: packed A micro-panel a[k*MR + r];  b: packed B micro-panel b[k*NR + j] (64-byte aligned).
// Each accumulator lane is one sequential FMA chain over k = 0..kc-1; then
//   mode kOverwrite: C = alpha·acc          (C not read)
//   mode kAdd:       C = alpha·acc + C
//   mode kScale:     C = alpha·acc + beta·C
enum class Mode { kOverwrite, kAdd, kScale };

template <class T>
[[gnu::always_inline]] inline void update_row(T* c, xsimd::batch<T> a0, xsimd::batch<T> a1,
                                              Mode mode, xsimd::batch<T> beta) {
  using V = xsimd::batch<T>;
  constexpr int64_t W = Blocking<T>::W;
  switch (mode) {
    case Mode::kOverwrite:
      break;
    case Mode::kAdd:
      a0 += V::load_unaligned(c);
      a1 += V::load_unaligned(c + W);
      break;
    case Mode::kScale:
      a0 = xsimd::fma(beta, V::load_unaligned(c), a0);
      a1 = xsimd::fma(beta, V::load_unaligned(c + W), a1);
      break;
  }
  a0.store_unaligned(c);
  a1.store_unaligned(c + W);
}

#if defined(__AVX2__) && defined(__FMA__) && defined(__GNUC__) && defined(__x86_64__)
#define GATGRAD_GEMM_ASM 1
// One k step of the 6×16 float tile, at byte offsets AO into the packed A micro-panel (6 values)
// and BO into the packed B micro-panel (16 values, 64-byte aligned):
//   r<i>0 += a[i] · b[0:8],  r<i>1 += a[i] · b[8:16]   (i = 0..5; one vfmadd per batch)
// B's row lives in ymm12/13 and the broadcast A values alternate between ymm14/15, leaving the
// 12 accumulators in ymm0..11: no spill, no reload, no register copy.
#define GATGRAD_F32_FMA2(ACC0, ACC1, AREG)          \
  "vfmadd231ps %%ymm12, %%" AREG ", %[" ACC0 "]\n\t" \
  "vfmadd231ps %%ymm13, %%" AREG ", %[" ACC1 "]\n\t"
#define GATGRAD_F32_STEP(AO, BO)                       \
  "vmovaps " #BO "(%[b]), %%ymm12\n\t"                \
  "vmovaps " #BO "+32(%[b]), %%ymm13\n\t"             \
  "vbroadcastss " #AO "(%[a]), %%ymm14\n\t"           \
  "vbroadcastss " #AO "+4(%[a]), %%ymm15\n\t"         \
  GATGRAD_F32_FMA2("r00", "r01", "ymm14")              \
  "vbroadcastss " #AO "+8(%[a]), %%ymm14\n\t"         \
  GATGRAD_F32_FMA2("r10", "r11", "ymm15")              \
  "vbroadcastss " #AO "+12(%[a]), %%ymm15\n\t"        \
  GATGRAD_F32_FMA2("r20", "r21", "ymm14")              \
  "vbroadcastss " #AO "+16(%[a]), %%ymm14\n\t"        \
  GATGRAD_F32_FMA2("r30", "r31", "ymm15")              \
  "vbroadcastss " #AO "+20(%[a]), %%ymm15\n\t"        \
  GATGRAD_F32_FMA2("r40", "r41", "ymm14")              \
  GATGRAD_F32_FMA2("r50", "r51", "ymm15")
#define GATGRAD_F32_OUTPUTS                                                                  \
  [r00] "+x"(r00), [r01] "+x"(r01), [r10] "+x"(r10), [r11] "+x"(r11), [r20] "+x"(r20),     \
      [r21] "+x"(r21), [r30] "+x"(r30), [r31] "+x"(r31), [r40] "+x"(r40), [r41] "+x"(r41), \
      [r50] "+x"(r50), [r51] "+x"(r51)
#else
#define GATGRAD_GEMM_ASM 0
#endif

template <class T>
void micro_kernel(int64_t kc, const T* __restrict a, const T* __restrict b, T* __restrict c,
                  int64_t ldc, T alpha, T beta, Mode mode, PrefetchStream& pf) {
  using V = xsimd::batch<T>;
  constexpr int64_t W = Blocking<T>::W;
  constexpr int64_t MR = Blocking<T>::MR;
  constexpr int64_t NR = Blocking<T>::NR;
  static_assert(MR == 6, "the micro-kernel is written for 6 rows");

  for (int64_t r = 0; r < MR; ++r) {
    __builtin_prefetch(c + r * ldc, 1, 3);
    __builtin_prefetch(c + r * ldc + NR - 1, 1, 3);
  }
  V c00(T(0)), c01(T(0)), c10(T(0)), c11(T(0)), c20(T(0)), c21(T(0));
  V c30(T(0)), c31(T(0)), c40(T(0)), c41(T(0)), c50(T(0)), c51(T(0));

  // One k step: c[r][:] += a[r] * b[:] for the 6 rows (each lane a sequential FMA chain).
  auto step = [&](const T* ak, const T* bk) [[gnu::always_inline]] {
    const V b0 = V::load_aligned(bk);
    const V b1 = V::load_aligned(bk + W);
    V x(ak[0]);
    c00 = xsimd::fma(x, b0, c00);
    c01 = xsimd::fma(x, b1, c01);
    x = V(ak[1]);
    c10 = xsimd::fma(x, b0, c10);
    c11 = xsimd::fma(x, b1, c11);
    x = V(ak[2]);
    c20 = xsimd::fma(x, b0, c20);
    c21 = xsimd::fma(x, b1, c21);
    x = V(ak[3]);
    c30 = xsimd::fma(x, b0, c30);
    c31 = xsimd::fma(x, b1, c31);
    x = V(ak[4]);
    c40 = xsimd::fma(x, b0, c40);
    c41 = xsimd::fma(x, b1, c41);
    x = V(ak[5]);
    c50 = xsimd::fma(x, b0, c50);
    c51 = xsimd::fma(x, b1, c51);
  };

  // Two prefetches of the stream per four k steps (its state stays in memory: keeping it in
  // registers costs the FMA loop more than the loads do).
  int64_t k = 0;
#if GATGRAD_GEMM_ASM
  if constexpr (std::is_same_v<T, float>) {
    // The same FMA chains in hand-allocated registers (see kernel_steps_f32): GCC's own
    // allocation of these 15 live registers reloads B and copies registers inside the loop.
    __m256 r00 = c00, r01 = c01, r10 = c10, r11 = c11, r20 = c20, r21 = c21;
    __m256 r30 = c30, r31 = c31, r40 = c40, r41 = c41, r50 = c50, r51 = c51;
    for (; k + 4 <= kc; k += 4) {
      const char* p0 = pf.left > 0 ? pf.take() : reinterpret_cast<const char*>(b);
      const char* p1 = pf.left > 0 ? pf.take() : reinterpret_cast<const char*>(b);
      asm(GATGRAD_F32_STEP(0, 0) GATGRAD_F32_STEP(24, 64) GATGRAD_F32_STEP(48, 128) GATGRAD_F32_STEP(72, 192)
          "prefetcht0 (%[p0])\n\t"
          "prefetcht0 (%[p1])\n\t"
          : GATGRAD_F32_OUTPUTS
          : [a] "r"(a), [b] "r"(b), [p0] "r"(p0), [p1] "r"(p1)
          : "xmm12", "xmm13", "xmm14", "xmm15", "memory");
      a += 4 * MR;
      b += 4 * NR;
    }
    for (; k < kc; ++k, a += MR, b += NR)
      asm(GATGRAD_F32_STEP(0, 0) : GATGRAD_F32_OUTPUTS : [a] "r"(a), [b] "r"(b)
          : "xmm12", "xmm13", "xmm14", "xmm15", "memory");
    c00 = r00, c01 = r01, c10 = r10, c11 = r11, c20 = r20, c21 = r21;
    c30 = r30, c31 = r31, c40 = r40, c41 = r41, c50 = r50, c51 = r51;
  }
#endif
  for (; k + 4 <= kc; k += 4) {
    step(a, b);
    step(a + MR, b + NR);
    if (pf.left > 0) pf.next();
    step(a + 2 * MR, b + 2 * NR);
    step(a + 3 * MR, b + 3 * NR);
    if (pf.left > 0) pf.next();
    a += 4 * MR;
    b += 4 * NR;
  }
  for (; k < kc; ++k, a += MR, b += NR) step(a, b);

  if (alpha != T(1)) {
    const V av(alpha);
    c00 *= av, c01 *= av, c10 *= av, c11 *= av, c20 *= av, c21 *= av;
    c30 *= av, c31 *= av, c40 *= av, c41 *= av, c50 *= av, c51 *= av;
  }
  const V bv(beta);
  update_row<T>(c + 0 * ldc, c00, c01, mode, bv);
  update_row<T>(c + 1 * ldc, c10, c11, mode, bv);
  update_row<T>(c + 2 * ldc, c20, c21, mode, bv);
  update_row<T>(c + 3 * ldc, c30, c31, mode, bv);
  update_row<T>(c + 4 * ldc, c40, c41, mode, bv);
  update_row<T>(c + 5 * ldc, c50, c51, mode, bv);
}

// Edge tile (mr < MR or nr < NR): the same kernel on a zero-initialised local tile, then the
// valid part is copied back. Arithmetic per element is identical to the full-tile path.
template <class T>
void edge_kernel(int64_t kc, const T* a, const T* b, T* c, int64_t ldc, int64_t mr, int64_t nr,
                 T alpha, T beta, Mode mode, PrefetchStream& pf) {
  constexpr int64_t MR = Blocking<T>::MR;
  constexpr int64_t NR = Blocking<T>::NR;
  alignas(kCacheLine) T tile[MR * NR] = {};
  if (mode != Mode::kOverwrite)
    for (int64_t r = 0; r < mr; ++r) std::copy(c + r * ldc, c + r * ldc + nr, tile + r * NR);
  micro_kernel<T>(kc, a, b, tile, NR, alpha, beta, mode, pf);
  for (int64_t r = 0; r < mr; ++r) std::copy(tile + r * NR, tile + r * NR + nr, c + r * ldc);
}

// ------------------------------------------------------------------------------------------
// Driver
// ------------------------------------------------------------------------------------------

struct Problem {
  bool trans_a, trans_b;
  int64_t M, N, K, lda, ldb, ldc;
};

// K is cut into kblocks near-equal blocks of kc_base (a multiple of 8) except the last.
struct KSplit {
  int64_t kc_base, kblocks;
  int64_t begin(int64_t q) const { return q * kc_base; }
  int64_t size(int64_t q, int64_t K) const { return std::min(kc_base, K - q * kc_base); }
};

template <class T>
KSplit split_k(int64_t K) {
  constexpr int64_t KC = Blocking<T>::KC;
  const int64_t nb = ceil_div(K, KC);
  const int64_t kc = std::min(KC, round_up(ceil_div(K, nb), 8));
  return {kc, ceil_div(K, kc)};
}

// Range [begin, end) of the b-th of `parts` near-equal shares of `units` units, scaled by `unit`.
inline void share(int64_t units, int64_t parts, int64_t b, int64_t unit, int64_t total,
                  int64_t& begin, int64_t& end) {
  begin = std::min(total, units * b / parts * unit);
  end = std::min(total, units * (b + 1) / parts * unit);
}

template <class T>
void gemm_impl(const Problem& p, T alpha, const T* A, const T* B, T beta, T* C, bool may_parallelize = true) {
  constexpr int64_t MR = Blocking<T>::MR;
  constexpr int64_t NR = Blocking<T>::NR;
  constexpr int64_t MC = Blocking<T>::MC;
  const int64_t M = p.M, N = p.N, K = p.K;

  const bool serial_only = !may_parallelize || M * N * K < kSerialWork;
  int threads = 1;
  if (!serial_only) {
    threads = tbb::this_task_arena::max_concurrency();
    threads = static_cast<int>(std::min<size_t>(
        static_cast<size_t>(threads),
        tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism)));
    threads = std::max(threads, 1);
  }

  const KSplit ks = split_k<T>(K);
  // Packed B regions: NC columns × `kgroup` K blocks (as much of K as fits the budget).
  const int64_t n_pad = round_up(N, NR);
  const int64_t NC = std::min(n_pad, std::max(NR, Blocking<T>::kBRegion / ks.kc_base / NR * NR));
  const int64_t kgroup = std::max<int64_t>(1, Blocking<T>::kBRegion / (ks.kc_base * NC));
  BRegionLease<T> blease(std::min(kgroup * ks.kc_base, round_up(K, 8)) * NC);
  T* bpack = blease.get();

  for (int64_t jc = 0; jc < N; jc += NC) {
    const int64_t nc = std::min(NC, N - jc);
    const int64_t n_panels = ceil_div(nc, NR);
    const int64_t nc_pad = n_panels * NR;

    for (int64_t q0 = 0; q0 < ks.kblocks; q0 += kgroup) {
      const int64_t q1 = std::min(ks.kblocks, q0 + kgroup);
      const int64_t pg0 = ks.begin(q0);

      // ---- pack op(B)[pg0 : .., jc : jc+nc]: K block q, panel jp at
      //      bpack + (p0 - pg0)·nc_pad + jp·NR·kc; a unit of work = one K block × kBChunk panels
      constexpr int64_t kBChunk = 8;
      const int64_t chunks = ceil_div(n_panels, kBChunk);
      auto pack_b_unit = [&](int64_t u) {
        const int64_t q = q0 + u / chunks, jp = u % chunks * kBChunk;
        const int64_t p0 = ks.begin(q), kc = ks.size(q, K);
        const int64_t j = jp * NR;
        pack_b<T>(p.trans_b, B, p.ldb, p0, kc, jc + j, std::min(kBChunk * NR, nc - j),
                  bpack + (p0 - pg0) * nc_pad + j * kc);
      };
      const int64_t b_units = (q1 - q0) * chunks;
      const int64_t region_elems = (ks.begin(q1 - 1) + ks.size(q1 - 1, K) - pg0) * nc_pad;
      if (threads > 1 && b_units > 1 && region_elems >= (int64_t{1} << 16)) {
        tbb::parallel_for(tbb::blocked_range<int64_t>(0, b_units, 1),
                          [&](const tbb::blocked_range<int64_t>& r) {
                            for (int64_t u = r.begin(); u != r.end(); ++u) pack_b_unit(u);
                          });
      } else {
        for (int64_t u = 0; u < b_units; ++u) pack_b_unit(u);
      }

      // ---- tasks: M blocks (multiples of MR rows, <= MC) × N sub-ranges (multiples of NR).
      const int64_t m_panels = ceil_div(M, MR);
      int64_t mb = ceil_div(M, MC);
      int64_t nb = 1;
      if (threads > 1) {
        mb = std::min(m_panels, round_up(mb, threads));
        if (mb < 2 * threads) nb = std::min(n_panels, ceil_div(2 * threads, mb));
      }

      auto task = [&](int64_t t) {
        const int64_t bm = t / nb, bn = t % nb;
        int64_t i0, i1, j0, j1;
        share(m_panels, mb, bm, MR, M, i0, i1);
        share(n_panels, nb, bn, NR, nc, j0, j1);
        if (i0 >= i1 || j0 >= j1) return;
        const int64_t mc = i1 - i0;
        // Narrow N range of a non-transposed A: the task's B slice stays in L2, so each A
        // micro-panel is packed right before use while the next one's rows are prefetched.
        // Otherwise the whole A block is packed (row by row for a transposed A, whose rows are
        // contiguous along M) while the kernels prefetch the next block's source.
        const bool fused = !p.trans_a && (j1 - j0) * ks.kc_base * static_cast<int64_t>(sizeof(T)) <= kFusedBBytes;
        T* apack = thread_a_buffer<T>((fused ? MR : round_up(mc, MR)) * ks.kc_base);
        for (int64_t q = q0; q < q1; ++q) {
          const int64_t p0 = ks.begin(q), kc = ks.size(q, K);
          const Mode mode = q > 0 ? Mode::kAdd
                            : beta == T(0) ? Mode::kOverwrite
                            : beta == T(1) ? Mode::kAdd
                                           : Mode::kScale;
          const T* bq = bpack + (p0 - pg0) * nc_pad;
          PrefetchStream pf;
          auto tile = [&](const T* ap, int64_t i, int64_t mr, int64_t j) {
            const int64_t nr = std::min(NR, nc - j);
            const T* bp = bq + j * kc;
            T* c = C + i * p.ldc + jc + j;
            if (mr == MR && nr == NR)
              micro_kernel<T>(kc, ap, bp, c, p.ldc, alpha, beta, mode, pf);
            else
              edge_kernel<T>(kc, ap, bp, c, p.ldc, mr, nr, alpha, beta, mode, pf);
          };
          if (fused) {
            for (int64_t i = i0; i < i1; i += MR) {
              const int64_t mr = std::min(MR, M - i);
              pf.drain();  // whatever the previous panel's kernels did not issue
              pack_a<T>(p.trans_a, A, p.lda, i, mr, p0, kc, apack);
              if (i + MR < i1)
                pf = a_prefetch<T>(p.trans_a, A, p.lda, i + MR, std::min(MR, i1 - i - MR), p0, kc);
              for (int64_t j = j0; j < j1; j += NR) tile(apack, i, mr, j);
            }
          } else {
            pack_a<T>(p.trans_a, A, p.lda, i0, mc, p0, kc, apack);
            if (q + 1 < q1)
              pf = a_prefetch<T>(p.trans_a, A, p.lda, i0, mc, ks.begin(q + 1), ks.size(q + 1, K));
            for (int64_t j = j0; j < j1; j += NR)
              for (int64_t i = i0; i < i1; i += MR)
                tile(apack + (i - i0) * kc, i, std::min(MR, M - i), j);
          }
        }
      };
      const int64_t ntasks = mb * nb;
      if (threads > 1 && ntasks > 1) {
        tbb::parallel_for(tbb::blocked_range<int64_t>(0, ntasks, 1),
                          [&](const tbb::blocked_range<int64_t>& r) {
                            for (int64_t t = r.begin(); t != r.end(); ++t) task(t);
                          },
                          tbb::simple_partitioner());
      } else {
        for (int64_t t = 0; t < ntasks; ++t) task(t);
      }
    }
  }
}

// ------------------------------------------------------------------------------------------
// Narrow products: N <= one batch (the output layer of GAT: 7 classes)
// ------------------------------------------------------------------------------------------
// The 6×16 register tile would waste more than half its lanes and every tile would take the
// edge path. Instead op(B) is packed once into K rows of one batch (zero-padded), and each row
// of C is one batch accumulated over k:  c_i = Σ_k op(A)[i,k] · b̃_k, eight rows at a time (eight
// independent FMA chains hide the FMA latency). Every element is one sequential FMA chain over
// k = 0..K-1 whatever the thread split (rows are split in fixed blocks of kNarrowRows), so the
// bits do not depend on the number of threads.
constexpr int64_t kNarrowRows = 256;  // rows of C per parallel block

template <class T>
bool narrow_applies(const Problem& p) {
  return !p.trans_b && p.N <= Blocking<T>::W;
}

template <class T>
void gemm_narrow(const Problem& p, T alpha, const T* A, const T* B, T beta, T* C) {
  using V = xsimd::batch<T>;
  constexpr int64_t W = Blocking<T>::W;
  constexpr int64_t R = 8;  // rows per group: independent accumulators
  const int64_t M = p.M, N = p.N, K = p.K;
  // op(B) rows, padded to one batch: bp[k*W + j] = B[k, j] (0 for j >= N).
  BRegionLease<T> lease(K * W);  // held across the parallel loop: see BRegionLease
  T* bp = lease.get();
  for (int64_t k = 0; k < K; ++k) {
    std::copy(B + k * p.ldb, B + k * p.ldb + N, bp + k * W);
    std::fill(bp + k * W + N, bp + (k + 1) * W, T(0));
  }
  // op(A)[i, k]: A[i*lda + k], or A[k*lda + i] when A is transposed.
  const int64_t step_i = p.trans_a ? 1 : p.lda, step_k = p.trans_a ? p.lda : 1;
  auto rows = [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i += R) {
      const int64_t r_count = std::min(R, i1 - i);
      V acc[R];
      for (int64_t r = 0; r < R; ++r) acc[r] = V(T(0));
      const T* a = A + i * step_i;
      if (r_count == R && p.trans_a) {  // the R values of op(A) at k are contiguous: A[k*lda + i ..]
        for (int64_t k = 0; k < K; ++k) {
          const V b = V::load_aligned(bp + k * W);
          const T* ak = a + k * p.lda;
          for (int64_t r = 0; r < R; ++r) acc[r] = xsimd::fma(V(ak[r]), b, acc[r]);
        }
      } else if (r_count == R) {
        for (int64_t k = 0; k < K; ++k) {
          const V b = V::load_aligned(bp + k * W);
          for (int64_t r = 0; r < R; ++r) acc[r] = xsimd::fma(V(a[r * step_i + k * step_k]), b, acc[r]);
        }
      } else {
        for (int64_t k = 0; k < K; ++k) {
          const V b = V::load_aligned(bp + k * W);
          for (int64_t r = 0; r < r_count; ++r) acc[r] = xsimd::fma(V(a[r * step_i + k * step_k]), b, acc[r]);
        }
      }
      for (int64_t r = 0; r < r_count; ++r) {
        alignas(kCacheLine) T out[W];
        (acc[r] * V(alpha)).store_aligned(out);
        T* c = C + (i + r) * p.ldc;
        for (int64_t j = 0; j < N; ++j) c[j] = beta == T(0) ? out[j] : out[j] + beta * c[j];
      }
    }
  };
  // Few rows and a long K (the output layer's weight gradient Hᵀ·dY: 64 rows, K = N nodes): one
  // group of R rows per block, so that both cores share the work. A row's value does not depend
  // on the blocking.
  const int64_t block_rows = M < 4 * kNarrowRows ? R : kNarrowRows;
  const int64_t blocks = ceil_div(M, block_rows);
  if (blocks > 1 && M * N * K >= kSerialWork) {
    tbb::parallel_for(tbb::blocked_range<int64_t>(0, blocks, 1), [&](const tbb::blocked_range<int64_t>& r) {
      for (int64_t b = r.begin(); b != r.end(); ++b) rows(b * block_rows, std::min(M, (b + 1) * block_rows));
    });
  } else {
    rows(0, M);
  }
}

// ------------------------------------------------------------------------------------------
// Long products into a small C: split K (the weight gradient Xᵀ·dH of a big graph)
// ------------------------------------------------------------------------------------------
// With C of 128×64 and K = 1M nodes, cutting C into tasks leaves four, and every task streams
// its columns of the whole A from memory (A read twice over). Instead K is cut into chunks of
// kSplitBlocks K blocks, fixed by K alone: chunk c computes its partial product
// P_c = op(A)[:, chunk c] · op(B)[chunk c, :] serially (the usual kernel), chunks run in
// parallel, and C = alpha · Σ_c P_c + beta · C adds the partials in chunk order. Each element's
// value depends only on K, never on the number of threads.
constexpr int64_t kSplitBlocks = 16;         // K blocks per chunk
constexpr int64_t kSplitMaxOutput = 16384;   // M·N up to this (64 KiB of float partials per chunk)

template <class T>
bool split_k_applies(const Problem& p) {
  return p.M * p.N <= kSplitMaxOutput && split_k<T>(p.K).kblocks >= 4 * kSplitBlocks;
}

template <class T>
void gemm_split_k(const Problem& p, T alpha, const T* A, const T* B, T beta, T* C) {
  const KSplit ks = split_k<T>(p.K);
  const int64_t chunk_k = kSplitBlocks * ks.kc_base;
  const int64_t chunks = ceil_div(p.K, chunk_k);
  const int64_t MN = p.M * p.N;
  BRegionLease<T> lease(chunks * MN);  // held across the parallel loop: see BRegionLease
  T* part = lease.get();
  auto chunk = [&](int64_t c) {
    const int64_t k0 = c * chunk_k;
    Problem q = p;
    q.K = std::min(chunk_k, p.K - k0);
    q.ldc = p.N;
    const T* a = p.trans_a ? A + k0 * p.lda : A + k0;  // op(A)[:, k0:]
    const T* b = p.trans_b ? B + k0 : B + k0 * p.ldb;  // op(B)[k0:, :]
    gemm_impl<T>(q, T(1), a, b, T(0), part + c * MN, /*may_parallelize=*/false);
  };
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, chunks, 1),
                    [&](const tbb::blocked_range<int64_t>& r) {
                      for (int64_t c = r.begin(); c != r.end(); ++c) chunk(c);
                    },
                    tbb::simple_partitioner());
  // Σ_c P_c into P_0, chunk after chunk (whole contiguous partials, in chunk order)
  using V = xsimd::batch<T>;
  constexpr int64_t W = Blocking<T>::W;
  for (int64_t c = 1; c < chunks; ++c) {
    const T* pc = part + c * MN;
    int64_t t = 0;
    for (; t + W <= MN; t += W) (V::load_unaligned(part + t) + V::load_unaligned(pc + t)).store_unaligned(part + t);
    for (; t < MN; ++t) part[t] += pc[t];
  }
  for (int64_t i = 0; i < p.M; ++i) {
    T* crow = C + i * p.ldc;
    for (int64_t j = 0; j < p.N; ++j)
      crow[j] = beta == T(0) ? alpha * part[i * p.N + j] : alpha * part[i * p.N + j] + beta * crow[j];
  }
}

// C = beta·C (alpha == 0 or K == 0): A and B are not read; beta == 0 writes zeros.
template <class T>
void scale_c(int64_t M, int64_t N, T beta, T* C, int64_t ldc) {
  for (int64_t i = 0; i < M; ++i) {
    T* c = C + i * ldc;
    if (beta == T(0))
      std::fill(c, c + N, T(0));
    else if (beta != T(1))
      for (int64_t j = 0; j < N; ++j) c[j] *= beta;
  }
}

}  // namespace

template <class T>
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
          int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  if (M < 0 || N < 0 || K < 0)
    throw Error("gemm: negative size M=" + std::to_string(M) + " N=" + std::to_string(N) +
                " K=" + std::to_string(K));
  if (M == 0 || N == 0) return;
  const int64_t min_lda = std::max<int64_t>(1, trans_a ? M : K);
  const int64_t min_ldb = std::max<int64_t>(1, trans_b ? K : N);
  if ((K > 0 && (lda < min_lda || ldb < min_ldb)) || ldc < N)
    throw Error("gemm: leading dimension too small (lda=" + std::to_string(lda) +
                " ldb=" + std::to_string(ldb) + " ldc=" + std::to_string(ldc) + ")");
  if (K == 0 || alpha == T(0)) {
    scale_c(M, N, beta, C, ldc);
    return;
  }
  const Problem p{trans_a, trans_b, M, N, K, lda, ldb, ldc};
  // A long K into a small C goes to split-K first, narrow or not: the narrow kernel's row groups
  // would each stream all of op(A) on one thread (the output layer's weight gradient on a big graph).
  if (split_k_applies<T>(p))
    gemm_split_k<T>(p, alpha, A, B, beta, C);
  else if (narrow_applies<T>(p))
    gemm_narrow<T>(p, alpha, A, B, beta, C);
  else
    gemm_impl<T>(p, alpha, A, B, beta, C);
}

template void gemm<float>(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t,
                          const float*, int64_t, float, float*, int64_t);
template void gemm<double>(bool, bool, int64_t, int64_t, int64_t, double, const double*, int64_t,
                           const double*, int64_t, double, double*, int64_t);

}  // namespace gatgrad::kernels
