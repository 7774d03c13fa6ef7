// `gat-bench task`: times the training epochs of the other two tasks of gat-train, as issue 28's
// PyG figures were measured (a training epoch: every step's forward, backward and optimiser step,
// without the evaluation, which is timed apart):
//   --task graph  graph classification (GraphClassSteps) on fold 1 of the stratified 10 folds of
//                 a TU Dortmund folder, graph_y.npy data or the synthetic motif set, preset tu
//                 (3 GAT layers of 4 heads × 32, mean readout, batches of 32 graphs);
//   --task link   link prediction (LinkSteps) on a .npy dataset or the synthetic graph, preset
//                 link (GATConv(F, 8, heads=8) -> GATConv(64, 64), dot decoder, full batch), the
//                 split of seed 0.
// Each epoch's wall time and the process's CPU time are taken (the CPU time, unlike the wall
// time, does not grow much when other programs share the cores); instruction counts are
// scripts/bench-tasks.sh's, from callgrind.
#pragma once
#include <cstdint>
#include <string>

namespace gatgrad::bench {

struct TaskBenchOptions {
  std::string task = "graph";  // "graph" or "link"
  std::string data;            // a TU folder, graph_y.npy data (graph) or a .npy dataset (link); empty: synthetic
  int64_t epochs = 20;         // timed epochs (after 2 untimed warm-up epochs)
  int threads = 0;             // 0: all cores
  bool clock = true;           // measure the clock after the epochs (busy_loop_ghz; slow under valgrind)
};

// Prints the setting, then
//   `epoch_ms_median=<x> epoch_cpu_ms=<y> eval_ms_median=<z> eval_cpu_ms=<w> steps_per_epoch=<s> peak_rss_mb=<m>`:
// the training epoch's median wall time and its mean CPU time (all threads), the same for one
// validation evaluation (the early stopping's, after every epoch in gat-train).
int run_task_bench(const TaskBenchOptions& o);

}  // namespace gatgrad::bench
