/// @file
/// gradcheck: compares the analytic gradient (the tape) with central finite differences, in
/// float64, through L = Σ w ⊙ f(inputs) with random weights w (a plain sum would hide errors:
/// the sum of a softmax has gradient zero). Any user can call it on any composed function.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "autograd/tensor.hpp"

namespace gatgrad {

struct GradcheckOptions {
  double eps = 1e-6;   ///< finite-difference step
  double atol = 1e-6;  ///< element passes when |analytic - numeric| <= atol + rtol * |numeric|
  double rtol = 1e-4;
  uint64_t seed = 12345;  ///< seed of the random weights w
};

struct GradcheckResult {
  bool pass = true;
  double max_abs_err = 0;  ///< worst |analytic - numeric| over all checked elements
  double max_rel_err = 0;  ///< worst |analytic - numeric| / max(|analytic|, |numeric|, 1e-12)
  int64_t checked = 0;     ///< number of elements compared
  std::string worst;       ///< "input 1 element 17: analytic 0.12 numeric 0.1201"
};

using DiffFunction = std::function<Tensor(const std::vector<Tensor>&)>;

/// Compares the tape's gradient of `f` at `inputs` with central differences (see the file comment).
/// @param f        the function; any output shape. It must be deterministic (dropout with a fixed key is).
/// @param inputs   float64 tensors; those with requires_grad() are checked element by element
/// @param options  finite-difference step, tolerances, seed of the weights w
/// @return the worst errors, the worst element, and whether every element passed
/// @throws Error when an input is not float64 or the output of `f` does not require grad
GradcheckResult gradcheck(const DiffFunction& f, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& options = {});

/// A named check, as listed by `gradcheck --list`: runs its op(s) on its own random inputs.
struct GradcheckCase {
  std::string name;  ///< the op's plain name, a variant after a colon: "sum:axis"
  std::function<GradcheckResult()> run;
};

class CheckRegistry {
 public:
  void add(std::string name, std::function<GradcheckResult()> run);
  const std::vector<GradcheckCase>& cases() const { return cases_; }
  const GradcheckCase* find(const std::string& name) const;

 private:
  std::vector<GradcheckCase> cases_;
};

/// The engine's own ops (autograd/checks.cpp).
void register_autograd_checks(CheckRegistry& registry);

}  // namespace gatgrad
