// Activations: relu, leaky_relu, elu, sigmoid, tanh. Legend: x input, y output,
// dy = d loss / d y. Each backward uses whichever of x or y makes it cheapest (the formulas, on
// SIMD lanes: autograd/kernels/element.hpp).
#include "autograd/ops/common.hpp"

namespace gatgrad {
using namespace detail;
using kernels::UnaryOp;

// relu: y = max(x, 0).   dx += dy * [x > 0]
Tensor relu(const Tensor& x) { return unary_op("relu", x, UnaryOp::relu); }

// leaky_relu: y = x if x > 0 else s*x.   dx += dy * (x > 0 ? 1 : s)
Tensor leaky_relu(const Tensor& x, double s) { return unary_op("leaky_relu", x, UnaryOp::leaky_relu, s); }

// elu: y = x if x > 0 else α(eˣ - 1).   dx += dy * (x > 0 ? 1 : y + α)
Tensor elu(const Tensor& x, double alpha) { return unary_op("elu", x, UnaryOp::elu, alpha); }

// sigmoid: y = 1 / (1 + e^-x).   dx += dy * y (1 - y)
Tensor sigmoid(const Tensor& x) { return unary_op("sigmoid", x, UnaryOp::sigmoid); }

// tanh: y = tanh x.   dx += dy (1 - y²)
Tensor tanh(const Tensor& x) { return unary_op("tanh", x, UnaryOp::tanh); }

}  // namespace gatgrad
