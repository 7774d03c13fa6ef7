#include "autograd/gradcheck.hpp"

#include <cmath>
#include <sstream>

#include "autograd/creation.hpp"
#include "autograd/ops.hpp"

namespace gatgrad {

namespace {

// L = Σ w ⊙ y, in double.
double weighted_sum(const Tensor& y, const Tensor& w) {
  const std::vector<double> yv = y.to_vector(), wv = w.to_vector();
  double total = 0;
  for (size_t k = 0; k < yv.size(); ++k) total += yv[k] * wv[k];
  return total;
}

}  // namespace

GradcheckResult gradcheck(const DiffFunction& f, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& opt) {
  for (const Tensor& x : inputs)
    if (x.dtype() != DType::f64) throw Error("gradcheck: inputs must be float64, got " + x.describe());
  for (const Tensor& x : inputs) x.zero_grad();

  // Analytic: backward of Σ w ⊙ f(x).
  tape_clear();
  Tensor y = f(inputs);
  const Tensor w = uniform(y.shape(), -1.0, 1.0, opt.seed, DType::f64);
  if (!y.requires_grad()) throw Error("gradcheck: the function's output does not require grad");
  backward(sum(mul(y, w)));

  GradcheckResult result;
  NoGradGuard no_grad;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& x = inputs[i];
    if (!x.requires_grad()) continue;
    const Tensor g = x.has_grad() ? x.grad() : Tensor::zeros(x.shape(), DType::f64);
    double* px = x.data<double>();
    const double* pg = g.data<double>();
    for (int64_t k = 0; k < x.numel(); ++k) {
      const double saved = px[k];
      px[k] = saved + opt.eps;
      const double plus = weighted_sum(f(inputs), w);
      px[k] = saved - opt.eps;
      const double minus = weighted_sum(f(inputs), w);
      px[k] = saved;
      const double numeric = (plus - minus) / (2 * opt.eps), analytic = pg[k];
      const double abs_err = std::abs(analytic - numeric);
      const double rel_err = abs_err / std::max({std::abs(analytic), std::abs(numeric), 1e-12});
      result.checked++;
      const bool ok = abs_err <= opt.atol + opt.rtol * std::abs(numeric);
      if (abs_err > result.max_abs_err || (!ok && result.pass)) {
        std::ostringstream s;
        s.precision(10);
        s << "input " << i << " element " << k << ": analytic " << analytic << " numeric " << numeric;
        result.worst = s.str();
      }
      result.max_abs_err = std::max(result.max_abs_err, abs_err);
      result.max_rel_err = std::max(result.max_rel_err, rel_err);
      if (!ok) result.pass = false;
    }
  }
  for (const Tensor& x : inputs) x.zero_grad();
  return result;
}

void CheckRegistry::add(std::string name, std::function<GradcheckResult()> run) {
  if (find(name)) throw Error("CheckRegistry: check '" + name + "' registered twice");
  cases_.push_back({std::move(name), std::move(run)});
}

const GradcheckCase* CheckRegistry::find(const std::string& name) const {
  for (const GradcheckCase& c : cases_)
    if (c.name == name) return &c;
  return nullptr;
}

}  // namespace gatgrad
