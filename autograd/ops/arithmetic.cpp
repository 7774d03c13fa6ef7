// Arithmetic with NumPy broadcasting: add, sub, mul, div, neg, and the scalar forms.
// Legend: a, b inputs; y output of the broadcast shape; dy = d loss / d y.
// Backward sums dy over the axes an input was stretched along (accumulate_grad).
#include "autograd/ops/common.hpp"

namespace gatgrad {
using namespace detail;

namespace {

using kernels::BinaryOp;
using kernels::UnaryOp;

// y = a op b elementwise over the broadcast shape.
Tensor binary(const char* op, const Tensor& a, const Tensor& b, BinaryOp kind) {
  check_same_dtype(op, a, b);
  Tensor y = Tensor::empty(broadcast_shape(op, a.shape(), b.shape()), a.dtype());
  dispatch(a.dtype(), [&]<class T>() { broadcast_binary<T>(kind, a, b, y); });
  return y;
}

// y = x op_scalar s (no tape)
Tensor unary_values(const Tensor& x, UnaryOp kind, double s) {
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  dispatch(x.dtype(), [&]<class T>() { unary_kernel<T>(kind, static_cast<T>(s), x.data<T>(), y.data<T>(), x.numel()); });
  return y;
}

}  // namespace

// add: y = a + b.   da += sum(dy), db += sum(dy)
Tensor add(const Tensor& a, const Tensor& b) {
  Tensor y = binary("add", a, b, BinaryOp::add);
  if (any_requires_grad({&a, &b}))
    record("add", y, [a, b](const Tensor& dy) {
      accumulate_grad(a, dy);
      accumulate_grad(b, dy);
    });
  return y;
}

// sub: y = a - b.   da += sum(dy), db += sum(-dy)
Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor y = binary("sub", a, b, BinaryOp::sub);
  if (any_requires_grad({&a, &b}))
    record("sub", y, [a, b](const Tensor& dy) {
      accumulate_grad(a, dy);
      if (b.requires_grad()) {
        NoGradGuard ng;
        accumulate_grad(b, neg(dy));
      }
    });
  return y;
}

// mul: y = a * b.   da += sum(dy * b), db += sum(dy * a)
Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor y = binary("mul", a, b, BinaryOp::mul);
  if (any_requires_grad({&a, &b}))
    record("mul", y, [a, b](const Tensor& dy) {
      NoGradGuard ng;
      if (a.requires_grad()) accumulate_grad(a, binary("mul", dy, b, BinaryOp::mul));
      if (b.requires_grad()) accumulate_grad(b, binary("mul", dy, a, BinaryOp::mul));
    });
  return y;
}

// div: y = a / b.   da += sum(dy / b), db += sum(-dy * y / b)
Tensor div(const Tensor& a, const Tensor& b) {
  Tensor y = binary("div", a, b, BinaryOp::div);
  if (any_requires_grad({&a, &b}))
    record("div", y, [a, b, y](const Tensor& dy) {
      NoGradGuard ng;
      Tensor dy_over_b = binary("div", dy, b, BinaryOp::div);
      if (a.requires_grad()) accumulate_grad(a, dy_over_b);
      if (b.requires_grad()) accumulate_grad(b, neg(binary("mul", dy_over_b, y, BinaryOp::mul)));
    });
  return y;
}

// neg: y = -x.   dx += -dy
Tensor neg(const Tensor& x) {
  Tensor y = unary_values(x, UnaryOp::neg, 0.0);
  if (any_requires_grad({&x}))
    record("neg", y, [x](const Tensor& dy) {
      NoGradGuard ng;
      accumulate_grad(x, neg(dy));
    });
  return y;
}

// add_scalar: y = x + s.   dx += dy
Tensor add_scalar(const Tensor& x, double s) {
  Tensor y = unary_values(x, UnaryOp::add_scalar, s);
  if (any_requires_grad({&x})) record("add_scalar", y, [x](const Tensor& dy) { accumulate_grad(x, dy); });
  return y;
}

// mul_scalar: y = x * s.   dx += s * dy
Tensor mul_scalar(const Tensor& x, double s) {
  Tensor y = unary_values(x, UnaryOp::mul_scalar, s);
  if (any_requires_grad({&x}))
    record("mul_scalar", y, [x, s](const Tensor& dy) {
      NoGradGuard ng;
      accumulate_grad(x, mul_scalar(dy, s));
    });
  return y;
}

}  // namespace gatgrad
