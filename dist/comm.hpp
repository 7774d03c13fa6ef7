/// @file
/// The MPI calls distributed training makes, in one place: a communicator with its rank and
/// size, the all-to-all exchange of byte streams (each rank sends a stream to each other rank)
/// and the all-gather of one stream per rank. Every rank calls these in the same order (they
/// are collective). Bytes a rank sends to the others are counted, per kind of traffic.
#pragma once
#include <mpi.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace gatgrad::dist {

/// Bytes sent to other ranks (never to itself), by purpose.
struct TrafficCounter {
  int64_t adjacency = 0;  ///< requests for and replies with incoming lists
  int64_t features = 0;   ///< requests for and replies with feature or hidden rows
  int64_t gradients = 0;  ///< micro-batch gradients
  int64_t total() const { return adjacency + features + gradients; }
};

class Writer;

/// std::allocator, except that a vector's growth leaves the new elements uninitialised: the
/// exchanges' buffers are written (or received into) right after they grow, and
/// std::vector<char>'s resize would zero every message's bytes first.
template <class T>
struct UninitialisedAllocator : std::allocator<T> {
  UninitialisedAllocator() = default;
  template <class U>
  UninitialisedAllocator(const UninitialisedAllocator<U>&) noexcept {}
  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

/// A message's bytes.
using Bytes = std::vector<char, UninitialisedAllocator<char>>;

/// One byte stream per rank, back to back in one buffer (what MPI's v-variants send and
/// receive, so nothing is copied into or out of a staging buffer): stream k is
/// bytes[offset[k], offset[k + 1]). Written for rank 0, 1, ... in order: append, then end().
struct Streams {
  Bytes bytes;
  std::vector<int64_t> offset{0};
  void end() { offset.push_back(static_cast<int64_t>(bytes.size())); }
  /// Empty again, its buffer kept (a buffer used again each step is not faulted in again).
  void clear() {
    bytes.clear();
    offset.assign(1, 0);
  }
  size_t count() const { return offset.size() - 1; }
  std::span<const char> operator[](size_t k) const {
    return {bytes.data() + offset[k], static_cast<size_t>(offset[k + 1] - offset[k])};
  }
};

class Comm {
 public:
  /// MPI_COMM_WORLD duplicated (MPI must be initialised).
  Comm();
  ~Comm();
  Comm(const Comm&) = delete;
  Comm& operator=(const Comm&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }

  /// send[k]: the bytes for rank k; returns recv[k], the bytes rank k sent this rank. Adds the
  /// bytes sent to other ranks to `counted`.
  Streams all_to_all(const Streams& send, int64_t& counted) const;
  /// The same into `recv` (cleared first, its buffer reused).
  void all_to_all(const Streams& send, int64_t& counted, Streams& recv) const;
  /// Every rank's `mine`, in rank order. Adds (size - 1) · mine.size() to `counted`.
  Streams all_gather(std::span<const char> mine, int64_t& counted) const;
  /// Whether MPI may be called from any one thread at a time (initialised with
  /// MPI_THREAD_SERIALIZED or more), not only the main one.
  bool any_thread() const;
  /// The largest of every rank's value.
  int64_t max(int64_t value) const;
  void barrier() const;

 private:
  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1;
};

/// A byte stream of plain values: what the exchanges carry (into `bytes`, or a Streams').
class Writer {
 public:
  Writer() = default;
  explicit Writer(Bytes& into) : out_(&into) {}
  template <class T>
  void put(const T& v) {
    append(&v, sizeof(T));
  }
  template <class T>
  void put_span(std::span<const T> v) {
    append(v.data(), v.size_bytes());
  }
  void append(const void* p, size_t n) {
    if (n == 0) return;
    Bytes& b = out_ ? *out_ : bytes;
    const size_t at = b.size();
    b.resize(at + n);
    std::memcpy(b.data() + at, p, n);
  }
  /// n more bytes, to be written at the pointer returned.
  char* extend(size_t n) {
    Bytes& b = out_ ? *out_ : bytes;
    const size_t at = b.size();
    b.resize(at + n);
    return b.data() + at;
  }
  /// Room for n more bytes without growing.
  void reserve(size_t n) {
    Bytes& b = out_ ? *out_ : bytes;
    b.reserve(b.size() + n);
  }
  Bytes bytes;  ///< what was written, unless written into another buffer

 private:
  Bytes* out_ = nullptr;
};

class Reader {
 public:
  explicit Reader(std::span<const char> b) : bytes_(b) {}
  template <class T>
  T get() {
    T v;
    take(&v, sizeof(T));
    return v;
  }
  template <class T>
  void get_into(T* out, size_t n) {
    take(out, n * sizeof(T));
  }
  bool done() const { return at_ == bytes_.size(); }
  size_t remaining() const { return bytes_.size() - at_; }

 private:
  void take(void* out, size_t n);
  std::span<const char> bytes_;
  size_t at_ = 0;
};

}  // namespace gatgrad::dist
