// Forward values of the engine's ops against hand-computed results, and the tape's behaviour.
// To add a test: build small tensors with Tensor::from_vector, run the op, compare with
// values worked out by hand (check_values), and for a new op also register a gradcheck case.
#define BOOST_TEST_MODULE autograd
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <tbb/global_control.h>

#include "autograd/creation.hpp"
#include "autograd/ops.hpp"
#include "reference.hpp"
#include "testing.hpp"

using namespace gatgrad;
namespace ref = gatgrad::reference;

namespace {

Tensor T32(std::vector<double> v, Shape s) { return Tensor::from_vector(v, s, DType::f32); }
Tensor T64(std::vector<double> v, Shape s) { return Tensor::from_vector(v, s, DType::f64); }

void check_values(const Tensor& t, const std::vector<double>& want, double tol = 1e-6) {
  const std::vector<double> got = t.to_vector();
  BOOST_REQUIRE_EQUAL(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i)
    BOOST_TEST(std::abs(got[i] - want[i]) <= tol, "element " << i << ": got " << got[i] << " want " << want[i]);
}

using testing::message_has;  // (tests/testing.hpp)

}  // namespace

BOOST_AUTO_TEST_CASE(arithmetic_broadcasts_like_numpy) {
  Tensor a = T32({1, 2, 3, 4, 5, 6}, {2, 3});
  check_values(add(a, T32({10, 20, 30}, {3})), {11, 22, 33, 14, 25, 36});
  check_values(sub(a, T32({1, 2}, {2, 1})), {0, 1, 2, 2, 3, 4});
  check_values(mul(a, T32({2}, {1})), {2, 4, 6, 8, 10, 12});
  check_values(div(a, T32({1, 2, 4}, {1, 3})), {1, 1, 0.75, 4, 2.5, 1.5});
  check_values(neg(a), {-1, -2, -3, -4, -5, -6});
  check_values(a * 2.0 + 1.0, {3, 5, 7, 9, 11, 13});
  BOOST_TEST(add(T32({1, 2}, {2, 1}), T32({1, 2, 3}, {1, 3})).shape() == Shape({2, 3}));
}

BOOST_AUTO_TEST_CASE(math_and_activations) {
  Tensor x = T64({-2, -0.5, 0.5, 2}, {4});
  check_values(exp(x), {std::exp(-2), std::exp(-0.5), std::exp(0.5), std::exp(2)}, 1e-12);
  check_values(log(T64({1, std::exp(1.0), 0.5}, {3})), {0, 1, std::log(0.5)}, 1e-12);
  check_values(sqrt(T64({4, 9, 2}, {3})), {2, 3, std::sqrt(2.0)}, 1e-12);
  check_values(pow(T64({2, 3}, {2}), 3.0), {8, 27}, 1e-9);
  check_values(relu(x), {0, 0, 0.5, 2});
  check_values(leaky_relu(x, 0.2), {-0.4, -0.1, 0.5, 2}, 1e-12);
  check_values(elu(x), {std::exp(-2) - 1, std::exp(-0.5) - 1, 0.5, 2}, 1e-12);
  check_values(sigmoid(T64({0, 2}, {2})), {0.5, 1 / (1 + std::exp(-2.0))}, 1e-12);
  check_values(tanh(T64({0, 1}, {2})), {0, std::tanh(1.0)}, 1e-12);
}

BOOST_AUTO_TEST_CASE(reductions) {
  Tensor a = T32({1, 5, 3, 4, 2, 6}, {2, 3});
  check_values(sum(a), {21});
  check_values(sum(a, 0), {5, 7, 9});
  check_values(sum(a, 1), {9, 12});
  BOOST_TEST(sum(a, 1, true).shape() == Shape({2, 1}));
  check_values(mean(a), {3.5});
  check_values(mean(a, -1), {3, 4});
  check_values(max(a), {6});
  check_values(max(a, 0), {4, 5, 6});
  check_values(max(a, 1), {5, 6});
}

BOOST_AUTO_TEST_CASE(sum_of_many_floats_is_thread_count_independent) {
  Tensor x = uniform({1 << 20}, -1, 1, 7);
  double one, two;
  {
    tbb::global_control c(tbb::global_control::max_allowed_parallelism, 1);
    one = sum(x).item();
  }
  {
    tbb::global_control c(tbb::global_control::max_allowed_parallelism, 2);
    two = sum(x).item();
  }
  BOOST_TEST(one == two);  // identical bits
}

BOOST_AUTO_TEST_CASE(matmul_values_and_transposes) {
  Tensor a = T32({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor b = T32({1, 0, 0, 1, 1, 1}, {3, 2});
  check_values(matmul(a, b), {4, 5, 10, 11});
  check_values(matmul(a, a, false, true), {14, 32, 32, 77});  // a aᵀ
  check_values(matmul(a, a, true, false), {17, 22, 27, 22, 29, 36, 27, 36, 45});  // aᵀ a
}

BOOST_AUTO_TEST_CASE(shape_ops) {
  Tensor a = T32({1, 2, 3, 4, 5, 6}, {2, 3});
  BOOST_TEST(reshape(a, {3, -1}).shape() == Shape({3, 2}));
  check_values(transpose(a), {1, 4, 2, 5, 3, 6});
  check_values(concat({a, T32({7, 8}, {2, 1})}, 1), {1, 2, 3, 7, 4, 5, 6, 8});
  check_values(concat({a, a}, 0), {1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6});
  check_values(slice(a, 1, 1, 3), {2, 3, 5, 6});
  check_values(index_select(a, {1, 1, 0}), {4, 5, 6, 4, 5, 6, 1, 2, 3});
}

BOOST_AUTO_TEST_CASE(softmax_and_losses) {
  Tensor z = T64({1, 2, 3, 1, 1, 1}, {2, 3});
  const double s = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  check_values(softmax(z), {std::exp(1.0) / s, std::exp(2.0) / s, std::exp(3.0) / s, 1. / 3, 1. / 3, 1. / 3}, 1e-12);
  check_values(log_softmax(z), {1 - std::log(s), 2 - std::log(s), 3 - std::log(s), -std::log(3.0), -std::log(3.0), -std::log(3.0)}, 1e-12);
  // Row 0 label 2, row 1 label 0; mean over both rows, and over row 1 only.
  check_values(cross_entropy(z, {2, 0}), {((std::log(s) - 3) + std::log(3.0)) / 2}, 1e-12);
  check_values(cross_entropy(z, {2, 0}, {1}), {std::log(3.0)}, 1e-12);
  // BCE of logit 0 is log 2 whatever the target.
  check_values(binary_cross_entropy_with_logits(T64({0, 0}, {1, 2}), T64({1, 0}, {1, 2})), {std::log(2.0)}, 1e-12);
  // Huge logits stay finite.
  check_values(softmax(T64({1e4, -1e4}, {2})), {1, 0}, 1e-12);
}

BOOST_AUTO_TEST_CASE(cross_entropy_over_a_row_subset) {
  // Rows 0 and 2 are "train" rows; row 1 must not count (its label is even out of range).
  Tensor z = T64({1, 2, 3, 9, 9, 9, 0, 0, std::log(2.0)}, {3, 3}).requires_grad_();
  const std::vector<int64_t> labels = {2, -1, 0};
  const double s0 = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  const double l0 = std::log(s0) - 3;  // -log softmax(z_0)[2]
  const double l2 = std::log(4.0);     // -log (1 / (1 + 1 + 2))
  Tensor loss = cross_entropy(z, labels, {0, 2});
  check_values(loss, {(l0 + l2) / 2}, 1e-12);
  backward(loss);
  // dL/dz_r = (softmax(z_r) - onehot(y_r)) / 2 on rows 0 and 2, zero on row 1.
  check_values(z.grad(), {std::exp(1.0) / s0 / 2, std::exp(2.0) / s0 / 2, (std::exp(3.0) / s0 - 1) / 2,  //
                          0, 0, 0,                                                                    //
                          (0.25 - 1) / 2, 0.25 / 2, 0.5 / 2},
               1e-12);
  check_values(cross_entropy(z, {2, 0, 0}), {(l0 + std::log(3 * std::exp(9.0)) - 9 + l2) / 3}, 1e-12);
}

BOOST_AUTO_TEST_CASE(bce_with_logits_over_a_row_subset) {
  // Row 1 only: elements (z, t) = (0, 1) and (2, 0):
  //   l(z, t) = max(z, 0) - z t + log(1 + e^{-|z|}) -> log 2 and 2 + log(1 + e^{-2}).
  Tensor z = T64({5, -5, 0, 2}, {2, 2}).requires_grad_();
  Tensor t = T64({0, 1, 1, 0}, {2, 2});
  const double want = (std::log(2.0) + 2 + std::log1p(std::exp(-2.0))) / 2;
  Tensor loss = binary_cross_entropy_with_logits(z, t, {1});
  check_values(loss, {want}, 1e-12);
  backward(loss);
  const double sig2 = 1 / (1 + std::exp(-2.0));
  check_values(z.grad(), {0, 0, (0.5 - 1) / 2, sig2 / 2}, 1e-12);
  // All rows: the mean over 4 elements.
  const double row0 = 5 + std::log1p(std::exp(-5.0)) + 5 + std::log1p(std::exp(-5.0));
  check_values(binary_cross_entropy_with_logits(z, t), {(row0 + 2 * want) / 4}, 1e-12);
}

BOOST_AUTO_TEST_CASE(losses_against_the_reference) {
  // Random logits, a subset of rows (a label outside [0, C) on a row not in it), both losses'
  // values and gradients against tests/reference.hpp's equations.
  Tensor z = uniform({9, 5}, -4, 4, 31, DType::f64).requires_grad_();
  const std::vector<int64_t> labels = {0, 4, 2, 2, -1, 1, 3, 0, 4}, rows = {0, 1, 2, 3, 5, 6, 8};
  const ref::Loss ce = ref::cross_entropy(z, labels, rows);
  Tensor loss = cross_entropy(z, labels, rows);
  BOOST_TEST(std::abs(loss.item() - ce.value) < 1e-12);
  backward(loss);
  check_values(z.grad(), ce.grad.to_vector(), 1e-12);
  z.zero_grad();
  const Tensor t = ref::above(uniform({9, 5}, 0, 1, 32, DType::f64), 0.5);
  const ref::Loss bce = ref::binary_cross_entropy_with_logits(z, t, rows);
  loss = binary_cross_entropy_with_logits(z, t, rows);
  BOOST_TEST(std::abs(loss.item() - bce.value) < 1e-12);
  backward(loss);
  check_values(z.grad(), bce.grad.to_vector(), 1e-12);
}

BOOST_AUTO_TEST_CASE(dropout_is_seeded_and_scaled) {
  Tensor x = Tensor::full({10000}, 1.0);
  Tensor y1 = dropout(x, 0.6, 42), y2 = dropout(x, 0.6, 42), y3 = dropout(x, 0.6, 43);
  std::vector<double> v1 = y1.to_vector(), v2 = y2.to_vector(), v3 = y3.to_vector();
  BOOST_TEST(v1 == v2);
  BOOST_TEST(v1 != v3);
  int kept = 0;
  for (double v : v1) {
    BOOST_TEST((v == 0.0 || std::abs(v - 2.5) < 1e-6));
    kept += v != 0.0;
  }
  BOOST_TEST(std::abs(kept / 10000.0 - 0.4) < 0.02);
  BOOST_TEST(dropout(x, 0.0, 1).same(x));
}

BOOST_AUTO_TEST_CASE(tape_accumulates_a_tensor_used_twice) {
  Tensor x = T64({3}, {1}).requires_grad_();
  Tensor y = x * x + x;  // dy/dx = 2x + 1 = 7
  backward(sum(y));
  check_values(x.grad(), {7});
  BOOST_TEST(tape_size() == 0u);
}

BOOST_AUTO_TEST_CASE(no_grad_records_nothing) {
  Tensor x = T64({1, 2}, {2}).requires_grad_();
  {
    NoGradGuard guard;
    Tensor y = exp(x);
    BOOST_TEST(!y.requires_grad());
  }
  BOOST_TEST(tape_size() == 0u);
}

BOOST_AUTO_TEST_CASE(tape_misuse_gets_clear_errors) {
  Tensor x = T64({1, 2}, {2}).requires_grad_();
  Tensor y = x * 2.0;
  BOOST_CHECK_EXCEPTION(backward(y), Error, [](const Error& e) { return message_has(e, "not a scalar"); });
  Tensor loss = sum(y);
  backward(loss);
  BOOST_CHECK_EXCEPTION(backward(loss), Error, [](const Error& e) { return message_has(e, "already freed"); });
  BOOST_CHECK_EXCEPTION(add(T32({1, 2}, {2}), T32({1, 2, 3}, {3})), Error,
                        [](const Error& e) { return message_has(e, "add") && message_has(e, "[2]") && message_has(e, "[3]"); });
  BOOST_CHECK_EXCEPTION(matmul(T32({1, 2}, {1, 2}), T32({1, 2}, {1, 2})), Error,
                        [](const Error& e) { return message_has(e, "matmul") && message_has(e, "[1, 2]"); });
  BOOST_CHECK_EXCEPTION(add(T32({1}, {1}), T64({1}, {1})), Error,
                        [](const Error& e) { return message_has(e, "dtype"); });
  // A non-scalar with a seed gradient is fine.
  x.zero_grad();
  Tensor z = x * 3.0;
  backward(z, T64({1, 1}, {2}));
  check_values(x.grad(), {3, 3});
}
