// SIMD helpers for elementwise kernels (private to kernel .cpp files: pulls in xsimd).
// Every element, including the tail of an array, goes through the same batch code (the tail
// via a zero-padded stack copy), so a value never depends on where a thread's range starts.
#pragma once
#include <algorithm>
#include <cstdint>

#include <xsimd/xsimd.hpp>

#include "autograd/parallel.hpp"

namespace gatgrad::kernels {

template <class T>
using batch = xsimd::batch<T>;

template <class T>
constexpr int64_t lanes() {
  return static_cast<int64_t>(batch<T>::size);
}

// y[i] = f(x[i]) for i in [0, n) (batch in, batch out); serial.
template <class T, class F>
inline void map1_serial(const T* x, T* y, int64_t n, F&& f) {
  constexpr int64_t L = lanes<T>();
  int64_t i = 0;
  for (; i + L <= n; i += L) f(batch<T>::load_unaligned(x + i)).store_unaligned(y + i);
  if (i < n) {
    alignas(64) T xin[L] = {};
    alignas(64) T yout[L];
    std::copy(x + i, x + n, xin);
    f(batch<T>::load_aligned(xin)).store_aligned(yout);
    std::copy(yout, yout + (n - i), y + i);
  }
}

// y[i] = f(a[i], b[i]); serial.
template <class T, class F>
inline void map2_serial(const T* a, const T* b, T* y, int64_t n, F&& f) {
  constexpr int64_t L = lanes<T>();
  int64_t i = 0;
  for (; i + L <= n; i += L)
    f(batch<T>::load_unaligned(a + i), batch<T>::load_unaligned(b + i)).store_unaligned(y + i);
  if (i < n) {
    alignas(64) T ain[L] = {};
    alignas(64) T bin[L] = {};
    alignas(64) T yout[L];
    std::copy(a + i, a + n, ain);
    std::copy(b + i, b + n, bin);
    f(batch<T>::load_aligned(ain), batch<T>::load_aligned(bin)).store_aligned(yout);
    std::copy(yout, yout + (n - i), y + i);
  }
}

// y[i] = f(a[i], b[i], c[i]); serial.
template <class T, class F>
inline void map3_serial(const T* a, const T* b, const T* c, T* y, int64_t n, F&& f) {
  constexpr int64_t L = lanes<T>();
  int64_t i = 0;
  for (; i + L <= n; i += L)
    f(batch<T>::load_unaligned(a + i), batch<T>::load_unaligned(b + i),
      batch<T>::load_unaligned(c + i))
        .store_unaligned(y + i);
  if (i < n) {
    alignas(64) T ain[L] = {};
    alignas(64) T bin[L] = {};
    alignas(64) T cin[L] = {};
    alignas(64) T yout[L];
    std::copy(a + i, a + n, ain);
    std::copy(b + i, b + n, bin);
    std::copy(c + i, c + n, cin);
    f(batch<T>::load_aligned(ain), batch<T>::load_aligned(bin), batch<T>::load_aligned(cin))
        .store_aligned(yout);
    std::copy(yout, yout + (n - i), y + i);
  }
}

// Parallel versions over fixed blocks (kBlock is a multiple of every batch width).
template <class T, class F>
inline void map1(const T* x, T* y, int64_t n, F f) {
  parallel_blocks(n, kBlock, [&](int64_t b, int64_t e) { map1_serial(x + b, y + b, e - b, f); });
}
template <class T, class F>
inline void map2(const T* a, const T* b, T* y, int64_t n, F f) {
  parallel_blocks(n, kBlock,
                  [&](int64_t s, int64_t e) { map2_serial(a + s, b + s, y + s, e - s, f); });
}
template <class T, class F>
inline void map3(const T* a, const T* b, const T* c, T* y, int64_t n, F f) {
  parallel_blocks(n, kBlock, [&](int64_t s, int64_t e) {
    map3_serial(a + s, b + s, c + s, y + s, e - s, f);
  });
}

// Sum of x[0..n) with SIMD partial sums; the order is fixed by position, so deterministic.
template <class T>
inline T sum_serial(const T* x, int64_t n) {
  constexpr int64_t L = lanes<T>();
  batch<T> acc0(T(0)), acc1(T(0));
  int64_t i = 0;
  for (; i + 2 * L <= n; i += 2 * L) {
    acc0 += batch<T>::load_unaligned(x + i);
    acc1 += batch<T>::load_unaligned(x + i + L);
  }
  for (; i + L <= n; i += L) acc0 += batch<T>::load_unaligned(x + i);
  T total = xsimd::hadd(acc0 + acc1);
  for (; i < n; ++i) total += x[i];
  return total;
}

// ELU on a batch, y = x > 0 ? x : α (eˣ - 1), and its gradient dx = dy · (x > 0 ? 1 : y + α)
// given the output y and the mask x > 0. The elu op and the epilogue of gat_attention both call
// these, so the fused layer computes the op's values bit for bit.
template <class B>
inline B elu_value(const B& x, typename B::value_type alpha) {
  return xsimd::select(x > B(0), x, B(alpha) * xsimd::expm1(x));
}

template <class B, class Mask>
inline B elu_grad(const Mask& positive, const B& y, const B& dy, typename B::value_type alpha) {
  return xsimd::select(positive, dy, dy * (y + B(alpha)));
}

}  // namespace gatgrad::kernels
