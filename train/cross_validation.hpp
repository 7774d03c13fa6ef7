/// @file
/// K-fold cross-validation of graph classification (the protocol of Errica et al. 2020, "A Fair
/// Comparison of Graph Neural Networks for Graph Classification", and of the issue's PyG
/// reference): for each fold f of stratified_folds(classes, K, seed) (models/graph_folds.hpp),
/// a fresh GraphClassifier (the model configuration's seed) and Adam are trained by the loop
/// (train/loop.hpp) on the fold's training graphs with the early stopping of
/// accuracy_early_stopping on its validation graphs, and tested on its test graphs at the kept
/// parameters. The score is the mean of the K test accuracies and their standard deviation
/// (population, NumPy's np.std, as the papers report).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "models/graph_classifier.hpp"
#include "models/node_data.hpp"
#include "models/presets.hpp"
#include "nn/optim.hpp"
#include "train/loop.hpp"

namespace gatgrad {

/// The rule of graph classification's references: keep the parameters of a better validation
/// accuracy (ties: a lower validation loss), stop after `patience` epochs without one.
/// state.best_accuracy / best_loss are the kept epoch's.
StopVerdict accuracy_early_stopping(TrainState& state, const Evaluation& val, const TrainConfig& config);

struct CrossValidation {
  std::vector<TrainResult> folds;  ///< fold by fold, each at its kept parameters
  double mean_test_accuracy = 0, std_test_accuracy = 0;
  double epoch_ms_median = 0;      ///< median of every fold's epochs' step time
};

/// The mean and standard deviation of the folds' test accuracies (and the median epoch time).
CrossValidation summarize_folds(std::vector<TrainResult> folds);

/// The summary of a cross-validation of `folds` folds as a JSON object, the one gat-train's
/// --metrics-json and the Python module's GraphClassifier.fit() both give: folds,
/// mean_test_accuracy, std_test_accuracy, fold by fold test_accuracy, val_accuracy, best_epoch
/// and epochs_run, then epoch_ms_median and train_seconds (summed over the folds).
std::string cv_summary_json(const CrossValidation& cv, int64_t folds);

/// One fold's training as it starts: a fresh model (the configuration's seed), make_optimizer's
/// Adam, an empty state (train/loop.hpp). An interrupted fold restores all three.
struct FoldTraining {
  FoldTraining(const GATConfig& model_config, const TrainConfig& config);
  GraphClassifier model;
  nn::Adam optimizer;
  TrainState state;
};

/// What cross_validate lets its caller do around each fold (every member optional). `fold` is
/// 0-based; `results` are the folds' results so far, in fold order.
struct FoldHooks {
  /// Before the fold's first epoch, with its fresh model, optimiser and state (and the results of
  /// the folds before it): an interrupted fold is restored into them here.
  std::function<void(int64_t fold, FoldTraining& run, const std::vector<TrainResult>& results)> start;
  /// The loop's hooks for the fold (its progress, checkpoints and stop flag).
  std::function<TrainHooks(int64_t fold, FoldTraining& run, const std::vector<TrainResult>& results)> loop;
  /// After the fold, its result the last of `results`; the model at its kept parameters unless
  /// the stop flag interrupted it (result.interrupted: the run ends there, to be saved as it is).
  std::function<void(int64_t fold, FoldTraining& run, const std::vector<TrainResult>& results)> done;
};

/// Runs the K folds of the file comment on `data` (graphs with graph_labels), one after the
/// other, from fold done.size(): `done` are the results of the folds before it (an interrupted
/// run's, empty for a new run). Throws TrainingDiverged from a fold whose loss became NaN or
/// infinite.
CrossValidation cross_validate(const NodeData& data, const GATConfig& model, const TrainConfig& config, int64_t folds,
                               const FoldHooks& hooks = {}, std::vector<TrainResult> done = {});

}  // namespace gatgrad
