// `gat-bench train --batch-size B`: mini-batch training (train/minibatch.hpp) timed step by step
// on a dataset or on a synthetic graph streamed straight into a CSR (graph/synthetic.hpp's
// make_csbm_by_destination, so that 20M nodes / 200M edges fit), beside what full batch would
// need and, when that fits in half of this machine's memory, a full-batch epoch on the same graph.
#pragma once
#include <cstdint>

#include "apps/lib/bench_train.hpp"

namespace gatgrad::bench {

// What one full-batch training step of the 2-layer GAT holds at its peak, by the tensors it
// keeps (E1 = E + N edges with the self-loops; H heads of F' in the hidden layer, C classes):
//   graph      20·E1 + 16·N      src, dst, src_perm, src_grouped_dst, edge_origin; dst_ptr, src_ptr
//   features   4·N·F
//   per edge   per layer α (4H), the sign bits (⌈H/8⌉), backward's [α' | dz] (8H):
//              4·8 + 1 + 64 (hidden layer, H = 8) + 4 + 1 + 8 (output layer, one head)
//   per node   the dropped input (4F) and six [N, H·F'] tensors (W h, out, dropped h1, their
//              gradients) and ten [N, C]
struct FullBatchBytes {
  double graph = 0, features = 0, edges = 0, nodes = 0;
  double total() const { return graph + features + edges + nodes; }
};
FullBatchBytes full_batch_bytes(int64_t nodes, int64_t edges, int64_t features, int64_t heads, int64_t hidden,
                                int64_t classes);

// Prints the setting, `minibatch_steps=.. seed_nodes_per_s=.. sampled_edges_per_s=..
// step_ms_median=.. wait_ms_median=.. peak_rss_mb=..` (the wait: time the step waited for its
// batch, the part of sampling the computation did not hide), the full-batch arithmetic
// `full_batch_needs_gb=.. (graph .. + features .. + per-edge .. + per-node ..)`, and when full
// batch fits, `full_batch_epoch_ms_median=.. full_batch_edges_per_s=.. full_batch_peak_rss_mb=..
// sampled_to_full_batch_edges_per_s=..`.
int run_minibatch_bench(const TrainBenchOptions& o);

}  // namespace gatgrad::bench
