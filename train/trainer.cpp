// Training a node classifier: make_steps, then the loop (see trainer.hpp).
#include "train/trainer.hpp"

namespace gatgrad {

nn::Adam make_optimizer(const std::vector<Tensor>& params, const TrainConfig& config) {
  return nn::Adam(params, config.lr, config.beta1, config.beta2, config.eps, config.weight_decay);
}

TrainResult train_node_classifier(GAT& model, const NodeData& data, const TrainConfig& config,
                                  const TrainHooks& hooks) {
  nn::Adam optimizer = make_optimizer(model.parameters(), config);
  TrainState state;
  return train_node_classifier(model, data, config, optimizer, state, hooks);
}

TrainResult train_node_classifier(GAT& model, const NodeData& data, const TrainConfig& config,
                                  nn::Optimizer& optimizer, TrainState& state, const TrainHooks& hooks) {
  const std::unique_ptr<Steps> steps = make_steps(model, data, config);
  return train(*steps, optimizer, state, config, hooks);
}

}  // namespace gatgrad
