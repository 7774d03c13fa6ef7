// The options that size the built-in synthetic graph (graph/synthetic.hpp), shared by gat-train
// and gat-partition, so that a partitioned graph and the one a single process trains on are
// described, and made, the same way.
#pragma once
#include <CLI/CLI.hpp>

#include "graph/synthetic.hpp"

namespace gatgrad::app {

// --nodes, --edges, --features, --classes, --train-per-class, --edge-features into `o`.
void add_synthetic_options(CLI::App& cli, CsbmOptions& o);

// Whether any of them was given (they describe the synthetic graph: not with --data).
bool synthetic_options_given(const CLI::App& cli);

}  // namespace gatgrad::app
