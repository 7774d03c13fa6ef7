/// @file
/// Optimisers: SGD, Adam and AdamW, each step matching PyTorch's update rule (torch.optim,
/// single-tensor implementation, maximize=False) so a run can be compared with a PyTorch one.
///
///   nn::Adam opt(model.parameters(), /*lr=*/0.005, kAdamBeta1, kAdamBeta2, kAdamEps, /*weight_decay=*/5e-4);
///   for (epoch ...) { opt.zero_grad(); backward(loss(model.forward(x), y)); opt.step(); }
///
/// step() runs under NoGradGuard; a parameter without a gradient (none accumulated since the
/// last zero_grad) is skipped and its state does not move, as in PyTorch (so each parameter
/// keeps its own step count, used by Adam's bias correction). Updates are elementwise, in fixed
/// blocks run in parallel (bit-identical for any thread count); Adam's loop is written on xsimd
/// batches.
///
/// State, for checkpoints and exact resume: per parameter, the buffers named by state_names()
/// ("momentum_buffer" for SGD with momentum, "exp_avg" and "exp_avg_sq" for Adam/AdamW), created
/// at the parameter's first update; export_state() / import_state() copy all of it, with the
/// step counts and the hyper-parameters (PyTorch's load_state_dict restores those too).
///
/// The base class is implemented at the top of nn/sgd.cpp; Adam and AdamW in nn/adam.cpp.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "autograd/tensor.hpp"

namespace gatgrad::nn {

using Hyperparameters = std::vector<std::pair<std::string, double>>;  ///< ("lr", 0.005), ...

/// torch.optim.Adam's defaults, the GAT authors' too: Adam's and AdamW's constructors, and
/// TrainConfig (models/presets.hpp), start from these.
inline constexpr double kAdamBeta1 = 0.9;
inline constexpr double kAdamBeta2 = 0.999;
inline constexpr double kAdamEps = 1e-8;

/// Everything an optimiser needs to continue exactly where it stopped.
struct OptimizerState {
  std::string type;                    ///< "sgd", "adam", "adamw"
  int64_t step_count = 0;              ///< calls of step()
  Hyperparameters hyperparameters;     ///< all of them, in the optimiser's order
  std::vector<int64_t> param_steps;    ///< [param] updates applied to each parameter
  std::vector<std::string> buffer_names;     ///< state_names()
  std::vector<std::vector<Tensor>> buffers;  ///< [buffer][param]; undefined while param_steps == 0
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  void step();       ///< one update of every parameter that has a gradient
  void zero_grad();  ///< forgets every parameter's gradient

  const std::string& type() const { return type_; }
  const std::vector<Tensor>& params() const { return params_; }
  int64_t step_count() const { return step_count_; }
  int64_t param_step(size_t param) const;  ///< updates applied to params()[param]

  double lr() const { return lr_; }
  void set_lr(double lr);  ///< for schedules; throws Error when negative or not finite

  // ---- state by name ----
  const std::vector<std::string>& state_names() const { return state_names_; }
  /// The live buffer (not a copy) of params()[param]; undefined before its first update.
  Tensor state(const std::string& name, size_t param) const;
  virtual Hyperparameters hyperparameters() const = 0;
  /// Sets every hyper-parameter (all names, exactly); throws Error and changes nothing when a
  /// name is missing or unknown or a value is invalid.
  virtual void set_hyperparameters(const Hyperparameters& h) = 0;

  /// Deep copy of the whole state.
  OptimizerState export_state() const;
  /// Validates everything (type, names, shapes, dtypes, counts, hyper-parameter values), then
  /// copies; throws Error and changes nothing on any mismatch.
  void import_state(const OptimizerState& s);

 protected:
  Optimizer(std::string type, std::vector<Tensor> params, double lr, std::vector<std::string> state_names);
  /// p -= update(grad, state) for params()[i]; t = this parameter's step count (1 on its first
  /// update, when its buffers are fresh zeros). Runs under NoGradGuard; g has p's shape/dtype.
  virtual void update(size_t i, const Tensor& p, const Tensor& g, int64_t t) = 0;
  /// Value of `name` in h (throws Error naming the optimiser when absent) and checks that h
  /// holds nothing but `names`.
  double hyper(const Hyperparameters& h, const std::string& name) const;
  void check_hyper_names(const Hyperparameters& h, const std::vector<std::string>& names) const;
  Tensor& buffer(size_t b, size_t param) { return buffers_[b][param]; }

  double lr_;

 private:
  std::string type_;
  std::vector<Tensor> params_;
  std::vector<std::string> state_names_;
  std::vector<std::vector<Tensor>> buffers_;  ///< [buffer][param]
  std::vector<int64_t> param_steps_;
  int64_t step_count_ = 0;
};

/// SGD with momentum (PyTorch's torch.optim.SGD):
///   g = grad + wd p
///   b = g on the first update, else momentum b + (1 - dampening) g       (when momentum != 0)
///   g = nesterov ? g + momentum b : b
///   p = p - lr g
class SGD : public Optimizer {
 public:
  SGD(std::vector<Tensor> params, double lr, double momentum = 0.0, double weight_decay = 0.0,
      double dampening = 0.0, bool nesterov = false);
  Hyperparameters hyperparameters() const override;  ///< lr momentum dampening weight_decay nesterov
  void set_hyperparameters(const Hyperparameters& h) override;

 protected:
  void update(size_t i, const Tensor& p, const Tensor& g, int64_t t) override;

 private:
  double momentum_, weight_decay_, dampening_;
  bool nesterov_;
};

/// Adam (PyTorch's torch.optim.Adam) with L2 weight decay added to the gradient, as the GAT
/// paper trained:
///   g = grad + wd p
///   m = lerp(m, g, 1 - beta1)            (= beta1 m + (1 - beta1) g)
///   v = beta2 v + (1 - beta2) g²
///   p = p - lr / (1 - beta1^t) · m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
class Adam : public Optimizer {
 public:
  Adam(std::vector<Tensor> params, double lr = 1e-3, double beta1 = kAdamBeta1, double beta2 = kAdamBeta2,
       double eps = kAdamEps, double weight_decay = 0.0);
  Hyperparameters hyperparameters() const override;  ///< lr beta1 beta2 eps weight_decay
  void set_hyperparameters(const Hyperparameters& h) override;

 protected:
  Adam(std::string type, std::vector<Tensor> params, double lr, double beta1, double beta2, double eps,
       double weight_decay);
  void update(size_t i, const Tensor& p, const Tensor& g, int64_t t) override;
  double beta1_, beta2_, eps_, weight_decay_;
};

/// AdamW (PyTorch's torch.optim.AdamW): decoupled decay p = p (1 - lr wd) first, then the Adam
/// update above without the L2 term. PyTorch's default weight_decay is 0.01.
class AdamW : public Adam {
 public:
  AdamW(std::vector<Tensor> params, double lr = 1e-3, double beta1 = kAdamBeta1, double beta2 = kAdamBeta2,
        double eps = kAdamEps, double weight_decay = 1e-2);

 protected:
  void update(size_t i, const Tensor& p, const Tensor& g, int64_t t) override;
};

}  // namespace gatgrad::nn
