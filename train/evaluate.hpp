/// @file
/// Evaluating a node classifier, exactly (never sampled), for the data as it was prepared:
///   one forward over data.graph                    full-batch data
///   one forward per graph holding the rows         data of many graphs (evaluate_by_graph)
///   layer-wise over whole neighbourhoods           data prepared for sampling (models/layerwise.hpp)
/// All three give the logits of one full-batch forward, so the scores agree (up to the sum's
/// order); the loss and score are node_loss.hpp's. PyG: model.eval() and torch.no_grad() around
/// the forward, then the metric on the mask.
#pragma once
#include <cstdint>
#include <vector>

#include "models/gat.hpp"
#include "models/node_data.hpp"
#include "models/presets.hpp"
#include "train/steps.hpp"

namespace gatgrad {

/// The loss and score of `rows` in evaluation mode (no dropout, no tape); `eval_chunk`
/// destinations per block for the layer-wise evaluation (memory, not results).
Evaluation evaluate(GAT& model, const NodeData& data, const std::vector<int64_t>& rows,
                    int64_t eval_chunk = TrainConfig{}.eval_chunk);

/// The logits [N, C] of every node of data, in evaluation mode (gat-train --predict-out).
Tensor node_logits(GAT& model, const NodeData& data, int64_t eval_chunk = TrainConfig{}.eval_chunk);

/// The row list of a split of data.
const std::vector<int64_t>& rows_of(const NodeData& data, Split split);

}  // namespace gatgrad
