// tape-demo: reverse-mode autodiff step by step, on an expression small enough to check by hand
// (docs/autograd.md walks through this output).
//
//   x = 2, y = 3
//   a = x · y        (mul)
//   b = a + x        (add)
//   c = b²           (pow)
//   L = c − y        (sub)
//
// The forward pass records four ops on the tape; backward() seeds dL/dL = 1 and replays them in
// reverse, each closure adding its inputs' share: after the last step dL/dx = 64, dL/dy = 31.
#include <cstdio>
#include <string>
#include <vector>

#include "autograd/ops.hpp"

using namespace gatgrad;

namespace {

struct Named {
  const char* name;
  Tensor t;
};

std::string grad_str(const Tensor& t) {
  if (!t.has_grad()) return "   -";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%4g", t.grad().item());
  return buf;
}

}  // namespace

int main() {
  Tensor x = Tensor::scalar(2.0, DType::f64).requires_grad_();
  Tensor y = Tensor::scalar(3.0, DType::f64).requires_grad_();

  std::printf("forward: each op computes its value and appends a record to the tape\n");
  Tensor a = mul(x, y);
  Tensor b = add(a, x);
  Tensor c = pow(b, 2.0);
  Tensor L = sub(c, y);
  std::vector<Named> values = {{"x", x}, {"y", y}, {"a", a}, {"b", b}, {"c", c}, {"L", L}};
  const char* formulas[] = {"a = x * y", "b = a + x", "c = b^2", "L = c - y"};
  const std::vector<TapeRecord>& records = tape_records();
  for (size_t r = 0; r < records.size(); ++r)
    std::printf("  tape[%zu] %-4s %-10s = %g\n", r, records[r].op, formulas[r], records[r].output.item());

  std::printf("\nbackward: seed dL/dL = 1, then replay the tape in reverse\n");
  std::printf("  %-40s", "step");
  for (const Named& v : values) std::printf("  dL/d%s", v.name);
  std::printf("\n");
  const char* rules[] = {"a = x*y: dx += y*da, dy += x*da", "b = a+x: da += db, dx += db", "c = b^2: db += 2b*dc",
                         "L = c-y: dc += dL, dy -= dL"};
  size_t step = records.size();
  backward(L, Tensor(), [&](const TapeRecord&) {
    --step;
    std::printf("  %-40s", (std::string("tape[") + std::to_string(step) + "] " + rules[step]).c_str());
    for (const Named& v : values) std::printf(" %6s", grad_str(v.t).c_str());
    std::printf("\n");
  });
  std::printf("\nresult: dL/dx = %g (by hand: 2b*(y + 1) = 64), dL/dy = %g (by hand: 2b*x - 1 = 31)\n",
              x.grad().item(), y.grad().item());
  return 0;
}
