// `gat-bench train`: times training epochs (forward, backward, Adam step) and inference of the
// standard 2-layer GAT on a dataset directory or a synthetic graph.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "apps/lib/config_options.hpp"
#include "graph/synthetic.hpp"
#include "models/presets.hpp"

namespace gatgrad::bench {

struct TrainBenchOptions {
  std::string data;  // a .npy directory; empty: synthetic graph of the sizes below
  int64_t nodes = 100000, edges = 1000000, features = 128, classes = 8;
  int64_t epochs = 20;  // timed epochs (after 2 untimed warm-up epochs)
  int threads = 0;      // 0: all cores
  // The model and its training are the default preset's (models/presets.hpp) but for the
  // hyper-parameter options given (--model, --heads, --hidden, --seed; --batch-size, --fanout and
  // --micro-batches for mini-batch training, bench_minibatch.hpp): gat-train's rows of them.
  app::ConfigArgs config;
  int64_t steps = 200;  // mini-batch: timed steps (after 3 untimed ones)
  bool profile = false;  // then the epochs (steps) again with the op profile on (bench_profile.hpp)
};

// The options gat-bench train takes from gat-train's table (apps/lib/config_options.hpp).
const std::vector<std::string>& bench_config_options();

// The synthetic graph of the options' sizes and `seed` (CsbmOptions' split unless the caller sets it).
CsbmOptions bench_graph_options(const TrainBenchOptions& o, uint64_t seed);

// The default preset with the hyper-parameter options given, validated (UsageError naming an option).
Preset bench_preset(const TrainBenchOptions& o);

// Prints the setting, then `epoch_ms_median=<x> infer_ms_median=<y> peak_rss_mb=<z> edges_per_s=<w>`;
// with `profile`, the op profile of as many epochs after them (print_profile, bench_profile.hpp).
// With batch_size > 0: run_minibatch_bench's lines instead.
int run_train_bench(const TrainBenchOptions& o);

}  // namespace gatgrad::bench
