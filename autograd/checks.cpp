// Gradient checks of every engine op, as listed by `gradcheck --list`.
// To add one: register a case that builds float64 inputs (requires_grad on those to check) and
// returns gradcheck(f, inputs); keep inputs away from kinks (relu at 0, max ties).
#include "autograd/creation.hpp"
#include "autograd/gradcheck.hpp"
#include "autograd/ops.hpp"

namespace gatgrad {

namespace {

Tensor rand64(const Shape& s, uint64_t seed) { return uniform(s, -1.0, 1.0, seed, DType::f64).requires_grad_(); }
Tensor positive64(const Shape& s, uint64_t seed) { return uniform(s, 0.5, 2.0, seed, DType::f64).requires_grad_(); }
Tensor away64(const Shape& s, uint64_t seed) { return uniform_away_from_zero(s, 0.1, seed).requires_grad_(); }

using Unary = Tensor (*)(const Tensor&);

GradcheckResult check_unary(Unary op, Tensor x) {
  return gradcheck([op](const std::vector<Tensor>& in) { return op(in[0]); }, {x});
}

GradcheckResult check_binary(Tensor (*op)(const Tensor&, const Tensor&), Tensor a, Tensor b) {
  return gradcheck([op](const std::vector<Tensor>& in) { return op(in[0], in[1]); }, {a, b});
}

}  // namespace

void register_autograd_checks(CheckRegistry& r) {
  // Arithmetic: same shapes, and a broadcast of a row vector and a column over [3,4].
  r.add("add", [] { return check_binary(add, rand64({3, 4}, 1), rand64({3, 4}, 2)); });
  r.add("add:broadcast", [] { return check_binary(add, rand64({3, 4}, 1), rand64({4}, 2)); });
  r.add("sub", [] { return check_binary(sub, rand64({3, 4}, 3), rand64({3, 1}, 4)); });
  r.add("mul", [] { return check_binary(mul, rand64({2, 3, 4}, 5), rand64({3, 1}, 6)); });
  r.add("div", [] { return check_binary(div, rand64({3, 4}, 7), positive64({1, 4}, 8)); });
  r.add("neg", [] { return check_unary(neg, rand64({5, 3}, 9)); });
  r.add("add_scalar", [] {
    return gradcheck([](const std::vector<Tensor>& in) { return add_scalar(in[0], 0.7); }, {rand64({4, 3}, 10)});
  });
  r.add("mul_scalar", [] {
    return gradcheck([](const std::vector<Tensor>& in) { return mul_scalar(in[0], -1.3); }, {rand64({4, 3}, 11)});
  });
  // Elementwise math.
  r.add("exp", [] { return check_unary(exp, rand64({4, 5}, 12)); });
  r.add("log", [] { return check_unary(log, positive64({4, 5}, 13)); });
  r.add("sqrt", [] { return check_unary(sqrt, positive64({4, 5}, 14)); });
  r.add("pow", [] {
    return gradcheck([](const std::vector<Tensor>& in) { return pow(in[0], 1.7); }, {positive64({4, 5}, 15)});
  });
  r.add("pow:square", [] {
    return gradcheck([](const std::vector<Tensor>& in) { return pow(in[0], 2.0); }, {rand64({4, 5}, 16)});
  });
  // Matmul in all storage layouts.
  r.add("matmul", [] { return check_binary([](const Tensor& a, const Tensor& b) { return matmul(a, b); },
                                           rand64({5, 7}, 17), rand64({7, 3}, 18)); });
  r.add("matmul:transposed", [] {
    GradcheckResult worst;
    for (int ta = 0; ta < 2; ++ta)
      for (int tb = 0; tb < 2; ++tb) {
        Tensor a = ta ? rand64({7, 5}, 19) : rand64({5, 7}, 19);
        Tensor b = tb ? rand64({3, 7}, 20) : rand64({7, 3}, 20);
        GradcheckResult res = gradcheck(
            [ta, tb](const std::vector<Tensor>& in) { return matmul(in[0], in[1], ta, tb); }, {a, b});
        if (!res.pass || res.max_abs_err > worst.max_abs_err) worst = res;
        if (!res.pass) return res;
      }
    return worst;
  });
  // Reductions.
  r.add("sum", [] { return check_unary([](const Tensor& x) { return sum(x); }, rand64({3, 4}, 21)); });
  r.add("sum:axis", [] {
    return gradcheck([](const std::vector<Tensor>& in) {
                       return concat({reshape(sum(in[0], 1), {-1}), reshape(sum(in[0], 0, true), {-1})}, 0);
                     },
                     {rand64({3, 4, 2}, 22)});
  });
  r.add("mean", [] { return check_unary([](const Tensor& x) { return mean(x); }, rand64({3, 4}, 23)); });
  r.add("mean:axis", [] {
    return gradcheck([](const std::vector<Tensor>& in) { return mean(in[0], -1, true); }, {rand64({3, 5}, 24)});
  });
  r.add("max", [] { return check_unary([](const Tensor& x) { return max(x); }, rand64({3, 4}, 25)); });
  r.add("max:axis", [] {
    return gradcheck([](const std::vector<Tensor>& in) { return max(in[0], 0); }, {rand64({4, 3}, 26)});
  });
  // Shape.
  r.add("reshape", [] {
    return gradcheck([](const std::vector<Tensor>& in) { return reshape(in[0], {2, -1}) * reshape(in[0], {2, 6}); },
                     {rand64({3, 4}, 27)});
  });
  r.add("transpose", [] {
    return gradcheck([](const std::vector<Tensor>& in) { return transpose(in[0], 0, 2); }, {rand64({2, 3, 4}, 28)});
  });
  r.add("concat", [] {
    return gradcheck([](const std::vector<Tensor>& in) { return concat({in[0], in[1], in[0]}, 1); },
                     {rand64({3, 2}, 29), rand64({3, 4}, 30)});
  });
  r.add("slice", [] {
    return gradcheck([](const std::vector<Tensor>& in) { return slice(in[0], 1, 1, 3); }, {rand64({3, 4, 2}, 31)});
  });
  r.add("index_select", [] {
    return gradcheck([](const std::vector<Tensor>& in) { return index_select(in[0], {2, 0, 2, 3}); },
                     {rand64({4, 3}, 32)});
  });
  // Activations (inputs away from the kink at 0).
  r.add("relu", [] { return check_unary(relu, away64({4, 5}, 33)); });
  r.add("leaky_relu", [] {
    return gradcheck([](const std::vector<Tensor>& in) { return leaky_relu(in[0], 0.2); }, {away64({4, 5}, 34)});
  });
  r.add("elu", [] {
    return gradcheck([](const std::vector<Tensor>& in) { return elu(in[0], 1.0); }, {away64({4, 5}, 35)});
  });
  r.add("sigmoid", [] { return check_unary(sigmoid, rand64({4, 5}, 36)); });
  r.add("tanh", [] { return check_unary(tanh, rand64({4, 5}, 37)); });
  r.add("softmax", [] {
    return gradcheck([](const std::vector<Tensor>& in) { return softmax(in[0], -1); }, {rand64({3, 5}, 38)});
  });
  r.add("softmax:axis", [] {
    return gradcheck([](const std::vector<Tensor>& in) { return softmax(in[0], 1); }, {rand64({2, 4, 3}, 39)});
  });
  r.add("log_softmax", [] {
    return gradcheck([](const std::vector<Tensor>& in) { return log_softmax(in[0], -1); }, {rand64({3, 5}, 40)});
  });
  r.add("dropout", [] {
    return gradcheck([](const std::vector<Tensor>& in) { return dropout(in[0], 0.5, 99); }, {rand64({6, 7}, 41)});
  });
  r.add("cross_entropy", [] {
    return gradcheck([](const std::vector<Tensor>& in) { return cross_entropy(in[0], {0, 2, 1, 3, 2}, {0, 1, 3}); },
                     {rand64({5, 4}, 42)});
  });
  r.add("binary_cross_entropy_with_logits", [] {
    Tensor t = Tensor::from_vector({1, 0, 0, 1, 1, 0, 0.5, 1, 0, 1, 0, 0}, {4, 3}, DType::f64);
    return gradcheck(
        [t](const std::vector<Tensor>& in) { return binary_cross_entropy_with_logits(in[0], t); },
        {rand64({4, 3}, 43)});
  });
}

}  // namespace gatgrad
