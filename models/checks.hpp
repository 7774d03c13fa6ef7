/// @file
/// Gradient checks of the model layers: `gat_conv`, `gatv2_conv` and whole 2- and 3-layer models.
#pragma once

namespace gatgrad {
class CheckRegistry;
void register_models_checks(CheckRegistry& registry);
/// pair_dot, pair_mul and the MLP link decoder (models/link_checks.cpp).
void register_link_checks(CheckRegistry& registry);
}  // namespace gatgrad
