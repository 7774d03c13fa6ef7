// Kernels under the message-passing ops (private to graph/*.cpp: pulls in xsimd).
// Legend: N nodes, E edges, D = row width (product of the trailing axes), H heads, F features
// per head. A "segment" is the run of edges owned by one node: its incoming edges (contiguous in
// the dst order) or its outgoing ones (through src_perm).
//
// Every loop over nodes runs in fixed blocks of kNodeBlock nodes, and each block writes only the
// rows of its own nodes (and of their own edges): no atomics, and every value is computed by the
// same code in the same order whatever the thread count, so results are bit-identical.
// Rows are vectorised along D, F or H with xsimd. A partial batch is either finished in scalar
// code or read whole (when that stays inside memory the reader may read) with its extra lanes
// masked off; either way an element's value depends only on the data, never on where a thread's
// range starts. The ops that need the same arithmetic (segment_softmax and gat_attention,
// aggregate and gat_attention) call the same helper here, so the fused kernel and the composed
// path agree to the last bit.
#pragma once
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <type_traits>
#include <vector>

#include <xsimd/xsimd.hpp>

#include "autograd/kernels/simd.hpp"
#include "autograd/parallel.hpp"
#include "autograd/random.hpp"

namespace gatgrad::graph_kernels {

using kernels::batch;
using kernels::lanes;

// Nodes per parallel block: a few thousand edges of work at typical degrees.
constexpr int64_t kNodeBlock = 512;

// ---- per-thread working rows ----
// A kernel block's scratch row, one per thread and Slot: it grows to the largest size asked for
// and is kept, so the sweeps allocate nothing once the first steps have sized it. Safe because a
// block never starts a parallel loop itself, so no other block runs on its thread meanwhile;
// rows used at the same time by one block take different slots.
template <class T, int Slot>
inline std::vector<T>& thread_scratch() {
  thread_local std::vector<T> row;
  return row;
}

// ---- prefetching the rows of edges a little ahead ----
// The sweeps read rows of neighbours at random (W h_j, d out_i: 256 bytes each at H = F = 8), so
// on large graphs they wait on memory and on the TLB. Asking for the rows of the edge
// kAheadEdges positions further along the sweep keeps many of those misses in flight.
constexpr int64_t kAheadEdges = 16;

// Prefetch the cache lines holding the bytes [p, p + bytes) (at most 16 lines), each once.
inline void prefetch_bytes(const void* p, int64_t bytes) {
  const uintptr_t at = reinterpret_cast<uintptr_t>(p);
  const uintptr_t last = (at + static_cast<uintptr_t>(std::min<int64_t>(bytes, 1024)) - 1) & ~uintptr_t{63};
  for (uintptr_t line = at & ~uintptr_t{63}; line <= last; line += 64) __builtin_prefetch(reinterpret_cast<const void*>(line));
}

// ---- one segment grouping: the edges owned by each of `count` nodes ----
struct Segments {
  const int64_t* ptr;    // [count + 1]
  const int32_t* perm;   // [E] edge at each position, or nullptr for the identity (dst order)
  int64_t count;
  int32_t edge(int64_t p) const { return perm ? perm[p] : static_cast<int32_t>(p); }
};

// ---- rows of D values ----

// y[0..n) = x[0..n) for a few values (n < L). GCC turns a plain copy loop into a call to
// memcpy, which for a handful of values costs several times the copy, and these run once per
// segment or per edge; the empty asm that "touches" each value keeps the loop a loop.
template <class T>
inline void copy_scalars(T* y, const T* x, int64_t n) {
  for (int64_t k = 0; k < n; ++k) {
    T v = x[k];
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    asm("" : "+x"(v));
#endif
    y[k] = v;
  }
}

// Lanes [0, n) loaded from p (the rest 0) and stored to p, for n <= L. A partial batch goes
// through a stack copy: fine once per row or segment, too slow per element.
template <class T>
inline batch<T> load_n(const T* p, int64_t n) {
  if (n == lanes<T>()) return batch<T>::load_unaligned(p);
  alignas(64) T buf[lanes<T>()] = {};
  copy_scalars(buf, p, n);
  return batch<T>::load_aligned(buf);
}

template <class T>
inline void store_n(const batch<T>& v, T* p, int64_t n) {
  if (n == lanes<T>()) {
    v.store_unaligned(p);
    return;
  }
  alignas(64) T buf[lanes<T>()];
  v.store_aligned(buf);
  copy_scalars(p, buf, n);
}


// y[0..d) += x[0..d)
template <class T>
inline void add_row(T* y, const T* x, int64_t d) {
  constexpr int64_t L = lanes<T>();
  int64_t f = 0;
  for (; f + L <= d; f += L)
    (batch<T>::load_unaligned(y + f) + batch<T>::load_unaligned(x + f)).store_unaligned(y + f);
  for (; f < d; ++f) y[f] += x[f];
}

// y[0..d) = x[0..d) (a short row, where a memmove call would cost more than the copy).
template <class T>
inline void copy_row(T* y, const T* x, int64_t d) {
  constexpr int64_t L = lanes<T>();
  int64_t f = 0;
  for (; f + L <= d; f += L) batch<T>::load_unaligned(x + f).store_unaligned(y + f);
  copy_scalars(y + f, x + f, d - f);
}

// y[0..d) = a[0..d) * b[0..d)
template <class T>
inline void mul_row(T* y, const T* a, const T* b, int64_t d) {
  constexpr int64_t L = lanes<T>();
  int64_t f = 0;
  for (; f + L <= d; f += L)
    (batch<T>::load_unaligned(a + f) * batch<T>::load_unaligned(b + f)).store_unaligned(y + f);
  for (; f < d; ++f) y[f] = a[f] * b[f];
}

// y[0..d) += a * x[0..d)
template <class T>
inline void axpy_row(T* y, T a, const T* x, int64_t d) {
  constexpr int64_t L = lanes<T>();
  const batch<T> va(a);
  int64_t f = 0;
  for (; f + L <= d; f += L)
    xsimd::fma(va, batch<T>::load_unaligned(x + f), batch<T>::load_unaligned(y + f)).store_unaligned(y + f);
  for (; f < d; ++f) y[f] = std::fma(a, x[f], y[f]);  // an fma, as the batches: one rounding per element
}

// Lanes [0, n) of a batch read at p, without reading past `end`: a whole batch when it fits
// (the lanes past n hold whatever follows and must be masked off), else a zero-padded copy.
template <class T>
inline batch<T> load_upto(const T* p, int64_t n, const T* end) {
  return end - p >= lanes<T>() ? batch<T>::load_unaligned(p) : load_n(p, n);
}

// The batch whose lanes l < n are true.
template <class T>
inline auto first_lanes(int64_t n) {
  static constexpr auto idx = [] {  // 0, 1, 2, ...: built once, at compile time
    std::array<T, lanes<T>()> a{};
    for (size_t l = 0; l < a.size(); ++l) a[l] = static_cast<T>(l);
    return a;
  }();
  return batch<T>::load_unaligned(idx.data()) < batch<T>(static_cast<T>(n));
}

// Σ_f a[f] b[f] for f < d, in SIMD lanes summed at the end; a_end / b_end bound the arrays a and b
// live in (a short last chunk may read on into the next row, and masks it off).
template <class T>
inline T dot_row(const T* a, const T* b, int64_t d, const T* a_end, const T* b_end) {
  constexpr int64_t L = lanes<T>();
  batch<T> acc(T(0));
  int64_t f = 0;
  for (; f + L <= d; f += L) acc = xsimd::fma(batch<T>::load_unaligned(a + f), batch<T>::load_unaligned(b + f), acc);
  if (f < d) {
    const int64_t n = d - f;
    const batch<T> prod = load_upto(a + f, n, a_end) * load_upto(b + f, n, b_end);
    acc += xsimd::select(first_lanes<T>(n), prod, batch<T>(T(0)));
  }
  return xsimd::hadd(acc);
}

// ---- rows of H heads × F features ----

// out[h] = Σ_f a[h,f] b[h,f] for h < H (a, b rows [H, F] inside arrays ending at a_end, b_end).
// When F and H are multiples of the batch width (H = F = 8 in float), L heads are reduced at once
// by a transpose-add (haddp) instead of L hadds.
template <class T>
inline void dot_heads(const T* a, const T* b, int64_t H, int64_t F, T* out, const T* a_end, const T* b_end) {
  constexpr int64_t L = lanes<T>();
  if (F % L == 0 && H % L == 0) {
    batch<T> rows[L];
    for (int64_t h0 = 0; h0 < H; h0 += L) {
      for (int64_t l = 0; l < L; ++l) {
        const T* pa = a + (h0 + l) * F;
        const T* pb = b + (h0 + l) * F;
        batch<T> acc = batch<T>::load_unaligned(pa) * batch<T>::load_unaligned(pb);
        for (int64_t f = L; f < F; f += L)
          acc = xsimd::fma(batch<T>::load_unaligned(pa + f), batch<T>::load_unaligned(pb + f), acc);
        rows[l] = acc;
      }
      xsimd::haddp(rows).store_unaligned(out + h0);
    }
    return;
  }
  for (int64_t h = 0; h < H; ++h) out[h] = dot_row(a + h * F, b + h * F, F, a_end, b_end);
}

// s[n, h] = Σ_f w[n,h,f] a[h,f] for the rows n of [n0, n1) of w [N, H, F] (ending at w_end):
// dot_heads on each row. With one head of F < L features (GAT's output layer), a's batch is
// loaded once for all rows instead of being copied out of its short array at every row; the
// arithmetic is dot_row's (0 + the masked products, then hadd).
template <class T>
inline void dot_heads_rows(const T* w, const T* a, int64_t n0, int64_t n1, int64_t H, int64_t F, T* s,
                           const T* w_end) {
  constexpr int64_t L = lanes<T>();
  if (H == 1 && F < L) {
    const batch<T> av = load_n(a, F), zero(T(0));
    const auto in = first_lanes<T>(F);
    for (int64_t n = n0; n < n1; ++n)
      s[n] = xsimd::hadd(zero + xsimd::select(in, load_upto(w + n * F, F, w_end) * av, zero));
    return;
  }
  if (H == L && F == L) {  // 8 heads of 8 floats: a in registers, one transpose-add per row
    batch<T> av[L], rows[L];
    for (int64_t k = 0; k < L; ++k) av[k] = batch<T>::load_unaligned(a + k * L);
    for (int64_t n = n0; n < n1; ++n) {
      for (int64_t k = 0; k < L; ++k) rows[k] = batch<T>::load_unaligned(w + (n * L + k) * L) * av[k];
      xsimd::haddp(rows).store_unaligned(s + n * L);
    }
    return;
  }
  for (int64_t n = n0; n < n1; ++n) dot_heads(w + n * H * F, a, H, F, s + n * H, w_end, a + H * F);
}

// acc[h, :] += c[h] * x[h, :] for h < H (acc and x are [H, F]).
template <class T>
inline void axpy_heads(T* acc, const T* c, const T* x, int64_t H, int64_t F) {
  constexpr int64_t L = lanes<T>();
  if (F == L) {  // one batch per head (H heads of 8 floats): no inner loop
    for (int64_t h = 0; h < H; ++h)
      xsimd::fma(batch<T>(c[h]), batch<T>::load_unaligned(x + h * L), batch<T>::load_unaligned(acc + h * L))
          .store_unaligned(acc + h * L);
    return;
  }
  for (int64_t h = 0; h < H; ++h) axpy_row(acc + h * F, c[h], x + h * F, F);
}

// ---- softmax over a segment's rows [rows, H] ----

// Per-head reductions over a segment's rows, vectorised one of three ways:
//  - H % L == 0: each row is H/L whole batches, one accumulator per batch column;
//  - L % H == 0 (H = 1, 2, 4 in float): the segment is one flat run of rows·H values whose lane l
//    always holds head l % H; the lanes of one head are folded together at the end, and only the
//    run's last batch is partial;
//  - otherwise rows are read in padded chunks (correct for any H, slower).
enum class HeadLayout { chunks, flat, padded };
template <class T>
inline HeadLayout head_layout(int64_t H) {
  constexpr int64_t L = lanes<T>();
  // L is a power of two, so L % H == 0 iff H is a power of two up to L (tested without dividing:
  // this runs once per segment, where a division would cost more than the rest of the setup).
  return H % L == 0 ? HeadLayout::chunks : (H <= L && (H & (H - 1)) == 0) ? HeadLayout::flat : HeadLayout::padded;
}

// Flat layout: fold the lanes of each head (lane l is head l % H) with op, in lane order, and
// spread the result back so that lane l holds the value of head l % H.
template <class T, class Op>
inline batch<T> fold_heads(const batch<T>& v, int64_t H, Op op) {
  constexpr int64_t L = lanes<T>();
  alignas(64) T lane[L];
  v.store_aligned(lane);
  // h runs through l % H without a division (a runtime % per lane cost more than the fold)
  for (int64_t l = H, h = 0; l < L; ++l, h = h + 1 == H ? 0 : h + 1) lane[h] = op(lane[h], lane[l]);
  if (H == 1) return batch<T>(lane[0]);
  for (int64_t l = H, h = 0; l < L; ++l, h = h + 1 == H ? 0 : h + 1) lane[l] = lane[h];
  return batch<T>::load_aligned(lane);
}

// Softmax over a segment's rows, in place (row r of H logits at a + r*H): per head h,
//   a[r,h] = exp(a[r,h] - m_h) / Σ_r' exp(a[r',h] - m_h),   m_h = max_r a[r,h]
// (m_h only for stability: softmax is shift-invariant). Nothing to do for an empty segment.
// avail >= rows*H elements from a on belong to the calling block (up to the end of its last
// segment): the flat layout reads its last batch whole when it stays inside them and ignores the
// lanes past the segment, so it never touches rows another thread is writing.
// The largest lane of v.
template <class T>
inline T max_lane(const batch<T>& v) {
#if defined(__AVX__)
  if constexpr (std::is_same_v<T, float> && lanes<T>() == 8) {
    const __m256 x = v;
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    return _mm_cvtss_f32(_mm_max_ss(m, _mm_shuffle_ps(m, m, 1)));
  }
#endif
  alignas(64) T lane[lanes<T>()];
  v.store_aligned(lane);
  T m = lane[0];
  for (int64_t l = 1; l < lanes<T>(); ++l) m = std::max(m, lane[l]);
  return m;
}

// A single head's segment that fits one batch: the output layer of GAT (one head) at typical
// degrees. It is read and written whole when avail >= L (the lanes past the segment written back
// unchanged), else through a padded copy; the arithmetic is the same either way, so a value does
// not depend on where the segment sits in its block.
template <class T>
inline bool one_batch_segment(int64_t rows, int64_t H) {
  return H == 1 && rows <= lanes<T>();
}

// Softmax over the lanes `in` of v (one head's logits, a segment's edges in the lanes); the other
// lanes of the result are 0.
template <class T>
inline batch<T> softmax_one_batch(const batch<T>& v, const xsimd::batch_bool<T>& in) {
  const batch<T> z = xsimd::select(in, v, batch<T>(-std::numeric_limits<T>::infinity()));
  const batch<T> p = xsimd::select(in, xsimd::exp(z - batch<T>(max_lane(z))), batch<T>(T(0)));
  return p * (batch<T>(T(1)) / batch<T>(xsimd::hadd(p)));
}

// Softmax backward over the lanes of one batch: de = y (g - Σ y g), with y and g already 0 in
// the lanes past the segment.
template <class T>
inline batch<T> softmax_backward_one_batch(const batch<T>& y, const batch<T>& g) {
  return y * (g - batch<T>(xsimd::hadd(y * g)));
}

template <class T>
inline void softmax_rows(T* a, int64_t rows, int64_t H, int64_t avail) {
  if (rows == 0) return;
  constexpr int64_t L = lanes<T>();
  if (one_batch_segment<T>(rows, H)) {
    const auto in = first_lanes<T>(rows);
    if (avail < L) {
      store_n(softmax_one_batch(load_n(a, rows), in), a, rows);
      return;
    }
    const batch<T> v = batch<T>::load_unaligned(a);
    xsimd::select(in, softmax_one_batch(v, in), v).store_unaligned(a);
    return;
  }
  if (head_layout<T>(H) == HeadLayout::flat) {
    const int64_t n = rows * H, full = n - n % L, tail = n - full;
    const auto in_tail = first_lanes<T>(tail);
    const batch<T> lowest(-std::numeric_limits<T>::infinity()), zero(T(0));
    auto last = [&] { return avail - full >= L ? batch<T>::load_unaligned(a + full) : load_n(a + full, tail); };
    batch<T> m = lowest;
    for (int64_t t = 0; t < full; t += L) m = xsimd::max(m, batch<T>::load_unaligned(a + t));
    if (tail) m = xsimd::max(m, xsimd::select(in_tail, last(), lowest));
    m = fold_heads(m, H, [](T x, T y) { return std::max(x, y); });
    batch<T> total(T(0));
    for (int64_t t = 0; t < full; t += L) {
      const batch<T> p = xsimd::exp(batch<T>::load_unaligned(a + t) - m);
      p.store_unaligned(a + t);
      total += p;
    }
    batch<T> p_tail = zero;
    if (tail) {
      p_tail = xsimd::select(in_tail, xsimd::exp(last() - m), zero);
      total += p_tail;
    }
    const batch<T> inv = batch<T>(T(1)) / fold_heads(total, H, [](T x, T y) { return x + y; });
    for (int64_t t = 0; t < full; t += L) (batch<T>::load_unaligned(a + t) * inv).store_unaligned(a + t);
    if (tail) store_n(p_tail * inv, a + full, tail);
    return;
  }
  for (int64_t h0 = 0; h0 < H; h0 += L) {
    const int64_t n = std::min(L, H - h0);
    batch<T> m = load_n(a + h0, n);
    for (int64_t r = 1; r < rows; ++r) m = xsimd::max(m, load_n(a + r * H + h0, n));
    batch<T> total(T(0));
    for (int64_t r = 0; r < rows; ++r) {
      const batch<T> p = xsimd::exp(load_n(a + r * H + h0, n) - m);
      store_n(p, a + r * H + h0, n);
      total += p;
    }
    const batch<T> inv = batch<T>(T(1)) / total;
    for (int64_t r = 0; r < rows; ++r) store_n(load_n(a + r * H + h0, n) * inv, a + r * H + h0, n);
  }
}

// Softmax backward over a segment, y = alpha [rows, H], g = d loss / d y [rows, H]:
//   de[r,h] = y[r,h] (g[r,h] - Σ_r' y[r',h] g[r',h])
// written into out (out may alias g), or added into it when Accumulate. avail as for
// softmax_rows, for all three arrays (rows of the same [E, H] layout).
template <bool Accumulate, class T>
inline void softmax_backward_rows(const T* y, const T* g, T* out, int64_t rows, int64_t H, int64_t avail) {
  if (rows == 0) return;
  constexpr int64_t L = lanes<T>();
  if (one_batch_segment<T>(rows, H)) {
    const auto in = first_lanes<T>(rows);
    const bool whole = avail >= L;
    auto load = [&](const T* x) { return whole ? batch<T>::load_unaligned(x) : load_n(x, rows); };
    const batch<T> zero(T(0)), old = load(out);
    batch<T> de = softmax_backward_one_batch(xsimd::select(in, load(y), zero), xsimd::select(in, load(g), zero));
    if constexpr (Accumulate) de += old;
    if (whole)
      xsimd::select(in, de, old).store_unaligned(out);
    else
      store_n(de, out, rows);
    return;
  }
  if (head_layout<T>(H) == HeadLayout::flat) {
    const int64_t n = rows * H, full = n - n % L, tail = n - full;
    const bool whole = avail - full >= L;
    auto last = [&](const T* x) { return whole ? batch<T>::load_unaligned(x + full) : load_n(x + full, tail); };
    batch<T> s(T(0));
    for (int64_t t = 0; t < full; t += L)
      s = xsimd::fma(batch<T>::load_unaligned(y + t), batch<T>::load_unaligned(g + t), s);
    if (tail) s += xsimd::select(first_lanes<T>(tail), last(y) * last(g), batch<T>(T(0)));
    s = fold_heads(s, H, [](T x, T z) { return x + z; });
    for (int64_t t = 0; t < full; t += L) {
      batch<T> de = batch<T>::load_unaligned(y + t) * (batch<T>::load_unaligned(g + t) - s);
      if constexpr (Accumulate) de += batch<T>::load_unaligned(out + t);
      de.store_unaligned(out + t);
    }
    if (tail) {
      batch<T> de = last(y) * (last(g) - s);
      if constexpr (Accumulate) de += last(out);
      store_n(de, out + full, tail);
    }
    return;
  }
  for (int64_t h0 = 0; h0 < H; h0 += L) {
    const int64_t n = std::min(L, H - h0);
    batch<T> s(T(0));
    for (int64_t r = 0; r < rows; ++r) s = xsimd::fma(load_n(y + r * H + h0, n), load_n(g + r * H + h0, n), s);
    for (int64_t r = 0; r < rows; ++r) {
      batch<T> de = load_n(y + r * H + h0, n) * (load_n(g + r * H + h0, n) - s);
      if constexpr (Accumulate) de += load_n(out + r * H + h0, n);
      store_n(de, out + r * H + h0, n);
    }
  }
}

// The batch whose lane l holds 2^(l % 8) (the value of lane l's bit in its byte).
template <class T>
inline batch<T> lane_bit_values() {
  static constexpr auto values = [] {
    std::array<T, lanes<T>()> a{};
    for (size_t l = 0; l < a.size(); ++l) a[l] = static_cast<T>(1u << (l % 8));
    return a;
  }();
  return batch<T>::load_unaligned(values.data());
}

// Bits (h0 + l) % 8 of bytes[(h0 + l) / 8] |= (z[l] > 0), for the L lanes of z (h0 a multiple of L):
// the sign record of a row of logits.
template <class T>
inline void set_positive_bits(const batch<T>& z, uint8_t* bytes, int64_t h0) {
  constexpr int64_t L = lanes<T>();
  if constexpr (L == 8) {  // one whole byte: the sum of the set lanes' bit values (exact)
    const batch<T> v = xsimd::select(z > batch<T>(T(0)), lane_bit_values<T>(), batch<T>(T(0)));
    bytes[h0 / 8] = static_cast<uint8_t>(xsimd::hadd(v));
  } else {
    alignas(64) T v[L];
    z.store_aligned(v);
    for (int64_t l = 0; l < L; ++l)
      bytes[(h0 + l) / 8] |= static_cast<uint8_t>(static_cast<unsigned>(v[l] > T(0)) << ((h0 + l) % 8));
  }
}

// LeakyReLU's backward for the L heads h0.. of a row, from the sign bits set_positive_bits
// stored: z > 0 ? dy : s dy.
template <class T>
inline batch<T> leaky_backward_bits(const uint8_t* bytes, int64_t h0, const batch<T>& dy, T slope) {
  constexpr int64_t L = lanes<T>();
  batch<T> positive;
  if constexpr (L == 8 && std::is_same_v<T, float>) {  // the byte's bits, one per lane
    using U = xsimd::batch<uint32_t>;
    const U bits = U(static_cast<uint32_t>(bytes[h0 / 8])) & xsimd::batch_cast<uint32_t>(lane_bit_values<T>());
    positive = xsimd::batch_cast<T>(xsimd::bitwise_cast<xsimd::batch<int32_t>>(bits));
  } else {
    alignas(64) T v[L];
    for (int64_t l = 0; l < L; ++l) v[l] = static_cast<T>((bytes[(h0 + l) / 8] >> ((h0 + l) % 8)) & 1u);
    positive = batch<T>::load_aligned(v);
  }
  return xsimd::select(positive > batch<T>(T(0)), dy, dy * batch<T>(slope));
}

// LeakyReLU on a batch, exactly as the engine's leaky_relu: x > 0 ? x : s x.
template <class T>
inline batch<T> leaky(const batch<T>& x, T slope) {
  return xsimd::select(x > batch<T>(T(0)), x, x * batch<T>(slope));
}

// ---- the engine's dropout mask, regenerated: element k is kept iff
//      (hash32(key, k) >> 8) >= uint32(p * 2^24), and scaled by 1 / (1 - p) ----
struct DropoutMask {
  bool active = false;  // p > 0
  uint64_t key = 0;
  uint32_t threshold = 0;
  double scale = 1;
  DropoutMask() = default;
  DropoutMask(double p, uint64_t k)
      : active(p > 0), key(k), threshold(static_cast<uint32_t>(p * 16777216.0)), scale(1.0 / (1.0 - p)) {}
};

// hash32 of autograd/random.hpp on a batch of counters (bit for bit the same function).
inline xsimd::batch<uint32_t> hash32_batch(xsimd::batch<uint32_t> h, uint64_t key) {
  using U = xsimd::batch<uint32_t>;
  h = h ^ U(static_cast<uint32_t>(key));
  h = (h ^ (h >> 16)) * U(0x7feb352dU);
  h = h ^ U(static_cast<uint32_t>(key >> 32));
  h = (h ^ (h >> 15)) * U(0x846ca68bU);
  h = (h ^ (h >> 16)) * U(0x7feb352dU);
  return h ^ (h >> 15);
}

// coef[t] = scale if element k0 + t is kept, else 0, for t < n (counters taken mod 2^32, as the
// engine's dropout does). The 24-bit draws and the threshold are integers below 2^24, exact in
// float, so the comparison can run on float lanes.
template <class T>
inline void dropout_coefs(const DropoutMask& mask, int64_t k0, int64_t n, T* coef) {
  using U = xsimd::batch<uint32_t>;
  constexpr int64_t LU = static_cast<int64_t>(U::size);
  const T scale = static_cast<T>(mask.scale);
  const uint32_t base = static_cast<uint32_t>(k0);
  alignas(64) uint32_t lane[LU];
  for (int64_t l = 0; l < LU; ++l) lane[l] = static_cast<uint32_t>(l);
  const U iota = U::load_aligned(lane);
  // Each batch hashes LU counters; a last, partial batch (all of it for a short segment) hashes
  // a whole batch too and keeps its first lanes: cheaper than hashing them one by one.
  for (int64_t t = 0; t < n; t += LU) {
    const U bits = hash32_batch(U(base + static_cast<uint32_t>(t)) + iota, mask.key) >> 8;
    const int64_t m = std::min(LU, n - t);
    if constexpr (lanes<T>() == LU) {  // float: one compare and select per batch
      const batch<T> u = xsimd::batch_cast<T>(xsimd::bitwise_cast<xsimd::batch<int32_t>>(bits));
      const batch<T> c = xsimd::select(u >= batch<T>(static_cast<T>(mask.threshold)), batch<T>(scale), batch<T>(T(0)));
      if (m == LU)
        c.store_unaligned(coef + t);
      else
        store_n(c, coef + t, m);
    } else {
      bits.store_aligned(lane);
      for (int64_t l = 0; l < m; ++l) coef[t + l] = lane[l] >= mask.threshold ? scale : T(0);
    }
  }
}

// The dropout coefficients (scale or 0) of counters k0 .. k0 + L, as dropout_coefs computes them.
template <class T>
inline batch<T> dropout_batch(const DropoutMask& mask, int64_t k0) {
  alignas(64) T c[lanes<T>()];
  dropout_coefs(mask, k0, lanes<T>(), c);
  return batch<T>::load_aligned(c);
}

// ---- an op's epilogue on its output rows: + bias, then ELU ----
// The arithmetic of the engine's own ops (broadcast add, then the elu op's kernels::elu_value),
// applied while a row is in registers or in L1.
template <class T>
struct RowEpilogue {
  const T* bias = nullptr;  // [row width], or null
  bool elu = false;
  T elu_alpha = T(1);
  bool active() const { return bias || elu; }
};

// v = the row's batch at column f (bias_f = bias + f when there is a bias) after the epilogue.
template <class T>
inline batch<T> epilogue_batch(batch<T> v, const RowEpilogue<T>& ep, const batch<T>& bias_f) {
  if (ep.bias) v = v + bias_f;
  return ep.elu ? kernels::elu_value(v, ep.elu_alpha) : v;
}

// row[0..n) after the epilogue, in place.
template <class T>
inline void epilogue_row(T* row, int64_t n, const RowEpilogue<T>& ep) {
  if (!ep.active()) return;
  constexpr int64_t L = lanes<T>();
  const batch<T> zero(T(0));
  int64_t f = 0;
  for (; f + L <= n; f += L)
    epilogue_batch(batch<T>::load_unaligned(row + f), ep, ep.bias ? batch<T>::load_unaligned(ep.bias + f) : zero)
        .store_unaligned(row + f);
  if (f < n)
    store_n(epilogue_batch(load_n(row + f, n - f), ep, ep.bias ? load_n(ep.bias + f, n - f) : zero), row + f, n - f);
}

// ELU's backward on a row, from its output y (α > 0, so y > 0 exactly where x > 0):
// dx = y > 0 ? dy : dy (y + α), the elu op's kernels::elu_grad.
template <class T>
inline void elu_backward_row(const T* dy, const T* y, T* dx, int64_t n, T alpha) {
  constexpr int64_t L = lanes<T>();
  auto one = [alpha](const batch<T>& d, const batch<T>& v) {
    return kernels::elu_grad(v > batch<T>(T(0)), v, d, alpha);
  };
  int64_t f = 0;
  for (; f + L <= n; f += L)
    one(batch<T>::load_unaligned(dy + f), batch<T>::load_unaligned(y + f)).store_unaligned(dx + f);
  if (f < n) store_n(one(load_n(dy + f, n - f), load_n(y + f, n - f)), dx + f, n - f);
}

// ---- weighted sums of gathered rows: the aggregation of attention ----
//   out[h, f] = Σ_{r < rows} c[r, h] · x[idx[r], h, f]        c [rows, H], x [*, H, F], out [H, F]
// Each batch ("slot") of the output row is summed over the rows in a register, up to 8 slots at
// a time (independent FMA chains, fully unrolled): no accumulator goes through memory, and the
// rows come from L1 after the first group. Every element is the chain acc = fma(c, x, acc) over
// r = 0, 1, ... whatever the grouping, so its value depends only on the data. A slot shorter
// than a batch (F % L) loads a whole batch when that stays inside x (the extra lanes are the
// next row's and are never stored) and a zero-padded copy otherwise.

// K slots of whole batches: slot k is batch q0 + k of the [H, F] row (F a multiple of L), whose
// head is (q0 + k) L / F.
template <int K, class T>
inline void wsum_full(T* out, const T* c, int64_t cs, const int32_t* idx, int64_t rows, const T* x, int64_t H,
                      int64_t F, int64_t q0) {
  constexpr int64_t L = lanes<T>();
  const int64_t HF = H * F;
  // head[k] = (q0 + k) L / F, counted up from one division (a division per slot cost more than
  // a short segment's FMAs)
  const int64_t per_head = F / L;  // slots per head
  int64_t head[K];
  if (per_head == 1) {  // F == L: slot q is head q
    for (int k = 0; k < K; ++k) head[k] = q0 + k;
  } else {
    int64_t h = q0 / per_head, r = q0 - h * per_head;
    for (int k = 0; k < K; ++k) {
      head[k] = h;
      if (++r == per_head) r = 0, ++h;
    }
  }
  const T* xq = x + q0 * L;
  batch<T> acc[K];
  for (int k = 0; k < K; ++k) acc[k] = batch<T>(T(0));
  for (int64_t e = 0; e < rows; ++e) {
    const T* xr = xq + int64_t{idx[e]} * HF;
    const T* cr = c + e * cs;
    for (int k = 0; k < K; ++k)
      acc[k] = xsimd::fma(batch<T>(cr[head[k]]), batch<T>::load_unaligned(xr + k * L), acc[k]);
  }
  for (int k = 0; k < K; ++k) acc[k].store_unaligned(out + (q0 + k) * L);
}

// One slot of n < L lanes at offset `off` of head h (the end of a head when F % L != 0).
template <class T>
inline void wsum_partial(T* out, const T* c, int64_t cs, const int32_t* idx, int64_t rows, const T* x,
                         const T* x_end, int64_t H, int64_t F, int64_t h, int64_t off, int64_t n) {
  const int64_t HF = H * F;
  batch<T> acc(T(0));
  for (int64_t r = 0; r < rows; ++r) {
    const T* p = x + int64_t{idx[r]} * HF + off;
    const batch<T> v = load_upto(p, n, x_end);
    acc = xsimd::fma(batch<T>(c[r * cs + h]), v, acc);
  }
  store_n(acc, out + off, n);
}

// out [H, F] = Σ_r c[r, :] ⊙ x[idx[r]] (per head); row r of c starts at c + r*cs (cs >= H), and
// x_end is one past the last element of x.
template <class T>
inline void weighted_sum_rows(T* out, const T* c, int64_t cs, const int32_t* idx, int64_t rows, const T* x,
                              const T* x_end, int64_t H, int64_t F) {
  constexpr int64_t L = lanes<T>();
  if (F % L == 0) {
    const int64_t nq = H * F / L;
    int64_t q = 0;
    for (; q + 8 <= nq; q += 8) wsum_full<8>(out, c, cs, idx, rows, x, H, F, q);
    switch (nq - q) {
      case 1: wsum_full<1>(out, c, cs, idx, rows, x, H, F, q); break;
      case 2: wsum_full<2>(out, c, cs, idx, rows, x, H, F, q); break;
      case 3: wsum_full<3>(out, c, cs, idx, rows, x, H, F, q); break;
      case 4: wsum_full<4>(out, c, cs, idx, rows, x, H, F, q); break;
      case 5: wsum_full<5>(out, c, cs, idx, rows, x, H, F, q); break;
      case 6: wsum_full<6>(out, c, cs, idx, rows, x, H, F, q); break;
      case 7: wsum_full<7>(out, c, cs, idx, rows, x, H, F, q); break;
      default: break;
    }
    return;
  }
  // Any F: whole batches of each head one at a time, then the head's partial batch.
  for (int64_t h = 0; h < H; ++h) {
    int64_t f = 0;
    for (; f + L <= F; f += L) wsum_partial(out, c, cs, idx, rows, x, x_end, H, F, h, h * F + f, L);
    if (f < F) wsum_partial(out, c, cs, idx, rows, x, x_end, H, F, h, h * F + f, F - f);
  }
}

// ---- gather and segment reductions over rows of D values ----

// out[e, :] = x[index[e], :] for e < E.
template <class T>
inline void gather_rows(const T* x, const int32_t* index, int64_t E, int64_t D, T* out) {
  parallel_blocks(E, std::max<int64_t>(1, kBlock / std::max<int64_t>(D, 1)), [&](int64_t e0, int64_t e1) {
    for (int64_t e = e0; e < e1; ++e)
      std::memcpy(out + e * D, x + static_cast<int64_t>(index[e]) * D, static_cast<size_t>(D) * sizeof(T));
  });
}

// out[v, :] = Σ_{edges e of v} m[e, :] (each sum in segment order), or out[v, :] += that sum when
// Accumulate (the sum is formed first, then added).
template <bool Accumulate, class T>
inline void segment_sum(const T* m, const Segments& s, int64_t D, T* out) {
  parallel_blocks(s.count, kNodeBlock, [&](int64_t v0, int64_t v1) {
    std::vector<T>& scratch = thread_scratch<T, 0>();
    if (Accumulate) scratch.resize(static_cast<size_t>(D));
    for (int64_t v = v0; v < v1; ++v) {
      T* row = Accumulate ? scratch.data() : out + v * D;
      if (Accumulate && s.ptr[v] == s.ptr[v + 1]) continue;
      std::fill(row, row + D, T(0));
      for (int64_t p = s.ptr[v]; p < s.ptr[v + 1]; ++p) add_row(row, m + static_cast<int64_t>(s.edge(p)) * D, D);
      if (Accumulate) add_row(out + v * D, row, D);
    }
  });
}

}  // namespace gatgrad::graph_kernels
