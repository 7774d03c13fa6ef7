// GEMM drivers: the tiled Goto/BLIS loop, the narrow path (N <= one register) and split-K (a long
// K into a small C), all computing blocking.hpp's rule. Private to the units.
//
// Tiled structure:
//   for each packed-B region (NC columns × a group of KC blocks):   pack B once, shared by tasks
//     parallel for each task (an M block × an N sub-range; M blocks first, so that narrow
//     products such as N = 64 still split across threads):
//       for each KC block in the region:
//         pack the A block (MC × KC) into a thread-local buffer
//         for each NR micro-panel of B:  for each MR micro-panel of A:  micro-kernel
//       (narrow N range and non-transposed A: each A micro-panel is packed right before its
//        micro-kernels instead, while those kernels prefetch the next micro-panel's source)
// A is read from memory once per call, which for big operands is DRAM bound: the micro-kernel
// issues software prefetches of the next A source so that this traffic overlaps the FMAs.
#pragma once
#include "autograd/kernels/gemm/micro.hpp"

namespace gatgrad::GATGRAD_ISA_NS::gemm {

template <class T, bool UseAsm>
void gemm_tiled(const Problem& p, T alpha, const T* A, const T* B, T beta, T* C, const kernels::ParallelRunner& parallel,
                bool may_parallelize) {
  constexpr int64_t MR = Blocking<T>::MR;
  constexpr int64_t NR = Blocking<T>::NR;
  constexpr int64_t MC = Blocking<T>::MC;
  const int64_t M = p.M, N = p.N, K = p.K;
  const bool in_parallel = may_parallelize && M * N * K >= kSerialWork && parallel.threads > 1;
  const int64_t threads = in_parallel ? parallel.threads : 1;

  const KSplit ks = split_k<T>(K);
  // Packed B regions: NC columns × `kgroup` K blocks (as much of K as fits the budget).
  const int64_t n_pad = round_up(N, NR);
  const int64_t NC = min64(n_pad, max64(NR, Blocking<T>::kBRegion / ks.kc_base / NR * NR));
  const int64_t kgroup = max64(1, Blocking<T>::kBRegion / (ks.kc_base * NC));
  BRegionLease<T> blease(min64(kgroup * ks.kc_base, round_up(K, 8)) * NC);
  T* bpack = blease.get();

  for (int64_t jc = 0; jc < N; jc += NC) {
    const int64_t nc = min64(NC, N - jc);
    const int64_t n_panels = ceil_div(nc, NR);
    const int64_t nc_pad = n_panels * NR;

    for (int64_t q0 = 0; q0 < ks.kblocks; q0 += kgroup) {
      const int64_t q1 = min64(ks.kblocks, q0 + kgroup);
      const int64_t pg0 = ks.begin(q0);

      // ---- pack op(B)[pg0 : .., jc : jc+nc]: K block q, panel jp at
      //      bpack + (p0 - pg0)·nc_pad + jp·NR·kc; a unit of work = one K block × kBChunk panels
      constexpr int64_t kBChunk = 8;
      const int64_t chunks = ceil_div(n_panels, kBChunk);
      auto pack_b_unit = [&](int64_t u) {
        const int64_t q = q0 + u / chunks, jp = u % chunks * kBChunk;
        const int64_t p0 = ks.begin(q), kc = ks.size(q, K);
        const int64_t j = jp * NR;
        pack_b<T>(p.trans_b, B, p.ldb, p0, kc, jc + j, min64(kBChunk * NR, nc - j), bpack + (p0 - pg0) * nc_pad + j * kc);
      };
      const int64_t b_units = (q1 - q0) * chunks;
      const int64_t region_elems = (ks.begin(q1 - 1) + ks.size(q1 - 1, K) - pg0) * nc_pad;
      run_tasks(parallel, in_parallel && region_elems >= (int64_t{1} << 16), b_units, pack_b_unit);

      // ---- tasks: M blocks (multiples of MR rows, <= MC) × N sub-ranges (multiples of NR).
      const int64_t m_panels = ceil_div(M, MR);
      int64_t mb = ceil_div(M, MC);
      int64_t nb = 1;
      if (threads > 1) {
        mb = min64(m_panels, round_up(mb, threads));
        if (mb < 2 * threads) nb = min64(n_panels, ceil_div(2 * threads, mb));
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
        // Otherwise the whole A block is packed while the kernels prefetch the next block's source.
        const bool fused = !p.trans_a && (j1 - j0) * ks.kc_base * static_cast<int64_t>(sizeof(T)) <= kFusedBBytes;
        T* apack = thread_a_buffer<T>((fused ? MR : round_up(mc, MR)) * ks.kc_base);
        for (int64_t q = q0; q < q1; ++q) {
          const int64_t p0 = ks.begin(q), kc = ks.size(q, K);
          const Mode mode = q > 0 ? Mode::kAdd : beta == T(0) ? Mode::kOverwrite : beta == T(1) ? Mode::kAdd : Mode::kScale;
          const T* bq = bpack + (p0 - pg0) * nc_pad;
          PrefetchStream pf;
          auto tile = [&](const T* ap, int64_t i, int64_t mr, int64_t j) {
            const int64_t nr = min64(NR, nc - j);
            const T* bp = bq + j * kc;
            T* c = C + i * p.ldc + jc + j;
            if (mr == MR && nr == NR)
              micro_kernel<T, UseAsm>(kc, ap, bp, c, p.ldc, alpha, beta, mode, pf);
            else
              edge_kernel<T, UseAsm>(kc, ap, bp, c, p.ldc, mr, nr, alpha, beta, mode, pf);
          };
          if (fused) {
            for (int64_t i = i0; i < i1; i += MR) {
              const int64_t mr = min64(MR, M - i);
              pf.drain();  // whatever the previous panel's kernels did not issue
              pack_a<T>(p.trans_a, A, p.lda, i, mr, p0, kc, apack);
              if (i + MR < i1) pf = a_prefetch<T>(p.trans_a, A, p.lda, i + MR, min64(MR, i1 - i - MR), p0, kc);
              for (int64_t j = j0; j < j1; j += NR) tile(apack, i, mr, j);
            }
          } else {
            pack_a<T>(p.trans_a, A, p.lda, i0, mc, p0, kc, apack);
            if (q + 1 < q1) pf = a_prefetch<T>(p.trans_a, A, p.lda, i0, mc, ks.begin(q + 1), ks.size(q + 1, K));
            for (int64_t j = j0; j < j1; j += NR)
              for (int64_t i = i0; i < i1; i += MR) tile(apack + (i - i0) * kc, i, min64(MR, M - i), j);
          }
        }
      };
      run_tasks(parallel, in_parallel, mb * nb, task);
    }
  }
}

// ---- narrow products: N <= one register (the output layer of GAT: 7 classes) ----
// The register tile would waste most of its lanes and every tile would take the edge path.
// Instead op(B) is packed once into K rows of one register (zero-padded), and each row of C is
// one register, eight rows at a time (eight independent chains). Per K block the chains start
// from 0 and join the row as the rule says, so the values are the tiled path's. Rows are split
// into fixed blocks of kNarrowRows.
constexpr int64_t kNarrowRows = 256;  // rows of C per parallel block

template <class T>
bool narrow_applies(const Problem& p) {
  return !p.trans_b && p.N <= Blocking<T>::W;
}

template <class T>
void gemm_narrow(const Problem& p, T alpha, const T* A, const T* B, T beta, T* C, const kernels::ParallelRunner& parallel) {
  using V = typename Blocking<T>::V;
  constexpr int64_t W = Blocking<T>::W;
  constexpr int64_t R = 8;  // rows per group: independent chains
  const int64_t M = p.M, N = p.N, K = p.K;
  const KSplit ks = split_k<T>(K);
  // op(B) rows, padded to one register: bp[k*W + j] = B[k, j] (0 for j >= N).
  BRegionLease<T> lease(K * W);  // held across the parallel loop: see BRegionLease
  T* bp = lease.get();
  for (int64_t k = 0; k < K; ++k) {
    for (int64_t j = 0; j < N; ++j) bp[k * W + j] = B[k * p.ldb + j];
    for (int64_t j = N; j < W; ++j) bp[k * W + j] = T(0);
  }
  const int64_t step_i = p.trans_a ? 1 : p.lda, step_k = p.trans_a ? p.lda : 1;  // op(A)[i, k]
  const Mode first_mode = beta == T(0) ? Mode::kOverwrite : beta == T(1) ? Mode::kAdd : Mode::kScale;
  const V av(alpha), bv(beta);
  using VW = simd::Vec<T, W>;  // one register as a Vec: the first N lanes of a row of C loaded or stored at once
  static_assert(VW::R == 1);
  // The rows [i, i + r_count) of C. A whole group is run with R_COUNT = R, a count known when
  // compiling, so that its R chains and rows stay in registers; the last, short group of a block
  // with its count in a variable.
  auto group = [&]<int64_t R_COUNT>(int64_t i, int64_t r_count) {
    if constexpr (R_COUNT > 0) r_count = R_COUNT;
    const T* a = A + i * step_i;
    V row[R];
    for (int64_t q = 0; q < ks.kblocks; ++q) {
      const int64_t k0 = ks.begin(q), k1 = k0 + ks.size(q, K);
      V acc[R];
      for (int64_t r = 0; r < R; ++r) acc[r] = V(T(0));
      if (R_COUNT == R && p.trans_a) {  // the R values of op(A) at k are contiguous: A[k*lda + i ..]
        for (int64_t k = k0; k < k1; ++k) {
          const V b = V::load_aligned(bp + k * W);
          const T* ak = a + k * p.lda;
          for (int64_t r = 0; r < R; ++r) acc[r] = simd::fma_native(V(ak[r]), b, acc[r]);
        }
      } else {
        for (int64_t k = k0; k < k1; ++k) {
          const V b = V::load_aligned(bp + k * W);
          for (int64_t r = 0; r < r_count; ++r) acc[r] = simd::fma_native(V(a[r * step_i + k * step_k]), b, acc[r]);
        }
      }
      for (int64_t r = 0; r < r_count; ++r) {
        const V scaled = alpha != T(1) ? acc[r] * av : acc[r];
        if (q > 0) {
          row[r] = scaled + row[r];
          continue;
        }
        const V c_old = first_mode != Mode::kOverwrite ? VW::load_first(C + (i + r) * p.ldc, N).r[0] : V(T(0));
        row[r] = first_mode == Mode::kOverwrite ? scaled
                 : first_mode == Mode::kAdd     ? scaled + c_old
                                                : simd::fma_native(bv, c_old, scaled);
      }
    }
    for (int64_t r = 0; r < r_count; ++r) {
      VW out;
      out.r[0] = row[r];
      out.store_first(C + (i + r) * p.ldc, N);
    }
  };
  auto rows = [&](int64_t i0, int64_t i1) {
    int64_t i = i0;
    for (; i + R <= i1; i += R) group.template operator()<R>(i, R);
    if (i < i1) group.template operator()<0>(i, i1 - i);
  };
  // Few rows and a long K (the output layer's weight gradient Hᵀ·dY: 64 rows, K = N nodes): one
  // group of R rows per block, so that both cores share the work.
  const int64_t block_rows = M < 4 * kNarrowRows ? R : kNarrowRows;
  const int64_t blocks = ceil_div(M, block_rows);
  auto block = [&](int64_t b) { rows(b * block_rows, min64(M, (b + 1) * block_rows)); };
  run_tasks(parallel, M * N * K >= kSerialWork, blocks, block);
}

// ---- long products into a small C: split K (the weight gradient Xᵀ·dH of a big graph) ----
// With C of 128×64 and K = 1M nodes, cutting C into tasks leaves four, and every task streams
// its columns of the whole A from memory. Instead K is cut into chunks of kSplitBlocks K blocks
// (fixed by K alone): each chunk's partial product runs serially (the tiled kernel), chunks run
// in parallel, and the partials are added in chunk order (see blocking.hpp).
constexpr int64_t kSplitBlocks = 16;        // K blocks per chunk
constexpr int64_t kSplitMaxOutput = 16384;  // M·N up to this (64 KiB of float partials per chunk)

template <class T>
bool split_k_applies(const Problem& p) {
  return p.M * p.N <= kSplitMaxOutput && split_k<T>(p.K).kblocks >= 4 * kSplitBlocks;
}

template <class T, bool UseAsm>
void gemm_split_k(const Problem& p, T alpha, const T* A, const T* B, T beta, T* C, const kernels::ParallelRunner& parallel) {
  using V = typename Blocking<T>::V;
  constexpr int64_t W = Blocking<T>::W;
  const KSplit ks = split_k<T>(p.K);
  const int64_t chunk_k = kSplitBlocks * ks.kc_base;
  const int64_t chunks = ceil_div(p.K, chunk_k);
  const int64_t MN = p.M * p.N;
  BRegionLease<T> lease(chunks * MN);  // held across the parallel loop: see BRegionLease
  T* part = lease.get();
  auto chunk = [&](int64_t c) {
    const int64_t k0 = c * chunk_k;
    Problem q = p;
    q.K = min64(chunk_k, p.K - k0);
    q.ldc = p.N;
    const T* a = p.trans_a ? A + k0 * p.lda : A + k0;  // op(A)[:, k0:]
    const T* b = p.trans_b ? B + k0 : B + k0 * p.ldb;  // op(B)[k0:, :]
    gemm_tiled<T, UseAsm>(q, T(1), a, b, T(0), part + c * MN, parallel, /*may_parallelize=*/false);
  };
  run_tasks(parallel, true, chunks, chunk);
  // Σ_c P_c into P_0, chunk after chunk (whole contiguous partials, in chunk order)
  for (int64_t c = 1; c < chunks; ++c) {
    const T* pc = part + c * MN;
    int64_t t = 0;
    for (; t + W <= MN; t += W) (V::load_unaligned(part + t) + V::load_unaligned(pc + t)).store_unaligned(part + t);
    for (; t < MN; ++t) part[t] += pc[t];
  }
  for (int64_t i = 0; i < p.M; ++i) {
    T* crow = C + i * p.ldc;
    for (int64_t j = 0; j < p.N; ++j) {
      const T scaled = alpha * part[i * p.N + j];
      crow[j] = beta == T(0) ? scaled : scaled + beta * crow[j];
    }
  }
}

// C = beta·C (alpha == 0 or K == 0): A and B are not read; beta == 0 writes zeros.
template <class T>
void scale_c(int64_t M, int64_t N, T beta, T* C, int64_t ldc) {
  for (int64_t i = 0; i < M; ++i) {
    T* c = C + i * ldc;
    for (int64_t j = 0; j < N; ++j) c[j] = beta == T(0) ? T(0) : beta == T(1) ? c[j] : c[j] * beta;
  }
}

// The entry point (arguments checked by the caller, gemm.cpp).
template <class T, bool UseAsm>
void gemm(const kernels::GemmArgs<T>& g, const kernels::ParallelRunner& parallel) {
  if (g.M == 0 || g.N == 0) return;
  if (g.K == 0 || g.alpha == T(0)) {
    scale_c(g.M, g.N, g.beta, g.C, g.ldc);
    return;
  }
  const Problem p{g.trans_a, g.trans_b, g.M, g.N, g.K, g.lda, g.ldb, g.ldc};
  // A long K into a small C goes to split-K first, narrow or not: the narrow kernel's row groups
  // would each stream all of op(A) on one thread (the output layer's weight gradient).
  if (split_k_applies<T>(p))
    gemm_split_k<T, UseAsm>(p, g.alpha, g.A, g.B, g.beta, g.C, parallel);
  else if (narrow_applies<T>(p))
    gemm_narrow<T>(p, g.alpha, g.A, g.B, g.beta, g.C, parallel);
  else
    gemm_tiled<T, UseAsm>(p, g.alpha, g.A, g.B, g.beta, g.C, parallel, true);
}

}  // namespace gatgrad::GATGRAD_ISA_NS::gemm
