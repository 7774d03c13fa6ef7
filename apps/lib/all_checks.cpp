#include "apps/lib/all_checks.hpp"

namespace gatgrad {

CheckRegistry all_checks() {
  CheckRegistry registry;
  register_autograd_checks(registry);
  return registry;
}

}  // namespace gatgrad
