// Activations: relu, leaky_relu, elu, sigmoid, tanh. Legend: x input, y output,
// dy = d loss / d y. Each backward uses whichever of x or y makes it cheapest.
#include "autograd/ops/common.hpp"

namespace gatgrad {
using namespace detail;

// relu: y = max(x, 0).   dx += dy * [x > 0]
Tensor relu(const Tensor& x) {
  return unary_op("relu", x,
                  [](auto v) { return xsimd::max(v, decltype(v)(0)); },
                  [](auto x, auto, auto dy) {
                    using B = decltype(x);
                    return xsimd::select(x > B(0), dy, B(0));
                  });
}

// leaky_relu: y = x if x > 0 else s*x.   dx += dy * (x > 0 ? 1 : s)
Tensor leaky_relu(const Tensor& x, double s) {
  return unary_op(
      "leaky_relu", x,
      [s](auto v) {
        using B = decltype(v);
        return xsimd::select(v > B(0), v, v * B(static_cast<typename B::value_type>(s)));
      },
      [s](auto x, auto, auto dy) {
        using B = decltype(x);
        return xsimd::select(x > B(0), dy, dy * B(static_cast<typename B::value_type>(s)));
      });
}

// elu: y = x if x > 0 else α(eˣ - 1).   dx += dy * (x > 0 ? 1 : y + α)
Tensor elu(const Tensor& x, double alpha) {
  return unary_op(
      "elu", x,
      [alpha](auto v) { return kernels::elu_value(v, static_cast<typename decltype(v)::value_type>(alpha)); },
      [alpha](auto x, auto y, auto dy) {
        using B = decltype(x);
        return kernels::elu_grad(x > B(0), y, dy, static_cast<typename B::value_type>(alpha));
      });
}

// sigmoid: y = 1 / (1 + e^-x).   dx += dy * y (1 - y)
Tensor sigmoid(const Tensor& x) {
  return unary_op(
      "sigmoid", x,
      [](auto v) {
        using B = decltype(v);
        return B(1) / (B(1) + xsimd::exp(-v));
      },
      [](auto, auto y, auto dy) {
        using B = decltype(y);
        return dy * y * (B(1) - y);
      });
}

// tanh: y = tanh x.   dx += dy (1 - y²)
Tensor tanh(const Tensor& x) {
  return unary_op("tanh", x, [](auto v) { return xsimd::tanh(v); },
                  [](auto, auto y, auto dy) {
                    using B = decltype(y);
                    return dy * (B(1) - y * y);
                  });
}

}  // namespace gatgrad
