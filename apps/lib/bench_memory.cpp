#include "apps/lib/bench_memory.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <thread>
#include <vector>

#include <tbb/global_control.h>
#include <tbb/info.h>

#include "apps/lib/app_common.hpp"
#include "autograd/parallel.hpp"

namespace gatgrad::bench {

namespace {

// GB/s of the triad with `threads` threads: 3 arrays of n floats move per run (2 read, 1 written).
double triad_gb_per_s(std::vector<float>& a, const std::vector<float>& b, const std::vector<float>& c,
                      int threads, int repeats) {
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<size_t>(threads));
  const int64_t n = static_cast<int64_t>(a.size());
  const float s = 3.0f;
  auto run = [&] {
    parallel_blocks(n, 1 << 20, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) a[static_cast<size_t>(i)] = b[static_cast<size_t>(i)] + s * c[static_cast<size_t>(i)];
    });
  };
  run();  // warm-up: page faults, thread start
  std::vector<double> seconds;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    run();
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  const double bytes = 3.0 * static_cast<double>(n) * sizeof(float);
  return bytes / app::median(seconds) / 1e9;
}

// Nanoseconds for a cache line written by one thread to be seen by another (half a round trip of
// a counter passed back and forth between two spinning threads, the median of 5 runs). The
// threads run wherever the OS puts them, on 2 cores two different ones: this is what a parallel
// op pays per line when a core reads rows another core wrote (on this project's AMD EPYC VM
// about 190-200 ns, where it made Cora's second thread cost more than it gave; see
// graph/node_order.hpp).
double core_to_core_ns() {
  constexpr int64_t kTrips = 20000;
  std::vector<double> ns;
  for (int run = 0; run < 5; ++run) {
    alignas(64) std::atomic<int64_t> turn{0};
    std::thread other([&] {
      for (int64_t k = 0; k < kTrips; ++k) {
        while (turn.load(std::memory_order_acquire) != 2 * k + 1) {
        }
        turn.store(2 * k + 2, std::memory_order_release);
      }
    });
    const auto t0 = std::chrono::steady_clock::now();
    for (int64_t k = 0; k < kTrips; ++k) {
      turn.store(2 * k + 1, std::memory_order_release);
      while (turn.load(std::memory_order_acquire) != 2 * k + 2) {
      }
    }
    const auto t1 = std::chrono::steady_clock::now();
    other.join();
    ns.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count() / (2.0 * kTrips));
  }
  return app::median(ns);
}

}  // namespace

// Iterations per nanosecond of a loop whose every iteration waits for the previous one (one add
// through a register the compiler may not see through): about the core's clock in GHz. This VM's
// clock moves (1.2-2.8 seen within an hour), so the benchmark table prints it beside its rows.
double core_clock_ghz() {
  uint64_t x = 0;
  const uint64_t iterations = 200'000'000;
  const auto t0 = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < iterations; ++i) {
#if defined(__GNUC__)
    asm volatile("" : "+r"(x));
#endif
    ++x;
  }
  const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
  return x == iterations ? static_cast<double>(iterations) / ns : 0.0;
}

int run_memory_bench(int threads, int mb, int repeats) {
  if (threads <= 0) threads = tbb::info::default_concurrency();
  const size_t n = static_cast<size_t>(mb) * (1 << 20) / sizeof(float);
  std::vector<float> a(n, 0.0f), b(n, 1.0f), c(n, 2.0f);
  double first = 0, last = 0;
  for (int t = 1; t <= threads; t = t < threads && t * 2 > threads ? threads : t * 2) {
    last = triad_gb_per_s(a, b, c, t, repeats);
    if (t == 1) first = last;
    std::printf("triad threads=%d gb_per_s=%.2f\n", t, last);
    if (t == threads) break;
  }
  if (threads > 1) std::printf("core_to_core_ns=%.0f\n", core_to_core_ns());
  std::printf("busy_loop_ghz=%.2f\n", core_clock_ghz());
  std::printf("speedup=%.2f\n", last / first);
  return 0;
}

}  // namespace gatgrad::bench
