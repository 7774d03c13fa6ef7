// `gat-bench gemm`: times kernels::gemm<float> on random matrices.
#pragma once
#include <cstdint>

namespace gatgrad::bench {

// transposed = false:  C[m,n] = A[m,k] · B[k,n]
// transposed = true:   C[k,n] = Aᵀ · G with A stored m×k and G m×n (the weight-gradient form)
// threads = 0 uses every core. Prints `gemm m=.. k=.. n=.. transposed=.. threads=.. median_ms=..`
// then `gflops=<x>` (2·m·n·k over the median of `repeats` timed runs, after warm-up).
int run_gemm_bench(int64_t m, int64_t k, int64_t n, bool transposed, int threads, int repeats);

}  // namespace gatgrad::bench
