// GEMM: the blocking, and the one rule every GEMM path computes (private to the units).
//
// Dimension legend
//   M, N, K   rows of C, columns of C, length of the dot products
//   MR × NR   register tile of the micro-kernel (from this level's register width: speed only)
//   KC        depth of one K block: 256, in every level (it decides the rounding, so it is fixed)
//   MC        rows of op(A) packed together (one task's A block, lives in L2)
//   NC        columns of op(B) packed together (the shared packed B region, lives in L3)
//
// The value of every element of C, on every path (tiled, narrow, split-K), every level and any
// thread count:  K is cut into kblocks near-equal blocks of kc_base (a multiple of 8, <= KC,
// fixed by K alone: split_k); block q's contribution is the chain acc = fma(a_ik, b_kj, acc)
// over its k in order from acc = 0; then
//   q = 0:  C = alpha·acc (beta = 0, C never read),  alpha·acc + C (beta = 1),
//           fma(beta, C, alpha·acc) (otherwise)      (alpha·acc is acc when alpha = 1)
//   q > 0:  C = alpha·acc + C
// except for split-K (a long K into a small C), which sums fixed chunks of 16 blocks as above
// (alpha = 1, beta = 0) into partials P_c, adds them in chunk order, S = P_0 + P_1 + ..., and
// then sets C = alpha·S (beta = 0) or alpha·S + beta·C. Which path runs depends on M, N and K
// only. Tiles and tasks decide which thread computes an element, never its value.
#pragma once
#include <cstdint>

#include "autograd/kernels/simd/vec.hpp"
#include "autograd/kernels/table.hpp"

namespace gatgrad::GATGRAD_ISA_NS::gemm {

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
inline int64_t round_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }
inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
inline int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

template <class T>
struct Blocking {
  using V = xsimd::batch<T, typename simd::NativeArch<T, 64 / sizeof(T)>::type>;  // the widest register
  static constexpr int64_t W = static_cast<int64_t>(V::size);
  static constexpr int64_t MR = 6;
  static constexpr int64_t NR = 2 * W;
  static constexpr int64_t KC = 256;
  // MC·KC·sizeof(T) = 144 KiB: the packed A block stays in L2. A multiple of MR.
  static constexpr int64_t MC = 147456 / (KC * static_cast<int64_t>(sizeof(T))) / MR * MR;
  // Elements of the shared packed B region (8 MiB): fits in L3.
  static constexpr int64_t kBRegion = (8 << 20) / static_cast<int64_t>(sizeof(T));
};

constexpr int64_t kCacheLine = 64;

// Problems with fewer multiply-adds (M·N·K) than this run on the calling thread: ~10 µs of work,
// about what handing tasks to oneTBB costs.
constexpr int64_t kSerialWork = int64_t{1} << 18;

// A task whose packed B slice (its columns × KC) is at most this many bytes (so stays in L2)
// packs A one micro-panel at a time, right before use (see gemm_tiled).
constexpr int64_t kFusedBBytes = 160 * 1024;

struct Problem {
  bool trans_a, trans_b;
  int64_t M, N, K, lda, ldb, ldc;
};

// K cut into kblocks near-equal blocks of kc_base (a multiple of 8, at most KC) but the last.
struct KSplit {
  int64_t kc_base, kblocks;
  int64_t begin(int64_t q) const { return q * kc_base; }
  int64_t size(int64_t q, int64_t K) const { return min64(kc_base, K - q * kc_base); }
};

template <class T>
inline KSplit split_k(int64_t K) {
  constexpr int64_t KC = Blocking<T>::KC;
  const int64_t nb = ceil_div(K, KC);
  const int64_t kc = min64(KC, round_up(ceil_div(K, nb), 8));
  return {kc, ceil_div(K, kc)};
}

// How C's old value enters: beta = 0 (overwrite, C not read), beta = 1 (add) or a general beta.
enum class Mode { kOverwrite, kAdd, kScale };

// Runs f(t) for t in [0, n) through the runner (or on this thread).
template <class F>
inline void run_tasks(const kernels::ParallelRunner& parallel, bool in_parallel, int64_t n, F& f) {
  if (!in_parallel || n <= 1 || parallel.threads <= 1) {
    for (int64_t t = 0; t < n; ++t) f(t);
    return;
  }
  parallel.run(n, &f, [](void* context, int64_t t) { (*static_cast<F*>(context))(t); });
}

// Range [begin, end) of the b-th of `parts` near-equal shares of `units` units, scaled by `unit`.
inline void share(int64_t units, int64_t parts, int64_t b, int64_t unit, int64_t total, int64_t& begin, int64_t& end) {
  begin = min64(total, units * b / parts * unit);
  end = min64(total, units * (b + 1) / parts * unit);
}

}  // namespace gatgrad::GATGRAD_ISA_NS::gemm
