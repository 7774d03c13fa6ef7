// A step's gradient: its parts computed whole and summed in order (see step_gradient.hpp).
#include "train/step_gradient.hpp"

#include "autograd/dtype.hpp"

namespace gatgrad {

StepStats step_gradient(const std::vector<Tensor>& params, int64_t parts, const std::function<StepStats(int64_t m)>& part) {
  std::vector<Tensor> sum;  // Σ_m g_m in part order (only with several parts)
  StepStats s;
  for (int64_t m = 0; m < parts; ++m) {
    for (const Tensor& p : params) p.zero_grad();  // g_m computed whole, from zero
    const StepStats one = part(m);
    if (one.num_seeds == 0) continue;  // an empty part: a last batch with fewer seeds than parts
    s.loss += one.loss;
    s.accuracy += one.accuracy;
    s.num_seeds += one.num_seeds;
    s.num_edges += one.num_edges;
    if (parts == 1) continue;
    std::vector<Tensor> grads;
    for (const Tensor& p : params) grads.push_back(p.has_grad() ? p.grad() : Tensor());
    add_in_order(sum, params, grads);
  }
  if (!sum.empty())
    for (size_t k = 0; k < params.size(); ++k) params[k].set_grad(sum[k]);
  return s;
}

void add_in_order(std::vector<Tensor>& sum, const std::vector<Tensor>& params, const std::vector<Tensor>& grads) {
  if (sum.empty()) {
    for (size_t k = 0; k < params.size(); ++k)
      sum.push_back(grads[k].defined() ? grads[k].clone() : Tensor::zeros(params[k].shape(), params[k].dtype()));
    return;
  }
  for (size_t k = 0; k < params.size(); ++k) {
    if (!grads[k].defined()) continue;
    dispatch(grads[k].dtype(), [&]<class T>() {
      T* acc = sum[k].data<T>();
      const T* add = grads[k].data<T>();
      for (int64_t i = 0; i < grads[k].numel(); ++i) acc[i] += add[i];
    });
  }
}

}  // namespace gatgrad
