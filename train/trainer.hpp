/// @file
/// Training a node classifier: the steps make_steps picks for the configuration
/// (train/make_steps.hpp) run by the loop (train/loop.hpp) with make_optimizer's Adam, and the
/// evaluation of train/evaluate.hpp. This header brings all of them.
#pragma once
#include "models/gat.hpp"
#include "models/node_data.hpp"
#include "models/presets.hpp"
#include "nn/optim.hpp"
#include "train/evaluate.hpp"
#include "train/loop.hpp"
#include "train/make_steps.hpp"
#include "train/steps.hpp"
#include "train/train_state.hpp"

namespace gatgrad {

/// The optimiser `config` describes (Adam with its lr, betas, eps and L2 weight decay) over `params`.
nn::Adam make_optimizer(const std::vector<Tensor>& params, const TrainConfig& config);

/// Trains `model` on `data` with make_optimizer(model.parameters(), config); on return the
/// model holds the kept (best) parameters. Mini-batch training (config.batch_size > 0) needs
/// data prepared with GraphUse::sampling (graph_use(config)).
/// Throws TrainingDiverged naming the epoch when a loss becomes NaN or infinite (after
/// restoring the kept parameters).
TrainResult train_node_classifier(GAT& model, const NodeData& data, const TrainConfig& config,
                                  const TrainHooks& hooks = {});

/// The same with the optimiser and the state in the caller's hands (train()'s contract: start
/// from a fresh TrainState, or from one saved by an interrupted run).
TrainResult train_node_classifier(GAT& model, const NodeData& data, const TrainConfig& config,
                                  nn::Optimizer& optimizer, TrainState& state, const TrainHooks& hooks = {});

}  // namespace gatgrad
