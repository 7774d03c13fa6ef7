// `gat-bench train`: times training epochs (forward, backward, Adam step) and inference of the
// standard 2-layer GAT on a dataset directory or a synthetic graph.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "graph/synthetic.hpp"
#include "models/presets.hpp"

namespace gatgrad::bench {

struct TrainBenchOptions {
  std::string data;  // a .npy directory; empty: synthetic graph of the sizes below
  int64_t nodes = 100000, edges = 1000000, features = 128, classes = 8;
  int64_t epochs = 20;  // timed epochs (after 2 untimed warm-up epochs)
  int threads = 0;      // 0: all cores
  // The model is the default preset's (models/presets.hpp) but for these; -1 / empty: the preset's.
  int64_t heads = -1, hidden = -1;
  std::string model;
  uint64_t seed = 0;
  // Mini-batch training (bench_minibatch.hpp) when batch_size > 0.
  int64_t batch_size = 0;
  std::vector<int64_t> fanout = {10, 10};
  int64_t micro_batches = 1;
  int64_t steps = 200;  // timed steps (after 3 untimed ones)
};

// The synthetic graph of the options' sizes and seed (CsbmOptions' split unless the caller sets it).
CsbmOptions bench_graph_options(const TrainBenchOptions& o);

// The default preset with the options' model, heads, hidden and seed.
Preset bench_preset(const TrainBenchOptions& o);

// Prints the setting, then `epoch_ms_median=<x> infer_ms_median=<y> peak_rss_mb=<z> edges_per_s=<w>`.
// With batch_size > 0: run_minibatch_bench's lines instead.
int run_train_bench(const TrainBenchOptions& o);

}  // namespace gatgrad::bench
