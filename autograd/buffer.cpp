#include "autograd/buffer.hpp"

#include <bit>
#include <cstdlib>
#include <mutex>

#include <sys/mman.h>
#include <cstdint>
#include <new>
#include <stdexcept>
#include <unordered_map>
#include <vector>

namespace gatgrad {
namespace {

constexpr size_t kAlign = 64;

struct Pool {
  std::mutex mu;
  std::unordered_map<size_t, std::vector<void*>> free_blocks;  // rounded size -> blocks
  PoolStats stats;
};

Pool& pool() {
  static Pool* p = new Pool;  // never destroyed: buffers may die during static destruction
  return *p;
}

// Buffers of at least kHugeFrom bytes are 2 MiB aligned and asked to live in transparent huge
// pages: the graph kernels read rows of such arrays at random, and with 4 KiB pages nearly
// every read of a 10M-edge graph's features would also miss the TLB.
constexpr size_t kHugePage = size_t{2} << 20;
constexpr size_t kHugeFrom = size_t{4} << 20;

// Blocks of at least kClassFrom bytes come in four size classes per power of two (at most 25%
// more than asked for, and only touched pages become resident): a tensor whose size changes
// from step to step, as a sampled mini-batch's do, still finds a freed block of its class,
// where exact sizes would each leave one more block in the pool, step after step. From 1 KiB: the
// small tensors of a batch of whole graphs ([E, H] logits, [N, H] scores: tens of KiB) change size
// from batch to batch too, and with exact sizes a MUTAG run still allocated ~15 new blocks an
// epoch after 100 epochs (the pool, and the process, growing to 63 MB; 21 MB with the classes).
constexpr size_t kClassFrom = size_t{1} << 10;

size_t round_up(size_t bytes) {
  if (bytes >= kClassFrom) {
    const size_t step = (std::bit_floor(bytes) / 4);
    bytes = (bytes + step - 1) / step * step;
  }
  const size_t align = bytes >= kHugeFrom ? kHugePage : kAlign;
  return (bytes + align - 1) / align * align;
}

// A request of at least kLendFrom bytes with no free block of its class takes the smallest free
// block of up to twice its size, rather than a new block beside it: in a full-batch step on a
// big graph, tensors of a few large sizes are alive at different moments (the dropped-out input
// in the forward and again in the backward, the attention's [E, H] arrays in between), and with
// each size kept to its own blocks the pool held the sum of every size's peak, not the peak of
// the sum. The spare part of a lent block is memory the pool held anyway.
constexpr size_t kLendFrom = size_t{16} << 20;

template <class P>
auto larger_free_block(P& p, size_t size) {
  auto best = p.free_blocks.end();
  for (auto it = p.free_blocks.begin(); it != p.free_blocks.end(); ++it)
    if (!it->second.empty() && it->first > size && it->first <= 2 * size &&
        (best == p.free_blocks.end() || it->first < best->first))
      best = it;
  return best;
}

void* allocate(size_t size) {
  if (size < kHugeFrom) return std::aligned_alloc(kAlign, size);
  void* p = std::aligned_alloc(kHugePage, size);
  if (p) madvise(p, size, MADV_HUGEPAGE);  // a hint: without THP the buffer still works
  return p;
}

}  // namespace

Buffer::Buffer(size_t bytes) : bytes_(bytes) {
  size_t size = round_up(bytes == 0 ? 1 : bytes);
  Pool& p = pool();
  {
    std::lock_guard<std::mutex> lock(p.mu);
    auto it = p.free_blocks.find(size);
    if ((it == p.free_blocks.end() || it->second.empty()) && size >= kLendFrom) it = larger_free_block(p, size);
    if (it != p.free_blocks.end() && !it->second.empty()) {
      data_ = it->second.back();
      it->second.pop_back();
      block_ = it->first;
      p.stats.pool_hits++;
      p.stats.bytes_cached -= static_cast<int64_t>(block_);
      p.stats.bytes_live += static_cast<int64_t>(block_);
      return;
    }
    block_ = size;
    p.stats.system_allocations++;
    p.stats.bytes_live += static_cast<int64_t>(size);
    int64_t total = p.stats.bytes_live + p.stats.bytes_cached;
    if (total > p.stats.bytes_peak) p.stats.bytes_peak = total;
  }
  data_ = allocate(size);
  if (!data_) throw std::bad_alloc();
}

Buffer::Buffer(void* data, size_t bytes, std::shared_ptr<const void> owner)
    : data_(data), bytes_(bytes), owner_(std::move(owner)) {
  if (!owner_) throw std::invalid_argument("Buffer: external memory needs an owner");
}

Buffer::~Buffer() {
  if (owner_) return;  // not the pool's
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mu);
  p.free_blocks[block_].push_back(data_);
  p.stats.bytes_live -= static_cast<int64_t>(block_);
  p.stats.bytes_cached += static_cast<int64_t>(block_);
}

PoolStats pool_stats() {
  std::lock_guard<std::mutex> lock(pool().mu);
  return pool().stats;
}

void pool_release() {
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mu);
  for (auto& [size, blocks] : p.free_blocks) {
    for (void* b : blocks) std::free(b);
    p.stats.bytes_cached -= static_cast<int64_t>(size * blocks.size());
    blocks.clear();
  }
}

}  // namespace gatgrad
