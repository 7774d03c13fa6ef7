#include "autograd/version.hpp"

namespace gatgrad {
const char* version() { return GATGRAD_VERSION; }
}  // namespace gatgrad
