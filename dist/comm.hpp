/// @file
/// The MPI calls distributed training makes, in one place: a communicator with its rank and
/// size, the all-to-all exchange of byte streams (each rank sends a stream to each other rank)
/// and the all-gather of one stream per rank. Every rank calls these in the same order (they
/// are collective). Bytes a rank sends to the others are counted, per kind of traffic.
#pragma once
#include <mpi.h>

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

namespace gatgrad::dist {

/// Bytes sent to other ranks (never to itself), by purpose.
struct TrafficCounter {
  int64_t adjacency = 0;  ///< requests for and replies with incoming lists
  int64_t features = 0;   ///< requests for and replies with feature or hidden rows
  int64_t gradients = 0;  ///< micro-batch gradients
  int64_t total() const { return adjacency + features + gradients; }
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
  std::vector<std::vector<char>> all_to_all(const std::vector<std::vector<char>>& send, int64_t& counted) const;
  /// Every rank's `mine`, in rank order. Adds (size - 1) · mine.size() to `counted`.
  std::vector<std::vector<char>> all_gather(const std::vector<char>& mine, int64_t& counted) const;
  /// The largest of every rank's value.
  int64_t max(int64_t value) const;
  void barrier() const;

 private:
  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1;
};

/// A byte stream of plain values: what the exchanges carry.
class Writer {
 public:
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
    const size_t at = bytes.size();
    bytes.resize(at + n);
    std::memcpy(bytes.data() + at, p, n);
  }
  std::vector<char> bytes;
};

class Reader {
 public:
  explicit Reader(const std::vector<char>& b) : bytes_(b) {}
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

 private:
  void take(void* out, size_t n);
  const std::vector<char>& bytes_;
  size_t at_ = 0;
};

}  // namespace gatgrad::dist
