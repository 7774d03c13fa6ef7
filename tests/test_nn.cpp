// nn building blocks against hand-computed values: modules, Linear, Dropout, initialisers, metrics.
// To add a test: build the layer with a fixed seed (or set its tensors with copy_from), run it on a
// Tensor::from_vector input and compare with values worked out by hand (check_values).
#define BOOST_TEST_MODULE nn
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "autograd/creation.hpp"
#include "autograd/ops.hpp"
#include "autograd/random.hpp"
#include "nn/activation.hpp"
#include "nn/dropout.hpp"
#include "nn/init.hpp"
#include "nn/linear.hpp"
#include "nn/metrics.hpp"
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

// A block and a net of two blocks plus a parameter of its own, registered in between.
struct Block : nn::Module {
  explicit Block(uint64_t seed) {
    fc = register_module("fc", std::make_shared<nn::Linear>(3, 2, true, seed));
    drop = register_module("drop", std::make_shared<nn::Dropout>(0.5, seed));
  }
  std::shared_ptr<nn::Linear> fc;
  std::shared_ptr<nn::Dropout> drop;
};

struct Net : nn::Module {
  Net() {
    conv1 = register_module("conv1", std::make_shared<Block>(1));
    scale = register_parameter("scale", Tensor::full({1}, 2.0));
    conv2 = register_module("conv2", std::make_shared<Block>(2));
  }
  std::shared_ptr<Block> conv1, conv2;
  Tensor scale;
};

std::vector<std::string> names_of(const std::vector<std::pair<std::string, Tensor>>& named) {
  std::vector<std::string> out;
  for (const auto& [name, t] : named) out.push_back(name);
  return out;
}

}  // namespace

// ---- Module ----

BOOST_AUTO_TEST_CASE(module_lists_parameters_recursively_in_registration_order) {
  Net net;
  const std::vector<std::string> want = {"conv1.fc.weight", "conv1.fc.bias", "scale", "conv2.fc.weight", "conv2.fc.bias"};
  BOOST_TEST(names_of(net.named_parameters()) == want, boost::test_tools::per_element());
  BOOST_TEST(net.parameters().size() == 5u);
  BOOST_TEST(net.parameters()[2].same(net.scale));
  BOOST_TEST(net.parameter("conv2.fc.weight").same(net.conv2->fc->weight()));
  BOOST_TEST(net.num_parameters() == 2 * (3 * 2 + 2) + 1);
  for (const Tensor& p : net.parameters()) BOOST_TEST(p.requires_grad());
  BOOST_CHECK_EXCEPTION(net.parameter("conv3.fc.weight"), Error, [](const Error& e) { return message_has(e, "conv3.fc.weight"); });

  auto children = net.named_children();
  BOOST_REQUIRE_EQUAL(children.size(), 2u);
  BOOST_TEST(children[0].first == "conv1");
  BOOST_TEST(children[1].second.get() == net.conv2.get());

  auto counters = net.named_counters();
  BOOST_REQUIRE_EQUAL(counters.size(), 2u);
  BOOST_TEST(counters[0].first == "conv1.drop.counter");
  BOOST_TEST(counters[1].first == "conv2.drop.counter");
  net.set_counter("conv2.drop.counter", 17);
  BOOST_TEST(net.conv2->drop->counter() == 17u);
  BOOST_CHECK_THROW(net.set_counter("conv9.drop.counter", 1), Error);
}

BOOST_AUTO_TEST_CASE(module_train_eval_and_zero_grad_recurse) {
  Net net;
  BOOST_TEST(net.is_training());
  net.eval();
  BOOST_TEST(!net.is_training());
  BOOST_TEST(!net.conv1->is_training());
  BOOST_TEST(!net.conv2->drop->is_training());
  net.conv1->train();  // a subtree alone
  BOOST_TEST(net.conv1->drop->is_training());
  BOOST_TEST(!net.conv2->drop->is_training());
  net.train(true);
  BOOST_TEST(net.conv2->fc->is_training());

  Tensor x = T32({1, 2, 3}, {1, 3});
  backward(sum(net.conv1->fc->forward(x) * net.scale));
  BOOST_TEST(net.scale.has_grad());
  BOOST_TEST(net.conv1->fc->weight().has_grad());
  BOOST_TEST(!net.conv2->fc->weight().has_grad());
  net.zero_grad();
  for (const Tensor& p : net.parameters()) BOOST_TEST(!p.has_grad());
}

BOOST_AUTO_TEST_CASE(module_rejects_bad_registrations) {
  nn::Module m;
  m.register_parameter("w", Tensor::zeros({2}));
  BOOST_CHECK_EXCEPTION(m.register_parameter("w", Tensor::zeros({2})), Error, [](const Error& e) { return message_has(e, "already registered"); });
  BOOST_CHECK_EXCEPTION(m.register_parameter("a.b", Tensor::zeros({2})), Error, [](const Error& e) { return message_has(e, "'a.b'"); });
  BOOST_CHECK_THROW(m.register_parameter("", Tensor::zeros({2})), Error);
  BOOST_CHECK_THROW(m.register_parameter("../x", Tensor::zeros({2})), Error);
  BOOST_CHECK_THROW(m.register_parameter("u", Tensor()), Error);
  Tensor leaf = T32({1, 2}, {2}).requires_grad_();
  BOOST_CHECK_EXCEPTION(m.register_parameter("y", leaf * 2.0), Error, [](const Error& e) { return message_has(e, "leaf"); });
  tape_clear();
  // Cycles: a module inside itself, or a parent registered below its child.
  auto a = std::make_shared<nn::Module>();
  auto b = std::make_shared<nn::Module>();
  a->register_module("b", b);
  BOOST_CHECK_EXCEPTION(b->register_module("a", a), Error, [](const Error& e) { return message_has(e, "cycle"); });
  BOOST_CHECK_THROW(a->register_module("self", a), Error);
}

BOOST_AUTO_TEST_CASE(module_lists_a_shared_parameter_once) {
  nn::Module m;
  auto fc = std::make_shared<nn::Linear>(2, 2, false, 3);
  m.register_module("enc", fc);
  m.register_module("dec", fc);  // tied weights
  BOOST_TEST(names_of(m.named_parameters()) == std::vector<std::string>{"enc.weight"}, boost::test_tools::per_element());
  BOOST_TEST(m.num_parameters() == 4);
}

// ---- Linear ----

BOOST_AUTO_TEST_CASE(linear_forward_by_hand) {
  nn::Linear lin(2, 3);
  lin.weight().copy_from(T32({1, 2, 3, 4, 5, 6}, {2, 3}));  // W [in=2, out=3]
  lin.bias().copy_from(T32({0.5, -1, 2}, {3}));
  Tensor x = T32({1, 1, 2, -1}, {2, 2});
  // x W = [[5, 7, 9], [-2, -1, 0]]; + b
  Tensor y = lin.forward(x);
  BOOST_TEST(y.shape() == Shape({2, 3}));
  check_values(y, {5.5, 6, 11, -1.5, -2, 2});
  // Leading axes are rows: [2, 1, 2] -> [2, 1, 3]; a vector [2] -> [3].
  check_values(lin(reshape(x, {2, 1, 2})), {5.5, 6, 11, -1.5, -2, 2});
  BOOST_TEST(lin(reshape(x, {2, 1, 2})).shape() == Shape({2, 1, 3}));
  BOOST_TEST(lin(T32({1, 1}, {2})).shape() == Shape({3}));
  check_values(lin(T32({1, 1}, {2})), {5.5, 6, 11});
  BOOST_CHECK_EXCEPTION(lin(T32({1, 2, 3}, {1, 3})), Error, [](const Error& e) { return message_has(e, "Linear") && message_has(e, "[1, 3]"); });

  nn::Linear nobias(2, 3, false);
  BOOST_TEST(!nobias.bias().defined());
  BOOST_TEST(names_of(nobias.named_parameters()) == std::vector<std::string>{"weight"}, boost::test_tools::per_element());
  BOOST_CHECK_THROW(nn::Linear(0, 3), Error);
}

BOOST_AUTO_TEST_CASE(linear_init_is_glorot_and_seeded) {
  nn::Linear a(20, 30, true, 5), b(20, 30, true, 5), c(20, 30, true, 6);
  const double limit = std::sqrt(6.0 / 50.0);
  const std::vector<double> wa = a.weight().to_vector();
  double biggest = 0;
  for (double v : wa) biggest = std::max(biggest, std::abs(v));
  BOOST_TEST(biggest <= limit);
  BOOST_TEST(biggest > 0.9 * limit);  // 600 draws reach the edges
  BOOST_TEST(wa == b.weight().to_vector());
  BOOST_TEST((wa != c.weight().to_vector()));
  check_values(a.bias(), std::vector<double>(30, 0.0), 0);
  BOOST_TEST((nn::Linear(2, 2, true, 1, DType::f64).weight().dtype() == DType::f64));
}

BOOST_AUTO_TEST_CASE(linear_gradients_by_hand) {
  nn::Linear lin(2, 1, true, 0, DType::f64);
  lin.weight().copy_from(T64({3, -1}, {2, 1}));
  Tensor x = T64({1, 2, -1, 4}, {2, 2}).requires_grad_();
  backward(sum(lin(x)));  // L = Σ_r (x_r W + b)
  check_values(lin.weight().grad(), {0, 6}, 1e-12);  // column sums of x
  check_values(lin.bias().grad(), {2}, 1e-12);        // number of rows
  check_values(x.grad(), {3, -1, 3, -1}, 1e-12);      // W broadcast over rows
}

// ---- Dropout and activations ----

BOOST_AUTO_TEST_CASE(dropout_is_identity_in_eval_and_seeded_in_train) {
  Tensor x = Tensor::full({1000}, 1.0);
  nn::Dropout d(0.5, 42), same(0.5, 42);
  d.eval();
  BOOST_TEST(d.forward(x).same(x));
  BOOST_TEST(d.counter() == 0u);

  d.train();
  const std::vector<double> m0 = d(x).to_vector(), m1 = d(x).to_vector();
  BOOST_TEST(d.counter() == 2u);
  BOOST_TEST((m0 != m1));  // a fresh mask every call
  BOOST_TEST(m0 == same(x).to_vector());
  BOOST_TEST(m1 == same(x).to_vector());
  // The stream is derive_key(seed, counter) through the engine's dropout.
  BOOST_TEST(m1 == dropout(x, 0.5, derive_key(42, 1)).to_vector());
  // Resuming from a saved counter replays the stream exactly.
  nn::Dropout resumed(0.5, 42);
  resumed.set_counter(1);
  BOOST_TEST(resumed(x).to_vector() == m1);
  for (double v : m0) BOOST_TEST((v == 0.0 || v == 2.0));
  BOOST_CHECK_THROW(nn::Dropout(1.0), Error);
  BOOST_CHECK_THROW(nn::Dropout(-0.1), Error);
}

BOOST_AUTO_TEST_CASE(activation_modules) {
  Tensor x = T64({-2, 0.5}, {2});
  check_values(nn::ReLU()(x), {0, 0.5}, 1e-12);
  check_values(nn::ELU(1.0)(x), {std::exp(-2.0) - 1, 0.5}, 1e-12);
  check_values(nn::LeakyReLU(0.2)(x), {-0.4, 0.5}, 1e-12);
}

// ---- init ----

BOOST_AUTO_TEST_CASE(glorot_limits_and_determinism) {
  BOOST_TEST(nn::glorot_limit({3, 5}) == std::sqrt(6.0 / 8.0));
  BOOST_TEST(nn::glorot_limit({4, 3, 5}) == std::sqrt(6.0 / 8.0));  // last two axes
  BOOST_TEST(nn::glorot_fans({1, 8, 16}).fan_in == 8);
  BOOST_CHECK_EXCEPTION(nn::glorot_limit({7}), Error, [](const Error& e) { return message_has(e, "[7]"); });

  Tensor a = Tensor::empty({64, 32}, DType::f64), b = Tensor::empty({64, 32}, DType::f64);
  nn::glorot_uniform(a, 9);
  nn::glorot_uniform(b, 9);
  BOOST_TEST(a.to_vector() == b.to_vector());
  const double limit = std::sqrt(6.0 / 96.0);
  double lo = 1, hi = -1, mean = 0;
  for (double v : a.to_vector()) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    mean += v / 2048.0;
  }
  BOOST_TEST(lo >= -limit);
  BOOST_TEST(hi < limit);
  BOOST_TEST(lo < -0.95 * limit);
  BOOST_TEST(hi > 0.95 * limit);
  BOOST_TEST(std::abs(mean) < 0.05 * limit);
  nn::glorot_uniform(b, 10);
  BOOST_TEST((a.to_vector() != b.to_vector()));

  Tensor c = T32({1, 2, 3}, {3});
  nn::constant(c, 0.25);
  check_values(c, {0.25, 0.25, 0.25}, 0);
  nn::zeros(c);
  check_values(c, {0, 0, 0}, 0);
}

// ---- metrics ----

BOOST_AUTO_TEST_CASE(mask_to_rows_and_accuracy) {
  BOOST_TEST(nn::mask_to_rows({0, 1, 1, 0, 2}) == std::vector<int64_t>({1, 2, 4}), boost::test_tools::per_element());
  BOOST_TEST(nn::mask_to_rows({}).empty());
  // argmax per row: 1, 0 (a tie of 0 and 2 goes to the first), 2, 1.
  Tensor z = T32({0, 5, 1, 3, 1, 3, -1, -2, 0, 0, 1, 1}, {4, 3});
  const std::vector<int64_t> labels = {1, 2, 2, 2};
  BOOST_TEST(nn::accuracy(z, labels) == 0.5);                  // rows 0 and 2 right
  BOOST_TEST(nn::accuracy(z, labels, {0, 1}) == 0.5);
  BOOST_TEST(nn::accuracy(z, labels, {1, 3}) == 0.0);
  BOOST_TEST(nn::accuracy(z, labels, {2}) == 1.0);
  BOOST_TEST(nn::accuracy(z, {1, 0, 2, 2}, {1}) == 1.0);       // the tie resolved to class 0
  BOOST_CHECK_THROW(nn::accuracy(z, labels, {}), Error);
  BOOST_CHECK_THROW(nn::accuracy(z, labels, {4}), Error);
  BOOST_CHECK_THROW(nn::accuracy(z, {1, 2, 3, 2}, {2}), Error);  // label 3 of 3 classes
  BOOST_CHECK_THROW(nn::accuracy(z, {1, 2}, {0}), Error);
}

BOOST_AUTO_TEST_CASE(micro_f1_by_hand) {
  // Predictions (logit > 0)   targets
  //   row 0: 1 0 1            1 1 0     TP 1 FP 1 FN 1
  //   row 1: 0 0 1            0 0 1     TP 1
  //   row 2: 1 1 1            0 0 0     FP 3
  Tensor z = T32({2, -1, 0.5, -3, 0, 4, 1, 1, 1}, {3, 3});
  Tensor t = T32({1, 1, 0, 0, 0, 1, 0, 0, 0}, {3, 3});
  // All rows: TP 2, FP 4, FN 1 -> 4 / (4 + 4 + 1).
  BOOST_TEST(std::abs(nn::micro_f1(z, t) - 4.0 / 9.0) < 1e-12);
  // Rows 0, 1: TP 2, FP 1, FN 1 -> 4 / 6.
  BOOST_TEST(std::abs(nn::micro_f1(z, t, {0, 1}) - 4.0 / 6.0) < 1e-12);
  // The same with Dataset::y's flat int64 targets.
  const std::vector<int64_t> y = {1, 1, 0, 0, 0, 1, 0, 0, 0};
  BOOST_TEST(std::abs(nn::micro_f1(z, y, {0, 1}) - 4.0 / 6.0) < 1e-12);
  BOOST_TEST(std::abs(nn::micro_f1(z, y) - 4.0 / 9.0) < 1e-12);
  // Threshold 1.5: row 0 predicts only class 0, row 1 class 2 -> TP 2, FN 1 -> 4 / 5.
  BOOST_TEST(std::abs(nn::micro_f1(z, t, {0, 1}, 1.5) - 4.0 / 5.0) < 1e-12);
  // Nothing predicted and nothing true: 0, as scikit-learn.
  BOOST_TEST(nn::micro_f1(z, t, {2}, 10.0) == 0.0);
  BOOST_CHECK_THROW(nn::micro_f1(z, T32({0, 2, 0, 0, 0, 0, 0, 0, 0}, {3, 3}), {0}), Error);
  BOOST_CHECK_THROW(nn::micro_f1(z, T32({0, 1}, {1, 2}), {0}), Error);
  BOOST_CHECK_THROW(nn::micro_f1(z, std::vector<int64_t>{1, 0}, {0}), Error);
}

BOOST_AUTO_TEST_CASE(metrics_against_the_reference) {
  // Random logits: accuracy and micro-F1 (three thresholds) over a subset of rows, against
  // tests/reference.hpp's argmax and confusion counts.
  const Tensor z = uniform({40, 6}, -2, 2, 41, DType::f32);
  std::vector<int64_t> labels, rows;
  for (int64_t i = 0; i < 40; ++i) {
    labels.push_back((i * 7) % 6);
    if (i % 3 != 1) rows.push_back(i);
  }
  BOOST_TEST(nn::accuracy(z, labels, rows) == ref::accuracy(z, labels, rows));
  const Tensor t = ref::above(uniform({40, 6}, 0, 1, 42, DType::f32), 0.6);
  for (double threshold : {-0.5, 0.0, 1.0})
    BOOST_TEST(std::abs(nn::micro_f1(z, t, rows, threshold) - ref::micro_f1(z, t, rows, threshold)) < 1e-12);
}
