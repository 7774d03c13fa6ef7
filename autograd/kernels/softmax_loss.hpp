// softmax / log_softmax along an axis, and the losses built on them (cross-entropy, binary
// cross-entropy with logits). Legend: a line is the `len` values along the axis, `inner` apart.
//   softmax:      y_k = exp(x_k - m) / Σ_l exp(x_l - m)          m = max_l x_l (stability only)
//   log_softmax:  y_k = x_k - m - log Σ_l exp(x_l - m)
// Sums along a contiguous line (inner = 1, a loss row) run in 16-lane chunks added lane by lane
// and then the halving tree; along a strided line, 16 neighbouring lines share a Vec and each
// lane sums its own line in order. Both orders depend on the shapes only. Private to the units.
#pragma once
#include "autograd/kernels/elementwise.hpp"

namespace gatgrad::GATGRAD_ISA_NS {

inline int64_t min3(int64_t a, int64_t b, int64_t c) { return a < b ? (a < c ? a : c) : (b < c ? b : c); }

// max and Σ exp(x - max) of a contiguous line x[0..len), len >= 1.
template <class T>
inline void line_max_and_total(const T* x, int64_t len, T& m, T& total) {
  using V = Vec<T, kChunk>;
  const V lowest = V::splat(-std::numeric_limits<T>::infinity());
  V vm = lowest;
  for_chunks(len, [&](int64_t k, int64_t c) {
    vm = simd::max(vm, c == kChunk ? V::load(x + k) : simd::select(simd::first_lanes<T, kChunk>(c), V::load_first(x + k, c), lowest));
  });
  m = simd::max_lane(vm);
  V acc = V::zero();
  for_chunks(len, [&](int64_t k, int64_t c) {
    const V p = simd::exp_nonpositive((c == kChunk ? V::load(x + k) : V::load_first(x + k, c)) - V::splat(m));
    acc = acc + (c == kChunk ? p : simd::select(simd::first_lanes<T, kChunk>(c), p, V::zero()));
  });
  total = simd::tree_sum(acc);
}

// log Σ_k exp(x_k) of a contiguous line
template <class T>
inline T line_logsumexp(const T* x, int64_t len) {
  T m, total;
  line_max_and_total(x, len, m, total);
  return m + simd::log(Vec<T, kChunk>::splat(total)).lane(0);
}

// The lines [t0, t1) of x (see Lines), into y.
template <class T>
void softmax_lines(const kernels::Lines& l, bool log_form, const T* x, T* y, int64_t t0, int64_t t1) {
  using V = Vec<T, kChunk>;
  if (l.inner == 1) {
    for (int64_t t = t0; t < t1; ++t) {
      const T* xl = x + t * l.len;
      T* yl = y + t * l.len;
      T m, total;
      line_max_and_total(xl, l.len, m, total);
      if (log_form) {
        const V shift = V::splat(m + simd::log(V::splat(total)).lane(0));
        map_unary(xl, yl, l.len, [&](const V& v) { return v - shift; });
      } else {
        const V inv = V::splat(T(1) / total), vm = V::splat(m);
        map_unary(xl, yl, l.len, [&](const V& v) { return simd::exp_nonpositive(v - vm) * inv; });
      }
    }
    return;
  }
  // strided lines: lanes = up to 16 neighbouring lines (same outer index), each summed in order
  for (int64_t t = t0; t < t1;) {
    const int64_t o = t / l.inner, i = t % l.inner;
    const int64_t n = min3(kChunk, l.inner - i, t1 - t);
    const T* xb = x + o * l.len * l.inner + i;
    T* yb = y + o * l.len * l.inner + i;
    auto at = [&](const T* p, int64_t k) { return V::load_first(p + k * l.inner, n); };
    V m = at(xb, 0);
    for (int64_t k = 1; k < l.len; ++k) m = simd::max(m, at(xb, k));
    V total = V::zero();
    for (int64_t k = 0; k < l.len; ++k) total = total + simd::exp_nonpositive(at(xb, k) - m);
    if (log_form) {
      const V shift = m + simd::log(total);
      for (int64_t k = 0; k < l.len; ++k) (at(xb, k) - shift).store_first(yb + k * l.inner, n);
    } else {
      const V inv = V::splat(T(1)) / total;
      for (int64_t k = 0; k < l.len; ++k) (simd::exp_nonpositive(at(xb, k) - m) * inv).store_first(yb + k * l.inner, n);
    }
    t += n;
  }
}

// backward of the lines [t0, t1):  softmax: dx += y (dy - Σ y dy);  log_softmax: dx += dy - e^y Σ dy
template <class T>
void softmax_lines_backward(const kernels::Lines& l, bool log_form, const T* y, const T* dy, T* dx, int64_t t0,
                            int64_t t1) {
  using V = Vec<T, kChunk>;
  for (int64_t t = t0; t < t1;) {
    const int64_t o = t / l.inner, i = t % l.inner;
    const int64_t n = l.inner == 1 ? 1 : min3(kChunk, l.inner - i, t1 - t);
    const int64_t base = o * l.len * l.inner + i;
    if (l.inner == 1) {  // along the line: chunks, then the tree
      V acc = V::zero();
      for_chunks(l.len, [&](int64_t k, int64_t c) {
        const V g = V::load_first(dy + base + k, c);
        acc = log_form ? acc + g : simd::fma(V::load_first(y + base + k, c), g, acc);
      });
      const V dot = V::splat(simd::tree_sum(acc));
      for_chunks(l.len, [&](int64_t k, int64_t c) {
        const V yv = V::load_first(y + base + k, c), g = V::load_first(dy + base + k, c);
        const V d = log_form ? g - simd::exp_nonpositive(yv) * dot : yv * (g - dot);
        (V::load_first(dx + base + k, c) + d).store_first(dx + base + k, c);
      });
    } else {
      auto at = [&](const T* p, int64_t k) { return V::load_first(p + base + k * l.inner, n); };
      V dot = V::zero();
      for (int64_t k = 0; k < l.len; ++k) dot = log_form ? dot + at(dy, k) : simd::fma(at(y, k), at(dy, k), dot);
      for (int64_t k = 0; k < l.len; ++k) {
        const V d = log_form ? at(dy, k) - simd::exp_nonpositive(at(y, k)) * dot : at(y, k) * (at(dy, k) - dot);
        (at(dx, k) + d).store_first(dx + base + k * l.inner, n);
      }
    }
    t += n;
  }
}

// ---- losses ----

template <class T>
double cross_entropy(const kernels::LossRows<T>& r) {
  double total = 0;  // rows in order
  for (int64_t q = 0; q < r.count; ++q) {
    const T* z = r.z + r.rows[q] * r.C;
    total += static_cast<double>(line_logsumexp(z, r.C) - z[r.labels[r.rows[q]]]);
  }
  return total;
}

template <class T>
void cross_entropy_backward(const kernels::LossRows<T>& r, T scale, T* dz) {
  using V = Vec<T, kChunk>;
  for (int64_t q = 0; q < r.count; ++q) {
    const int64_t row = r.rows[q];
    const T* z = r.z + row * r.C;
    T* d = dz + row * r.C;
    const V lse = V::splat(line_logsumexp(z, r.C)), s = V::splat(scale);
    for_chunks(r.C, [&](int64_t k, int64_t c) {
      (V::load_first(d + k, c) + s * simd::exp_nonpositive(V::load_first(z + k, c) - lse)).store_first(d + k, c);
    });
    d[r.labels[row]] -= scale;
  }
}

template <class T>
double binary_cross_entropy(const kernels::LossRows<T>& r) {
  using V = Vec<T, kChunk>;
  double total = 0;
  alignas(64) T term[kChunk];
  for (int64_t q = 0; q < r.count; ++q) {
    const T* z = r.z + r.rows[q] * r.C;
    const T* t = r.targets + r.rows[q] * r.C;
    for_chunks(r.C, [&](int64_t k, int64_t c) {
      const V zv = V::load_first(z + k, c), tv = V::load_first(t + k, c);
      // max(z, 0) - z t + log(1 + e^-|z|)
      (simd::max(zv, V::zero()) - zv * tv + simd::log1p(simd::exp(-simd::abs(zv)))).store(term);
      for (int64_t j = 0; j < c; ++j) total += static_cast<double>(term[j]);  // elements in order
    });
  }
  return total;
}

template <class T>
void binary_cross_entropy_backward(const kernels::LossRows<T>& r, T scale, T* dz) {
  using V = Vec<T, kChunk>;
  const V s = V::splat(scale);
  for (int64_t q = 0; q < r.count; ++q) {
    const int64_t row = r.rows[q];
    const T* z = r.z + row * r.C;
    const T* t = r.targets + row * r.C;
    T* d = dz + row * r.C;
    for_chunks(r.C, [&](int64_t k, int64_t c) {
      const V g = s * (simd::sigmoid(V::load_first(z + k, c)) - V::load_first(t + k, c));
      (V::load_first(d + k, c) + g).store_first(d + k, c);
    });
  }
}

// ---- the synthetic generator's normals (float, unfused: the same bits on every level) ----
inline void add_normals(uint64_t key, int64_t first, float* out, int64_t n) {
  using V = Vec<float, kChunk>;
  using U = simd::U32Vec<kChunk>;
  alignas(64) float z0[kChunk], z1[kChunk];
  for (int64_t j0 = 0; j0 < n; j0 += 2 * kChunk) {
    const U pair = U::splat(static_cast<uint32_t>((first + j0) / 2)) + U::iota();
    const U h1 = element::hash32(pair + pair, key) >> 8;               // u1 = (h1 + 1) / 2^24 in (0, 1]
    const U h2 = element::hash32(pair + pair + U::splat(1u), key) >> 8;  // angle: 2π h2 / 2^24
    const V u1 = (simd::to_float(h1) + V::splat(1.0f)) * V::splat(0x1.0p-24f);
    const V r = simd::sqrt(V::splat(-2.0f) * simd::log<simd::Unfused>(u1));
    const V quadrant = simd::to_float(h2 >> 22);
    const V fraction = simd::to_float(h2 & U::splat(0x3fffffu)) * V::splat(0x1.0p-22f);
    V s, c;
    simd::sincos_quadrant(quadrant, fraction * V::splat(1.57079632679489662f), s, c);
    (r * c).store(z0);
    (r * s).store(z1);
    for (int64_t l = 0; l < kChunk && j0 + 2 * l < n; ++l) {
      out[j0 + 2 * l] += z0[l];
      if (j0 + 2 * l + 1 < n) out[j0 + 2 * l + 1] += z1[l];
    }
  }
}

}  // namespace gatgrad::GATGRAD_ISA_NS
