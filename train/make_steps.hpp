/// @file
/// The one place that reads a training configuration to decide how a model is trained:
///   graphs_per_batch > 0   batches of whole graphs          GraphBatchSteps   (train/graph_batches.hpp)
///   batch_size > 0         sampled mini-batches             SampledSteps      (train/sampled_steps.hpp)
///                          ... over MPI ranks               dist::DistributedSteps, made by `on_ranks`
///   neither                one full batch per epoch         FullBatchSteps    (train/full_batch_steps.hpp)
/// and for link prediction (a LinkModel on LinkData): LinkSteps (train/link_model.hpp), one full
/// batch or, with batch_size > 0, mini-batches of pairs (PyG's LinkNeighborLoader); for graph
/// classification (a GraphClassifier on one fold of the graphs): GraphClassSteps
/// (train/graph_class_steps.hpp), batches of graphs_per_batch whole graphs
/// and how the data must be prepared for it (graph_use). A new mode or task adds its line here.
#pragma once
#include <functional>
#include <memory>

#include "models/gat.hpp"
#include "models/graph_classifier.hpp"
#include "models/graph_folds.hpp"
#include "models/node_data.hpp"
#include "models/presets.hpp"
#include "train/link_model.hpp"
#include "train/steps.hpp"

namespace gatgrad {

/// What the data of a run with `config` is prepared for (prepare_node_data's GraphUse).
GraphUse graph_use(const TrainConfig& config);

/// Makes the mini-batch steps of a run over MPI ranks (dist/ makes them; train/ does not see MPI).
using RankStepsMaker = std::function<std::unique_ptr<Steps>()>;

/// The steps that train `model` on `data` as `config` says, after checking that the three fit
/// together (config.validate_for(model), the data prepared for the mode, graphs for graph
/// batches: UsageError or Error naming what does not). With `on_ranks` the run is distributed:
/// it must be mini-batch training, and on_ranks makes its steps. model, data and config must
/// outlive the steps.
std::unique_ptr<Steps> make_steps(GAT& model, const NodeData& data, const TrainConfig& config,
                                  const RankStepsMaker& on_ranks = {});

/// Link prediction's steps, after the same checks (and: one micro-batch, no graph batches, data
/// prepared for sampling when batch_size > 0). hits_k: the K of the evaluation's Hits at K.
std::unique_ptr<LinkSteps> make_steps(LinkModel& model, const LinkData& data, const TrainConfig& config,
                                      int64_t hits_k = LinkConfig{}.hits_k);

/// Graph classification (GATConfig::task "graph"): the steps that train `model` on the fold's
/// graphs of `data`, batches of config.graphs_per_batch whole graphs (GraphClassSteps,
/// train/graph_class_steps.hpp). UsageError for a configuration that does not fit (no
/// graphs_per_batch, batch_size set), Error for data without graph classes.
std::unique_ptr<Steps> make_steps(GraphClassifier& model, const NodeData& data, const TrainConfig& config,
                                  const GraphFold& fold);

}  // namespace gatgrad
