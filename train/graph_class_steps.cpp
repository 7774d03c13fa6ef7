// Graph classification's steps over a fold (graph_class_steps.hpp).
#include "train/graph_class_steps.hpp"

#include <algorithm>
#include <cmath>
#include <span>

#include "autograd/ops.hpp"
#include "nn/metrics.hpp"
#include "train/graph_batches.hpp"
#include "train/minibatch.hpp"
#include "train/step_gradient.hpp"

namespace gatgrad {

namespace {

// The logits [G, C] of `graphs` (one batch: their nodes, induced graph and batch vector) and
// their classes.
struct GraphBatch {
  NodeData data;
  std::vector<int64_t> labels;
};

GraphBatch batch_of(const NodeData& data, std::span<const int32_t> graphs) {
  GraphBatch b{select_graphs(data, graphs), {}};
  for (int32_t g : graphs) b.labels.push_back(data.graph_labels[static_cast<size_t>(g)]);
  return b;
}

Tensor logits_of(GraphClassifier& model, const GraphBatch& b) {
  return model.forward(b.data.x, b.data.graph, b.data.edge_attr, b.data.graph_index, b.data.num_graphs);
}

}  // namespace

GraphClassSteps::GraphClassSteps(GraphClassifier& model, const NodeData& data, const TrainConfig& config, GraphFold fold)
    : model_(model), data_(data), graphs_per_batch_(config.graphs_per_batch), seed_(model.config().seed),
      fold_(std::move(fold)) {
  if (data.num_graphs <= 0 || static_cast<int64_t>(data.graph_labels.size()) != data.num_graphs)
    throw Error("GraphClassSteps: the data needs graphs (graph_index) and one class per graph (graph_labels)");
  if (graphs_per_batch_ < 1) throw Error("GraphClassSteps: the training configuration has no graphs_per_batch");
  if (fold_.train.empty() || fold_.val.empty() || fold_.test.empty())
    throw Error("GraphClassSteps: the fold needs training, validation and test graphs");
}

int64_t GraphClassSteps::steps_per_epoch() const {
  const auto t = static_cast<int64_t>(fold_.train.size());
  return (t + graphs_per_batch_ - 1) / graphs_per_batch_;
}

void GraphClassSteps::start_epoch(int64_t epoch) {
  const std::vector<int64_t> train(fold_.train.begin(), fold_.train.end());
  order_ = shuffle_rows(train, seed_, epoch);
  next_ = 0;
}

StepStats GraphClassSteps::next_step(uint64_t steps_before) {
  const auto t = static_cast<int64_t>(order_.size());
  const int64_t begin = next_ * graphs_per_batch_, end = std::min(t, begin + graphs_per_batch_);
  if (begin >= t) throw Error("GraphClassSteps: the epoch has only " + std::to_string(steps_per_epoch()) + " steps");
  ++next_;
  const GraphBatch batch =
      batch_of(data_, std::span<const int32_t>(order_).subspan(static_cast<size_t>(begin), static_cast<size_t>(end - begin)));
  return step_gradient(model_.parameters(), 1, [&](int64_t) {
    model_.train();
    model_.set_dropout_position(steps_before);
    const Tensor logits = logits_of(model_, batch);       // [G, C]
    const Tensor loss = cross_entropy(logits, batch.labels);  // mean over the batch's graphs
    StepStats s;
    s.loss = loss.item();
    s.accuracy = nn::accuracy(logits, batch.labels);
    s.num_seeds = static_cast<int64_t>(batch.labels.size());
    s.num_edges = batch.data.graph.num_edges();
    if (std::isfinite(s.loss)) backward(loss);  // (on a NaN the loop stops, and frees the tape)
    return s;
  });
}

Evaluation GraphClassSteps::evaluate(Split split) {
  const std::vector<int32_t>& graphs = split == Split::train ? fold_.train : split == Split::val ? fold_.val : fold_.test;
  nn::EvalMode eval(model_);
  double loss_sum = 0, correct = 0;
  for (size_t begin = 0; begin < graphs.size(); begin += kEvalGraphs) {
    const size_t count = std::min<size_t>(kEvalGraphs, graphs.size() - begin);
    const GraphBatch b = batch_of(data_, std::span<const int32_t>(graphs).subspan(begin, count));
    const Tensor logits = logits_of(model_, b);
    const double n = static_cast<double>(count);
    loss_sum += n * cross_entropy(logits, b.labels).item();
    correct += std::round(n * nn::accuracy(logits, b.labels));
  }
  const double n = static_cast<double>(graphs.size());
  return Evaluation{loss_sum / n, correct / n};
}

std::string GraphClassSteps::describe() const {
  std::string line = "batches of ";
  line.append(std::to_string(graphs_per_batch_)).append(" graphs, ").append(std::to_string(steps_per_epoch()));
  return line.append(" steps per epoch; ")
      .append(std::to_string(fold_.train.size()))
      .append(" training, ")
      .append(std::to_string(fold_.val.size()))
      .append(" validation, ")
      .append(std::to_string(fold_.test.size()))
      .append(" test graphs");
}

}  // namespace gatgrad
