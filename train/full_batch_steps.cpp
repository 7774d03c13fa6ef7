// Full-batch training: one step per epoch over the whole graph (see full_batch_steps.hpp).
#include "train/full_batch_steps.hpp"

#include <cmath>

#include "autograd/tape.hpp"
#include "graph/node_order.hpp"
#include "train/evaluate.hpp"
#include "train/node_loss.hpp"
#include "train/step_gradient.hpp"

namespace gatgrad {

NodeData full_batch_layout(const NodeData& data, const TrainConfig& config) {
  if (config.node_order == "rcm") return renumber_nodes(data, rcm_order(data.graph));
  return data;  // (a copy of handles: the tensors and the graph are shared)
}

FullBatchSteps::FullBatchSteps(GAT& model, const NodeData& data, const TrainConfig& config)
    : model_(model), data_(full_batch_layout(data, config)), config_(config) {
  if (data_.neighbors) throw Error("FullBatchSteps: the data is prepared for sampling, not for one full batch");
  if (data_.train_rows.empty()) throw Error("FullBatchSteps: no training rows");
}

StepStats FullBatchSteps::next_step(uint64_t) {
  return step_gradient(model_.parameters(), 1, [&](int64_t) {
    model_.train();
    const Tensor logits = model_.forward(data_.x, data_.graph, data_.edge_attr);
    const Tensor loss = loss_at_rows(logits, data_, data_.train_rows);
    StepStats s;
    s.loss = loss.item();
    s.num_seeds = static_cast<int64_t>(data_.train_rows.size());
    s.num_edges = data_.graph.num_edges();
    if (std::isfinite(s.loss)) backward(loss);  // (on a NaN the loop stops, and frees the tape)
    s.accuracy = score_at_rows(logits, data_, data_.train_rows);
    return s;
  });
}

Evaluation FullBatchSteps::evaluate(Split split) {
  return gatgrad::evaluate(model_, data_, rows_of(data_, split), config_.eval_chunk);
}

const char* FullBatchSteps::score_name() const { return node_score_name(data_); }

}  // namespace gatgrad
