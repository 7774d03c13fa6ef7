// The one place where a training configuration decides the mode (see make_steps.hpp).
#include "train/make_steps.hpp"

#include "autograd/error.hpp"
#include "train/full_batch_steps.hpp"
#include "train/graph_batches.hpp"
#include "train/graph_class_steps.hpp"
#include "train/sampled_steps.hpp"

namespace gatgrad {

GraphUse graph_use(const TrainConfig& config) {
  return config.batch_size > 0 ? GraphUse::sampling : GraphUse::full_batch;
}

std::unique_ptr<Steps> make_steps(GAT& model, const NodeData& data, const TrainConfig& config,
                                  const RankStepsMaker& on_ranks) {
  config.validate_for(model.config());
  if (on_ranks) {
    if (config.batch_size == 0) throw UsageError("distributed training is mini-batch training: it needs --batch-size");
    return on_ranks();
  }
  if (config.graphs_per_batch > 0) {
    if (data.num_graphs == 0)
      throw UsageError("graphs_per_batch: the data holds one graph (a dataset of many has graph_index.npy)");
    return std::make_unique<GraphBatchSteps>(model, data, config);
  }
  if (config.batch_size > 0) {
    if (!data.neighbors)
      throw Error("make_steps: mini-batch training needs data prepared for sampling (GraphUse::sampling)");
    return std::make_unique<SampledSteps>(model, data, config);
  }
  return std::make_unique<FullBatchSteps>(model, data, config);
}

std::unique_ptr<LinkSteps> make_steps(LinkModel& model, const LinkData& data, const TrainConfig& config,
                                      int64_t hits_k) {
  if (config.graphs_per_batch > 0) throw UsageError("graphs_per_batch: link prediction trains on the pairs of one graph");
  if (config.node_order != "input")
    throw UsageError("node_order: link prediction keeps the data's node numbers (node_order is node classification's)");
  return std::make_unique<LinkSteps>(model, data, config, graph_use(config), hits_k);  // which checks what fits
}

std::unique_ptr<Steps> make_steps(GraphClassifier& model, const NodeData& data, const TrainConfig& config,
                                  const GraphFold& fold) {
  config.validate();
  if (model.config().task != "graph")
    throw UsageError("make_steps: a graph classifier's configuration has task 'graph', not '" + model.config().task + "'");
  if (config.batch_size > 0)
    throw UsageError("graph classification trains on batches of whole graphs (graphs_per_batch), not on sampled seeds (batch_size)");
  if (config.graphs_per_batch < 1) throw UsageError("graph classification needs graphs_per_batch (whole graphs per step)");
  if (data.neighbors) throw Error("make_steps: graph classification needs data prepared for full batch");
  return std::make_unique<GraphClassSteps>(model, data, config, fold);
}

}  // namespace gatgrad
