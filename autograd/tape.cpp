#include "autograd/tape.hpp"

#include "autograd/profile.hpp"

namespace gatgrad {
namespace {

struct Tape {
  std::vector<TapeRecord> records;
  uint64_t generation = 1;  // bumped whenever the tape is freed
  bool grad_enabled = true;
};

Tape& tape() {
  thread_local Tape t;
  return t;
}

}  // namespace

bool grad_enabled() { return tape().grad_enabled; }

NoGradGuard::NoGradGuard() : previous_(tape().grad_enabled) { tape().grad_enabled = false; }
NoGradGuard::~NoGradGuard() { tape().grad_enabled = previous_; }

bool any_requires_grad(std::initializer_list<const Tensor*> inputs) {
  if (!grad_enabled()) return false;
  for (const Tensor* t : inputs)
    if (t->defined() && t->requires_grad()) return true;
  return false;
}

bool any_requires_grad(const std::vector<Tensor>& inputs) {
  if (!grad_enabled()) return false;
  for (const Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

void record(const char* op, const Tensor& output, BackwardFn backward) {
  Tape& t = tape();
  TensorImpl& impl = output.impl();
  impl.requires_grad = true;
  impl.recorded = true;
  impl.tape_generation = t.generation;
  t.records.push_back(TapeRecord{op, output, std::move(backward)});
  if (profile::enabled()) profile::detail::forward_record(op);
}

void tape_clear() {
  Tape& t = tape();
  t.records.clear();
  t.generation++;
}

size_t tape_size() { return tape().records.size(); }

const std::vector<TapeRecord>& tape_records() { return tape().records; }

std::vector<std::string> tape_op_names() {
  std::vector<std::string> names;
  for (const TapeRecord& r : tape().records) names.emplace_back(r.op);
  return names;
}

void backward(const Tensor& loss, const Tensor& seed, const BackwardObserver& observe) {
  Tape& t = tape();
  if (!loss.defined()) throw Error("backward: the loss is an undefined tensor");
  if (!loss.requires_grad())
    throw Error("backward: " + loss.describe() +
                " does not require grad (no input of the ops that made it requires grad, or it "
                "was computed under NoGradGuard)");
  if (loss.impl().recorded && loss.impl().tape_generation != t.generation)
    throw Error("backward: the tape that recorded " + loss.describe() +
                " was already freed by an earlier backward() or tape_clear(); run the forward "
                "pass again before calling backward a second time");
  if (seed.defined()) {
    if (seed.shape() != loss.shape() || seed.dtype() != loss.dtype())
      throw Error("backward: seed gradient " + seed.describe() + " does not match output " +
                  loss.describe());
    Tensor g = loss.grad_accum();
    g.copy_from(seed);
  } else {
    if (loss.numel() != 1)
      throw Error("backward: output " + loss.describe() +
                  " is not a scalar; pass a seed gradient of the same shape");
    loss.set_grad(Tensor::full(loss.shape(), 1.0, loss.dtype()));
  }
  // Replay in reverse. Records whose output received no gradient contribute nothing.
  // An op's output is an intermediate value: once its record ran, nothing reads its gradient
  // again, so the slot is emptied first and the closure gets the only handle (it may adopt the
  // buffer for an input instead of copying it; see detail::accumulate_grad). With an observer
  // the gradients stay, for it to look at. Without one, a record is dropped once it ran (or
  // was skipped): nothing reads it again, so the tensors its closure saved and its output go
  // back to the buffer pool while the backward goes on, and the earlier records' gradients
  // reuse them (a step's peak is then not every activation plus every gradient).
  for (auto it = t.records.rbegin(); it != t.records.rend(); ++it) {
    if (observe) {
      if (!it->output.has_grad()) continue;
      it->backward(it->output.grad());
      observe(*it);
      continue;
    }
    if (it->output.has_grad()) {
      const Tensor dy = it->output.grad();
      it->output.zero_grad();
      const profile::Scope timed(it->op, profile::Phase::backward);
      it->backward(dy);
    }
    it->backward = nullptr;
    it->output = Tensor();
  }
  tape_clear();
}

}  // namespace gatgrad
