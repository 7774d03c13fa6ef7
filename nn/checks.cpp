// Gradient checks of the nn layers, as listed by `gradcheck --list`.
// To add one: build the layer in float64 and pass its parameters (the module's own tensors:
// gradcheck perturbs them in place) with the inputs to gradcheck.
#include "nn/checks.hpp"

#include "autograd/creation.hpp"
#include "nn/linear.hpp"

namespace gatgrad {

void register_nn_checks(CheckRegistry& r) {
  // y = x W + b: gradients of x [5, 4], W [4, 3] and b [3]. The bias starts at zero, so give
  // it values first (a zero bias would still be checked, but this is a fairer test).
  r.add("linear", [] {
    auto lin = std::make_shared<nn::Linear>(4, 3, true, 7, DType::f64);
    lin->bias().copy_from(uniform({3}, -1.0, 1.0, 8, DType::f64));
    Tensor x = uniform({5, 4}, -1.0, 1.0, 9, DType::f64).requires_grad_();
    return gradcheck([lin](const std::vector<Tensor>& in) { return lin->forward(in[0]); },
                     {x, lin->weight(), lin->bias()});
  });
  // The same layer on a 3-d input [2, 3, 4] (leading axes flattened into rows), without bias.
  r.add("linear:batched", [] {
    auto lin = std::make_shared<nn::Linear>(4, 2, false, 10, DType::f64);
    Tensor x = uniform({2, 3, 4}, -1.0, 1.0, 11, DType::f64).requires_grad_();
    return gradcheck([lin](const std::vector<Tensor>& in) { return lin->forward(in[0]); }, {x, lin->weight()});
  });
}

}  // namespace gatgrad
