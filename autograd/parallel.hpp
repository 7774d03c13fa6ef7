/// @file
/// Deterministic parallel loops over fixed blocks, and the one place gatgrad starts oneTBB work.
/// Work is cut into blocks whose boundaries depend only on the problem size (never on the number
/// of threads or on how oneTBB splits ranges), and any reduction combines per-block partial
/// results in block order. So every result is bit-identical for any thread count.
/// Every parallel region of the library goes through parallel_range (the loops) or TaskGroup
/// (a task beside the caller), where the op profile counts it (autograd/profile.hpp); the only
/// other oneTBB call is the synthetic generators' parallel_sort, at data generation.
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>
#include <tbb/task_group.h>

#include "autograd/profile.hpp"

namespace gatgrad {

/// Elements per block for elementwise work: a multiple of every SIMD width, big enough that
/// scheduling costs nothing, small enough to balance two cores on 1M-element tensors.
constexpr int64_t kBlock = 16384;

/// How parallel_range hands [0, n) to oneTBB's workers.
enum class Partition {
  automatic,     ///< oneTBB's auto partitioner: sub-ranges of at least `grain` items, as it sees fit
  one_per_task,  ///< simple partitioner with grain 1 ranges: one task per index (GEMM's tasks)
};

/// One parallel region: body(begin, end) over sub-ranges of [0, n) in parallel. The split is
/// oneTBB's, so body must give the same result for any cut (write only [begin, end)'s outputs,
/// reduce nothing across calls). The op profile counts the region.
template <class Body>
void parallel_range(int64_t n, int64_t grain, Body&& body, Partition split = Partition::automatic) {
  if (profile::enabled()) profile::detail::count_region(true);
  const tbb::blocked_range<int64_t> range(0, n, split == Partition::one_per_task ? 1 : grain);
  const auto run = [&](const tbb::blocked_range<int64_t>& r) { body(r.begin(), r.end()); };
  if (split == Partition::one_per_task)
    tbb::parallel_for(range, run, tbb::simple_partitioner());
  else
    tbb::parallel_for(range, run);
}

/// Calls body(begin, end) for consecutive blocks of `block` items covering [0, n); blocks run in
/// parallel when there is more than one. body must write only its own block's outputs.
template <class Body>
void parallel_blocks(int64_t n, int64_t block, Body&& body) {
  if (n <= 0) return;
  const int64_t nblocks = (n + block - 1) / block;
  if (nblocks == 1) {
    body(int64_t{0}, n);
    return;
  }
  parallel_range(nblocks, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b != b1; ++b) {
      const int64_t begin = b * block;
      const int64_t end = begin + block < n ? begin + block : n;
      body(begin, end);
    }
  });
}

/// Sum over [0, n) of partial(begin, end), computed per fixed block and added in block order.
template <class Acc, class Partial>
Acc deterministic_sum(int64_t n, int64_t block, Partial&& partial) {
  if (n <= 0) return Acc(0);
  const int64_t nblocks = (n + block - 1) / block;
  if (nblocks == 1) return partial(int64_t{0}, n);
  std::vector<Acc> parts(static_cast<size_t>(nblocks));
  parallel_blocks(nblocks, 1, [&](int64_t b, int64_t) {
    const int64_t begin = b * block;
    const int64_t end = begin + block < n ? begin + block : n;
    parts[static_cast<size_t>(b)] = partial(begin, end);
  });
  Acc total(0);
  for (const Acc& p : parts) total += p;
  return total;
}

/// Tasks run beside the caller (a pipeline readying its next batch): oneTBB's task_group. Each
/// run() is a region of the profile's count over all threads, charged to no op (the op running
/// on the caller's thread does not wait for it).
class TaskGroup {
 public:
  template <class F>
  void run(F&& f) {
    if (profile::enabled()) profile::detail::count_region(false);
    group_.run(std::forward<F>(f));
  }
  void wait() { group_.wait(); }  ///< rethrows what a task threw

 private:
  tbb::task_group group_;
};

}  // namespace gatgrad
