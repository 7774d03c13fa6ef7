// Reductions: sum, mean, max over one axis or over everything.
// Legend: x is viewed as [outer, L, inner] around the reduced axis (L its extent);
//         y is [outer, inner] (or with a kept axis of 1); dy = d loss / d y.
// Every sum runs in a fixed order (by position), so results are the same for any thread count.
#include <limits>

#include "autograd/ops/common.hpp"

namespace gatgrad {
using namespace detail;

namespace {

struct AxisView {
  int64_t outer = 1, len = 1, inner = 1;
  Shape reduced;  // shape of y
};

AxisView axis_view(const char* op, const Tensor& x, int axis, bool keepdim) {
  const int nd = x.dim();
  const int a = normalize_axis(op, axis, nd);
  AxisView v;
  for (int i = 0; i < nd; ++i) {
    if (i < a) v.outer *= x.shape()[i];
    if (i > a) v.inner *= x.shape()[i];
    if (i == a) {
      v.len = x.shape()[i];
      if (keepdim) v.reduced.push_back(1);
    } else {
      v.reduced.push_back(x.shape()[i]);
    }
  }
  return v;
}

constexpr int64_t kInnerChunk = 256;  // columns per task when reducing over a leading axis

// y[o, i] = scale * Σ_k x[o, k, i]
template <class T>
void sum_axis_kernel(const T* x, T* y, const AxisView& v, T scale) {
  if (v.inner == 1) {
    parallel_blocks(v.outer, std::max<int64_t>(1, kBlock / std::max<int64_t>(v.len, 1)),
                    [&](int64_t o0, int64_t o1) {
                      const auto sum = kernels::table<T>().sum;
                      for (int64_t o = o0; o < o1; ++o) y[o] = scale * sum(x + o * v.len, v.len);
                    });
    return;
  }
  const int64_t chunks = (v.inner + kInnerChunk - 1) / kInnerChunk;
  parallel_blocks(v.outer * chunks, 1, [&](int64_t w, int64_t) {
    const int64_t o = w / chunks, c0 = (w % chunks) * kInnerChunk;
    const int64_t c1 = std::min(c0 + kInnerChunk, v.inner);
    T* out = y + o * v.inner;
    std::fill(out + c0, out + c1, T(0));
    for (int64_t k = 0; k < v.len; ++k) {
      const T* row = x + (o * v.len + k) * v.inner;
      add_into(out + c0, row + c0, c1 - c0);
    }
    for (int64_t i = c0; i < c1; ++i) out[i] *= scale;
  });
}

// dx[o, k, i] = scale * dy[o, i]  (the broadcast back along the reduced axis)
template <class T>
void expand_axis_kernel(const T* dy, T* dx, const AxisView& v, T scale) {
  parallel_blocks(v.outer * v.len, std::max<int64_t>(1, kBlock / v.inner), [&](int64_t r0, int64_t r1) {
    int64_t o = r0 / v.len, k = r0 - o * v.len;  // row r = (o, k), counted up without dividing
    for (int64_t r = r0; r < r1; ++r) {
      const T* src = dy + o * v.inner;
      T* dst = dx + r * v.inner;
      for (int64_t i = 0; i < v.inner; ++i) dst[i] = scale * src[i];
      if (++k == v.len) k = 0, ++o;
    }
  });
}

Tensor sum_or_mean_axis(const char* op, const Tensor& x, int axis, bool keepdim, bool is_mean) {
  AxisView v = axis_view(op, x, axis, keepdim);
  Tensor y = Tensor::empty(v.reduced, x.dtype());
  const double scale = is_mean ? 1.0 / static_cast<double>(std::max<int64_t>(v.len, 1)) : 1.0;
  dispatch(x.dtype(), [&]<class T>() { sum_axis_kernel<T>(x.data<T>(), y.data<T>(), v, static_cast<T>(scale)); });
  if (any_requires_grad({&x}))
    record(op, y, [x, v, scale](const Tensor& dy) {
      Tensor dx = Tensor::empty(x.shape(), x.dtype());
      dispatch(x.dtype(), [&]<class T>() {
        expand_axis_kernel<T>(dy.data<T>(), dx.data<T>(), v, static_cast<T>(scale));
      });
      accumulate_grad(x, std::move(dx));
    });
  return y;
}

Tensor sum_or_mean_all(const char* op, const Tensor& x, bool is_mean) {
  Tensor y = Tensor::empty({}, x.dtype());
  const int64_t n = x.numel();
  const double scale = is_mean ? 1.0 / static_cast<double>(std::max<int64_t>(n, 1)) : 1.0;
  dispatch(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>();
    double total = deterministic_sum<double>(n, kBlock, [&](int64_t b, int64_t e) {
      return static_cast<double>(kernels::table<T>().sum(px + b, e - b));
    });
    y.data<T>()[0] = static_cast<T>(total * scale);
  });
  if (any_requires_grad({&x}))
    record(op, y, [x, scale](const Tensor& dy) {
      Tensor dx = Tensor::full(x.shape(), dy.item() * scale, x.dtype());
      accumulate_grad(x, std::move(dx));
    });
  return y;
}

}  // namespace

// sum: y = Σ x.   dx += dy (broadcast)
Tensor sum(const Tensor& x) { return sum_or_mean_all("sum", x, false); }
Tensor sum(const Tensor& x, int axis, bool keepdim) { return sum_or_mean_axis("sum", x, axis, keepdim, false); }

// mean: y = Σ x / L.   dx += dy / L
Tensor mean(const Tensor& x) { return sum_or_mean_all("mean", x, true); }
Tensor mean(const Tensor& x, int axis, bool keepdim) { return sum_or_mean_axis("mean", x, axis, keepdim, true); }

// max over all: y = x[k*], k* the first position of the maximum.   dx[k*] += dy
Tensor max(const Tensor& x) {
  if (x.numel() == 0) throw Error("max: empty tensor " + x.describe());
  Tensor y = Tensor::empty({}, x.dtype());
  int64_t best = 0;
  dispatch(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>();
    for (int64_t i = 1; i < x.numel(); ++i)
      if (px[i] > px[best]) best = i;
    y.data<T>()[0] = px[best];
  });
  if (any_requires_grad({&x}))
    record("max", y, [x, best](const Tensor& dy) {
      Tensor dx = Tensor::zeros(x.shape(), x.dtype());
      dispatch(x.dtype(), [&]<class T>() { dx.data<T>()[best] = dy.data<T>()[0]; });
      accumulate_grad(x, std::move(dx));
    });
  return y;
}

// max over an axis: y[o, i] = x[o, k*, i], k* = first argmax.   dx[o, k*, i] += dy[o, i]
Tensor max(const Tensor& x, int axis, bool keepdim) {
  AxisView v = axis_view("max", x, axis, keepdim);
  if (v.len == 0) throw Error("max: reducing an axis of extent 0 in " + x.describe());
  Tensor y = Tensor::empty(v.reduced, x.dtype());
  auto argmax = std::make_shared<std::vector<int64_t>>(static_cast<size_t>(v.outer * v.inner));
  dispatch(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>();
    T* py = y.data<T>();
    parallel_blocks(v.outer, 64, [&](int64_t o0, int64_t o1) {
      for (int64_t o = o0; o < o1; ++o)
        for (int64_t i = 0; i < v.inner; ++i) {
          int64_t best = 0;
          for (int64_t k = 1; k < v.len; ++k)
            if (px[(o * v.len + k) * v.inner + i] > px[(o * v.len + best) * v.inner + i]) best = k;
          (*argmax)[static_cast<size_t>(o * v.inner + i)] = best;
          py[o * v.inner + i] = px[(o * v.len + best) * v.inner + i];
        }
    });
  });
  if (any_requires_grad({&x}))
    record("max", y, [x, v, argmax](const Tensor& dy) {
      Tensor dx = Tensor::zeros(x.shape(), x.dtype());
      dispatch(x.dtype(), [&]<class T>() {
        const T* g = dy.data<T>();
        T* d = dx.data<T>();
        for (int64_t o = 0; o < v.outer; ++o)
          for (int64_t i = 0; i < v.inner; ++i)
            d[(o * v.len + (*argmax)[static_cast<size_t>(o * v.inner + i)]) * v.inner + i] = g[o * v.inner + i];
      });
      accumulate_grad(x, std::move(dx));
    });
  return y;
}

}  // namespace gatgrad
