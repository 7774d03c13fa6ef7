// SGD with momentum, dampening, Nesterov and weight decay (PyTorch's rules); the Optimizer
// base is in optimizer.cpp.
#include <cmath>

#include "autograd/parallel.hpp"
#include "nn/optim.hpp"

namespace gatgrad::nn {

// ---- SGD ----

namespace {

void check_sgd(double momentum, double weight_decay, double dampening, bool nesterov) {
  if (!(momentum >= 0.0) || !std::isfinite(momentum)) throw Error("sgd: invalid momentum " + std::to_string(momentum));
  if (!(weight_decay >= 0.0) || !std::isfinite(weight_decay))
    throw Error("sgd: invalid weight_decay " + std::to_string(weight_decay));
  if (!std::isfinite(dampening)) throw Error("sgd: invalid dampening " + std::to_string(dampening));
  if (nesterov && (momentum <= 0.0 || dampening != 0.0))
    throw Error("sgd: nesterov momentum requires a momentum and zero dampening");
}

}  // namespace

SGD::SGD(std::vector<Tensor> params, double lr, double momentum, double weight_decay, double dampening, bool nesterov)
    : Optimizer("sgd", std::move(params), lr,
                momentum != 0.0 ? std::vector<std::string>{"momentum_buffer"} : std::vector<std::string>{}),
      momentum_(momentum),
      weight_decay_(weight_decay),
      dampening_(dampening),
      nesterov_(nesterov) {
  check_sgd(momentum, weight_decay, dampening, nesterov);
}

Hyperparameters SGD::hyperparameters() const {
  return {{"lr", lr_}, {"momentum", momentum_}, {"dampening", dampening_}, {"weight_decay", weight_decay_},
          {"nesterov", nesterov_ ? 1.0 : 0.0}};
}

void SGD::set_hyperparameters(const Hyperparameters& h) {
  check_hyper_names(h, {"lr", "momentum", "dampening", "weight_decay", "nesterov"});
  const double lr = hyper(h, "lr"), momentum = hyper(h, "momentum"), dampening = hyper(h, "dampening"),
               weight_decay = hyper(h, "weight_decay"), nesterov = hyper(h, "nesterov");
  if (nesterov != 0.0 && nesterov != 1.0) throw Error("sgd: nesterov must be 0 or 1, got " + std::to_string(nesterov));
  check_sgd(momentum, weight_decay, dampening, nesterov == 1.0);
  // The momentum buffer exists only when momentum != 0: switching it on or off would change
  // the state's layout.
  if ((momentum != 0.0) != (momentum_ != 0.0))
    throw Error("sgd: cannot switch momentum between zero and non-zero (" + std::to_string(momentum_) + " -> " +
                std::to_string(momentum) + "): the state has a different layout");
  if (!(lr >= 0.0) || !std::isfinite(lr)) throw Error("sgd: invalid learning rate " + std::to_string(lr));
  lr_ = lr;
  momentum_ = momentum;
  dampening_ = dampening;
  weight_decay_ = weight_decay;
  nesterov_ = nesterov == 1.0;
}

// Elementwise, PyTorch's _single_tensor_sgd:
//   d_p = grad + wd * p;  buf = first ? d_p : momentum * buf + (1 - dampening) * d_p
//   d_p = nesterov ? d_p + momentum * buf : buf;  p = p - lr * d_p
void SGD::update(size_t i, const Tensor& p, const Tensor& g, int64_t t) {
  const bool first = t == 1, use_momentum = momentum_ != 0.0;
  Tensor buf = use_momentum ? buffer(0, i) : Tensor();
  dispatch(p.dtype(), [&]<class T>() {
    T* pp = p.data<T>();
    const T* gp = g.data<T>();
    T* bp = use_momentum ? buf.data<T>() : nullptr;
    const T lr = static_cast<T>(lr_), wd = static_cast<T>(weight_decay_), mom = static_cast<T>(momentum_),
            keep = static_cast<T>(1.0 - dampening_);
    const bool decay = weight_decay_ != 0.0, nesterov = nesterov_;
    // Loop-invariant branches: the compiler unswitches them and vectorises each variant.
    parallel_blocks(p.numel(), kBlock, [&](int64_t begin, int64_t end) {
      for (int64_t k = begin; k < end; ++k) {
        T d = gp[k];
        if (decay) d = d + wd * pp[k];
        if (bp) {
          const T b = first ? d : mom * bp[k] + keep * d;
          bp[k] = b;
          d = nesterov ? d + mom * b : b;
        }
        pp[k] = pp[k] - lr * d;
      }
    });
  });
}

}  // namespace gatgrad::nn
