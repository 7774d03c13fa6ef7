/// @file
/// The loss and score of node classification: the one definition that every step and every
/// evaluation of every mode uses (PyG's F.cross_entropy(out[mask], y[mask]) and accuracy).
///   loss  = mean over the rows r of -log softmax(z_r)[y_r]                       (cross_entropy)
///           multi-label: mean over rows × labels of BCE(σ(z_rc), y_rc)   (binary_cross_entropy_with_logits)
///   score = the fraction of rows r with argmax_c z_rc = y_r                      (nn::accuracy)
///           multi-label: micro-F1 of the decisions z_rc > 0                      (nn::micro_f1)
/// The logits are either [N, C] over all of data's nodes, scored at `rows` (LogitRows::all_nodes,
/// a full-batch forward), or [R, C] whose row r is node rows[r] (LogitRows::of_rows, a
/// mini-batch's seeds, the layer-wise logits of the rows); both sum the rows in their order.
#pragma once
#include <cstdint>
#include <vector>

#include "autograd/tensor.hpp"
#include "models/node_data.hpp"

namespace gatgrad {

enum class LogitRows { all_nodes, of_rows };

/// The loss (a scalar, on the tape) of `rows` of data.
Tensor loss_at_rows(const Tensor& logits, const NodeData& data, const std::vector<int64_t>& rows,
                    LogitRows which = LogitRows::all_nodes);
/// The score of the same.
double score_at_rows(const Tensor& logits, const NodeData& data, const std::vector<int64_t>& rows,
                     LogitRows which = LogitRows::all_nodes);
/// The score's short name: "f1" for multi-label data, "acc" otherwise.
const char* node_score_name(const NodeData& data);

}  // namespace gatgrad
