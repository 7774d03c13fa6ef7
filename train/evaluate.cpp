// Evaluating a node classifier for the data as prepared (see evaluate.hpp).
#include "train/evaluate.hpp"

#include <numeric>

#include "models/layerwise.hpp"
#include "train/graph_batches.hpp"
#include "train/node_loss.hpp"

namespace gatgrad {

Evaluation evaluate(GAT& model, const NodeData& data, const std::vector<int64_t>& rows, int64_t eval_chunk) {
  if (data.num_graphs > 0 && !data.neighbors) return evaluate_by_graph(model, data, rows);
  if (data.neighbors) {
    const std::vector<int32_t> ids(rows.begin(), rows.end());
    const Tensor logits = layerwise_logits(model, data.x, *data.neighbors, ids, eval_chunk, data.edge_attr);
    NoGradGuard no_grad;
    return Evaluation{loss_at_rows(logits, data, rows, LogitRows::of_rows).item(),
                      score_at_rows(logits, data, rows, LogitRows::of_rows)};
  }
  nn::EvalMode eval(model);
  const Tensor logits = model.forward(data.x, data.graph, data.edge_attr);
  return Evaluation{loss_at_rows(logits, data, rows).item(), score_at_rows(logits, data, rows)};
}

Tensor node_logits(GAT& model, const NodeData& data, int64_t eval_chunk) {
  if (data.neighbors) {
    std::vector<int32_t> all(static_cast<size_t>(data.neighbors->num_nodes()));
    std::iota(all.begin(), all.end(), 0);
    return layerwise_logits(model, data.x, *data.neighbors, all, eval_chunk, data.edge_attr);
  }
  nn::EvalMode eval(model);
  return model.forward(data.x, data.graph, data.edge_attr);
}

const std::vector<int64_t>& rows_of(const NodeData& data, Split split) {
  switch (split) {
    case Split::train: return data.train_rows;
    case Split::val: return data.val_rows;
    case Split::test: return data.test_rows;
  }
  throw Error("rows_of: not a split");
}

}  // namespace gatgrad
