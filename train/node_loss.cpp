// The loss and score of node classification (see node_loss.hpp).
#include "train/node_loss.hpp"

#include "autograd/ops.hpp"
#include "nn/metrics.hpp"

namespace gatgrad {

namespace {

// f(labels, targets, rows): the logits' own rows to score and what they are compared with;
// for LogitRows::of_rows the rows' labels (or targets) gathered, and the logits' rows 0 .. R-1.
template <class F>
auto with_targets(const NodeData& data, const std::vector<int64_t>& rows, LogitRows which, F&& f) {
  if (which == LogitRows::all_nodes) return f(data.labels, data.targets, rows);
  std::vector<int64_t> own(rows.size());
  for (size_t r = 0; r < rows.size(); ++r) own[r] = static_cast<int64_t>(r);
  if (data.multilabel) return f(std::vector<int64_t>{}, index_select(data.targets, rows), own);
  std::vector<int64_t> labels(rows.size());
  for (size_t r = 0; r < rows.size(); ++r) labels[r] = data.labels[static_cast<size_t>(rows[r])];
  return f(labels, Tensor(), own);
}

}  // namespace

Tensor loss_at_rows(const Tensor& logits, const NodeData& data, const std::vector<int64_t>& rows, LogitRows which) {
  return with_targets(data, rows, which, [&](const std::vector<int64_t>& labels, const Tensor& targets,
                                             const std::vector<int64_t>& at) {
    return data.multilabel ? binary_cross_entropy_with_logits(logits, targets, at) : cross_entropy(logits, labels, at);
  });
}

double score_at_rows(const Tensor& logits, const NodeData& data, const std::vector<int64_t>& rows, LogitRows which) {
  return with_targets(data, rows, which, [&](const std::vector<int64_t>& labels, const Tensor& targets,
                                             const std::vector<int64_t>& at) {
    return data.multilabel ? nn::micro_f1(logits, targets, at) : nn::accuracy(logits, labels, at);
  });
}

const char* node_score_name(const NodeData& data) { return data.multilabel ? "f1" : "acc"; }

}  // namespace gatgrad
