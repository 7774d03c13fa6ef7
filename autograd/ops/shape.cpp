// Shape ops: reshape, transpose, concat, slice, index_select. Legend: x input, y output,
// dy = d loss / d y. All but reshape copy (tensors are always contiguous).
#include <cstring>

#include "autograd/ops/common.hpp"

namespace gatgrad {
using namespace detail;

namespace {

// The same storage seen with another shape (no tape, no gradient).
Tensor view_as(const Tensor& x, const Shape& shape) {
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = shape;
  impl->dtype = x.dtype();
  impl->storage = x.impl().storage;
  return Tensor(std::move(impl));
}

// x viewed as [outer, len, inner] around `axis`.
void split_at(const Shape& s, int axis, int64_t& outer, int64_t& len, int64_t& inner) {
  outer = inner = 1;
  for (int i = 0; i < axis; ++i) outer *= s[i];
  len = s[axis];
  for (int i = axis + 1; i < s.size(); ++i) inner *= s[i];
}

// Copies [outer, n, inner] blocks: dst[o, dst_off + k, :] (=, or += when add) src[o, src_off + k, :].
template <class T>
void copy_blocks(const T* src, int64_t src_len, int64_t src_off, T* dst, int64_t dst_len,
                 int64_t dst_off, int64_t outer, int64_t n, int64_t inner, bool add) {
  parallel_blocks(outer, std::max<int64_t>(1, kBlock / std::max<int64_t>(n * inner, 1)),
                  [&](int64_t o0, int64_t o1) {
    for (int64_t o = o0; o < o1; ++o) {
      const T* s = src + (o * src_len + src_off) * inner;
      T* d = dst + (o * dst_len + dst_off) * inner;
      if (add) {
        add_into(d, s, n * inner);
      } else {
        std::memcpy(d, s, static_cast<size_t>(n * inner) * sizeof(T));
      }
    }
  });
}

}  // namespace

// reshape: y has x's data with a new shape (one extent may be -1).   dx += dy viewed as x's shape
Tensor reshape(const Tensor& x, const std::vector<int64_t>& extents) {
  Shape shape;
  int64_t known = 1;
  int infer = -1;
  for (size_t i = 0; i < extents.size(); ++i) {
    if (extents[i] == -1 && infer < 0) {
      infer = static_cast<int>(i);
      shape.push_back(1);
    } else if (extents[i] < 0) {
      throw Error("reshape: bad extent " + std::to_string(extents[i]) + " for " + x.describe());
    } else {
      shape.push_back(extents[i]);
      known *= extents[i];
    }
  }
  if (infer >= 0) {
    if (known == 0 || x.numel() % known != 0)
      throw Error("reshape: cannot infer the -1 extent for " + x.describe());
    shape[infer] = x.numel() / known;
  }
  if (shape.numel() != x.numel())
    throw Error("reshape: " + x.describe() + " has " + std::to_string(x.numel()) +
                " elements, shape " + shape.str() + " needs " + std::to_string(shape.numel()));
  Tensor y = view_as(x, shape);
  if (any_requires_grad({&x}))
    record("reshape", y, [x](const Tensor& dy) {
      // dy held by nobody else (backward() freed y's slot): x's gradient is dy's buffer itself
      if (!x.has_grad() && exclusively_held(dy))
        x.set_grad(view_as(dy, x.shape()));
      else
        accumulate_grad(x, view_as(dy, x.shape()));
    });
  return y;
}

// transpose: y = x with axes axis0 and axis1 swapped.   dx += dy with the same axes swapped back
Tensor transpose(const Tensor& x, int axis0, int axis1) {
  const int nd = x.dim();
  const int a0 = normalize_axis("transpose", axis0, nd), a1 = normalize_axis("transpose", axis1, nd);
  Shape out = x.shape();
  std::swap(out[a0], out[a1]);
  Tensor y = Tensor::empty(out, x.dtype());
  // Element (.., i0, .., i1, ..) of x goes to (.., i1, .., i0, ..) of y.
  int64_t xs[Shape::kMaxDims];
  int64_t st = 1;
  for (int i = nd - 1; i >= 0; --i) {
    xs[i] = st;
    st *= x.shape()[i];
  }
  int64_t ys[Shape::kMaxDims];  // stride in x of each axis of y
  for (int i = 0; i < nd; ++i) ys[i] = xs[i];
  std::swap(ys[a0], ys[a1]);
  dispatch(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>();
    T* py = y.data<T>();
    const int64_t inner = nd ? out[nd - 1] : 1;
    const int64_t rows = inner ? y.numel() / inner : 0;
    parallel_blocks(rows, std::max<int64_t>(1, kBlock / std::max<int64_t>(inner, 1)), [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        int64_t off = 0, rem = r;
        for (int ax = nd - 2; ax >= 0; --ax) {
          off += (rem % out[ax]) * ys[ax];
          rem /= out[ax];
        }
        const int64_t step = nd ? ys[nd - 1] : 1;
        T* dst = py + r * inner;
        for (int64_t i = 0; i < inner; ++i) dst[i] = px[off + i * step];
      }
    });
  });
  if (any_requires_grad({&x}))
    record("transpose", y, [x, a0, a1](const Tensor& dy) {
      NoGradGuard ng;
      accumulate_grad(x, transpose(dy, a0, a1));
    });
  return y;
}

// concat: y = [x_0 | x_1 | ...] along axis (other extents equal).   dx_k += the slab of dy for x_k
Tensor concat(const std::vector<Tensor>& xs, int axis) {
  if (xs.empty()) throw Error("concat: no inputs");
  const int nd = xs[0].dim();
  const int a = normalize_axis("concat", axis, nd);
  Shape out = xs[0].shape();
  out[a] = 0;
  for (const Tensor& x : xs) {
    check_same_dtype("concat", xs[0], x);
    bool ok = x.dim() == nd;
    for (int i = 0; ok && i < nd; ++i) ok = (i == a) || x.shape()[i] == xs[0].shape()[i];
    if (!ok)
      throw Error("concat: shapes " + xs[0].describe() + " and " + x.describe() +
                  " differ outside axis " + std::to_string(a));
    out[a] += x.shape()[a];
  }
  Tensor y = Tensor::empty(out, xs[0].dtype());
  int64_t outer, len, inner;
  split_at(out, a, outer, len, inner);
  dispatch(y.dtype(), [&]<class T>() {
    int64_t off = 0;
    for (const Tensor& x : xs) {
      const int64_t n = x.shape()[a];
      copy_blocks(x.data<T>(), n, 0, y.data<T>(), len, off, outer, n, inner, false);
      off += n;
    }
  });
  if (any_requires_grad(xs))
    record("concat", y, [xs, a, outer, len, inner](const Tensor& dy) {
      int64_t off = 0;
      for (const Tensor& x : xs) {
        const int64_t n = x.shape()[a];
        if (x.requires_grad())
          dispatch(x.dtype(), [&]<class T>() {
            copy_blocks(dy.data<T>(), len, off, x.grad_accum().template data<T>(), n, 0, outer, n, inner, true);
          });
        off += n;
      }
    });
  return y;
}

// slice: y = x[..., start:end, ...] on axis.   dx[..., start:end, ...] += dy
Tensor slice(const Tensor& x, int axis, int64_t start, int64_t end) {
  const int a = normalize_axis("slice", axis, x.dim());
  const int64_t len_x = x.shape()[a];
  if (start < 0 || end > len_x || start > end)
    throw Error("slice: range [" + std::to_string(start) + ", " + std::to_string(end) +
                ") is out of bounds for axis " + std::to_string(a) + " of " + x.describe());
  Shape out = x.shape();
  out[a] = end - start;
  Tensor y = Tensor::empty(out, x.dtype());
  int64_t outer, len, inner;
  split_at(x.shape(), a, outer, len, inner);
  dispatch(x.dtype(), [&]<class T>() {
    copy_blocks(x.data<T>(), len, start, y.data<T>(), end - start, 0, outer, end - start, inner, false);
  });
  if (any_requires_grad({&x}))
    record("slice", y, [x, start, end, outer, len, inner](const Tensor& dy) {
      dispatch(x.dtype(), [&]<class T>() {
        copy_blocks(dy.data<T>(), end - start, 0, x.grad_accum().template data<T>(), len, start, outer,
                    end - start, inner, true);
      });
    });
  return y;
}

// index_select: y[r] = x[rows[r]] along axis 0.   dx[rows[r]] += dy[r] (rows may repeat)
Tensor index_select(const Tensor& x, const std::vector<int64_t>& rows) {
  if (x.dim() < 1) throw Error("index_select: needs at least 1 axis, got " + x.describe());
  const int64_t n = x.shape()[0];
  for (size_t r = 0; r < rows.size(); ++r)
    if (rows[r] < 0 || rows[r] >= n)
      throw Error("index_select: index " + std::to_string(rows[r]) + " at position " +
                  std::to_string(r) + " is out of range for " + x.describe());
  Shape out = x.shape();
  out[0] = static_cast<int64_t>(rows.size());
  const int64_t inner = n ? x.numel() / n : 0;
  Tensor y = Tensor::empty(out, x.dtype());
  dispatch(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>();
    T* py = y.data<T>();
    parallel_blocks(out[0], std::max<int64_t>(1, kBlock / std::max<int64_t>(inner, 1)), [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r)
        std::memcpy(py + r * inner, px + rows[static_cast<size_t>(r)] * inner, static_cast<size_t>(inner) * sizeof(T));
    });
  });
  if (any_requires_grad({&x}))
    record("index_select", y, [x, rows, inner](const Tensor& dy) {
      dispatch(x.dtype(), [&]<class T>() {
        T* dx = x.grad_accum().template data<T>();
        const T* g = dy.data<T>();
        // Serial in row order: repeated rows add up in a fixed order.
        for (size_t r = 0; r < rows.size(); ++r) {
          T* d = dx + rows[r] * inner;
          add_into(d, g + static_cast<int64_t>(r) * inner, inner);
        }
      });
    });
  return y;
}

}  // namespace gatgrad
