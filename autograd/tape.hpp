/// @file
/// The tape: every differentiable op appends a record (its name, its output, and a closure that
/// knows the inputs) as it runs. The records are therefore already in topological order, and
/// backward() is a reverse loop over them: each closure reads d loss / d output and *adds*
/// d loss / d input into the inputs' gradients (so a tensor used twice gets the sum).
/// The tape owns the closures and what they saved; backward() frees them.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "autograd/tensor.hpp"

namespace gatgrad {

/// Called with d loss / d output (same shape and dtype as the output).
using BackwardFn = std::function<void(const Tensor& grad_output)>;

struct TapeRecord {
  const char* op;  ///< the op's plain name, for tape dumps and error messages
  Tensor output;
  BackwardFn backward;
};

/// True when ops should record: grad mode is on (no NoGradGuard alive on this thread).
bool grad_enabled();

/// While alive, ops record nothing on this thread (evaluation, optimiser updates).
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

/// True when an op on these inputs must record: grad mode is on and one input requires grad.
bool any_requires_grad(std::initializer_list<const Tensor*> inputs);
bool any_requires_grad(const std::vector<Tensor>& inputs);

/// Append a record: marks `output` as requiring grad and remembers the closure.
/// @param op        the op's name; a string literal (it is kept, not copied)
/// @param output    the tensor the op produced
/// @param backward  called by backward() with d loss / d output; adds into the inputs' gradients
void record(const char* op, const Tensor& output, BackwardFn backward);

/// Called after each record's backward closure ran (for teaching tools and debugging).
using BackwardObserver = std::function<void(const TapeRecord& record)>;

/// Reverse-mode sweep from `loss`. A scalar loss is seeded with 1; a non-scalar needs `seed`
/// (d something / d loss, same shape). Replays the whole tape of this thread, then frees it.
/// Gradients are kept for the leaves (tensors no recorded op produced: parameters, inputs);
/// an intermediate tensor's gradient is freed once its record ran, as in PyTorch, unless an
/// observer is passed (it sees every gradient).
/// @param loss     the tensor to differentiate; it must require grad
/// @param seed     d something / d loss, for a non-scalar `loss` (leave undefined for a scalar)
/// @param observe  if set, called after each record's closure ran (tape-demo prints with it)
/// @throws Error when `loss` does not require grad, its tape was already freed, or a non-scalar
///         `loss` comes without a matching `seed`
void backward(const Tensor& loss, const Tensor& seed = Tensor(), const BackwardObserver& observe = nullptr);

/// The records on this thread's tape, in recording order (read-only; for dumps and teaching).
const std::vector<TapeRecord>& tape_records();

/// Forget every record without running backward (frees saved tensors).
void tape_clear();
size_t tape_size();                      ///< number of records on this thread's tape
std::vector<std::string> tape_op_names();  ///< in recording order, for dumps and tests

}  // namespace gatgrad
