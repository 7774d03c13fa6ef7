// Batches of whole graphs, and the evaluation graph by graph (graph_batches.hpp).
#include "train/graph_batches.hpp"

#include <algorithm>
#include <cmath>
#include <memory>

#include "autograd/ops.hpp"
#include "autograd/tape.hpp"
#include "graph/graph_index.hpp"
#include "nn/metrics.hpp"
#include "train/evaluate.hpp"
#include "train/minibatch.hpp"
#include "train/node_loss.hpp"
#include "train/step_gradient.hpp"

namespace gatgrad {

namespace {

void check_graphs(const char* fn, const NodeData& data) {
  if (data.num_graphs <= 0) throw Error(std::string(fn) + ": the data holds one graph (no graph_index)");
  if (data.neighbors) throw Error(std::string(fn) + ": the data is prepared for sampling, not for whole graphs");
}

// Node i's position in its graph's node list (ascending: a binary search).
int64_t position_in_graph(const NodeData& data, int32_t i) {
  const std::vector<int32_t>& nodes = data.graph_nodes[static_cast<size_t>(data.graph_index[static_cast<size_t>(i)])];
  return std::lower_bound(nodes.begin(), nodes.end(), i) - nodes.begin();
}

// The nodes among `nodes` (ascending within each graph, graphs in batch order) that `rows`
// (ascending, a split's row list) holds, as positions in `nodes`: one binary search per node.
std::vector<int64_t> rows_among(std::span<const int32_t> nodes, const std::vector<int64_t>& rows) {
  std::vector<int64_t> out;
  for (size_t r = 0; r < nodes.size(); ++r)
    if (std::binary_search(rows.begin(), rows.end(), int64_t{nodes[r]})) out.push_back(static_cast<int64_t>(r));
  return out;
}

}  // namespace

NodeData select_graphs(const NodeData& data, std::span<const int32_t> graphs) {
  check_graphs("select_graphs", data);
  std::vector<int32_t> nodes;   // global ids, graph by graph
  std::vector<int64_t> offset;  // where each selected graph's nodes start in `nodes`
  NodeData out;
  for (int32_t g : graphs) {
    if (g < 0 || g >= data.num_graphs)
      throw Error("select_graphs: graph " + std::to_string(g) + " is not in [0, " + std::to_string(data.num_graphs) + ")");
    const std::vector<int32_t>& members = data.graph_nodes[static_cast<size_t>(g)];
    offset.push_back(static_cast<int64_t>(nodes.size()));
    nodes.insert(nodes.end(), members.begin(), members.end());
    out.graph_index.insert(out.graph_index.end(), members.size(), static_cast<int32_t>(out.num_graphs++));
  }
  // The induced graph, destination by destination in the new order, each one's edges in data.graph's
  // (a source is in its destination's graph, checked on load: its local id is found there).
  // local[j]: node j's row in the batch, written for graph k's members just before its edges
  // are read (a graph given twice gets rows of its own each time); only those entries are read.
  const std::span<const int64_t> ptr = data.graph.dst_ptr();
  const std::span<const int32_t> src = data.graph.src();
  const std::unique_ptr<int32_t[]> local(new int32_t[static_cast<size_t>(data.graph.num_src_nodes())]);
  std::vector<int64_t> sub_ptr;
  sub_ptr.reserve(nodes.size() + 1);
  sub_ptr.push_back(0);
  int64_t num_edges = 0;
  for (int32_t i : nodes) num_edges += ptr[static_cast<size_t>(i) + 1] - ptr[static_cast<size_t>(i)];
  std::vector<int32_t> sub_src;
  std::vector<int64_t> edge_ids;
  sub_src.reserve(static_cast<size_t>(num_edges));
  edge_ids.reserve(static_cast<size_t>(num_edges));
  for (size_t k = 0; k < graphs.size(); ++k) {
    const int64_t end = k + 1 < graphs.size() ? offset[k + 1] : static_cast<int64_t>(nodes.size());
    for (int64_t r = offset[k]; r < end; ++r) local[static_cast<size_t>(nodes[static_cast<size_t>(r)])] = static_cast<int32_t>(r);
    for (int64_t r = offset[k]; r < end; ++r) {
      const int32_t i = nodes[static_cast<size_t>(r)];
      for (int64_t e = ptr[static_cast<size_t>(i)]; e < ptr[static_cast<size_t>(i) + 1]; ++e) {
        const int32_t j = src[static_cast<size_t>(e)];
        if (data.graph_index[static_cast<size_t>(j)] != graphs[k])
          throw Error("select_graphs: edge " + std::to_string(e) + " crosses graphs");
        sub_src.push_back(local[static_cast<size_t>(j)]);
        edge_ids.push_back(e);
      }
      sub_ptr.push_back(static_cast<int64_t>(sub_src.size()));
    }
  }
  const int64_t n = static_cast<int64_t>(nodes.size());
  out.x = gather_rows(data.x, nodes);
  out.graph = Graph::from_csr(std::move(sub_ptr), std::move(sub_src), n);
  if (data.edge_attr.defined()) out.edge_attr = index_select(data.edge_attr, edge_ids);
  out.num_classes = data.num_classes;
  out.multilabel = data.multilabel;
  if (data.multilabel) {
    out.targets = index_select(data.targets, std::vector<int64_t>(nodes.begin(), nodes.end()));
  } else if (!data.labels.empty()) {  // (graph classification: the classes are the graphs', no node label)
    for (int32_t i : nodes) out.labels.push_back(data.labels[static_cast<size_t>(i)]);
  }
  out.train_rows = rows_among(nodes, data.train_rows);
  out.val_rows = rows_among(nodes, data.val_rows);
  out.test_rows = rows_among(nodes, data.test_rows);
  out.graph_nodes = nodes_by_graph(out.graph_index, out.num_graphs);
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
  // The rows graph by graph, as positions in their graph (one pass, one search each).
  std::vector<std::vector<int64_t>> wanted(static_cast<size_t>(std::max<int64_t>(data.num_graphs, 0)));
  check_graphs("evaluate_by_graph", data);
  for (int64_t r : rows)
    wanted.at(static_cast<size_t>(data.graph_index.at(static_cast<size_t>(r))))
        .push_back(position_in_graph(data, static_cast<int32_t>(r)));
  nn::EvalMode eval(model);
  double weighted_loss = 0, correct = 0;
  int64_t count = 0;
  nn::F1Counts f1;
  for (int32_t g = 0; g < data.num_graphs; ++g) {
    std::vector<int64_t>& sub_rows = wanted[static_cast<size_t>(g)];
    if (sub_rows.empty()) continue;
    std::sort(sub_rows.begin(), sub_rows.end());
    const NodeData one = select_graphs(data, std::span<const int32_t>(&g, 1));
    const Tensor logits = model.forward(one.x, one.graph, one.edge_attr);
    const double n = static_cast<double>(sub_rows.size());
    weighted_loss += n * loss_at_rows(logits, one, sub_rows).item();
    if (data.multilabel) f1 += nn::f1_counts(logits, one.targets, sub_rows);
    else correct += n * score_at_rows(logits, one, sub_rows);
    count += static_cast<int64_t>(sub_rows.size());
  }
  if (count == 0) throw Error("evaluate_by_graph: no rows to evaluate");
  const double n = static_cast<double>(count);
  return Evaluation{weighted_loss / n, data.multilabel ? f1.f1() : std::round(correct) / n};
}

GraphBatchSteps::GraphBatchSteps(GAT& model, const NodeData& data, const TrainConfig& config)
    : model_(model), data_(data), graphs_per_batch_(config.graphs_per_batch), seed_(model.config().seed) {
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

StepStats GraphBatchSteps::next_step(uint64_t steps_before) {
  const int64_t t = static_cast<int64_t>(order_.size());
  const int64_t begin = next_ * graphs_per_batch_, end = std::min(t, begin + graphs_per_batch_);
  if (begin >= t) throw Error("GraphBatchSteps: the epoch has only " + std::to_string(steps_per_epoch()) + " steps");
  ++next_;
  const NodeData batch =
      select_graphs(data_, std::span<const int32_t>(order_).subspan(static_cast<size_t>(begin), static_cast<size_t>(end - begin)));
  return step_gradient(model_.parameters(), 1, [&](int64_t) {
    model_.train();
    model_.set_dropout_position(steps_before);
    const Tensor logits = model_.forward(batch.x, batch.graph, batch.edge_attr);
    const Tensor loss = loss_at_rows(logits, batch, batch.train_rows);
    StepStats s;
    s.loss = loss.item();
    s.accuracy = score_at_rows(logits, batch, batch.train_rows);
    s.num_seeds = static_cast<int64_t>(batch.train_rows.size());
    s.num_edges = batch.graph.num_edges();
    if (std::isfinite(s.loss)) backward(loss);  // (on a NaN the loop stops, and frees the tape)
    return s;
  });
}

Evaluation GraphBatchSteps::evaluate(Split split) { return evaluate_by_graph(model_, data_, rows_of(data_, split)); }

const char* GraphBatchSteps::score_name() const { return node_score_name(data_); }

std::string GraphBatchSteps::describe() const {
  std::string line = "batches of ";
  line.append(std::to_string(graphs_per_batch_)).append(" whole graphs, ");
  return line.append(std::to_string(steps_per_epoch())).append(" steps per epoch");
}

}  // namespace gatgrad
