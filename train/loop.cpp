// The training loop and the authors' early stopping (see loop.hpp).
#include "train/loop.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>

#include <tbb/task_arena.h>

#include "autograd/tape.hpp"

namespace gatgrad {

namespace {

// "nan", "inf" or "-inf" (std::to_string prints a NaN with its sign bit set as "-nan").
std::string non_finite_name(double v) {
  if (std::isnan(v)) return "nan";
  return v > 0 ? "inf" : "-inf";
}

// Copies of every parameter, to keep the best model and restore it.
std::vector<Tensor> snapshot(const nn::Module& m) {
  std::vector<Tensor> copy;
  for (const Tensor& p : m.parameters()) copy.push_back(p.clone());
  return copy;
}

// The CPU time of every thread of the process so far.
double process_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

TrainingDiverged::TrainingDiverged(int64_t epoch_, const std::string& loss_, double value_, int64_t best_epoch_)
    : Error("training diverged at epoch " + std::to_string(epoch_) + ": " + loss_ + " loss is " + non_finite_name(value_)),
      epoch(epoch_), loss(loss_), value(value_), best_epoch(best_epoch_) {}

void restore_parameters(const nn::Module& m, const std::vector<Tensor>& saved) {
  std::vector<Tensor> params = m.parameters();
  if (params.size() != saved.size()) throw Error("restore_parameters: the saved set does not match the model");
  for (size_t i = 0; i < params.size(); ++i) params[i].copy_from(saved[i]);
}

StopVerdict authors_early_stopping(TrainState& state, const Evaluation& val, const TrainConfig& config) {
  StopVerdict v;
  if (val.accuracy >= state.best_accuracy || val.loss <= state.best_loss) {
    v.keep = val.accuracy >= state.best_accuracy && val.loss <= state.best_loss;
    state.best_accuracy = std::max(state.best_accuracy, val.accuracy);
    state.best_loss = std::min(state.best_loss, val.loss);
    state.waited = 0;
  } else {
    v.stop = ++state.waited >= config.patience;
  }
  return v;
}

TrainResult train(Steps& steps, nn::Optimizer& optimizer, TrainState& state, const TrainConfig& config,
                  const TrainHooks& hooks, const EarlyStopping& stopping) {
  const auto start = std::chrono::steady_clock::now();
  nn::Module& model = steps.model();
  if (state.kept.empty()) state.kept = snapshot(model);
  TrainResult result;
  while (state.epoch < config.max_epochs && !result.stopped_early && !result.interrupted) {
    const int64_t epoch = state.epoch + 1, n = steps.steps_per_epoch();
    // A NaN or infinite loss: stop before stepping on its gradients, back at the kept model,
    // with the tape freed as backward() would have (it may hold the step's forward pass).
    auto diverged = [&](const char* which, double value) {
      tape_clear();
      restore_parameters(model, state.kept);
      return TrainingDiverged(epoch, which, value, state.best_epoch);
    };
    const auto t0 = std::chrono::steady_clock::now();
    const double cpu0 = process_cpu_seconds();
    std::vector<StepStats> done;
    int64_t seeds = 0;
    steps.start_epoch(epoch);
    for (int64_t t = 0; t < n; ++t) {
      done.push_back(steps.next_step(static_cast<uint64_t>((epoch - 1) * n + t)));
      if (!std::isfinite(done.back().loss)) throw diverged("train", done.back().loss);
      tbb::this_task_arena::isolate([&] { optimizer.step(); });
      seeds += done.back().num_seeds;
      if (hooks.on_step) hooks.on_step(epoch, t + 1, n);
    }
    EpochStats s;
    s.epoch = epoch;
    s.step_ms = ms_since(t0);
    result.step_cpu_seconds += process_cpu_seconds() - cpu0;
    result.steps_run += n;
    for (const StepStats& step : done) {  // the steps' loss and score weighted by their sizes
      const double w = static_cast<double>(step.num_seeds) / static_cast<double>(seeds);
      s.train_loss += w * step.loss;
      s.train_accuracy += w * step.accuracy;
    }
    const Evaluation val = steps.evaluate(Split::val);
    // Parameters made NaN or huge: a NaN loss compares false with everything and an infinite
    // one equals the initial best_loss, so neither may reach the early stopping.
    if (!std::isfinite(val.loss)) throw diverged("validation", val.loss);
    s.val_loss = val.loss;
    s.val_accuracy = val.accuracy;
    state.history.push_back(s);
    state.epoch = epoch;
    const StopVerdict verdict = stopping(state, val, config);
    if (verdict.keep) {
      state.kept = snapshot(model);
      state.best_epoch = epoch;
    }
    if (hooks.on_epoch) hooks.on_epoch(s);
    if (hooks.between_epochs && !verdict.stop && state.epoch < config.max_epochs) hooks.between_epochs(state);
    result.stopped_early = verdict.stop;
    result.interrupted = !verdict.stop && hooks.stop && hooks.stop->load() && state.epoch < config.max_epochs;
  }
  result.best_epoch = state.best_epoch;
  result.epochs_run = state.epoch;
  result.history = state.history;
  result.train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (result.interrupted) return result;  // the caller saves the state as it is
  restore_parameters(model, state.kept);
  result.val = steps.evaluate(Split::val);
  result.test = steps.evaluate(Split::test);
  return result;
}

}  // namespace gatgrad
