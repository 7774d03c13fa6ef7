// The Optimizer base (parameters, step counts, named state, export/import) and SGD.
#include <cmath>
#include <unordered_set>

#include "autograd/parallel.hpp"
#include "autograd/tape.hpp"
#include "nn/optim.hpp"

namespace gatgrad::nn {

// ---- Optimizer ----

Optimizer::Optimizer(std::string type, std::vector<Tensor> params, double lr, std::vector<std::string> state_names)
    : lr_(0.0), type_(std::move(type)), params_(std::move(params)), state_names_(std::move(state_names)) {
  if (params_.empty()) throw Error(type_ + ": got an empty parameter list");
  std::unordered_set<const TensorImpl*> seen;
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i];
    if (!p.defined()) throw Error(type_ + ": parameter " + std::to_string(i) + " is an undefined tensor");
    if (!seen.insert(p.impl_ptr().get()).second)
      throw Error(type_ + ": parameter " + std::to_string(i) + " (" + p.describe() + ") appears twice in the list");
  }
  set_lr(lr);
  buffers_.assign(state_names_.size(), std::vector<Tensor>(params_.size()));
  param_steps_.assign(params_.size(), 0);
}

void Optimizer::set_lr(double lr) {
  if (!(lr >= 0.0) || !std::isfinite(lr)) throw Error(type_ + ": invalid learning rate " + std::to_string(lr));
  lr_ = lr;
}

void Optimizer::step() {
  NoGradGuard no_grad;
  ++step_count_;
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i];
    if (!p.has_grad()) continue;  // no gradient: no update, no state change (as PyTorch)
    const Tensor g = p.grad();
    if (g.shape() != p.shape() || g.dtype() != p.dtype())
      throw Error(type_ + ": gradient " + g.describe() + " does not match parameter " + std::to_string(i) + " " +
                  p.describe());
    if (param_steps_[i] == 0)
      for (auto& per_param : buffers_) per_param[i] = Tensor::zeros(p.shape(), p.dtype());
    update(i, p, g, ++param_steps_[i]);
  }
}

void Optimizer::zero_grad() {
  for (const Tensor& p : params_) p.zero_grad();
}

int64_t Optimizer::param_step(size_t param) const {
  if (param >= params_.size())
    throw Error(type_ + ": parameter index " + std::to_string(param) + " out of range for " +
                std::to_string(params_.size()) + " parameters");
  return param_steps_[param];
}

Tensor Optimizer::state(const std::string& name, size_t param) const {
  param_step(param);  // range check
  for (size_t b = 0; b < state_names_.size(); ++b)
    if (state_names_[b] == name) return buffers_[b][param];
  std::string known;
  for (const std::string& s : state_names_) known += (known.empty() ? "" : ", ") + s;
  throw Error(type_ + ": no state named '" + name + "' (it has: " + (known.empty() ? "none" : known) + ")");
}

double Optimizer::hyper(const Hyperparameters& h, const std::string& name) const {
  for (const auto& [key, value] : h)
    if (key == name) return value;
  throw Error(type_ + ": hyper-parameter '" + name + "' is missing");
}

void Optimizer::check_hyper_names(const Hyperparameters& h, const std::vector<std::string>& names) const {
  std::unordered_set<std::string> seen;
  for (const auto& [key, value] : h) {
    bool known = false;
    for (const std::string& n : names) known = known || n == key;
    if (!known) throw Error(type_ + ": unknown hyper-parameter '" + key + "'");
    if (!seen.insert(key).second) throw Error(type_ + ": hyper-parameter '" + key + "' given twice");
  }
  for (const std::string& n : names) hyper(h, n);  // each one present
}

OptimizerState Optimizer::export_state() const {
  OptimizerState s;
  s.type = type_;
  s.step_count = step_count_;
  s.hyperparameters = hyperparameters();
  s.param_steps = param_steps_;
  s.buffer_names = state_names_;
  s.buffers.resize(buffers_.size());
  for (size_t b = 0; b < buffers_.size(); ++b)
    for (const Tensor& t : buffers_[b]) s.buffers[b].push_back(t.defined() ? t.clone() : Tensor());
  return s;
}

void Optimizer::import_state(const OptimizerState& s) {
  const std::string where = type_ + ": import_state: ";
  if (s.type != type_) throw Error(where + "the state is of a " + s.type + " optimiser, not " + type_);
  if (s.buffer_names != state_names_)
    throw Error(where + "the state's buffers do not match this optimiser's (" + std::to_string(s.buffer_names.size()) +
                " against " + std::to_string(state_names_.size()) + ")");
  if (s.param_steps.size() != params_.size() || s.buffers.size() != state_names_.size())
    throw Error(where + "the state is for " + std::to_string(s.param_steps.size()) + " parameters, this optimiser has " +
                std::to_string(params_.size()));
  if (s.step_count < 0) throw Error(where + "negative step count " + std::to_string(s.step_count));
  for (size_t i = 0; i < params_.size(); ++i) {
    if (s.param_steps[i] < 0 || s.param_steps[i] > s.step_count)
      throw Error(where + "parameter " + std::to_string(i) + " has step " + std::to_string(s.param_steps[i]) +
                  ", outside [0, " + std::to_string(s.step_count) + "]");
    for (size_t b = 0; b < state_names_.size(); ++b) {
      if (s.buffers[b].size() != params_.size())
        throw Error(where + "buffer " + state_names_[b] + " has " + std::to_string(s.buffers[b].size()) +
                    " entries for " + std::to_string(params_.size()) + " parameters");
      const Tensor& t = s.buffers[b][i];
      if (t.defined() != (s.param_steps[i] > 0))
        throw Error(where + state_names_[b] + " of parameter " + std::to_string(i) +
                    (t.defined() ? " is present but the parameter was never updated" : " is missing"));
      if (t.defined() && (t.shape() != params_[i].shape() || t.dtype() != params_[i].dtype()))
        throw Error(where + state_names_[b] + " of parameter " + std::to_string(i) + " is " + t.describe() +
                    ", the parameter is " + params_[i].describe());
    }
  }
  set_hyperparameters(s.hyperparameters);  // validates every value before setting any
  // Nothing below can fail.
  step_count_ = s.step_count;
  param_steps_ = s.param_steps;
  for (size_t b = 0; b < state_names_.size(); ++b)
    for (size_t i = 0; i < params_.size(); ++i) {
      const Tensor& t = s.buffers[b][i];
      buffers_[b][i] = t.defined() ? t.clone() : Tensor();
    }
}

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
