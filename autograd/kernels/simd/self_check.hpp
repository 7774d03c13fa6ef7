// The SIMD layer's fast paths against its generic ones, on this level: every intrinsic-based
// helper of vec.hpp and reduce.hpp (the halving trees, eight trees at once, masks to and from
// bits, partial loads and stores, gathers) must give exactly what the portable code through
// memory gives. Run by tests/test_gemm.cpp on every level the CPU runs (Kernels::simd_self_check).
// Private to the units.
#pragma once
#include <cstdio>
#include <cstring>
#include <limits>

#include "autograd/kernels/simd/reduce.hpp"

namespace gatgrad::GATGRAD_ISA_NS::simd {

// Writes the first mismatch into message and returns the number of mismatches.
template <class T>
int self_check(char* message, int capacity) {
  int bad = 0;
  auto fail = [&](const char* what, int at) {
    if (bad++ == 0) std::snprintf(message, static_cast<size_t>(capacity), "%s (case %d)", what, at);
  };
  auto value = [](int i, int k) { return static_cast<T>(((i * 37 + k * 101) % 97) - 48) / static_cast<T>(7); };
  for (int i = 0; i < 64; ++i) {
    alignas(64) T a[16];
    for (int k = 0; k < 16; ++k) a[k] = value(i, k);
    // the halving tree of 16 and of 8 lanes, and of one register
    T want16 = 0, want8 = 0;
    {
      T t[16];
      for (int k = 0; k < 16; ++k) t[k] = a[k];
      for (int n = 16; n > 1; n /= 2)
        for (int l = 0; l < n / 2; ++l) t[l] = t[l] + t[l + n / 2];
      want16 = t[0];
      for (int k = 0; k < 8; ++k) t[k] = a[k];
      for (int n = 8; n > 1; n /= 2)
        for (int l = 0; l < n / 2; ++l) t[l] = t[l] + t[l + n / 2];
      want8 = t[0];
    }
    if (tree_sum(Vec<T, 16>::load(a)) != want16) fail("tree_sum of 16 lanes", i);
    if (tree_sum(Vec<T, 8>::load(a)) != want8) fail("tree_sum of 8 lanes", i);
    using B = typename Vec<T, 16>::B;
    if (tree_sum_native(B::load_unaligned(a)) != tree_native_generic(B::load_unaligned(a), [](T p, T q) { return p + q; }))
      fail("tree_sum_native", i);
    // the folds to 1, 2, 4, 8 and 16 lanes (sum and max) against their generic form, bit for bit;
    // the max also with signed zeros and a NaN among the lanes, where operand order matters
    {
      alignas(64) T z[16];
      for (int k = 0; k < 16; ++k) z[k] = (i + k) % 3 == 0 ? T(0) : (i + k) % 3 == 1 ? -T(0) : a[k];
      if (i % 8 == 7) z[i % 16] = std::numeric_limits<T>::quiet_NaN();
      auto same = [](const Vec<T, 16>& x, const Vec<T, 16>& y) {
        alignas(64) T p[16], q[16];
        x.store(p);
        y.store(q);
        return std::memcmp(p, q, sizeof p) == 0;
      };
      for (int64_t stride = 1; stride <= 16; stride *= 2) {
        const Vec<T, 16> v = Vec<T, 16>::load(a), w = Vec<T, 16>::load(z);
        if (!same(fold_lanes(v, stride), fold_lanes_generic(v, stride, [](T p, T q) { return p + q; })))
          fail("fold_lanes", i);
        for (const Vec<T, 16>& x : {v, w})
          if (!same(fold_lanes_max(x, stride), fold_lanes_generic(x, stride, [](T p, T q) { return p > q ? p : q; })))
            fail("fold_lanes_max", i);
      }
    }
    // eight trees at once
    Vec<T, 8> rows[8];
    alignas(64) T r[64];
    for (int k = 0; k < 64; ++k) r[k] = value(i + k, k);
    for (int k = 0; k < 8; ++k) rows[k] = Vec<T, 8>::load(r + 8 * k);
    alignas(64) T fast[8], slow[8];
    tree_sum_rows8(rows).store(fast);
    tree_sum_rows8_generic(rows).store(slow);
    for (int k = 0; k < 8; ++k)
      if (fast[k] != slow[k]) fail("tree_sum_rows8", i);
    // masks to bits and back
    const uint32_t bits = static_cast<uint32_t>((i * 2654435761u) >> 16) & 0xffffu;
    const Mask<T, 16> m = mask_from_bits<T, 16>(bits);
    if (m.bits() != bits) fail("mask_from_bits / bits", i);
    uint32_t generic = 0;
    for (int k = 0; k < Mask<T, 16>::R; ++k) generic |= mask_bits_generic(m.r[k]) << (k * Mask<T, 16>::W);
    if (generic != bits) fail("mask bits (generic)", i);
    // partial loads and stores, gathers
    const int n = i % 17;
    alignas(64) T out[16];
    for (int k = 0; k < 16; ++k) out[k] = T(-1);
    Vec<T, 16>::load_first(a, n).store_first(out, n);
    alignas(64) T whole[16];
    Vec<T, 16>::load_first(a, n).store(whole);
    for (int k = 0; k < 16; ++k) {
      if (out[k] != (k < n ? a[k] : T(-1))) fail("load_first / store_first", i);
      if (whole[k] != (k < n ? a[k] : T(0))) fail("load_first's zero lanes", i);
    }
    int32_t idx[16];
    for (int k = 0; k < 16; ++k) idx[k] = (k * 5 + i) % 16;
    gather<T, 16>(a, idx, n).store(whole);
    for (int k = 0; k < 16; ++k)
      if (whole[k] != (k < n ? a[idx[k]] : T(0))) fail("gather", i);
  }
  return bad;
}

}  // namespace gatgrad::GATGRAD_ISA_NS::simd
