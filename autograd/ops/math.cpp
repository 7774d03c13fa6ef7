// Elementwise math: exp, log, sqrt, pow. Legend: x input, y output, dy = d loss / d y.
// (The functions themselves are gatgrad's own, autograd/kernels/simd/math.hpp: the same bits on
// every instruction-set level with FMA.)
#include "autograd/ops/common.hpp"

namespace gatgrad {
using namespace detail;
using kernels::UnaryOp;

// exp: y = e^x.   dx += dy * y
Tensor exp(const Tensor& x) { return unary_op("exp", x, UnaryOp::exp); }

// log: y = ln x.   dx += dy / x
Tensor log(const Tensor& x) { return unary_op("log", x, UnaryOp::log); }

// sqrt: y = √x.   dx += dy / (2 y)
Tensor sqrt(const Tensor& x) { return unary_op("sqrt", x, UnaryOp::sqrt); }

// pow: y = x^p (x > 0 unless p is a whole number).   dx += dy * p * x^(p-1)
Tensor pow(const Tensor& x, double p) {
  if (p == 2.0) return unary_op("pow", x, UnaryOp::square);  // the common square, exact and cheap
  return unary_op("pow", x, UnaryOp::pow, p);
}

}  // namespace gatgrad
