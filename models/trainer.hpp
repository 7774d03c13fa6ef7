/// @file
/// Training a node classifier the way the GAT authors did (execute_cora.py):
///   each epoch: one full-batch step (forward with dropout, backward, Adam), then evaluation of
///   the validation loss and accuracy without dropout; with TrainConfig::batch_size, the epoch
///   is instead ceil(T / B) mini-batch steps (models/minibatch.hpp) and the evaluation is
///   layer-wise over whole neighbourhoods (models/layerwise.hpp), exact; with
///   TrainConfig::graphs_per_batch, ceil(T_g / G) steps over batches of whole training graphs
///   (models/graph_batches.hpp), evaluated graph by graph;
///   if val_acc >= best_acc and val_loss <= best_loss: keep these parameters;
///   if either improved: update the bests and reset the patience counter; otherwise count one;
///   stop after `patience` epochs without improvement (or max_epochs), restore the kept
///   parameters, and report the test accuracy there.
/// A NaN or infinite training or validation loss stops the loop at once (TrainingDiverged):
/// nothing is trained on it, and it never becomes the best model.
#pragma once
#include <atomic>
#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "autograd/error.hpp"
#include "models/gat.hpp"
#include "models/minibatch.hpp"
#include "models/node_data.hpp"
#include "models/presets.hpp"
#include "nn/optim.hpp"

namespace gatgrad {

struct Evaluation {
  double loss = 0;
  double accuracy = 0;  ///< micro-F1 for multi-label data
};
/// The loss (scalar, on the tape) and the score (accuracy, or micro-F1 for multi-label data) of
/// `rows` of data, from the logits [N, C] of all of data's nodes.
Tensor loss_at_rows(const Tensor& logits, const NodeData& data, const std::vector<int64_t>& rows);
double score_at_rows(const Tensor& logits, const NodeData& data, const std::vector<int64_t>& rows);

/// Evaluation mode (no dropout, no tape) on the given rows: one forward over data.graph; for data
/// of many graphs (data.num_graphs > 0), one forward per graph holding rows (evaluate_by_graph);
/// for data prepared for sampling (data.neighbors), layer-wise inference in chunks of `eval_chunk`.
Evaluation evaluate(GAT& model, const NodeData& data, const std::vector<int64_t>& rows,
                    int64_t eval_chunk = TrainConfig{}.eval_chunk);

struct EpochStats {
  int64_t epoch = 0;  ///< 1-based
  double train_loss = 0, train_accuracy = 0;  ///< of the training step (with dropout)
  double val_loss = 0, val_accuracy = 0;
  double step_ms = 0;  ///< forward + backward + optimiser step (mini-batch: every step of the epoch)
};

struct TrainResult {
  int64_t best_epoch = 0;  ///< epoch whose parameters were kept
  int64_t epochs_run = 0;
  Evaluation val, test;    ///< at the kept parameters
  std::vector<EpochStats> history;
  double train_seconds = 0;
  bool stopped_early = false;  ///< patience ran out
  bool interrupted = false;    ///< the stop flag was raised
};

struct TrainHooks {
  std::function<void(const EpochStats&)> on_epoch;  ///< after each epoch's evaluation
  /// Mini-batch training: after step `step` (1-based) of `steps` of epoch `epoch`.
  std::function<void(int64_t epoch, int64_t step, int64_t steps)> on_step;
  const std::atomic<bool>* stop = nullptr;          ///< checked after each epoch
};

/// Everything the loop carries from one epoch to the next, so that an interrupted run can be
/// saved and continued bit for bit (with the model's parameters, its dropout counters and the
/// optimiser's state, which live in the model and the optimiser).
struct TrainState {
  int64_t epoch = 0;  ///< epochs completed
  double best_accuracy = -1.0;
  double best_loss = INFINITY;
  int64_t waited = 0;      ///< epochs since either best improved
  int64_t best_epoch = 0;  ///< epoch of the kept parameters
  std::vector<Tensor> kept;  ///< the kept parameters (model.parameters() order)
  std::vector<EpochStats> history;

  std::string to_json() const;  ///< everything but `kept`
  /// Throws DataError naming `source` on a missing or mistyped field.
  static TrainState from_json(const std::string& json, const std::string& source);
};

/// Thrown by train_node_classifier when a loss becomes NaN or infinite: the training loss of
/// an epoch's step (checked before the optimiser steps on it) or the validation loss after it
/// (parameters the step made NaN or huge). Training stops at once, and the model is restored
/// to the kept parameters, those of `best_epoch` (0: the initial ones), which only an epoch
/// with a finite validation loss can have set.
///   what(): "training diverged at epoch 37: train loss is nan"
struct TrainingDiverged : Error {
  TrainingDiverged(int64_t epoch, const std::string& loss, double value, int64_t best_epoch);
  int64_t epoch;       ///< 1-based, the epoch whose loss is not finite
  std::string loss;    ///< "train" or "validation"
  double value;        ///< NaN, +Inf or -Inf
  int64_t best_epoch;  ///< the epoch of the parameters the model was restored to
};

/// Where the steps of a mini-batch epoch and the evaluation run. One process uses the
/// BatchPipeline, batch_gradients and the layer-wise inference (what train_node_classifier does
/// when given none); dist/ runs the same step on several MPI ranks. Both follow the definition
/// of a step in models/minibatch.hpp, so the loop's result is the same bits with either.
class MiniBatchSteps {
 public:
  virtual ~MiniBatchSteps() = default;
  virtual int64_t steps_per_epoch() const = 0;
  /// Starts epoch `epoch` (1-based).
  virtual void start_epoch(int64_t epoch) = 0;
  /// The epoch's next step, in order: its gradient left in the model's parameters' gradients
  /// (batch_gradients' contract; steps_before as there). Returns its loss, score and size.
  virtual StepStats next_step(GAT& model, uint64_t steps_before) = 0;
  /// evaluate() of `rows` (layer-wise, exact).
  virtual Evaluation evaluate(GAT& model, const std::vector<int64_t>& rows) = 0;
};

/// The optimiser `config` describes (Adam with its lr, betas, eps and L2 weight decay) over `params`.
nn::Adam make_optimizer(const std::vector<Tensor>& params, const TrainConfig& config);

/// Trains `model` on `data` with make_optimizer(model.parameters(), config); on return the
/// model holds the kept (best) parameters. Mini-batch training (config.batch_size > 0) needs
/// data prepared with GraphUse::sampling.
/// Throws TrainingDiverged naming the epoch when a loss becomes NaN or infinite (after
/// restoring the kept parameters).
TrainResult train_node_classifier(GAT& model, const NodeData& data, const TrainConfig& config,
                                  const TrainHooks& hooks = {});

/// The same loop with the optimiser and the state in the caller's hands: start from a fresh
/// TrainState, or from one saved by an interrupted run (with the model and optimiser restored
/// too). When the stop flag ends the run early, result.interrupted is set and neither the model
/// nor `state` is rolled back to the kept parameters: save them, then resume later.
/// On TrainingDiverged the model holds state.kept, `state` ends at the last good epoch (the
/// diverged one is not in its history), and the optimiser's state is not to be trusted.
/// `steps`, when given, runs the mini-batch steps and every evaluation (dist/); by default
/// they run in this process.
TrainResult train_node_classifier(GAT& model, const NodeData& data, const TrainConfig& config,
                                  nn::Optimizer& optimizer, TrainState& state, const TrainHooks& hooks = {},
                                  MiniBatchSteps* steps = nullptr);

/// The model's parameters set to `saved` (in model.parameters() order).
void restore_parameters(const nn::Module& model, const std::vector<Tensor>& saved);

}  // namespace gatgrad
