/// @file
/// Gradient checks of the model layers: `gat_conv`, `gatv2_conv` and a whole 2-layer model.
#pragma once

namespace gatgrad {
class CheckRegistry;
void register_models_checks(CheckRegistry& registry);
}  // namespace gatgrad
