#include "apps/lib/all_checks.hpp"
#include "nn/checks.hpp"
#include "graph/message_passing.hpp"
#include "models/checks.hpp"

namespace gatgrad {

CheckRegistry all_checks() {
  CheckRegistry registry;
  register_autograd_checks(registry);
  register_nn_checks(registry);
  register_graph_checks(registry);
  register_models_checks(registry);
  register_link_checks(registry);
  return registry;
}

}  // namespace gatgrad
