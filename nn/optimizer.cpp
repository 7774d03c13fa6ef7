// The Optimizer base: parameters, per-parameter step counts, named state, export/import.
// The update rules live in sgd.cpp and adam.cpp.
#include <cmath>
#include <unordered_set>

#include "autograd/profile.hpp"
#include "autograd/tape.hpp"
#include "nn/optim.hpp"

namespace gatgrad::nn {

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
  const profile::Scope timed(type_.c_str(), profile::Phase::optimizer);
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

}  // namespace gatgrad::nn
