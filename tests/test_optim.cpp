// Optimiser steps against PyTorch's documented algorithms, recomputed in float64 by the references
// of tests/reference.hpp (ref::SGD, ref::Adam: whole-vector xtensor expressions in reference.cpp).
// To add a test: give the reference and the optimiser the same hyper-parameters, feed both the same
// gradients for several steps (run_against), and compare after every step.
#define BOOST_TEST_MODULE optim
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <functional>
#include <tbb/global_control.h>

#include "autograd/creation.hpp"
#include "autograd/ops.hpp"
#include "nn/optim.hpp"
#include "reference.hpp"
#include "testing.hpp"

using namespace gatgrad;
namespace ref = gatgrad::reference;

namespace {

using testing::message_has;  // (tests/testing.hpp)

// The gradient of L(θ) = Σ_k (c_k θ_k² / 2 + s_k θ_k): c θ + s with c_k = 0.5 + 0.25 (k mod 5),
// s_k = sin k, different in every element.
std::vector<double> grad_at(const std::vector<double>& theta) {
  std::vector<double> g(theta.size());
  for (size_t k = 0; k < g.size(); ++k) g[k] = (0.5 + 0.25 * static_cast<double>(k % 5)) * theta[k] + std::sin(static_cast<double>(k));
  return g;
}

Tensor f64(const std::vector<double>& v) { return Tensor::from_vector(v, {static_cast<int64_t>(v.size())}, DType::f64); }

// Runs `steps` steps of opt on a float64 parameter and of ref (tests/reference.hpp) on a copy,
// feeding both the reference's gradient, and compares after every step.
template <class Ref>
void run_against(Ref ref, const std::function<std::unique_ptr<nn::Optimizer>(Tensor)>& make, int64_t n = 7,
                 int steps = 4, double tol = 1e-12) {
  Tensor p = uniform({n}, -1.0, 1.0, 3, DType::f64);
  std::vector<double> theta = p.to_vector();
  std::unique_ptr<nn::Optimizer> opt = make(p);
  for (int s = 1; s <= steps; ++s) {
    const std::vector<double> g = grad_at(theta);
    p.set_grad(f64(g));
    opt->step();
    ref.step(theta, g);
    const double worst = ref::max_abs_difference(p, theta);
    BOOST_TEST(worst <= tol, opt->type() << " step " << s << ": max |got - want| = " << worst);
    BOOST_TEST(opt->step_count() == s);
  }
}

}  // namespace

// ---- SGD ----

BOOST_AUTO_TEST_CASE(sgd_plain) {
  // One step by hand: θ = 1, g = 3, lr 0.1 -> 0.7.
  Tensor p = Tensor::from_vector({1.0}, {1}, DType::f64);
  p.set_grad(Tensor::from_vector({3.0}, {1}, DType::f64));
  nn::SGD opt({p}, 0.1);
  opt.step();
  BOOST_TEST(std::abs(p.item() - 0.7) < 1e-15);
  BOOST_TEST(opt.state_names().empty());
  run_against(ref::SGD{.lr = 0.1}, [](Tensor p) { return std::make_unique<nn::SGD>(std::vector<Tensor>{p}, 0.1); });
}

BOOST_AUTO_TEST_CASE(sgd_momentum_dampening_weight_decay) {
  run_against(ref::SGD{.lr = 0.05, .momentum = 0.9}, [](Tensor p) { return std::make_unique<nn::SGD>(std::vector<Tensor>{p}, 0.05, 0.9); });
  run_against(ref::SGD{.lr = 0.05, .momentum = 0.9, .weight_decay = 0.0, .dampening = 0.3},
              [](Tensor p) { return std::make_unique<nn::SGD>(std::vector<Tensor>{p}, 0.05, 0.9, 0.0, 0.3); });
  run_against(ref::SGD{.lr = 0.05, .momentum = 0.0, .weight_decay = 0.01},
              [](Tensor p) { return std::make_unique<nn::SGD>(std::vector<Tensor>{p}, 0.05, 0.0, 0.01); });
  run_against(ref::SGD{.lr = 0.05, .momentum = 0.8, .weight_decay = 0.01, .dampening = 0.1},
              [](Tensor p) { return std::make_unique<nn::SGD>(std::vector<Tensor>{p}, 0.05, 0.8, 0.01, 0.1); });
  // Two steps by hand, momentum 0.5, wd 0.1: θ0 = 1, g = 2 both times.
  //   t=1: d = 2 + 0.1 = 2.1, b = 2.1, θ = 1 - 0.1·2.1 = 0.79
  //   t=2: d = 2 + 0.079 = 2.079, b = 0.5·2.1 + 2.079 = 3.129, θ = 0.79 - 0.3129 = 0.4771
  Tensor p = Tensor::from_vector({1.0}, {1}, DType::f64);
  nn::SGD opt({p}, 0.1, 0.5, 0.1);
  for (int s = 0; s < 2; ++s) {
    p.set_grad(Tensor::from_vector({2.0}, {1}, DType::f64));
    opt.step();
  }
  BOOST_TEST(std::abs(p.item() - 0.4771) < 1e-12);
  BOOST_TEST(std::abs(opt.state("momentum_buffer", 0).item() - 3.129) < 1e-12);
}

BOOST_AUTO_TEST_CASE(sgd_nesterov) {
  run_against(ref::SGD{.lr = 0.05, .momentum = 0.9, .weight_decay = 0.001, .dampening = 0.0, .nesterov = true}, [](Tensor p) { return std::make_unique<nn::SGD>(std::vector<Tensor>{p}, 0.05, 0.9, 0.001, 0.0, true); });
  Tensor p = Tensor::zeros({2}, DType::f64);
  BOOST_CHECK_EXCEPTION(nn::SGD({p}, 0.1, 0.0, 0.0, 0.0, true), Error, [](const Error& e) { return message_has(e, "nesterov"); });
  BOOST_CHECK_THROW(nn::SGD({p}, 0.1, 0.9, 0.0, 0.5, true), Error);
}

// ---- Adam and AdamW ----

BOOST_AUTO_TEST_CASE(adam_without_and_with_weight_decay) {
  // One step by hand: m = 0.1 g, v = 0.001 g², m̂ = g, v̂ = g²: θ -= lr g / (|g| + ε) ≈ lr sign(g).
  Tensor p = Tensor::from_vector({1.0, 1.0}, {2}, DType::f64);
  p.set_grad(Tensor::from_vector({4.0, -0.5}, {2}, DType::f64));
  nn::Adam opt({p}, 0.01);
  opt.step();
  BOOST_TEST(std::abs(p.at({0}) - (1 - 0.01 * 4 / (4 + 1e-8))) < 1e-15);
  BOOST_TEST(std::abs(p.at({1}) - (1 + 0.01 * 0.5 / (0.5 + 1e-8))) < 1e-15);
  BOOST_TEST(std::abs(opt.state("exp_avg", 0).at({0}) - 0.4) < 1e-15);
  BOOST_TEST(std::abs(opt.state("exp_avg_sq", 0).at({1}) - 0.001 * 0.25) < 1e-18);

  run_against(ref::Adam{.lr = 0.01}, [](Tensor p) { return std::make_unique<nn::Adam>(std::vector<Tensor>{p}, 0.01); }, 7, 5);
  // The GAT paper's setup: lr 0.005, L2 5e-4 added to the gradient.
  run_against(ref::Adam{.lr = 0.005, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 5e-4}, [](Tensor p) { return std::make_unique<nn::Adam>(std::vector<Tensor>{p}, 0.005, 0.9, 0.999, 1e-8, 5e-4); },
              7, 5);
  // Other betas (1 - beta1 >= 0.5 takes torch.lerp's other form) and a large eps.
  run_against(ref::Adam{.lr = 0.1, .beta1 = 0.3, .beta2 = 0.9, .eps = 1e-3, .weight_decay = 0.05}, [](Tensor p) { return std::make_unique<nn::Adam>(std::vector<Tensor>{p}, 0.1, 0.3, 0.9, 1e-3, 0.05); });
}

BOOST_AUTO_TEST_CASE(adamw_decoupled_decay) {
  run_against(ref::Adam{.lr = 0.01, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 0.1, .decoupled = true}, [](Tensor p) { return std::make_unique<nn::AdamW>(std::vector<Tensor>{p}, 0.01, 0.9, 0.999, 1e-8, 0.1); },
              7, 5);
  // One step by hand: θ = 2, g = 1, lr 0.1, wd 0.5: θ = 2 (1 - 0.05) = 1.9, then - 0.1 · 1 / (1 + ε).
  Tensor p = Tensor::from_vector({2.0}, {1}, DType::f64);
  p.set_grad(Tensor::from_vector({1.0}, {1}, DType::f64));
  nn::AdamW opt({p}, 0.1, 0.9, 0.999, 1e-8, 0.5);
  opt.step();
  BOOST_TEST(std::abs(p.item() - (1.9 - 0.1 / (1 + 1e-8))) < 1e-15);
  BOOST_TEST(opt.type() == "adamw");
  BOOST_TEST(nn::AdamW({Tensor::zeros({1})}).hyperparameters().back().second == 0.01);  // PyTorch's default
}

BOOST_AUTO_TEST_CASE(large_parameters_use_every_block_and_the_tail) {
  // 3 blocks of 16384 and a tail that is not a multiple of any SIMD width.
  const int64_t n = 3 * 16384 + 13;
  run_against(ref::Adam{.lr = 0.01, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 0.01}, [](Tensor p) {
    return std::make_unique<nn::Adam>(std::vector<Tensor>{p}, 0.01, 0.9, 0.999, 1e-8, 0.01);
  }, n, 3);
  run_against(ref::SGD{.lr = 0.05, .momentum = 0.9, .weight_decay = 0.01}, [](Tensor p) {
    return std::make_unique<nn::SGD>(std::vector<Tensor>{p}, 0.05, 0.9, 0.01);
  }, n, 3);
}

BOOST_AUTO_TEST_CASE(float32_parameters_follow_the_same_rule) {
  ref::Adam ref{.lr = 0.01};
  Tensor p = uniform({100}, -1.0, 1.0, 4, DType::f32);
  std::vector<double> theta = p.to_vector();
  nn::Adam opt({p}, 0.01);
  for (int s = 0; s < 3; ++s) {
    const std::vector<double> g = grad_at(theta);
    p.set_grad(Tensor::from_vector(g, {100}, DType::f32));
    opt.step();
    ref.step(theta, g);
  }
  BOOST_TEST(ref::max_abs_difference(p, theta) < 1e-5);
  BOOST_TEST((opt.state("exp_avg", 0).dtype() == DType::f32));
}

BOOST_AUTO_TEST_CASE(steps_are_identical_for_any_thread_count) {
  auto run = [](int threads) {
    tbb::global_control c(tbb::global_control::max_allowed_parallelism, static_cast<size_t>(threads));
    Tensor p = uniform({100003}, -1.0, 1.0, 5, DType::f32);
    nn::Adam opt({p}, 0.01, 0.9, 0.999, 1e-8, 1e-3);
    for (int s = 0; s < 3; ++s) {
      p.set_grad(uniform({100003}, -1.0, 1.0, 6 + static_cast<uint64_t>(s), DType::f32));
      opt.step();
    }
    return p.to_vector();
  };
  BOOST_TEST(run(1) == run(2));
}

BOOST_AUTO_TEST_CASE(a_parameter_without_gradient_is_skipped) {
  // PyTorch skips a parameter whose .grad is None: no update, no state, its own step count.
  Tensor a = Tensor::from_vector({1.0}, {1}, DType::f64), b = Tensor::from_vector({1.0}, {1}, DType::f64);
  nn::Adam opt({a, b}, 0.1);
  ref::Adam ra{.lr = 0.1}, rb{.lr = 0.1};
  std::vector<double> ta = {1.0}, tb = {1.0};
  for (int s = 1; s <= 4; ++s) {
    opt.zero_grad();
    a.set_grad(Tensor::from_vector({0.5}, {1}, DType::f64));
    ra.step(ta, {0.5});
    if (s >= 3) {  // b gets gradients from step 3 on: its bias correction starts at t = 1
      b.set_grad(Tensor::from_vector({-2.0}, {1}, DType::f64));
      rb.step(tb, {-2.0});
    }
    opt.step();
    if (s == 2) {
      BOOST_TEST(b.item() == 1.0);
      BOOST_TEST(!opt.state("exp_avg", 1).defined());
    }
  }
  BOOST_TEST(opt.step_count() == 4);
  BOOST_TEST(opt.param_step(0) == 4);
  BOOST_TEST(opt.param_step(1) == 2);
  BOOST_TEST(std::abs(a.item() - ta[0]) < 1e-12);
  BOOST_TEST(std::abs(b.item() - tb[0]) < 1e-12);
}

BOOST_AUTO_TEST_CASE(zero_grad_and_training_through_the_tape) {
  // Minimise (θ - 3)² with SGD: a real backward, the update under NoGradGuard (nothing recorded).
  Tensor p = Tensor::from_vector({0.0}, {1}, DType::f64).requires_grad_();
  nn::SGD opt({p}, 0.1);
  for (int s = 0; s < 100; ++s) {
    opt.zero_grad();
    backward(sum(pow(p - 3.0, 2.0)));
    opt.step();
    BOOST_TEST(tape_size() == 0u);
  }
  BOOST_TEST(std::abs(p.item() - 3.0) < 1e-6);
  opt.zero_grad();
  BOOST_TEST(!p.has_grad());
}

BOOST_AUTO_TEST_CASE(state_export_import_resumes_exactly) {
  auto make_grad = [](int s) { return uniform({6}, -1.0, 1.0, 100 + static_cast<uint64_t>(s), DType::f64); };
  Tensor p = uniform({6}, -1.0, 1.0, 7, DType::f64);
  nn::Adam opt({p}, 0.01, 0.9, 0.999, 1e-8, 1e-3);
  for (int s = 0; s < 2; ++s) {
    p.set_grad(make_grad(s));
    opt.step();
  }
  const nn::OptimizerState saved = opt.export_state();
  const Tensor p_saved = p.clone();
  BOOST_TEST(saved.type == "adam");
  BOOST_TEST(saved.step_count == 2);
  BOOST_TEST(saved.param_steps == std::vector<int64_t>{2}, boost::test_tools::per_element());
  BOOST_TEST(saved.buffer_names == std::vector<std::string>({"exp_avg", "exp_avg_sq"}), boost::test_tools::per_element());
  BOOST_TEST(!saved.buffers[0][0].same(opt.state("exp_avg", 0)));  // a copy

  // The uninterrupted run.
  for (int s = 2; s < 4; ++s) {
    p.set_grad(make_grad(s));
    opt.step();
  }
  const std::vector<double> want = p.to_vector();

  // A fresh optimiser (other lr: import restores the hyper-parameters too) resumed from the copy.
  Tensor q = p_saved.clone();
  nn::Adam resumed({q}, 0.5);
  resumed.import_state(saved);
  BOOST_TEST(resumed.lr() == 0.01);
  for (int s = 2; s < 4; ++s) {
    q.set_grad(make_grad(s));
    resumed.step();
  }
  BOOST_TEST(q.to_vector() == want);  // bit for bit
  BOOST_TEST(resumed.step_count() == 4);
}

BOOST_AUTO_TEST_CASE(import_rejects_mismatched_state_and_changes_nothing) {
  Tensor p = Tensor::zeros({3}, DType::f64);
  nn::Adam opt({p}, 0.01);
  p.set_grad(Tensor::full({3}, 1.0, DType::f64));
  opt.step();
  const nn::OptimizerState good = opt.export_state();
  auto unchanged = [&] {
    const nn::OptimizerState now = opt.export_state();
    BOOST_TEST(now.step_count == 1);
    BOOST_TEST((now.hyperparameters == good.hyperparameters));
    BOOST_TEST(now.buffers[0][0].to_vector() == good.buffers[0][0].to_vector());
  };

  nn::OptimizerState s = good;
  s.type = "sgd";
  BOOST_CHECK_EXCEPTION(opt.import_state(s), Error, [](const Error& e) { return message_has(e, "sgd"); });
  s = good;
  s.buffers[1][0] = Tensor::zeros({4}, DType::f64);
  BOOST_CHECK_EXCEPTION(opt.import_state(s), Error, [](const Error& e) { return message_has(e, "exp_avg_sq") && message_has(e, "[4]"); });
  s = good;
  s.buffers[0][0] = Tensor::zeros({3}, DType::f32);
  BOOST_CHECK_EXCEPTION(opt.import_state(s), Error, [](const Error& e) { return message_has(e, "float32"); });
  s = good;
  s.param_steps = {0};
  BOOST_CHECK_THROW(opt.import_state(s), Error);
  s = good;
  s.hyperparameters[0].second = -1;  // lr
  s.step_count = 9;
  BOOST_CHECK_EXCEPTION(opt.import_state(s), Error, [](const Error& e) { return message_has(e, "learning rate"); });
  s = good;
  s.hyperparameters.emplace_back("amsgrad", 1);
  BOOST_CHECK_EXCEPTION(opt.import_state(s), Error, [](const Error& e) { return message_has(e, "amsgrad"); });
  unchanged();
}

BOOST_AUTO_TEST_CASE(constructors_validate) {
  Tensor p = Tensor::zeros({2});
  BOOST_CHECK_EXCEPTION(nn::Adam({}, 0.1), Error, [](const Error& e) { return message_has(e, "empty parameter list"); });
  BOOST_CHECK_EXCEPTION(nn::Adam({p, p}, 0.1), Error, [](const Error& e) { return message_has(e, "twice"); });
  BOOST_CHECK_THROW(nn::Adam({p}, -0.1), Error);
  BOOST_CHECK_THROW(nn::Adam({p}, 0.1, 1.0), Error);
  BOOST_CHECK_THROW(nn::AdamW({p}, 0.1, 0.9, 0.999, 1e-8, -1), Error);
  BOOST_CHECK_THROW(nn::SGD({p}, 0.1, -0.9), Error);
  nn::SGD sgd({p}, 0.1);
  BOOST_CHECK_EXCEPTION(sgd.state("momentum_buffer", 0), Error, [](const Error& e) { return message_has(e, "none"); });
  BOOST_CHECK_THROW(sgd.param_step(1), Error);
  sgd.set_lr(0.5);
  BOOST_TEST(sgd.lr() == 0.5);
  BOOST_CHECK_THROW(sgd.set_lr(std::nan("")), Error);
}
