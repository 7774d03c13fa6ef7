// Reference for `gat-bench gemm`: the same products timed with OpenBLAS's cblas_sgemm, so that the
// benchmark table can show both on the same machine in the same run. Not part of the build
// (OpenBLAS is no dependency of gatgrad); scripts/bench-table.sh compiles it when Debian's
// libopenblas-dev is installed.
//   openblas_gemm M K N [transposed]    prints openblas_gflops=<x> (median of 30 runs)
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: openblas_gemm M K N [transposed]\n");
    return 2;
  }
  const int m = std::atoi(argv[1]), k = std::atoi(argv[2]), n = std::atoi(argv[3]);
  const bool transposed = argc > 4 && std::atoi(argv[4]) != 0;
  std::vector<float> a(static_cast<size_t>(m) * k, 0.5f), b(static_cast<size_t>(transposed ? m : k) * n, 0.25f);
  std::vector<float> c(static_cast<size_t>(transposed ? k : m) * n);
  auto run = [&] {
    if (transposed)  // C[k,n] = Aᵀ·G, A m×k, G m×n: the weight gradient
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, n, m, 1.0f, a.data(), k, b.data(), n, 0.0f, c.data(), n);
    else
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a.data(), k, b.data(), n, 0.0f, c.data(), n);
  };
  for (int i = 0; i < 5; ++i) run();
  std::vector<double> s;
  for (int i = 0; i < 30; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    run();
    s.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(s.begin(), s.end());
  std::printf("openblas_gflops=%.2f\n", 2.0 * m * k * n / s[s.size() / 2] / 1e9);
  return 0;
}
