/// @file
/// Buffer: the storage of a tensor; the pool's blocks are 64-byte aligned (a row starts on a cache
/// line), memory borrowed from elsewhere only as its element type needs (Tensor::can_borrow).
/// Freed buffers go back to a pool keyed by size, so a training loop that makes the same tensors
/// every step stops calling malloc after its first step (steady state without allocation).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

namespace gatgrad {

class Buffer {
 public:
  explicit Buffer(size_t bytes);  ///< takes a block from the pool (or malloc); contents undefined
  /// Memory that someone else owns (a read-only file mapping): `owner` keeps it alive for as
  /// long as the buffer lives, and it never enters the pool.
  Buffer(void* data, size_t bytes, std::shared_ptr<const void> owner);
  ~Buffer();                      ///< returns the block to the pool (an owned one: drops the owner)
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  void* data() const { return data_; }
  size_t bytes() const { return bytes_; }

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
  size_t block_ = 0;  // the pool block's size (its class), which a big buffer may exceed by up to 2x
  std::shared_ptr<const void> owner_;  // set for memory that is not the pool's
};

/// Statistics of the buffer pool, for benchmarks ("allocations per epoch").
struct PoolStats {
  int64_t system_allocations = 0;  ///< blocks obtained from the system allocator so far
  int64_t pool_hits = 0;           ///< blocks served from the pool
  int64_t bytes_cached = 0;        ///< bytes held by the pool right now
  int64_t bytes_live = 0;          ///< bytes in live buffers right now
  int64_t bytes_peak = 0;          ///< high-water mark of bytes_live + bytes_cached
};
PoolStats pool_stats();
void pool_release();  ///< frees every cached block back to the system

}  // namespace gatgrad
