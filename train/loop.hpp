/// @file
/// The training loop, for every mode and task (its steps, train/steps.hpp), as the GAT authors
/// ran it (execute_cora.py):
///   each epoch: the steps (each: its gradient, then the optimiser's step); then the validation
///   loss and score without dropout; the early stopping rule decides whether to keep these
///   parameters and whether to stop (the authors' by default:
///     if val_score >= best_score and val_loss <= best_loss: keep these parameters;
///     if either improved: update the bests and reset the patience counter; otherwise count one;
///     stop after `patience` epochs without improvement);
///   after max_epochs or the stop: restore the kept parameters, evaluate validation and test there.
/// A NaN or infinite training or validation loss stops the loop at once (TrainingDiverged):
/// nothing is trained on it, and it never becomes the best model.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "autograd/error.hpp"
#include "models/presets.hpp"
#include "nn/module.hpp"
#include "nn/optim.hpp"
#include "train/steps.hpp"
#include "train/train_state.hpp"

namespace gatgrad {

struct TrainResult {
  int64_t best_epoch = 0;  ///< epoch whose parameters were kept
  int64_t epochs_run = 0;
  Evaluation val, test;    ///< at the kept parameters
  std::vector<EpochStats> history;
  double train_seconds = 0;
  /// The process's CPU time (every thread's) in the epochs' steps, evaluation apart, and how many
  /// steps ran: CPU per step, which a loaded machine stretches far less than the wall time.
  double step_cpu_seconds = 0;
  int64_t steps_run = 0;
  bool stopped_early = false;  ///< the early stopping rule stopped the run
  bool interrupted = false;    ///< the stop flag was raised

  /// A finished run's result (a cross-validation's fold in gat-train's resume state,
  /// train/train_state.cpp); not `interrupted`.
  std::string to_json() const;
  /// Throws DataError naming `source` on a missing or mistyped field.
  static TrainResult from_json(const std::string& json, const std::string& source);
};

struct TrainHooks {
  std::function<void(const EpochStats&)> on_epoch;  ///< after each epoch's evaluation
  /// After each epoch the run goes on from: neither the last (max_epochs) nor one the early
  /// stopping ended on, so a state saved here (gat-train --checkpoint-every) resumes into more
  /// epochs exactly as the run continues. Called after on_epoch, with the state of that epoch.
  std::function<void(const TrainState&)> between_epochs;
  /// After step `step` (1-based) of `steps` of epoch `epoch`.
  std::function<void(int64_t epoch, int64_t step, int64_t steps)> on_step;
  const std::atomic<bool>* stop = nullptr;          ///< checked after each epoch
};

/// What an early stopping rule decides after an epoch's validation.
struct StopVerdict {
  bool keep = false;  ///< keep the parameters of this epoch (the best so far)
  bool stop = false;  ///< end the run now
};
/// An early stopping rule: it reads and updates the bests and the patience counter of `state`
/// (state.epoch is the epoch just evaluated).
using EarlyStopping = std::function<StopVerdict(TrainState& state, const Evaluation& val, const TrainConfig& config)>;
/// The GAT authors' rule of the file comment (a task whose score is better when larger, and
/// whose loss is better when smaller, may use it as it is).
StopVerdict authors_early_stopping(TrainState& state, const Evaluation& val, const TrainConfig& config);

/// Thrown by the loop when a loss becomes NaN or infinite: the training loss of a step (checked
/// before the optimiser steps on it) or the validation loss after an epoch (parameters the steps
/// made NaN or huge). Training stops at once, and the model is restored to the kept parameters,
/// those of `best_epoch` (0: the initial ones), which only an epoch with a finite validation
/// loss can have set.
///   what(): "training diverged at epoch 37: train loss is nan"
struct TrainingDiverged : Error {
  TrainingDiverged(int64_t epoch, const std::string& loss, double value, int64_t best_epoch);
  int64_t epoch;       ///< 1-based, the epoch whose loss is not finite
  std::string loss;    ///< "train" or "validation"
  double value;        ///< NaN, +Inf or -Inf
  int64_t best_epoch;  ///< the epoch of the parameters the model was restored to
};

/// Runs epochs of `steps` with `optimizer` (over steps.model()'s parameters) from `state` (a
/// fresh one, or one saved by an interrupted run, with the model and optimiser restored too)
/// until config.max_epochs or the rule stops it; on return the model holds the kept parameters.
/// When the stop flag ends the run early, result.interrupted is set and neither the model nor
/// `state` is rolled back to the kept parameters: save them, then resume later.
/// On TrainingDiverged the model holds state.kept, `state` ends at the last good epoch (the
/// diverged one is not in its history), and the optimiser's state is not to be trusted.
TrainResult train(Steps& steps, nn::Optimizer& optimizer, TrainState& state, const TrainConfig& config,
                  const TrainHooks& hooks = {}, const EarlyStopping& stopping = authors_early_stopping);

/// The model's parameters set to `saved` (in model.parameters() order).
void restore_parameters(const nn::Module& model, const std::vector<Tensor>& saved);

}  // namespace gatgrad
