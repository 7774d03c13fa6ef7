// GEMM micro-kernel: C[MR,NR] (mode) alpha · Ã[MR,kc] · B̃[kc,NR] on packed panels
// (a[k*MR + r], b[k*NR + j], b 64-byte aligned). Each accumulator lane is one sequential
// multiply-add chain over k = 0..kc-1 from 0 (blocking.hpp's rule); then
//   kOverwrite: C = alpha·acc,  kAdd: C = alpha·acc + C,  kScale: C = fma(beta, C, alpha·acc).
// The portable kernel is written on this level's widest register; on avx2 the float kernel's k
// loop is inline assembly (GCC's own allocation of its 15 live ymm registers reloads B and
// copies registers inside the loop), the same chains in hand-picked registers, tested equal to
// the portable one (Kernels::gemm_portable). Private to the units.
#pragma once
#include "autograd/kernels/gemm/pack.hpp"

namespace gatgrad::GATGRAD_ISA_NS::gemm {

template <class T>
[[gnu::always_inline]] inline void update_row(T* c, typename Blocking<T>::V a0, typename Blocking<T>::V a1, Mode mode,
                                              typename Blocking<T>::V beta) {
  using V = typename Blocking<T>::V;
  constexpr int64_t W = Blocking<T>::W;
  switch (mode) {
    case Mode::kOverwrite:
      break;
    case Mode::kAdd:
      a0 = a0 + V::load_unaligned(c);
      a1 = a1 + V::load_unaligned(c + W);
      break;
    case Mode::kScale:
      a0 = simd::fma_native(beta, V::load_unaligned(c), a0);
      a1 = simd::fma_native(beta, V::load_unaligned(c + W), a1);
      break;
  }
  a0.store_unaligned(c);
  a1.store_unaligned(c + W);
}

#if GATGRAD_ISA_LEVEL == GATGRAD_ISA_AVX2 && defined(__GNUC__) && defined(__x86_64__)
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

// The tile with the portable k loop (UseAsm = false) or, where there is one, the assembly one.
template <class T, bool UseAsm>
void micro_kernel(int64_t kc, const T* __restrict a, const T* __restrict b, T* __restrict c, int64_t ldc, T alpha,
                  T beta, Mode mode, PrefetchStream& pf) {
  using V = typename Blocking<T>::V;
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

  // One k step: c[r][:] += a[r] * b[:] for the 6 rows (each lane a sequential chain).
  auto step = [&](const T* ak, const T* bk) GATGRAD_LAMBDA_INLINE {
    const V b0 = V::load_aligned(bk);
    const V b1 = V::load_aligned(bk + W);
    V x(ak[0]);
    c00 = simd::fma_native(x, b0, c00);
    c01 = simd::fma_native(x, b1, c01);
    x = V(ak[1]);
    c10 = simd::fma_native(x, b0, c10);
    c11 = simd::fma_native(x, b1, c11);
    x = V(ak[2]);
    c20 = simd::fma_native(x, b0, c20);
    c21 = simd::fma_native(x, b1, c21);
    x = V(ak[3]);
    c30 = simd::fma_native(x, b0, c30);
    c31 = simd::fma_native(x, b1, c31);
    x = V(ak[4]);
    c40 = simd::fma_native(x, b0, c40);
    c41 = simd::fma_native(x, b1, c41);
    x = V(ak[5]);
    c50 = simd::fma_native(x, b0, c50);
    c51 = simd::fma_native(x, b1, c51);
  };

  int64_t k = 0;
#if GATGRAD_GEMM_ASM
  if constexpr (UseAsm && std::is_same_v<T, float> && W == 8) {
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
  // Two prefetches of the stream per four k steps (its state stays in memory: keeping it in
  // registers costs the FMA loop more than the loads do).
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
    c00 = c00 * av, c01 = c01 * av, c10 = c10 * av, c11 = c11 * av, c20 = c20 * av, c21 = c21 * av;
    c30 = c30 * av, c31 = c31 * av, c40 = c40 * av, c41 = c41 * av, c50 = c50 * av, c51 = c51 * av;
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
template <class T, bool UseAsm>
void edge_kernel(int64_t kc, const T* a, const T* b, T* c, int64_t ldc, int64_t mr, int64_t nr, T alpha, T beta,
                 Mode mode, PrefetchStream& pf) {
  constexpr int64_t MR = Blocking<T>::MR;
  constexpr int64_t NR = Blocking<T>::NR;
  alignas(kCacheLine) T tile[MR * NR] = {};
  if (mode != Mode::kOverwrite)
    for (int64_t r = 0; r < mr; ++r)
      for (int64_t j = 0; j < nr; ++j) tile[r * NR + j] = c[r * ldc + j];
  micro_kernel<T, UseAsm>(kc, a, b, tile, NR, alpha, beta, mode, pf);
  for (int64_t r = 0; r < mr; ++r)
    for (int64_t j = 0; j < nr; ++j) c[r * ldc + j] = tile[r * NR + j];
}

}  // namespace gatgrad::GATGRAD_ISA_NS::gemm
