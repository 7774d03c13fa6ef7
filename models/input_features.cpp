#include "models/input_features.hpp"

#include "autograd/ops.hpp"

namespace gatgrad {

Tensor dropout_matmul(const InputFeatures& x, const Tensor& w, double p, uint64_t key) {
  if (x.is_sparse()) return sparse_matmul(p > 0 ? sparse_dropout(x.sparse, p, key) : x.sparse, w);
  return matmul(p > 0 ? dropout(x.dense, p, key) : x.dense, w);
}

}  // namespace gatgrad
