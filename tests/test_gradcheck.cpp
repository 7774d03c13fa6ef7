// Runs every registered gradient check (autograd, graph, nn, models) as its own test case, and
// proves gradcheck can fail. To add a check for a new op, register it in that folder's
// checks.cpp: it then shows up here and in `gradcheck --list` by itself.
#define BOOST_TEST_MODULE gradcheck
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include "apps/lib/all_checks.hpp"
#include "autograd/creation.hpp"
#include "autograd/ops.hpp"

using namespace gatgrad;
namespace bdata = boost::unit_test::data;

static std::vector<std::string> check_names() {
  std::vector<std::string> names;
  const CheckRegistry registry = all_checks();
  for (const GradcheckCase& c : registry.cases()) names.push_back(c.name);
  return names;
}

BOOST_DATA_TEST_CASE(registered_check_passes, bdata::make(check_names()), name) {
  const CheckRegistry registry = all_checks();
  const GradcheckResult r = registry.find(name)->run();
  BOOST_TEST(r.checked > 0);
  BOOST_TEST(r.pass, name << ": max_abs_err=" << r.max_abs_err << " worst " << r.worst);
}

// An op with a deliberately wrong backward (dx += 2 dy instead of 3 dy) must be caught.
static Tensor times3_wrong_backward(const Tensor& x) {
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  for (int64_t k = 0; k < x.numel(); ++k) y.data<double>()[k] = 3 * x.data<double>()[k];
  if (any_requires_grad({&x}))
    record("times3", y, [x](const Tensor& dy) {
      for (int64_t k = 0; k < x.numel(); ++k) x.grad_accum().data<double>()[k] += 2 * dy.data<double>()[k];
    });
  return y;
}

BOOST_AUTO_TEST_CASE(gradcheck_catches_a_wrong_backward) {
  Tensor x = uniform({4}, -1, 1, 3, DType::f64).requires_grad_();
  const GradcheckResult r = gradcheck([](const std::vector<Tensor>& in) { return times3_wrong_backward(in[0]); }, {x});
  BOOST_TEST(!r.pass);
  BOOST_TEST(r.max_abs_err > 0.01);
}

// A softmax whose backward returns nothing passes a plain-sum check; the weighted sum catches it.
BOOST_AUTO_TEST_CASE(weighted_sum_sees_softmax_gradients) {
  Tensor x = uniform({2, 5}, -1, 1, 4, DType::f64).requires_grad_();
  const GradcheckResult r = gradcheck([](const std::vector<Tensor>& in) { return softmax(in[0]); }, {x});
  BOOST_TEST(r.pass);
  double total = 0;
  {
    tape_clear();
    Tensor y = softmax(x);
    backward(sum(mul(y, uniform({2, 5}, -1, 1, 5, DType::f64))));
    for (double g : x.grad().to_vector()) total += std::abs(g);
    x.zero_grad();
  }
  BOOST_TEST(total > 1e-3);  // the gradient being checked is not identically zero
}
