// gat-train --task graph: graph classification by stratified K-fold cross-validation
// (train/cross_validation.hpp) on a TU Dortmund folder, a .npy folder with graph_y.npy, or the
// synthetic motif set (graph/synthetic_motifs.hpp), with its summary, metrics JSON and one
// checkpoint per fold.
#pragma once
#include <cstdint>
#include <string>

#include "graph/synthetic_motifs.hpp"
#include "models/presets.hpp"

namespace gatgrad::app {

struct GraphTaskOptions {
  std::string data;        // a TU folder or a .npy folder with graph_y.npy; "" = the motif set
  MotifGraphOptions motifs;  // the synthetic set's size, when data is ""
  Preset preset;           // the model (readout, mlp_hidden, ...) and the training (graphs_per_batch, ...)
  int64_t folds = TrainConfig{}.folds;
  int threads = 1;
  bool quiet = false;
  std::string metrics_json;  // {mean_test_accuracy, std_test_accuracy, test_accuracy: [per fold], ...}
  std::string save;          // DIR/fold_1 .. DIR/fold_K, each a checkpoint of its fold's kept model
  std::string load;          // the same layout, read back with eval_only
  bool eval_only = false;
};

// Loads, trains (or evaluates) and reports; returns the exit status. DataError / UsageError
// propagate to the caller's handlers.
int run_graph_task(GraphTaskOptions o);

}  // namespace gatgrad::app
