/// @file
/// Deterministic parallel loops over fixed blocks.
/// Work is cut into blocks whose boundaries depend only on the problem size (never on the number
/// of threads or on how oneTBB splits ranges), and any reduction combines per-block partial
/// results in block order. So every result is bit-identical for any thread count.
#pragma once
#include <cstdint>
#include <vector>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

namespace gatgrad {

/// Elements per block for elementwise work: a multiple of every SIMD width, big enough that
/// scheduling costs nothing, small enough to balance two cores on 1M-element tensors.
constexpr int64_t kBlock = 16384;

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
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, nblocks, 1),
                    [&](const tbb::blocked_range<int64_t>& r) {
                      for (int64_t b = r.begin(); b != r.end(); ++b) {
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

}  // namespace gatgrad
