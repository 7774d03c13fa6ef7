/// @file
/// Graph classification's steps (GraphClassifier, models/graph_classifier.hpp), over one fold of
/// the graphs (models/graph_folds.hpp), as PyG's graph-classification examples train: a
/// DataLoader of the training graphs, shuffled each epoch, G graphs per batch:
///   order   = the fold's training graphs sorted by hash64(key(seed, epoch), graph)   (shuffle_rows)
///   batch t = order[t·G .. (t+1)·G)   (the last one shorter), t = 0 .. ceil(T / G) - 1
///   ∇_t     = ∇ mean_{m in batch t} CE(model(batch t)_m, y_m)   (one part, step_gradient)
/// Evaluation: the split's graphs (the fold's validation or test graphs) in batches of
/// kEvalGraphs, in id order: loss = the mean cross-entropy over the graphs, score = accuracy
/// (the fraction of graphs whose argmax is their class). The split `train` is the fold's
/// training graphs.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "models/graph_classifier.hpp"
#include "models/graph_folds.hpp"
#include "models/node_data.hpp"
#include "models/presets.hpp"
#include "train/steps.hpp"

namespace gatgrad {

class GraphClassSteps final : public Steps {
 public:
  /// Graphs per forward pass of an evaluation (memory, not results).
  static constexpr int64_t kEvalGraphs = 256;
  /// model, data and config must outlive the steps; data holds graphs (graph_index) and their
  /// classes (graph_labels); the model's seed orders the epochs.
  GraphClassSteps(GraphClassifier& model, const NodeData& data, const TrainConfig& config, GraphFold fold);
  nn::Module& model() override { return model_; }
  int64_t steps_per_epoch() const override;
  void start_epoch(int64_t epoch) override;
  StepStats next_step(uint64_t steps_before) override;
  Evaluation evaluate(Split split) override;
  const char* score_name() const override { return "acc"; }
  std::string describe() const override;

 private:
  GraphClassifier& model_;
  const NodeData& data_;
  int64_t graphs_per_batch_;
  uint64_t seed_;
  GraphFold fold_;
  std::vector<int32_t> order_;  // this epoch's
  int64_t next_ = 0;            // the epoch's next step
};

}  // namespace gatgrad
