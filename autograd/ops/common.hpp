// Helpers shared by the op files (private to autograd/ops): argument checks, broadcasting, and
// "add this gradient into that tensor's grad, summing over broadcast axes".
#pragma once
#include <string>
#include <utility>

#include "autograd/custom_op.hpp"  // accumulate_grad, grad_for_write
#include "autograd/kernels/simd.hpp"
#include "autograd/ops.hpp"

namespace gatgrad::detail {

// Throws "<op>: inputs have different dtypes float32[..] and float64[..]".
void check_same_dtype(const char* op, const Tensor& a, const Tensor& b);
// Maps a possibly negative axis into [0, ndim); throws naming the op otherwise.
int normalize_axis(const char* op, int axis, int ndim);
// The NumPy broadcast of two shapes; throws "<op>: shapes [..] and [..] do not broadcast".
Shape broadcast_shape(const char* op, const Shape& a, const Shape& b);

// Strides (in elements) of `in` seen through the broadcast to `out` (0 on stretched axes),
// right-aligned to out's axes.
void broadcast_strides(const Shape& in, const Shape& out, int64_t* strides);

// The rows (runs along the last axis) of a tensor of shape `out`, walked in order from row r0,
// with each row's offset into two broadcast inputs of strides sa and sb (see broadcast_strides).
// The row index is split into axis indices once, then counted up like an odometer: no division
// per row.
class RowOffsets {
 public:
  RowOffsets(const Shape& out, const int64_t* sa, const int64_t* sb, int64_t r0) : out_(out), sa_(sa), sb_(sb) {
    int64_t rem = r0;
    for (int ax = out.size() - 2; ax >= 0; --ax) {
      idx_[ax] = rem % out[ax];
      rem /= out[ax];
      a_ += idx_[ax] * sa[ax];
      b_ += idx_[ax] * sb[ax];
    }
  }
  int64_t a() const { return a_; }
  int64_t b() const { return b_; }
  void next() {
    for (int ax = out_.size() - 2; ax >= 0; --ax) {
      a_ += sa_[ax];
      b_ += sb_[ax];
      if (++idx_[ax] < out_[ax]) return;
      a_ -= out_[ax] * sa_[ax];
      b_ -= out_[ax] * sb_[ax];
      idx_[ax] = 0;
    }
  }

 private:
  const Shape& out_;
  const int64_t* sa_;
  const int64_t* sb_;
  int64_t idx_[Shape::kMaxDims] = {};
  int64_t a_ = 0, b_ = 0;
};

// y[idx] = f(a[idx_a], b[idx_b]) over the broadcast shape of y, vectorised along the last axis.
template <class T, class F>
void broadcast_map2(const Tensor& a, const Tensor& b, const Tensor& y, F f) {
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  T* py = y.data<T>();
  const Shape& out = y.shape();
  const int64_t n = out.numel();
  if (a.shape() == out && b.shape() == out) {
    kernels::map2(pa, pb, py, n, f);
    return;
  }
  if (n == 0) return;
  int64_t sa[Shape::kMaxDims], sb[Shape::kMaxDims];
  broadcast_strides(a.shape(), out, sa);
  broadcast_strides(b.shape(), out, sb);
  const int nd = out.size();
  const int64_t inner = nd ? out[nd - 1] : 1;
  const int64_t sa_in = nd ? sa[nd - 1] : 0, sb_in = nd ? sb[nd - 1] : 0;
  const int64_t rows = n / inner;
  // One row = one run along the last axis; rows go in parallel (each writes only its own row).
  parallel_blocks(rows, std::max<int64_t>(1, kBlock / std::max<int64_t>(inner, 1)),
                  [&](int64_t r0, int64_t r1) {
    std::vector<T> abuf, bbuf;
    RowOffsets off(out, sa, sb, r0);
    for (int64_t r = r0; r < r1; ++r, off.next()) {
      const T* ra = pa + off.a();
      const T* rb = pb + off.b();
      if (sa_in == 0) {  // stretch a's single value along the row
        abuf.assign(static_cast<size_t>(inner), *ra);
        ra = abuf.data();
      }
      if (sb_in == 0) {
        bbuf.assign(static_cast<size_t>(inner), *rb);
        rb = bbuf.data();
      }
      kernels::map2_serial(ra, rb, py + r * inner, inner, f);
    }
  });
}

// True when no other handle shares t or its storage.
bool exclusively_held(const Tensor& t);

}  // namespace gatgrad::detail

namespace gatgrad::detail {

// An elementwise op y = fwd(x) whose backward is dx += bwd(x, y, dy), both written on SIMD
// batches (they also run on the padded tail, so they must not trap on zeros).
template <class Fwd, class Bwd>
Tensor unary_op(const char* op, const Tensor& x, Fwd fwd, Bwd bwd) {
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  dispatch(x.dtype(), [&]<class T>() { kernels::map1(x.data<T>(), y.data<T>(), x.numel(), fwd); });
  if (any_requires_grad({&x}))
    record(op, y, [x, y, bwd](const Tensor& dy) {
      Tensor dx = Tensor::empty(x.shape(), x.dtype());
      dispatch(x.dtype(), [&]<class T>() {
        kernels::map3(x.data<T>(), y.data<T>(), dy.data<T>(), dx.data<T>(), x.numel(), bwd);
      });
      accumulate_grad(x, std::move(dx));
    });
  return y;
}

}  // namespace gatgrad::detail
