// `gat-bench memory`: what the memory system gives 1, 2, ... cores (a STREAM-style triad).
#pragma once

namespace gatgrad::bench {

// Times a[i] = b[i] + s·c[i] over three arrays of `mb` MiB each (far larger than the caches),
// split into fixed blocks run by oneTBB, with 1 thread and then with `threads` (0 = all cores).
// Prints one line per thread count, `triad threads=T gb_per_s=X` (bytes read and written over
// the median of `repeats` runs), then `busy_loop_ghz=<X>` (core_clock_ghz()), then
// `speedup=<X>` (the ratio of the last to the first).
int run_memory_bench(int threads, int mb, int repeats);

// Iterations per ns of a one-cycle dependent loop on the calling thread: about the clock in GHz.
double core_clock_ghz();

}  // namespace gatgrad::bench
