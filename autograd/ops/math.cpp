// Elementwise math: exp, log, sqrt, pow. Legend: x input, y output, dy = d loss / d y.
#include "autograd/ops/common.hpp"

namespace gatgrad {
using namespace detail;

// exp: y = e^x.   dx += dy * y
Tensor exp(const Tensor& x) {
  return unary_op("exp", x, [](auto v) { return xsimd::exp(v); },
                  [](auto, auto y, auto dy) { return dy * y; });
}

// log: y = ln x.   dx += dy / x
Tensor log(const Tensor& x) {
  return unary_op("log", x, [](auto v) { return xsimd::log(v); },
                  [](auto x, auto, auto dy) { return dy / x; });
}

// sqrt: y = √x.   dx += dy / (2 y)
Tensor sqrt(const Tensor& x) {
  return unary_op("sqrt", x, [](auto v) { return xsimd::sqrt(v); },
                  [](auto, auto y, auto dy) { return dy / (y + y); });
}

// pow: y = x^p (x > 0 unless p is a whole number).   dx += dy * p * x^(p-1)
Tensor pow(const Tensor& x, double p) {
  if (p == 2.0)  // the common square, exact and cheap
    return unary_op("pow", x, [](auto v) { return v * v; },
                    [](auto x, auto, auto dy) { return dy * (x + x); });
  return unary_op(
      "pow", x,
      [p](auto v) {
        using B = decltype(v);
        return xsimd::pow(v, B(static_cast<typename B::value_type>(p)));
      },
      [p](auto x, auto, auto dy) {
        using B = decltype(x);
        using T = typename B::value_type;
        return dy * B(static_cast<T>(p)) * xsimd::pow(x, B(static_cast<T>(p - 1)));
      });
}

}  // namespace gatgrad
