// What the fused attention keeps for backward besides α, and what it applies to each output row:
//  - the sign bits of the logits: edge e's heads take ⌈H/8⌉ bytes, bit h % 8 of byte h / 8 is
//    z[e, h] > 0 (a layout in logical heads, the same on every level);
//  - the epilogue: + bias, then ELU, with the elu op's arithmetic (element.hpp), and ELU's
//    backward from the output y.
// Private to the units.
#pragma once
#include "graph/kernels/rows.hpp"

namespace gatgrad::GATGRAD_ISA_NS::graph {

// The sign bytes of heads h0 .. h0 + n of one edge (h0 a multiple of 16, n <= 16) from the
// logits z of those heads: exactly ⌈n/8⌉ bytes written from bytes + h0 / 8.
template <class T>
inline void store_signs(const Vec<T, kLanes>& z, int64_t n, uint8_t* bytes, int64_t h0) {
  const uint32_t bits = (z > Vec<T, kLanes>::zero()).bits() & ((n >= 32 ? 0u : (1u << n)) - 1u);
  bytes[h0 / 8] = static_cast<uint8_t>(bits);
  if (n > 8) bytes[h0 / 8 + 1] = static_cast<uint8_t>(bits >> 8);
}

// The lanes z > 0 of heads h0 .. h0 + 15 from the sign bytes (lanes past the edge's heads: false).
template <class T>
inline simd::Mask<T, kLanes> positive_from_signs(const uint8_t* bytes, int64_t h0, int64_t n) {
  uint32_t bits = bytes[h0 / 8];
  if (n > 8) bits |= static_cast<uint32_t>(bytes[h0 / 8 + 1]) << 8;
  return simd::mask_from_bits<T, kLanes>(bits & ((1u << n) - 1u));
}

// row[0..n) after the epilogue (bias from column 0 of the row), in place.
template <class T>
inline void epilogue_row(T* row, int64_t n, const gk::Epilogue<T>& ep) {
  if (!ep.bias && !ep.elu) return;
  for_chunks(n, [&](int64_t k, int64_t m) {
    Vec<T, kLanes> v = load_n<T, kLanes>(row + k, m);
    if (ep.bias) v = v + load_n<T, kLanes>(ep.bias + k, m);
    if (ep.elu) v = element::elu(v, ep.elu_alpha);
    store_n(v, row + k, m);
  });
}

// The epilogue on one Vec of a row whose bias lanes are `bias`.
template <class T, int N>
inline Vec<T, N> epilogue_vec(Vec<T, N> v, const gk::Epilogue<T>& ep, const Vec<T, N>& bias) {
  if (ep.bias) v = v + bias;
  return ep.elu ? element::elu(v, ep.elu_alpha) : v;
}

// dx[0..n) = ELU's backward from the output y: elu_grad(y, dy).
template <class T>
inline void elu_backward_row(const T* dy, const T* y, T* dx, int64_t n, T alpha) {
  for_chunks(n, [&](int64_t k, int64_t m) {
    store_n(element::elu_grad(load_n<T, kLanes>(y + k, m), load_n<T, kLanes>(dy + k, m), alpha), dx + k, m);
  });
}

}  // namespace gatgrad::GATGRAD_ISA_NS::graph
