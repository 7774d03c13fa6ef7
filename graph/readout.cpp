// Readouts over a batch index (readout.hpp): compositions of scatter_* and segment_softmax.
#include "graph/readout.hpp"

#include <string>

#include "autograd/error.hpp"
#include "autograd/ops.hpp"
#include "graph/message_passing.hpp"

namespace gatgrad {

namespace {

void check_batch(const char* op, const Tensor& x, const std::vector<int32_t>& batch) {
  if (x.dim() < 1 || x.size(0) != static_cast<int64_t>(batch.size()))
    throw Error(std::string(op) + ": x must have one row per entry of the batch index (" +
                std::to_string(batch.size()) + "), got " + x.describe());
}

}  // namespace

Tensor global_add_pool(const Tensor& x, const std::vector<int32_t>& batch, int64_t num_graphs) {
  check_batch("global_add_pool", x, batch);
  return scatter_add(x, batch, num_graphs);
}

Tensor global_mean_pool(const Tensor& x, const std::vector<int32_t>& batch, int64_t num_graphs) {
  check_batch("global_mean_pool", x, batch);
  return scatter_mean(x, batch, num_graphs);
}

Tensor global_max_pool(const Tensor& x, const std::vector<int32_t>& batch, int64_t num_graphs) {
  check_batch("global_max_pool", x, batch);
  return scatter_max(x, batch, num_graphs);
}

Tensor attention_pool(const Tensor& x, const Tensor& gate, const std::vector<int32_t>& batch, int64_t num_graphs) {
  check_batch("attention_pool", x, batch);
  const int64_t n = x.size(0);
  if (x.dim() != 2 || !((gate.dim() == 1 && gate.size(0) == n) || (gate.dim() == 2 && gate.size(0) == n && gate.size(1) == 1)))
    throw Error("attention_pool: expected x [N, F] and gate [N] or [N, 1] with N = " + std::to_string(n) + ", got " +
                x.describe() + " and " + gate.describe());
  const Tensor alpha = segment_softmax(reshape(gate, {n}), batch, num_graphs);  // α_i    [N]
  return scatter_add(mul(x, reshape(alpha, {n, 1})), batch, num_graphs);         // Σ α_i x_i  [G, F]
}

}  // namespace gatgrad
