/// @file
/// What the training loop carries from one epoch to the next, so that an interrupted run can be
/// saved and continued bit for bit (with the model's parameters, its dropout counters and the
/// optimiser's state, which live in the model and the optimiser); and each epoch's statistics.
#pragma once
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "autograd/tensor.hpp"

namespace gatgrad {

struct EpochStats {
  int64_t epoch = 0;  ///< 1-based
  double train_loss = 0, train_accuracy = 0;  ///< of the epoch's steps (with dropout), weighted by their sizes
  double val_loss = 0, val_accuracy = 0;
  double step_ms = 0;  ///< the epoch's steps: forward, backward and optimiser step of each
};

struct TrainState {
  int64_t epoch = 0;  ///< epochs completed
  double best_accuracy = -1.0;  ///< best validation score so far (the task's score)
  double best_loss = INFINITY;
  int64_t waited = 0;      ///< epochs since either best improved
  int64_t best_epoch = 0;  ///< epoch of the kept parameters
  std::vector<Tensor> kept;  ///< the kept parameters (model.parameters() order)
  std::vector<EpochStats> history;

  std::string to_json() const;  ///< everything but `kept`
  /// Throws DataError naming `source` on a missing or mistyped field.
  static TrainState from_json(const std::string& json, const std::string& source);
};

}  // namespace gatgrad
