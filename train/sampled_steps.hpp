/// @file
/// Sampled mini-batch training in one process (PyG's NeighborLoader, DGL's
/// DataLoader with a NeighborSampler): the steps of train/minibatch.hpp, the batch of step t+1
/// sampled by the BatchPipeline while step t is computed; evaluation layer-wise over whole
/// neighbourhoods (exact).
#pragma once
#include <string>

#include "models/gat.hpp"
#include "models/node_data.hpp"
#include "models/presets.hpp"
#include "train/minibatch.hpp"
#include "train/steps.hpp"

namespace gatgrad {

class SampledSteps final : public Steps {
 public:
  /// model, data (prepared for sampling) and config outlive the steps.
  SampledSteps(GAT& model, const NodeData& data, const TrainConfig& config);
  nn::Module& model() override { return model_; }
  int64_t steps_per_epoch() const override { return batches_.steps_per_epoch(); }
  void start_epoch(int64_t epoch) override { batches_.start_epoch(epoch); }
  StepStats next_step(uint64_t steps_before) override;
  Evaluation evaluate(Split split) override;
  const char* score_name() const override;
  std::string describe() const override;

 private:
  GAT& model_;
  const NodeData& data_;
  const TrainConfig& config_;
  BatchPipeline batches_;
};

}  // namespace gatgrad
