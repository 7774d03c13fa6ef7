// Adam and AdamW, PyTorch's _single_tensor_adam / adamw update written on xsimd batches (of the
// baseline level: only + - * / and sqrt, each correctly rounded, so the same bits everywhere).
// Legend: p parameter, g gradient, m first moment (exp_avg), v second moment (exp_avg_sq),
// t the parameter's step (1 on its first update), wd weight decay.
//   Adam  : g = g + wd p                                   (L2, part of the gradient)
//   AdamW : p = p (1 - lr wd)                              (decoupled, before the update)
//   both  : m = lerp(m, g, 1 - beta1);  v = beta2 v + (1 - beta2) g g
//           p = p - step_size · m / (sqrt(v) / sqrt(1 - beta2^t) + eps),  step_size = lr / (1 - beta1^t)
// torch.lerp(a, b, w) is a + w (b - a) for w < 0.5 and b - (b - a)(1 - w) otherwise; we use
// the same two forms so the moments round as PyTorch's do.
#include <cmath>

#include <xsimd/xsimd.hpp>

#include "autograd/parallel.hpp"
#include "nn/optim.hpp"

namespace gatgrad::nn {

namespace {

// The per-step scalars, computed once in double as PyTorch does in Python.
struct AdamScalars {
  double decay_factor = 1.0;  // AdamW: 1 - lr wd; Adam: 1
  double l2 = 0.0;            // Adam: wd; AdamW: 0
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  double step_size = 0.0;   // lr / (1 - beta1^t)
  double bc2_sqrt = 1.0;    // sqrt(1 - beta2^t)
};

template <class T>
void adam_kernel(T* p, const T* g, T* m, T* v, int64_t n, const AdamScalars& s) {
  using B = xsimd::batch<T>;
  constexpr int64_t L = static_cast<int64_t>(B::size);
  const B decay(static_cast<T>(s.decay_factor)), l2(static_cast<T>(s.l2));
  const B w1(static_cast<T>(1.0 - s.beta1)), one_minus_w1(static_cast<T>(s.beta1));  // lerp weight, 1 - weight
  const B beta2(static_cast<T>(s.beta2)), w2(static_cast<T>(1.0 - s.beta2));
  const B eps(static_cast<T>(s.eps)), step_size(static_cast<T>(s.step_size)), bc2_sqrt(static_cast<T>(s.bc2_sqrt));
  const bool lerp_low = 1.0 - s.beta1 < 0.5, decoupled = s.decay_factor != 1.0, use_l2 = s.l2 != 0.0;

  // One batch: reads p g m v at the pointers, writes p m v back.
  auto body = [&](T* pp, const T* gp, T* mp, T* vp) {
    B pb = B::load_unaligned(pp), gb = B::load_unaligned(gp);
    B mb = B::load_unaligned(mp), vb = B::load_unaligned(vp);
    if (decoupled) pb = pb * decay;                                             // p (1 - lr wd)
    if (use_l2) gb = gb + l2 * pb;                                              // g + wd p
    mb = lerp_low ? mb + w1 * (gb - mb) : gb - (gb - mb) * one_minus_w1;         // lerp(m, g, 1 - beta1)
    vb = vb * beta2 + w2 * (gb * gb);                                           // beta2 v + (1 - beta2) g²
    const B denom = xsimd::sqrt(vb) / bc2_sqrt + eps;                           // sqrt(v̂) + eps
    pb = pb - step_size * (mb / denom);                                         // p - step_size m / denom
    pb.store_unaligned(pp);
    mb.store_unaligned(mp);
    vb.store_unaligned(vp);
  };

  // Fixed blocks of kBlock (a multiple of L) in parallel; the array's tail goes through the
  // same batch code on a zero-padded copy, so no element depends on where a block starts.
  parallel_blocks(n, kBlock, [&](int64_t begin, int64_t end) {
    int64_t k = begin;
    for (; k + L <= end; k += L) body(p + k, g + k, m + k, v + k);
    if (k < end) {
      alignas(64) T pt[L] = {}, gt[L] = {}, mt[L] = {}, vt[L] = {};
      const int64_t r = end - k;
      std::copy(p + k, p + end, pt);
      std::copy(g + k, g + end, gt);
      std::copy(m + k, m + end, mt);
      std::copy(v + k, v + end, vt);
      body(pt, gt, mt, vt);  // padding lanes: v = 0 gives denom = eps > 0, no trap
      std::copy(pt, pt + r, p + k);
      std::copy(mt, mt + r, m + k);
      std::copy(vt, vt + r, v + k);
    }
  });
}

void check_adam(const std::string& type, double lr, double beta1, double beta2, double eps, double weight_decay) {
  auto bad = [&](const char* what, double x) { throw Error(type + ": invalid " + what + " " + std::to_string(x)); };
  if (!(lr >= 0.0) || !std::isfinite(lr)) bad("learning rate", lr);
  if (!(beta1 >= 0.0 && beta1 < 1.0)) bad("beta1 (must be in [0, 1))", beta1);
  if (!(beta2 >= 0.0 && beta2 < 1.0)) bad("beta2 (must be in [0, 1))", beta2);
  if (!(eps >= 0.0) || !std::isfinite(eps)) bad("eps", eps);
  if (!(weight_decay >= 0.0) || !std::isfinite(weight_decay)) bad("weight_decay", weight_decay);
}

}  // namespace

Adam::Adam(std::vector<Tensor> params, double lr, double beta1, double beta2, double eps, double weight_decay)
    : Adam("adam", std::move(params), lr, beta1, beta2, eps, weight_decay) {}

Adam::Adam(std::string type, std::vector<Tensor> params, double lr, double beta1, double beta2, double eps,
           double weight_decay)
    : Optimizer(std::move(type), std::move(params), lr, {"exp_avg", "exp_avg_sq"}),
      beta1_(beta1),
      beta2_(beta2),
      eps_(eps),
      weight_decay_(weight_decay) {
  check_adam(this->type(), lr, beta1, beta2, eps, weight_decay);
}

Hyperparameters Adam::hyperparameters() const {
  return {{"lr", lr_}, {"beta1", beta1_}, {"beta2", beta2_}, {"eps", eps_}, {"weight_decay", weight_decay_}};
}

void Adam::set_hyperparameters(const Hyperparameters& h) {
  check_hyper_names(h, {"lr", "beta1", "beta2", "eps", "weight_decay"});
  const double lr = hyper(h, "lr"), beta1 = hyper(h, "beta1"), beta2 = hyper(h, "beta2"), eps = hyper(h, "eps"),
               weight_decay = hyper(h, "weight_decay");
  check_adam(type(), lr, beta1, beta2, eps, weight_decay);
  lr_ = lr;
  beta1_ = beta1;
  beta2_ = beta2;
  eps_ = eps;
  weight_decay_ = weight_decay;
}

namespace {

// b^t for t >= 1 by repeated squaring: plain IEEE multiplications, the same bits on every CPU
// (libm's pow may differ in the last bit between its x86-64 and aarch64 builds).
double power(double b, int64_t t) {
  double result = 1.0;
  for (; t > 0; t >>= 1, b *= b)
    if (t & 1) result *= b;
  return result;
}

AdamScalars scalars(double lr, double beta1, double beta2, double eps, int64_t t) {
  AdamScalars s;
  s.beta1 = beta1;
  s.beta2 = beta2;
  s.eps = eps;
  s.step_size = lr / (1.0 - power(beta1, t));
  s.bc2_sqrt = std::sqrt(1.0 - power(beta2, t));
  return s;
}

void run(const Tensor& p, const Tensor& g, const Tensor& m, const Tensor& v, const AdamScalars& s) {
  dispatch(p.dtype(), [&]<class T>() { adam_kernel<T>(p.data<T>(), g.data<T>(), m.data<T>(), v.data<T>(), p.numel(), s); });
}

}  // namespace

void Adam::update(size_t i, const Tensor& p, const Tensor& g, int64_t t) {
  AdamScalars s = scalars(lr_, beta1_, beta2_, eps_, t);
  s.l2 = weight_decay_;
  run(p, g, buffer(0, i), buffer(1, i), s);
}

AdamW::AdamW(std::vector<Tensor> params, double lr, double beta1, double beta2, double eps, double weight_decay)
    : Adam("adamw", std::move(params), lr, beta1, beta2, eps, weight_decay) {}

void AdamW::update(size_t i, const Tensor& p, const Tensor& g, int64_t t) {
  AdamScalars s = scalars(lr_, beta1_, beta2_, eps_, t);
  s.decay_factor = 1.0 - lr_ * weight_decay_;
  run(p, g, buffer(0, i), buffer(1, i), s);
}

}  // namespace gatgrad::nn
