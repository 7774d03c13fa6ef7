/// @file
/// Gradient checks of the nn layers, as listed by `gradcheck --list`.
#pragma once
#include "autograd/gradcheck.hpp"

namespace gatgrad {

void register_nn_checks(CheckRegistry& registry);

}  // namespace gatgrad
