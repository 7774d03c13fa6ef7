/// @file
/// A step's gradient, the one definition every mode follows (PyTorch's gradient accumulation
/// over micro-batches, with the order of the sum fixed):
///   g_m = ∇ of part m's weighted loss (n_m / n) · loss_m, computed whole, from zero
///   ∇   = ((g_0 + g_1) + g_2) + ...   in part order
/// so the result does not depend on where or in which order the parts were computed (dist/
/// computes them on several ranks and adds them with add_in_order, in this order).
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "autograd/tensor.hpp"
#include "train/steps.hpp"

namespace gatgrad {

/// ∇ of a step of `parts` parts left in the gradients of `params`. part(m) runs part m's
/// forward, its weighted loss and backward on parameters whose gradients it finds empty, and
/// returns its weighted loss and score and its size n_m (0: the part is empty and adds nothing).
/// With one part its gradients are left as computed (a parameter its loss does not reach has
/// none). Returns the parts' loss, score, sizes and edges summed.
StepStats step_gradient(const std::vector<Tensor>& params, int64_t parts, const std::function<StepStats(int64_t m)>& part);

/// Σ_m g_m in part order, as step_gradient adds them: into an empty `sum` the first part's
/// gradients are copied (zeros for a parameter without one); each later part's are added where
/// it has one. grads[k] undefined: parameter k has no gradient in this part.
void add_in_order(std::vector<Tensor>& sum, const std::vector<Tensor>& params, const std::vector<Tensor>& grads);

}  // namespace gatgrad
