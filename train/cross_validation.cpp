// Stratified K-fold cross-validation of graph classification (cross_validation.hpp).
#include "train/cross_validation.hpp"

#include <xtensor/xadapt.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xsort.hpp>

#include "io/json.hpp"
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

// Over the K folds' test accuracies a_f: mean, and the population standard deviation
// sqrt(Σ_f (a_f - mean)² / K) (NumPy's np.std, as the papers report it); the median step time.
CrossValidation summarize_folds(std::vector<TrainResult> folds) {
  CrossValidation cv;
  cv.folds = std::move(folds);
  if (cv.folds.empty()) return cv;
  std::vector<double> accuracy, epoch_ms;
  for (const TrainResult& r : cv.folds) {
    accuracy.push_back(r.test.accuracy);
    for (const EpochStats& e : r.history) epoch_ms.push_back(e.step_ms);
  }
  cv.mean_test_accuracy = xt::mean(xt::adapt(accuracy))();
  cv.std_test_accuracy = xt::stddev(xt::adapt(accuracy))();
  if (!epoch_ms.empty()) cv.epoch_ms_median = xt::median(xt::adapt(epoch_ms));
  return cv;
}

std::string cv_summary_json(const CrossValidation& cv, int64_t folds) {
  Json j;
  j["folds"] = folds;
  j["mean_test_accuracy"] = cv.mean_test_accuracy;
  j["std_test_accuracy"] = cv.std_test_accuracy;
  Json test = Json::array(), val = Json::array(), best = Json::array(), run = Json::array();
  double seconds = 0;
  for (const TrainResult& r : cv.folds) {
    test.push_back(r.test.accuracy);
    val.push_back(r.val.accuracy);
    best.push_back(r.best_epoch);
    run.push_back(r.epochs_run);
    seconds += r.train_seconds;
  }
  j["test_accuracy"] = test;
  j["val_accuracy"] = val;
  j["best_epoch"] = best;
  j["epochs_run"] = run;
  j["epoch_ms_median"] = cv.epoch_ms_median;
  j["train_seconds"] = seconds;
  return j.dump();
}

FoldTraining::FoldTraining(const GATConfig& model_config, const TrainConfig& config)
    : model(model_config), optimizer(make_optimizer(model.parameters(), config)) {}

CrossValidation cross_validate(const NodeData& data, const GATConfig& model_config, const TrainConfig& config,
                               int64_t k, const FoldHooks& hooks, std::vector<TrainResult> results) {
  const std::vector<GraphFold> folds = stratified_folds(data.graph_labels, data.num_classes, k, model_config.seed);
  for (auto f = static_cast<int64_t>(results.size()); f < k; ++f) {
    FoldTraining run(model_config, config);
    if (hooks.start) hooks.start(f, run, results);
    const TrainHooks loop = hooks.loop ? hooks.loop(f, run, results) : TrainHooks{};
    const std::unique_ptr<Steps> steps = make_steps(run.model, data, config, folds[static_cast<size_t>(f)]);
    results.push_back(train(*steps, run.optimizer, run.state, config, loop, accuracy_early_stopping));
    if (hooks.done) hooks.done(f, run, results);
    if (results.back().interrupted) break;
  }
  return summarize_folds(std::move(results));
}

}  // namespace gatgrad
