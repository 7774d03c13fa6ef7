// Stratified K-fold cross-validation of graph classification (cross_validation.hpp).
#include "train/cross_validation.hpp"

#include <algorithm>
#include <cmath>

#include "models/graph_classifier.hpp"
#include "models/graph_folds.hpp"
#include "train/make_steps.hpp"
#include "train/trainer.hpp"

namespace gatgrad {

StopVerdict accuracy_early_stopping(TrainState& state, const Evaluation& val, const TrainConfig& config) {
  StopVerdict v;
  if (val.accuracy > state.best_accuracy || (val.accuracy == state.best_accuracy && val.loss < state.best_loss)) {
    state.best_accuracy = val.accuracy;
    state.best_loss = val.loss;
    state.waited = 0;
    v.keep = true;
  } else if (++state.waited >= config.patience) {
    v.stop = true;
  }
  return v;
}

CrossValidation summarize_folds(std::vector<TrainResult> folds) {
  CrossValidation cv;
  cv.folds = std::move(folds);
  const auto k = static_cast<double>(cv.folds.size());
  std::vector<double> epoch_ms;
  double sum = 0, sq = 0;
  for (const TrainResult& r : cv.folds) {
    sum += r.test.accuracy;
    for (const EpochStats& e : r.history) epoch_ms.push_back(e.step_ms);
  }
  cv.mean_test_accuracy = k > 0 ? sum / k : 0.0;
  for (const TrainResult& r : cv.folds) sq += (r.test.accuracy - cv.mean_test_accuracy) * (r.test.accuracy - cv.mean_test_accuracy);
  cv.std_test_accuracy = k > 0 ? std::sqrt(sq / k) : 0.0;
  if (!epoch_ms.empty()) {
    std::nth_element(epoch_ms.begin(), epoch_ms.begin() + static_cast<int64_t>(epoch_ms.size() / 2), epoch_ms.end());
    cv.epoch_ms_median = epoch_ms[epoch_ms.size() / 2];
  }
  return cv;
}

CrossValidation cross_validate(const NodeData& data, const GATConfig& model_config, const TrainConfig& config,
                               int64_t k, const TrainHooks& hooks, const FoldDone& on_fold) {
  const std::vector<GraphFold> folds = stratified_folds(data.graph_labels, data.num_classes, k, model_config.seed);
  std::vector<TrainResult> results;
  for (int64_t f = 0; f < k; ++f) {
    GraphClassifier model(model_config);
    nn::Adam optimizer = make_optimizer(model.parameters(), config);
    TrainState state;
    const std::unique_ptr<Steps> steps = make_steps(model, data, config, folds[static_cast<size_t>(f)]);
    results.push_back(train(*steps, optimizer, state, config, hooks, accuracy_early_stopping));
    if (on_fold) on_fold(f, results.back(), model);
    if (results.back().interrupted) break;
  }
  return summarize_folds(std::move(results));
}

}  // namespace gatgrad
