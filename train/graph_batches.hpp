/// @file
/// Inductive training on many graphs (the GAT paper's PPI; PyG's DataLoader over a list of
/// graphs): an epoch is a pass over the training graphs in a shuffled order, G whole graphs per
/// step, and every step and evaluation sees the subgraph of its graphs alone:
///   order   = the training graphs sorted by hash64(key(seed, epoch), graph)    (shuffle_rows)
///   batch t = order[t·G .. (t+1)·G)   (the last one shorter), t = 0 .. ceil(T_g / G) - 1
///   ∇_t     = ∇ loss(model(x[nodes of batch t], their induced graph), their targets), computed
///             whole with the dropout masks of position (steps before this one) (step_gradient
///             of one part; the loss is train/node_loss.hpp's)
/// Evaluation runs graph by graph: loss = Σ_g n_g · loss_g / Σ_g n_g over the graphs holding the
/// rows, accuracy from the summed correct counts, micro-F1 from the summed TP, FP and FN, so it
/// equals one forward over all the graphs at once (edges never cross graphs).
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "models/gat.hpp"
#include "models/node_data.hpp"
#include "models/presets.hpp"
#include "train/steps.hpp"

namespace gatgrad {

/// The data of `graphs` alone: their nodes (graph by graph in the order given, each graph's in
/// ascending id), features, targets, the graph they induce (data.graph's edges between them, in
/// its order, with its self-loops) and its edge features; the split's rows that fall among them.
/// data must be prepared for full batch, with graphs (NodeData::num_graphs > 0). Error otherwise.
NodeData select_graphs(const NodeData& data, std::span<const int32_t> graphs);

/// The graphs that hold `rows`, ascending (each graph whole, by the masks' rule).
std::vector<int32_t> graphs_of_rows(const NodeData& data, std::span<const int64_t> rows);

/// evaluate() over `rows` graph by graph, as the file comment defines it.
Evaluation evaluate_by_graph(GAT& model, const NodeData& data, std::span<const int64_t> rows);

/// The steps of the file comment (TrainConfig::graphs_per_batch; make_steps makes them).
class GraphBatchSteps final : public Steps {
 public:
  /// model, data and config must outlive the steps; the model's seed orders the epochs.
  GraphBatchSteps(GAT& model, const NodeData& data, const TrainConfig& config);
  nn::Module& model() override { return model_; }
  int64_t steps_per_epoch() const override;
  void start_epoch(int64_t epoch) override;
  StepStats next_step(uint64_t steps_before) override;
  Evaluation evaluate(Split split) override;
  const char* score_name() const override;
  std::string describe() const override;

 private:
  GAT& model_;
  const NodeData& data_;
  int64_t graphs_per_batch_;
  uint64_t seed_;
  std::vector<int64_t> train_graphs_;
  std::vector<int32_t> order_;  // this epoch's
  int64_t next_ = 0;            // the epoch's next step
};

}  // namespace gatgrad
