#include "models/trainer.hpp"

#include <chrono>
#include <cmath>
#include <memory>

#include <tbb/task_arena.h>

#include "autograd/ops.hpp"
#include "autograd/tape.hpp"
#include "io/json.hpp"
#include "models/graph_batches.hpp"
#include "models/layerwise.hpp"
#include "models/minibatch.hpp"
#include "nn/metrics.hpp"
#include "nn/optim.hpp"

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

// The rows as node ids of a sampler's seeds.
std::vector<int32_t> as_ids(const std::vector<int64_t>& rows) { return {rows.begin(), rows.end()}; }

// One process's mini-batch steps: the pipeline samples step t+1 while step t is computed.
class LocalSteps final : public MiniBatchSteps {
 public:
  LocalSteps(const NodeData& data, const TrainConfig& config, const GATConfig& model)
      : data_(data), config_(config),
        batches_(data, *data.neighbors, config, model.seed, model.add_self_loops, parse_edge_fill(model.edge_fill)) {}
  int64_t steps_per_epoch() const override { return batches_.steps_per_epoch(); }
  void start_epoch(int64_t epoch) override { batches_.start_epoch(epoch); }
  StepStats next_step(GAT& model, uint64_t steps_before) override {
    const Batch batch = batches_.next();  // and step t+1 is sampled meanwhile
    // isolated: this thread waits for its own kernels' tasks only, never runs the sampling task
    return tbb::this_task_arena::isolate(
        [&] { return batch_gradients(model, data_, batch, config_.micro_batches, steps_before); });
  }
  Evaluation evaluate(GAT& model, const std::vector<int64_t>& rows) override {
    return gatgrad::evaluate(model, data_, rows, config_.eval_chunk);
  }

 private:
  const NodeData& data_;
  const TrainConfig& config_;
  BatchPipeline batches_;
};

}  // namespace

Tensor loss_at_rows(const Tensor& logits, const NodeData& data, const std::vector<int64_t>& rows) {
  if (data.multilabel) return binary_cross_entropy_with_logits(logits, data.targets, rows);
  return cross_entropy(logits, data.labels, rows);
}

double score_at_rows(const Tensor& logits, const NodeData& data, const std::vector<int64_t>& rows) {
  if (data.multilabel) return nn::micro_f1(logits, data.targets, rows);
  return nn::accuracy(logits, data.labels, rows);
}

TrainingDiverged::TrainingDiverged(int64_t epoch_, const std::string& loss_, double value_, int64_t best_epoch_)
    : Error("training diverged at epoch " + std::to_string(epoch_) + ": " + loss_ + " loss is " +
            non_finite_name(value_)),
      epoch(epoch_),
      loss(loss_),
      value(value_),
      best_epoch(best_epoch_) {}

Evaluation evaluate(GAT& model, const NodeData& data, const std::vector<int64_t>& rows, int64_t eval_chunk) {
  if (data.num_graphs > 0 && !data.neighbors) return evaluate_by_graph(model, data, rows);
  if (data.neighbors) {
    const std::vector<int32_t> ids = as_ids(rows);
    const Tensor logits = layerwise_logits(model, data.x, *data.neighbors, ids, eval_chunk, data.edge_attr);
    NoGradGuard no_grad;
    return Evaluation{loss_of_rows(logits, data, ids).item(), score_of_rows(logits, data, ids)};
  }
  const bool was_training = model.is_training();
  model.eval();
  NoGradGuard no_grad;
  Tensor logits = model.forward(data.x, data.graph, data.edge_attr);
  Evaluation e{loss_at_rows(logits, data, rows).item(), score_at_rows(logits, data, rows)};
  model.train(was_training);
  return e;
}

void restore_parameters(const nn::Module& m, const std::vector<Tensor>& saved) {
  std::vector<Tensor> params = m.parameters();
  if (params.size() != saved.size()) throw Error("restore_parameters: the saved set does not match the model");
  for (size_t i = 0; i < params.size(); ++i) params[i].copy_from(saved[i]);
}

std::string TrainState::to_json() const {
  Json j;
  j["epoch"] = epoch;
  j["best_accuracy"] = best_accuracy;
  j["best_loss"] = std::isfinite(best_loss) ? Json(best_loss) : Json(nullptr);
  j["waited"] = waited;
  j["best_epoch"] = best_epoch;
  Json h = Json::array();
  for (const EpochStats& s : history)
    h.push_back({s.epoch, s.train_loss, s.train_accuracy, s.val_loss, s.val_accuracy, s.step_ms});
  j["history"] = h;  // [epoch, train_loss, train_accuracy, val_loss, val_accuracy, step_ms]
  return j.dump();
}

TrainState TrainState::from_json(const std::string& text, const std::string& source) {
  TrainState s;
  try {
    const Json j = Json::parse(text);
    s.epoch = j.at("epoch").get<int64_t>();
    s.best_accuracy = j.at("best_accuracy").get<double>();
    s.best_loss = j.at("best_loss").is_null() ? INFINITY : j.at("best_loss").get<double>();
    s.waited = j.at("waited").get<int64_t>();
    s.best_epoch = j.at("best_epoch").get<int64_t>();
    for (const auto& row : j.at("history")) {
      EpochStats e;
      e.epoch = row.at(0).get<int64_t>();
      e.train_loss = row.at(1).get<double>();
      e.train_accuracy = row.at(2).get<double>();
      e.val_loss = row.at(3).get<double>();
      e.val_accuracy = row.at(4).get<double>();
      e.step_ms = row.at(5).get<double>();
      s.history.push_back(e);
    }
  } catch (const std::exception& e) {
    throw DataError(source + ": not a valid training state: " + e.what());
  }
  if (s.epoch < 0 || static_cast<int64_t>(s.history.size()) != s.epoch)
    throw DataError(source + ": the training state's epoch count and history disagree");
  return s;
}

nn::Adam make_optimizer(const std::vector<Tensor>& params, const TrainConfig& config) {
  return nn::Adam(params, config.lr, config.beta1, config.beta2, config.eps, config.weight_decay);
}

TrainResult train_node_classifier(GAT& model, const NodeData& data, const TrainConfig& config,
                                  const TrainHooks& hooks) {
  nn::Adam optimizer = make_optimizer(model.parameters(), config);
  TrainState state;
  return train_node_classifier(model, data, config, optimizer, state, hooks);
}

TrainResult train_node_classifier(GAT& model, const NodeData& data, const TrainConfig& config,
                                  nn::Optimizer& optimizer, TrainState& state, const TrainHooks& hooks,
                                  MiniBatchSteps* steps) {
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  config.validate_for(model.config());
  if (config.mini_batch() && !data.neighbors)
    throw Error("train_node_classifier: mini-batch training needs data prepared for sampling (GraphUse::sampling)");
  TrainResult result;
  if (state.kept.empty()) state.kept = snapshot(model);
  if (config.graph_batches() && data.num_graphs == 0)
    throw UsageError("graphs_per_batch: the data holds one graph (a dataset of many has graph_index.npy)");
  std::unique_ptr<MiniBatchSteps> local;
  if (config.mini_batch() && !steps) local = std::make_unique<LocalSteps>(data, config, model.config());
  if (config.graph_batches() && !steps) local = std::make_unique<GraphBatchSteps>(data, config, model.config().seed);
  if (local) steps = local.get();
  MiniBatchSteps* const runner = config.mini_batch() || config.graph_batches() ? steps : nullptr;
  auto evaluate_rows = [&](const std::vector<int64_t>& rows) {
    return runner ? runner->evaluate(model, rows) : evaluate(model, data, rows, config.eval_chunk);
  };

  while (state.epoch < config.max_epochs) {
    const int64_t epoch = state.epoch + 1;
    EpochStats s;
    s.epoch = epoch;
    // A NaN or infinite loss: stop before stepping on its gradients, back at the kept model,
    // with the tape freed as backward() would have (it holds this epoch's forward pass).
    auto diverged = [&](const char* which, double value) {
      tape_clear();
      restore_parameters(model, state.kept);
      return TrainingDiverged(epoch, which, value, state.best_epoch);
    };
    const auto t0 = clock::now();
    if (!runner) {
      // One training step: forward with dropout, backward, Adam.
      model.train();
      optimizer.zero_grad();
      Tensor logits = model.forward(data.x, data.graph, data.edge_attr);
      Tensor loss = loss_at_rows(logits, data, data.train_rows);
      s.train_loss = loss.item();
      if (!std::isfinite(s.train_loss)) throw diverged("train", s.train_loss);
      backward(loss);
      optimizer.step();
      s.step_ms = std::chrono::duration<double, std::milli>(clock::now() - t0).count();
      s.train_accuracy = score_at_rows(logits, data, data.train_rows);
    } else {
      // ceil(T / B) steps; the epoch's loss and score are the steps' weighted by their sizes.
      const int64_t steps = runner->steps_per_epoch();
      const double T = static_cast<double>(data.train_rows.size());
      runner->start_epoch(epoch);
      for (int64_t t = 0; t < steps; ++t) {
        const StepStats step = runner->next_step(model, static_cast<uint64_t>((epoch - 1) * steps + t));
        if (!std::isfinite(step.loss)) throw diverged("train", step.loss);
        tbb::this_task_arena::isolate([&] { optimizer.step(); });
        const double w = static_cast<double>(step.num_seeds) / T;
        s.train_loss += w * step.loss;
        s.train_accuracy += w * step.accuracy;
        if (hooks.on_step) hooks.on_step(epoch, t + 1, steps);
      }
      s.step_ms = std::chrono::duration<double, std::milli>(clock::now() - t0).count();
    }
    const Evaluation val = evaluate_rows(data.val_rows);
    // The step made the parameters NaN or huge: a NaN loss compares false with everything and
    // an infinite one equals the initial best_loss, so neither may reach the early stopping.
    if (!std::isfinite(val.loss)) throw diverged("validation", val.loss);
    s.val_loss = val.loss;
    s.val_accuracy = val.accuracy;
    state.history.push_back(s);
    state.epoch = epoch;

    // The authors' early stopping.
    bool out_of_patience = false;
    if (val.accuracy >= state.best_accuracy || val.loss <= state.best_loss) {
      if (val.accuracy >= state.best_accuracy && val.loss <= state.best_loss) {
        state.kept = snapshot(model);
        state.best_epoch = epoch;
      }
      state.best_accuracy = std::max(state.best_accuracy, val.accuracy);
      state.best_loss = std::min(state.best_loss, val.loss);
      state.waited = 0;
    } else if (++state.waited >= config.patience) {
      out_of_patience = true;
    }
    if (hooks.on_epoch) hooks.on_epoch(s);
    if (out_of_patience) {
      result.stopped_early = true;
      break;
    }
    if (hooks.stop && hooks.stop->load() && state.epoch < config.max_epochs) {
      result.interrupted = true;
      break;
    }
  }
  result.best_epoch = state.best_epoch;
  result.epochs_run = state.epoch;
  result.history = state.history;
  result.train_seconds = std::chrono::duration<double>(clock::now() - start).count();
  if (result.interrupted) return result;  // the caller saves the state as it is
  restore_parameters(model, state.kept);
  result.val = evaluate_rows(data.val_rows);
  result.test = evaluate_rows(data.test_rows);
  return result;
}

}  // namespace gatgrad
