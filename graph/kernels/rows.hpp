// Rows of values (a node's or an edge's D values) for the graph kernels: elementwise helpers in
// 16-lane chunks, the last chunk on its first lanes, and prefetching. Private to the units.
// Legend: N nodes, E edges, D a row's width, H heads, F features per head.
#pragma once
#include <cstdint>

#include "autograd/kernels/element.hpp"
#include "autograd/kernels/simd/reduce.hpp"
#include "graph/kernels/table.hpp"

namespace gatgrad::GATGRAD_ISA_NS::graph {

using simd::Vec;
namespace gk = gatgrad::graph_kernels;
using gk::ScratchFn;

using simd::kLanes;  // lanes of every chunk along a row

inline int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }

using simd::for_chunks;

// Lanes [0, n) of p: a whole Vec when it stays before `end` (the lanes past n then hold whatever
// follows and must never reach a result), else only the n values.
template <class T, int N>
GATGRAD_INLINE Vec<T, N> load_upto(const T* p, int64_t n, const T* end) {
  return end - p >= N ? Vec<T, N>::load(p) : Vec<T, N>::load_first(p, n);
}

template <class T, int N>
GATGRAD_INLINE Vec<T, N> load_n(const T* p, int64_t n) {
  return n == N ? Vec<T, N>::load(p) : Vec<T, N>::load_first(p, n);
}
template <class T, int N>
GATGRAD_INLINE void store_n(const Vec<T, N>& v, T* p, int64_t n) {
  if (n == N)
    v.store(p);
  else
    v.store_first(p, n);
}

// y[0..d) += x[0..d)
template <class T>
GATGRAD_INLINE void add_row(T* y, const T* x, int64_t d) {
  for_chunks(d, [&](int64_t k, int64_t m) {
    store_n(load_n<T, kLanes>(y + k, m) + load_n<T, kLanes>(x + k, m), y + k, m);
  });
}

// y[0..d) = x[0..d)
template <class T>
GATGRAD_INLINE void copy_row(T* y, const T* x, int64_t d) {
  for_chunks(d, [&](int64_t k, int64_t m) { store_n(load_n<T, kLanes>(x + k, m), y + k, m); });
}

// y[0..d) = 0
template <class T>
GATGRAD_INLINE void zero_row(T* y, int64_t d) {
  for_chunks(d, [&](int64_t k, int64_t m) { store_n(Vec<T, kLanes>::zero(), y + k, m); });
}

// y[0..d) = a[0..d) · b[0..d)
template <class T>
GATGRAD_INLINE void mul_row(T* y, const T* a, const T* b, int64_t d) {
  for_chunks(d, [&](int64_t k, int64_t m) {
    store_n(load_n<T, kLanes>(a + k, m) * load_n<T, kLanes>(b + k, m), y + k, m);
  });
}

// y[0..d) = fma(a, x[0..d), y[0..d))
template <class T>
GATGRAD_INLINE void axpy_row(T* y, T a, const T* x, int64_t d) {
  const Vec<T, kLanes> va = Vec<T, kLanes>::splat(a);
  for_chunks(d, [&](int64_t k, int64_t m) {
    store_n(simd::fma(va, load_n<T, kLanes>(x + k, m), load_n<T, kLanes>(y + k, m)), y + k, m);
  });
}

// ---- prefetching the rows of edges a little ahead ----
// The sweeps read rows of neighbours at random (W h_j, d out_i: 256 bytes each at H = F = 8), so
// on large graphs they wait on memory and on the TLB. Asking for the rows of the edge
// kAheadEdges positions further along the sweep keeps many of those misses in flight.
constexpr int64_t kAheadEdges = 16;

// Prefetch the cache lines holding the bytes [p, p + bytes) (at most 16 lines), each once.
inline void prefetch_bytes(const void* p, int64_t bytes) {
  const uintptr_t at = reinterpret_cast<uintptr_t>(p);
  const uintptr_t last = (at + static_cast<uintptr_t>(imin(bytes, 1024)) - 1) & ~uintptr_t{63};
  for (uintptr_t line = at & ~uintptr_t{63}; line <= last; line += 64) __builtin_prefetch(reinterpret_cast<const void*>(line));
}

// A thread's scratch of n values of T (slot: rows used at the same time).
template <class T>
inline T* scratch_of(ScratchFn scratch, int slot, int64_t n) {
  return static_cast<T*>(scratch(slot, static_cast<size_t>(n > 0 ? n : 1) * sizeof(T)));
}

}  // namespace gatgrad::GATGRAD_ISA_NS::graph
