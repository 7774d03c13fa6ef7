// Helpers shared by the op files (private to autograd/ops): argument checks, broadcasting, and
// "add this gradient into that tensor's grad, summing over broadcast axes".
#pragma once
#include <string>
#include <utility>

#include "autograd/custom_op.hpp"  // accumulate_grad, grad_for_write
#include "autograd/kernels/table.hpp"
#include "autograd/ops.hpp"
#include "autograd/parallel.hpp"

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

// ---- the active level's elementwise kernels over whole arrays, in fixed blocks of kBlock ----

// y[k] = f(x[k])
template <class T>
void unary_kernel(kernels::UnaryOp op, T param, const T* x, T* y, int64_t n) {
  const auto f = kernels::table<T>().unary;
  parallel_blocks(n, kBlock, [&](int64_t b, int64_t e) { f(op, param, x + b, y + b, e - b); });
}

// dx[k] = dy[k] · f'(x[k]) (from x or y, as kernels::backward_input(op) says)
template <class T>
void unary_backward_kernel(kernels::UnaryOp op, T param, const T* x, const T* y, const T* dy, T* dx, int64_t n) {
  const auto f = kernels::table<T>().unary_backward;
  parallel_blocks(n, kBlock, [&](int64_t b, int64_t e) {
    f(op, param, x ? x + b : nullptr, y ? y + b : nullptr, dy + b, dx + b, e - b);
  });
}

// y[k] = a[k] op b[k]
template <class T>
void binary_kernel(kernels::BinaryOp op, const T* a, const T* b, T* y, int64_t n) {
  const auto f = kernels::table<T>().binary;
  parallel_blocks(n, kBlock, [&](int64_t s, int64_t e) { f(op, a + s, 1, b + s, 1, y + s, e - s); });
}

// y[k] = x[k] · keep(k) / (1 - p): dropout's mask (kernels::DropoutRule) on element k
template <class T>
void dropout_kernel(const kernels::DropoutRule& rule, const T* x, T* y, int64_t n) {
  const auto f = kernels::table<T>().dropout;
  parallel_blocks(n, kBlock, [&](int64_t b, int64_t e) { f(rule, b, x + b, y + b, e - b); });
}

// dst[0..n) += src[0..n), on the calling thread
template <class T>
void add_into(T* dst, const T* src, int64_t n) {
  kernels::table<T>().binary(kernels::BinaryOp::add, dst, 1, src, 1, dst, n);
}

// y[idx] = a[idx_a] op b[idx_b] over the broadcast shape of y, vectorised along the last axis.
template <class T>
void broadcast_binary(kernels::BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& y) {
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  T* py = y.data<T>();
  const Shape& out = y.shape();
  const int64_t n = out.numel();
  if (a.shape() == out && b.shape() == out) {
    binary_kernel(op, pa, pb, py, n);
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
  const auto f = kernels::table<T>().binary;
  // One row = one run along the last axis (a stretched input repeats one value along it); rows
  // go in parallel, each writing only its own row.
  parallel_blocks(rows, std::max<int64_t>(1, kBlock / std::max<int64_t>(inner, 1)), [&](int64_t r0, int64_t r1) {
    RowOffsets off(out, sa, sb, r0);
    for (int64_t r = r0; r < r1; ++r, off.next())
      f(op, pa + off.a(), sa_in == 0 ? 0 : 1, pb + off.b(), sb_in == 0 ? 0 : 1, py + r * inner, inner);
  });
}

}  // namespace gatgrad::detail

namespace gatgrad::detail {

// An elementwise op y = f(x) by the active level's kernel, with backward dx += dy · f'(x). The
// closure holds x (the gradient's target) and, only when f' is computed from the output
// (kernels::backward_input), y's data as well.
inline Tensor unary_op(const char* op, const Tensor& x, kernels::UnaryOp kind, double param = 0.0) {
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  dispatch(x.dtype(), [&]<class T>() { unary_kernel<T>(kind, static_cast<T>(param), x.data<T>(), y.data<T>(), x.numel()); });
  if (!any_requires_grad({&x})) return y;
  const kernels::UnaryInput input = kernels::backward_input(kind);
  // (a plain handle to y's data, as gat_attention keeps its output, not y's own handle)
  const Tensor saved_y = input == kernels::UnaryInput::y ? y.detach() : Tensor();
  record(op, y, [x, saved_y, input, kind, param](const Tensor& dy) {
    Tensor dx = Tensor::empty(x.shape(), x.dtype());
    dispatch(x.dtype(), [&]<class T>() {
      unary_backward_kernel<T>(kind, static_cast<T>(param), input == kernels::UnaryInput::x ? x.data<T>() : nullptr,
                               saved_y.defined() ? saved_y.data<T>() : nullptr, dy.data<T>(), dx.data<T>(), x.numel());
    });
    accumulate_grad(x, std::move(dx));
  });
  return y;
}

}  // namespace gatgrad::detail
