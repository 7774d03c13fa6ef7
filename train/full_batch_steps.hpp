/// @file
/// Full-batch training, the paper's setting (the GAT authors' execute_cora.py, PyG's
/// Planetoid examples): one step per epoch, the forward over the whole graph with dropout, the
/// loss over every training row:
///   ∇ = ∇ loss(model(x, graph), training rows)    computed whole, from zero
/// The dropout masks are the model's next ones (its counters move one position per forward).
/// Evaluation: train/evaluate.hpp for the data (one forward; graph by graph for many graphs).
/// Both run on full_batch_layout's data: the caller's, or its nodes renumbered for locality
/// (TrainConfig::node_order). Weights and metrics do not name nodes, so nothing outside the
/// steps sees the numbering.
#pragma once
#include <string>

#include "models/gat.hpp"
#include "models/node_data.hpp"
#include "models/presets.hpp"
#include "train/steps.hpp"

namespace gatgrad {

/// The data as full-batch training lays it out: `data` itself for node_order "input", renumbered
/// by rcm_order (graph/node_order.hpp) for "rcm". The one place that reads node_order.
NodeData full_batch_layout(const NodeData& data, const TrainConfig& config);

class FullBatchSteps final : public Steps {
 public:
  /// model and config outlive the steps; data is prepared for full batch (the steps keep their
  /// layout of it, full_batch_layout).
  FullBatchSteps(GAT& model, const NodeData& data, const TrainConfig& config);
  nn::Module& model() override { return model_; }
  int64_t steps_per_epoch() const override { return 1; }
  void start_epoch(int64_t) override {}
  StepStats next_step(uint64_t steps_before) override;
  Evaluation evaluate(Split split) override;
  const char* score_name() const override;
  std::string describe() const override { return ""; }

 private:
  GAT& model_;
  const NodeData data_;
  const TrainConfig& config_;
};

}  // namespace gatgrad
