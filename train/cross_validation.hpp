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
#include <vector>

#include "models/graph_classifier.hpp"
#include "models/node_data.hpp"
#include "models/presets.hpp"
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

/// Runs the K folds of the file comment on `data` (graphs with graph_labels), one after the
/// other; on_fold(f, result, model) after fold f (0-based), the model at its kept parameters.
/// hooks apply to every fold's loop. Throws TrainingDiverged from a fold whose loss became NaN
/// or infinite.
using FoldDone = std::function<void(int64_t fold, const TrainResult& result, const GraphClassifier& model)>;
CrossValidation cross_validate(const NodeData& data, const GATConfig& model, const TrainConfig& config, int64_t folds,
                               const TrainHooks& hooks = {}, const FoldDone& on_fold = {});

}  // namespace gatgrad
