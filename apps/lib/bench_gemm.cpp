// `gat-bench gemm` (see bench_gemm.hpp).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <random>
#include <vector>

#include <tbb/global_control.h>
#include <tbb/info.h>

#include "apps/lib/bench_gemm.hpp"
#include "apps/lib/app_common.hpp"
#include "apps/lib/bench_memory.hpp"
#include "autograd/kernels/gemm.hpp"
#include "autograd/tensor.hpp"

namespace gatgrad::bench {

int run_gemm_bench(int64_t m, int64_t k, int64_t n, bool transposed, int threads,
                          int repeats) {
  if (m <= 0 || k <= 0 || n <= 0 || repeats <= 0) {
    std::fprintf(stderr, "gemm: m, k, n and repeats must be positive\n");
    return 2;
  }
  if (threads <= 0) threads = tbb::info::default_concurrency();
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                            static_cast<size_t>(threads));

  std::mt19937_64 rng(12345);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  // Untransposed: A[m,k] · B[k,n] -> C[m,n].  Transposed: A[m,k]ᵀ · G[m,n] -> C[k,n].
  // The operands are gatgrad tensors, in the memory matmul works on when training (the buffer
  // pool: 64-byte aligned, transparent huge pages asked for from 4 MiB on).
  Tensor a = Tensor::empty({m, k}, DType::f32);
  Tensor b = Tensor::empty({transposed ? m : k, n}, DType::f32);
  Tensor c = Tensor::empty({transposed ? k : m, n}, DType::f32);
  float* pa = a.data<float>();
  float* pb = b.data<float>();
  float* pc = c.data<float>();
  std::generate(pa, pa + a.numel(), [&] { return dist(rng); });
  std::generate(pb, pb + b.numel(), [&] { return dist(rng); });

  auto run = [&] {
    if (transposed)
      kernels::gemm<float>(true, false, k, n, m, 1.0f, pa, k, pb, n, 0.0f, pc, n);
    else
      kernels::gemm<float>(false, false, m, n, k, 1.0f, pa, k, pb, n, 0.0f, pc, n);
  };

  const int warmup = std::max(2, std::min(10, repeats / 5));
  for (int i = 0; i < warmup; ++i) run();
  std::vector<double> ms;
  ms.reserve(static_cast<size_t>(repeats));
  for (int i = 0; i < repeats; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    run();
    const auto t1 = std::chrono::steady_clock::now();
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  const double median = app::median(ms);
  const double gflops = 2.0 * static_cast<double>(m) * static_cast<double>(n) *
                        static_cast<double>(k) / (median * 1e6);

  std::printf("gemm m=%lld k=%lld n=%lld transposed=%d threads=%d median_ms=%.3f\n",
              static_cast<long long>(m), static_cast<long long>(k), static_cast<long long>(n),
              transposed ? 1 : 0, threads, median);
  std::printf("busy_loop_ghz=%.2f\n", core_clock_ghz());  // the clock the VM gave, right after
  std::printf("gflops=%.2f\n", gflops);
  return 0;
}

}  // namespace gatgrad::bench
