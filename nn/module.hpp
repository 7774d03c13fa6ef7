/// @file
/// Module: the base of every layer and model. It owns named parameters (leaf tensors with
/// requires_grad) and named submodules, and lists them recursively with dotted names
/// ("conv1.weight") in registration order. It also owns named RNG counters (a Dropout's stream
/// position), so a checkpoint can resume a training run exactly.
///
/// There is no virtual forward: each layer has the forward signature it needs
/// (Linear::forward(x), a GAT layer's forward(x, graph)). Nothing here runs per element.
///
///   class TwoLayer : public nn::Module {
///    public:
///     TwoLayer() { fc1 = register_module("fc1", std::make_shared<nn::Linear>(4, 8, true, 1));
///                  fc2 = register_module("fc2", std::make_shared<nn::Linear>(8, 2, true, 2)); }
///     Tensor forward(const Tensor& x) { return fc2->forward(relu(fc1->forward(x))); }
///     std::shared_ptr<nn::Linear> fc1, fc2;
///   };
///   model.named_parameters()  ->  fc1.weight, fc1.bias, fc2.weight, fc2.bias
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "autograd/tape.hpp"
#include "autograd/tensor.hpp"

namespace gatgrad::nn {

class Module {
 public:
  Module() = default;
  virtual ~Module() = default;
  /// Layers keep pointers into themselves (counters) and are shared by pointer: no copies.
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // ---- registration (names: letters, digits, '_' and '-'; unique within this module) ----
  /// Marks `tensor` requires_grad and stores it. It must be a leaf (not the output of a recorded
  /// op). Returns the stored handle (it shares data with `tensor`).
  /// @throws Error when the name is invalid or taken, or `tensor` is undefined or not a leaf
  Tensor register_parameter(const std::string& name, Tensor tensor);
  /// Adds a submodule; throws Error if that would make a cycle.
  template <class M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    add_child(name, module);
    return module;
  }
  /// A uint64 that belongs to the module's state but is not a tensor (a dropout stream's
  /// counter). `counter` must live as long as the module (a member of the derived class).
  void register_counter(const std::string& name, uint64_t* counter);

  // ---- listing (recursive, dotted names, registration order) ----
  /// A tensor registered in two places (a shared submodule) is listed once, under its first name.
  std::vector<std::pair<std::string, Tensor>> named_parameters() const;
  std::vector<Tensor> parameters() const;
  Tensor parameter(const std::string& dotted_name) const;  ///< throws Error when absent
  int64_t num_parameters() const;                          ///< total elements over parameters()
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_children() const;  ///< direct only
  std::vector<std::pair<std::string, uint64_t>> named_counters() const;                 ///< recursive
  void set_counter(const std::string& dotted_name, uint64_t value);  ///< throws Error when absent

  // ---- modes and gradients ----
  void train(bool on = true);  ///< this module and every submodule
  void eval() { train(false); }
  bool is_training() const { return training_; }
  void zero_grad();  ///< forgets every parameter's gradient (PyTorch's set_to_none)

 private:
  /// One registration, in order: exactly one of the three members is set.
  struct Entry {
    std::string name;
    Tensor parameter;
    std::shared_ptr<Module> child;
    uint64_t* counter = nullptr;
  };
  void add_child(const std::string& name, std::shared_ptr<Module> child);
  void check_new_name(const char* what, const std::string& name) const;
  bool reaches(const Module* target) const;  ///< true when target is this or below
  template <class Visit>
  void walk(const std::string& prefix, Visit&& visit) const;

  std::vector<Entry> entries_;
  bool training_ = true;
};

/// Evaluation mode for a scope (PyTorch's `model.eval()` under `torch.no_grad()`): while alive,
/// `model` runs without dropout and ops record nothing; on leaving, the model is back in the
/// mode it had (training or not), also when an exception leaves the scope.
///   { nn::EvalMode eval(model); logits = model.forward(x, g); }
class EvalMode {
 public:
  explicit EvalMode(Module& model) : model_(model), was_training_(model.is_training()) { model.eval(); }
  ~EvalMode() { model_.train(was_training_); }
  EvalMode(const EvalMode&) = delete;
  EvalMode& operator=(const EvalMode&) = delete;

 private:
  Module& model_;
  bool was_training_;
  NoGradGuard no_grad_;
};

}  // namespace gatgrad::nn
