// The training loop's hooks (train/loop.hpp's TrainHooks) as every task's fit uses them from
// Python: after each epoch, on_epoch(dict) runs under the GIL; after each epoch and mini-batch
// step, Ctrl-C is checked. A Python exception there (KeyboardInterrupt included) raises the stop
// flag: the loop ends after that epoch, and the caller raises the exception again once the
// model holds the parameters it should keep.
#pragma once
#include <atomic>
#include <functional>
#include <optional>
#include <string>

#include "bindings.hpp"
#include "train/loop.hpp"

namespace gatgrad::python {

/// One epoch's statistics as a dict; `score` names the validation score (accuracy, auc).
inline py::dict epoch_dict(const EpochStats& s, const std::string& score = "accuracy") {
  py::dict e;
  e["epoch"] = s.epoch;
  e["train_loss"] = s.train_loss;
  e["train_accuracy"] = s.train_accuracy;
  e["val_loss"] = s.val_loss;
  e[py::str("val_" + score)] = s.val_accuracy;
  e["step_ms"] = s.step_ms;
  return e;
}

class PythonHooks {
 public:
  /// on_epoch: None or a callable taking epoch_dict(stats, score) (and `extra` merged in).
  PythonHooks(py::object on_epoch, std::string score) : on_epoch_(std::move(on_epoch)), score_(std::move(score)) {}

  /// The hooks for train(); `extra` adds keys to each epoch's dict (a fold's number).
  TrainHooks hooks(std::function<void(py::dict&)> extra = {}) {
    TrainHooks h;
    h.stop = &stop_;
    h.on_epoch = [this, extra](const EpochStats& s) {
      call([&] {
        if (on_epoch_.is_none()) return;
        py::dict d = epoch_dict(s, score_);
        if (extra) extra(d);
        on_epoch_(d);
      });
    };
    h.on_step = [this](int64_t, int64_t, int64_t) { call([] {}); };
    return h;
  }
  /// Whether a Python exception stopped the loop.
  bool raised() const { return raised_.has_value(); }
  /// Raises it again (call with the GIL held).
  void rethrow() {
    if (raised_) throw *raised_;
  }

 private:
  template <class F>
  void call(F&& f) {  // from the loop's thread, the GIL released by the caller
    py::gil_scoped_acquire gil;
    if (raised_) return;
    try {
      f();
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();
    } catch (py::error_already_set& e) {
      raised_ = std::move(e);
      stop_ = true;
    }
  }

  py::object on_epoch_;
  std::string score_;
  std::atomic<bool> stop_{false};
  std::optional<py::error_already_set> raised_;
};

}  // namespace gatgrad::python
