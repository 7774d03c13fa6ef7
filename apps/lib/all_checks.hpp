// Every registered gradient check, from every folder (autograd, graph, nn, models).
#pragma once
#include "autograd/gradcheck.hpp"

namespace gatgrad {

CheckRegistry all_checks();

}  // namespace gatgrad
