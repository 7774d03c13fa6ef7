// Sampled mini-batch steps in one process (see sampled_steps.hpp).
#include "train/sampled_steps.hpp"

#include <chrono>

#include <tbb/task_arena.h>

#include "train/evaluate.hpp"
#include "train/node_loss.hpp"

namespace gatgrad {

SampledSteps::SampledSteps(GAT& model, const NodeData& data, const TrainConfig& config)
    : model_(model), data_(data), config_(config),
      batches_(data, *data.neighbors, config, model.config().seed, model.config().add_self_loops,
               parse_edge_fill(model.config().edge_fill)) {}

StepStats SampledSteps::next_step(uint64_t steps_before) {
  const auto t0 = std::chrono::steady_clock::now();
  const Batch batch = batches_.next();  // and step t+1 is sampled meanwhile
  const double wait_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  // isolated: this thread waits for its own kernels' tasks only, never runs the sampling task
  StepStats s = tbb::this_task_arena::isolate(
      [&] { return batch_gradients(model_, data_, batch, config_.micro_batches, steps_before); });
  s.wait_ms = wait_ms;
  return s;
}

Evaluation SampledSteps::evaluate(Split split) {
  return gatgrad::evaluate(model_, data_, rows_of(data_, split), config_.eval_chunk);
}

const char* SampledSteps::score_name() const { return node_score_name(data_); }

std::string SampledSteps::describe() const { return describe_mini_batches(config_, steps_per_epoch()); }

}  // namespace gatgrad
