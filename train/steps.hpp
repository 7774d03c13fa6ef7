/// @file
/// The steps of a training run: the one interface every mode implements (full batch
/// (FullBatchSteps), sampled mini-batches (SampledSteps), batches of whole graphs
/// (GraphBatchSteps), MPI ranks (dist::DistributedSteps)) and every task may implement, and all
/// that the loop (train/loop.hpp) knows of how a model is trained. make_steps
/// (train/make_steps.hpp) is the one place that picks the implementation for a configuration.
///
///   epoch e:  start_epoch(e), then steps_per_epoch() times:
///               next_step(t)   the step's gradient ∇ left in the model's parameters' gradients
///                              (train/step_gradient.hpp), its loss and score returned
///               optimiser step (the loop's)
///             evaluate(Split::val)   loss and score in evaluation mode, for the early stopping
/// PyG and DGL leave this loop to the user's script; Lightning's LightningModule
/// (training_step, validation_step) is the nearest equivalent.
#pragma once
#include <cstdint>
#include <string>

#include "nn/module.hpp"

namespace gatgrad {

/// The loss and score of one trained step, for the epoch's statistics (and the benchmarks' counts).
struct StepStats {
  double loss = 0;        ///< the step's mean loss: Σ_m (n_m / n) loss_m over its parts
  double accuracy = 0;    ///< its score weighted the same way (the task's: accuracy, micro-F1, ...)
  int64_t num_seeds = 0;  ///< n: the examples (training rows) its loss averages over
  int64_t num_edges = 0;  ///< edges its forward passes attended over (a mini-batch's sampled edges, no self-loops added)
  double wait_ms = 0;     ///< time it waited for its data (a pipeline not ready yet)
};

/// Loss and score of a split, in evaluation mode (no dropout, no tape).
struct Evaluation {
  double loss = 0;
  double accuracy = 0;  ///< the task's score: accuracy; micro-F1 for multi-label data
};

/// Which rows (nodes, edges, graphs: the task's examples) an evaluation scores.
enum class Split { train, val, test };

class Steps {
 public:
  virtual ~Steps() = default;
  /// The model being trained: the loop keeps and restores its parameters.
  virtual nn::Module& model() = 0;
  virtual int64_t steps_per_epoch() const = 0;
  /// Starts epoch `epoch` (1-based).
  virtual void start_epoch(int64_t epoch) = 0;
  /// The epoch's next step, in order: its gradient left in the model's parameters' gradients
  /// (step_gradient's contract). `steps_before` counts the run's steps before this one (the
  /// dropout masks' position). A non-finite loss is returned, not thrown: the loop stops on it.
  virtual StepStats next_step(uint64_t steps_before) = 0;
  /// The split's loss and score in evaluation mode; the same bits however the steps run.
  virtual Evaluation evaluate(Split split) = 0;
  /// The score's short name in outputs: "acc", "f1", "auc", ...
  virtual const char* score_name() const = 0;
  /// One line on how the steps cut an epoch, for the run's log; "" when there is nothing to say.
  virtual std::string describe() const = 0;
};

}  // namespace gatgrad
