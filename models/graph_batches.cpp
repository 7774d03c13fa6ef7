// Batches of whole graphs, and the evaluation graph by graph (graph_batches.hpp).
#include "models/graph_batches.hpp"

#include <algorithm>

#include "autograd/ops.hpp"
#include "autograd/tape.hpp"
#include "graph/graph_index.hpp"
#include "nn/metrics.hpp"

namespace gatgrad {

namespace {

void check_graphs(const char* fn, const NodeData& data) {
  if (data.num_graphs <= 0) throw Error(std::string(fn) + ": the data holds one graph (no graph_index)");
  if (data.neighbors) throw Error(std::string(fn) + ": the data is prepared for sampling, not for whole graphs");
}

// Local positions of the rows that fall among the nodes mapped by `local` (-1: not selected).
std::vector<int64_t> local_rows(const std::vector<int64_t>& rows, const std::vector<int32_t>& local) {
  std::vector<int64_t> out;
  for (int64_t r : rows)
    if (local[static_cast<size_t>(r)] >= 0) out.push_back(local[static_cast<size_t>(r)]);
  std::sort(out.begin(), out.end());
  return out;
}

// The sum over graphs that evaluate_by_graph turns into an Evaluation.
struct Totals {
  double weighted_loss = 0;
  int64_t rows = 0, correct = 0;
  nn::F1Counts f1;
};

}  // namespace

NodeData select_graphs(const NodeData& data, std::span<const int32_t> graphs) {
  check_graphs("select_graphs", data);
  const int64_t n_all = static_cast<int64_t>(data.graph_index.size());
  std::vector<std::vector<int32_t>> members(graphs.size());
  std::vector<int32_t> position(static_cast<size_t>(data.num_graphs), -1);
  for (size_t k = 0; k < graphs.size(); ++k) {
    if (graphs[k] < 0 || graphs[k] >= data.num_graphs)
      throw Error("select_graphs: graph " + std::to_string(graphs[k]) + " is not in [0, " +
                  std::to_string(data.num_graphs) + ")");
    position[static_cast<size_t>(graphs[k])] = static_cast<int32_t>(k);
  }
  for (int64_t i = 0; i < n_all; ++i) {
    const int32_t k = position[static_cast<size_t>(data.graph_index[static_cast<size_t>(i)])];
    if (k >= 0) members[static_cast<size_t>(k)].push_back(static_cast<int32_t>(i));
  }
  std::vector<int32_t> nodes;  // global ids, graph by graph
  for (const auto& m : members) nodes.insert(nodes.end(), m.begin(), m.end());
  std::vector<int32_t> local(static_cast<size_t>(n_all), -1);
  for (size_t r = 0; r < nodes.size(); ++r) local[static_cast<size_t>(nodes[r])] = static_cast<int32_t>(r);

  // The induced graph, destination by destination in the new order, each one's edges in data.graph's.
  const std::span<const int64_t> ptr = data.graph.dst_ptr();
  const std::span<const int32_t> src = data.graph.src();
  std::vector<int64_t> sub_ptr{0};
  std::vector<int32_t> sub_src;
  std::vector<int64_t> edge_ids;
  for (int32_t i : nodes) {
    for (int64_t e = ptr[static_cast<size_t>(i)]; e < ptr[static_cast<size_t>(i) + 1]; ++e) {
      const int32_t j = local[static_cast<size_t>(src[static_cast<size_t>(e)])];
      if (j < 0) throw Error("select_graphs: edge " + std::to_string(e) + " crosses graphs");
      sub_src.push_back(j);
      edge_ids.push_back(e);
    }
    sub_ptr.push_back(static_cast<int64_t>(sub_src.size()));
  }
  NodeData out;
  const int64_t n = static_cast<int64_t>(nodes.size());
  out.x = gather_rows(data.x, nodes);
  out.graph = Graph::from_csr(std::move(sub_ptr), std::move(sub_src), n);
  if (data.edge_attr.defined()) out.edge_attr = index_select(data.edge_attr, edge_ids);
  out.num_classes = data.num_classes;
  out.multilabel = data.multilabel;
  const std::vector<int64_t> nodes64(nodes.begin(), nodes.end());
  if (data.multilabel) {
    out.targets = index_select(data.targets, nodes64);
  } else {
    for (int32_t i : nodes) out.labels.push_back(data.labels[static_cast<size_t>(i)]);
  }
  out.train_rows = local_rows(data.train_rows, local);
  out.val_rows = local_rows(data.val_rows, local);
  out.test_rows = local_rows(data.test_rows, local);
  for (const auto& m : members) out.graph_index.insert(out.graph_index.end(), m.size(), static_cast<int32_t>(out.num_graphs++));
  return out;
}

std::vector<int32_t> graphs_of_rows(const NodeData& data, std::span<const int64_t> rows) {
  check_graphs("graphs_of_rows", data);
  std::vector<uint8_t> holds(static_cast<size_t>(data.num_graphs), 0);
  for (int64_t r : rows) holds.at(static_cast<size_t>(data.graph_index.at(static_cast<size_t>(r)))) = 1;
  std::vector<int32_t> graphs;
  for (int64_t k = 0; k < data.num_graphs; ++k)
    if (holds[static_cast<size_t>(k)]) graphs.push_back(static_cast<int32_t>(k));
  return graphs;
}

Evaluation evaluate_by_graph(GAT& model, const NodeData& data, std::span<const int64_t> rows) {
  const std::vector<int64_t> wanted(rows.begin(), rows.end());
  const bool was_training = model.is_training();
  model.eval();
  NoGradGuard no_grad;
  Totals t;
  for (int32_t g : graphs_of_rows(data, rows)) {
    NodeData one = select_graphs(data, std::span<const int32_t>(&g, 1));
    std::vector<int32_t> local(data.graph_index.size(), -1);  // the wanted rows of this graph
    int32_t r = 0;
    for (size_t i = 0; i < data.graph_index.size(); ++i)
      if (data.graph_index[i] == g) local[i] = r++;
    const std::vector<int64_t> sub_rows = local_rows(wanted, local);
    const Tensor logits = model.forward(one.x, one.graph, one.edge_attr);
    const double n = static_cast<double>(sub_rows.size());
    if (data.multilabel) {
      const Tensor z = index_select(logits, sub_rows), y = index_select(one.targets, sub_rows);
      t.weighted_loss += n * binary_cross_entropy_with_logits(z, y).item();
      t.f1 += nn::f1_counts(z, y);
    } else {
      t.weighted_loss += n * cross_entropy(logits, one.labels, sub_rows).item();
      t.correct += static_cast<int64_t>(std::llround(n * nn::accuracy(logits, one.labels, sub_rows)));
    }
    t.rows += static_cast<int64_t>(sub_rows.size());
  }
  model.train(was_training);
  if (t.rows == 0) throw Error("evaluate_by_graph: no rows to evaluate");
  const double n = static_cast<double>(t.rows);
  return Evaluation{t.weighted_loss / n, data.multilabel ? t.f1.f1() : static_cast<double>(t.correct) / n};
}

GraphBatchSteps::GraphBatchSteps(const NodeData& data, const TrainConfig& config, uint64_t seed)
    : data_(data), graphs_per_batch_(config.graphs_per_batch), seed_(seed) {
  check_graphs("GraphBatchSteps", data);
  if (graphs_per_batch_ < 1) throw Error("GraphBatchSteps: the training configuration has no graphs_per_batch");
  for (int32_t g : graphs_of_rows(data, data.train_rows)) train_graphs_.push_back(g);
  if (train_graphs_.empty()) throw Error("GraphBatchSteps: no training graph");
}

int64_t GraphBatchSteps::steps_per_epoch() const {
  const int64_t t = static_cast<int64_t>(train_graphs_.size());
  return (t + graphs_per_batch_ - 1) / graphs_per_batch_;
}

void GraphBatchSteps::start_epoch(int64_t epoch) {
  order_ = shuffle_rows(train_graphs_, seed_, epoch);
  next_ = 0;
}

StepStats GraphBatchSteps::next_step(GAT& model, uint64_t steps_before) {
  const int64_t t = static_cast<int64_t>(order_.size());
  const int64_t begin = next_ * graphs_per_batch_, end = std::min(t, begin + graphs_per_batch_);
  if (begin >= t) throw Error("GraphBatchSteps: the epoch has only " + std::to_string(steps_per_epoch()) + " steps");
  ++next_;
  const NodeData batch =
      select_graphs(data_, std::span<const int32_t>(order_).subspan(static_cast<size_t>(begin), static_cast<size_t>(end - begin)));
  model.train();
  model.set_dropout_position(steps_before);
  for (const Tensor& p : model.parameters()) p.zero_grad();  // ∇_t computed whole, from zero
  const Tensor logits = model.forward(batch.x, batch.graph, batch.edge_attr);
  const Tensor loss = data_.multilabel ? binary_cross_entropy_with_logits(logits, batch.targets, batch.train_rows)
                                       : cross_entropy(logits, batch.labels, batch.train_rows);
  StepStats s;
  s.loss = loss.item();
  s.accuracy = data_.multilabel ? nn::micro_f1(logits, batch.targets, batch.train_rows)
                                : nn::accuracy(logits, batch.labels, batch.train_rows);
  s.num_seeds = static_cast<int64_t>(batch.train_rows.size());
  if (std::isfinite(s.loss)) backward(loss);  // (on a NaN the trainer stops, and frees the tape)
  return s;
}

Evaluation GraphBatchSteps::evaluate(GAT& model, const std::vector<int64_t>& rows) {
  return evaluate_by_graph(model, data_, rows);
}

}  // namespace gatgrad
