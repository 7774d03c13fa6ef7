// `gat-bench sample`: times NeighborSampler alone (sampled edges per second) on a synthetic
// graph, batch after batch of seeds taken from a seeded permutation of the nodes (an epoch).
#pragma once
#include <cstdint>
#include <vector>

namespace gatgrad::bench {

struct SampleBenchOptions {
  int64_t nodes = 1000000, edges = 10000000;  // synthetic CSBM graph
  int64_t batch_size = 1024;
  std::vector<int64_t> fanout = {10, 10};     // fanout[0] for the seeds, as NeighborSampler takes it
  int64_t batches = 200;                      // timed batches (after 10 untimed ones)
  int threads = 0;                            // 0: all cores
  uint64_t seed = 0;
};

// Prints the setting, `edges_per_batch=.. src_nodes_per_batch=.. batch_ms_median=..
// self_loops_ms_median=..` (Block::add_self_loops on every block of a batch, timed apart),
// `busy_loop_ghz=..`, then `sampled_edges_per_s=<x>`: the edges of all blocks over the time
// of all timed batches.
int run_sample_bench(const SampleBenchOptions& o);

}  // namespace gatgrad::bench
