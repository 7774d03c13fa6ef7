// Adam and AdamW: hyper-parameter checks, the per-step scalars, and the update of each parameter
// by the active level's kernel (kernels::AdamStep: PyTorch's _single_tensor_adam / adamw).
// Legend: p parameter, g gradient, m first moment (exp_avg), v second moment (exp_avg_sq),
// t the parameter's step (1 on its first update), wd weight decay.
//   Adam  : g = g + wd p                                   (L2, part of the gradient)
//   AdamW : p = p (1 - lr wd)                              (decoupled, before the update)
//   both  : m = lerp(m, g, 1 - beta1);  v = beta2 v + (1 - beta2) g g
//           p = p - step_size · m / (sqrt(v) / sqrt(1 - beta2^t) + eps),  step_size = lr / (1 - beta1^t)
// torch.lerp(a, b, w) is a + w (b - a) for w < 0.5 and b - (b - a)(1 - w) otherwise; we use
// the same two forms so the moments round as PyTorch's do.
#include <cmath>


#include "autograd/kernels/table.hpp"
#include "autograd/parallel.hpp"
#include "nn/optim.hpp"

namespace gatgrad::nn {

namespace {

void check_adam(const std::string& type, double lr, double beta1, double beta2, double eps, double weight_decay) {
  auto bad = [&](const char* what, double x) { throw Error(type + ": invalid " + what + " " + std::to_string(x)); };
  if (!(lr >= 0.0) || !std::isfinite(lr)) bad("learning rate", lr);
  if (!(beta1 >= 0.0 && beta1 < 1.0)) bad("beta1 (must be in [0, 1))", beta1);
  if (!(beta2 >= 0.0 && beta2 < 1.0)) bad("beta2 (must be in [0, 1))", beta2);
  if (!(eps >= 0.0) || !std::isfinite(eps)) bad("eps", eps);
  if (!(weight_decay >= 0.0) || !std::isfinite(weight_decay)) bad("weight_decay", weight_decay);
}

}  // namespace

Adam::Adam(std::vector<Tensor> params, double lr, double beta1, double beta2, double eps, double weight_decay)
    : Adam("adam", std::move(params), lr, beta1, beta2, eps, weight_decay) {}

Adam::Adam(std::string type, std::vector<Tensor> params, double lr, double beta1, double beta2, double eps,
           double weight_decay)
    : Optimizer(std::move(type), std::move(params), lr, {"exp_avg", "exp_avg_sq"}),
      beta1_(beta1),
      beta2_(beta2),
      eps_(eps),
      weight_decay_(weight_decay) {
  check_adam(this->type(), lr, beta1, beta2, eps, weight_decay);
}

Hyperparameters Adam::hyperparameters() const {
  return {{"lr", lr_}, {"beta1", beta1_}, {"beta2", beta2_}, {"eps", eps_}, {"weight_decay", weight_decay_}};
}

void Adam::set_hyperparameters(const Hyperparameters& h) {
  check_hyper_names(h, {"lr", "beta1", "beta2", "eps", "weight_decay"});
  const double lr = hyper(h, "lr"), beta1 = hyper(h, "beta1"), beta2 = hyper(h, "beta2"), eps = hyper(h, "eps"),
               weight_decay = hyper(h, "weight_decay");
  check_adam(type(), lr, beta1, beta2, eps, weight_decay);
  lr_ = lr;
  beta1_ = beta1;
  beta2_ = beta2;
  eps_ = eps;
  weight_decay_ = weight_decay;
}

namespace {

// b^t for t >= 1 by repeated squaring: plain IEEE multiplications, the same bits on every CPU
// (libm's pow may differ in the last bit between its x86-64 and aarch64 builds).
double power(double b, int64_t t) {
  double result = 1.0;
  for (; t > 0; t >>= 1, b *= b)
    if (t & 1) result *= b;
  return result;
}

// The step of parameter p with gradient g and moments m, v, at its step t (1 on its first
// update); the per-step scalars in double, as PyTorch computes them in Python.
void run(const Tensor& p, const Tensor& g, const Tensor& m, const Tensor& v, double lr, double beta1, double beta2,
         double eps, int64_t t, double decay_factor, double l2) {
  const double step_size = lr / (1.0 - power(beta1, t)), bc2_sqrt = std::sqrt(1.0 - power(beta2, t));
  dispatch(p.dtype(), [&]<class T>() {
    const kernels::AdamStep<T> step{p.data<T>(), g.data<T>(), m.data<T>(), v.data<T>(), decay_factor, l2, beta1,
                                    beta2, eps, step_size, bc2_sqrt};
    const auto kernel = kernels::table<T>().adam;
    parallel_blocks(p.numel(), kBlock, [&](int64_t b, int64_t e) { kernel(step, b, e); });
  });
}

}  // namespace

void Adam::update(size_t i, const Tensor& p, const Tensor& g, int64_t t) {
  run(p, g, buffer(0, i), buffer(1, i), lr_, beta1_, beta2_, eps_, t, 1.0, weight_decay_);
}

AdamW::AdamW(std::vector<Tensor> params, double lr, double beta1, double beta2, double eps, double weight_decay)
    : Adam("adamw", std::move(params), lr, beta1, beta2, eps, weight_decay) {}

void AdamW::update(size_t i, const Tensor& p, const Tensor& g, int64_t t) {
  run(p, g, buffer(0, i), buffer(1, i), lr_, beta1_, beta2_, eps_, t, 1.0 - lr_ * weight_decay_, 0.0);
}

}  // namespace gatgrad::nn
