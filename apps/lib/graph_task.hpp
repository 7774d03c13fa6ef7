// gat-train --task graph: graph classification by stratified K-fold cross-validation
// (train/cross_validation.hpp) on a TU Dortmund folder, a .npy folder with graph_y.npy, or the
// synthetic motif set (graph/synthetic_motifs.hpp), with its summary, metrics JSON and one
// checkpoint per fold.
// With --save DIR the run is resumable as node classification's is (train_resume.hpp): the
// running fold k is saved in DIR/fold_k (its best model so far) and DIR/fold_k/resume (its model,
// optimiser and state, the results of the folds before it), after a signal or every
// --checkpoint-every epochs; a finished fold's checkpoint replaces DIR/fold_k. With
// --checkpoint-every, fold k+1's start is saved before fold k's checkpoint replaces its state, so
// a run killed at any moment has one: --resume DIR continues from the lowest fold holding one
// (fold k again, from its last saved epoch, when the kill fell between the two).
#pragma once
#include <atomic>
#include <cstdint>
#include <string>

#include "apps/lib/train_resume.hpp"
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
  int64_t log_every = 10;    // a line every N epochs of a fold ("fold 2/10 epoch 30 train_loss=...")
  std::string metrics_json;  // {mean_test_accuracy, std_test_accuracy, test_accuracy: [per fold], ...}
  std::string save;          // DIR/fold_1 .. DIR/fold_K, each a checkpoint of its fold's kept model
  std::string load;          // the same layout, read back with eval_only
  bool eval_only = false;
  int64_t checkpoint_every = 0;             // with save: the running fold every N of its epochs
  const std::atomic<bool>* stop = nullptr;  // raised: the running fold stops after its epoch (saved with save)
  const ResumePoint* resume = nullptr;      // the interrupted run continued (read from save's interrupted_fold)
};

// How the run ended: all folds done, or stopped after `epoch` of fold `fold` (1-based).
struct GraphTaskEnd {
  bool interrupted = false;
  int64_t fold = 0, epoch = 0;
};

// Loads, trains (or evaluates) and reports. DataError / UsageError propagate to the caller's
// handlers.
GraphTaskEnd run_graph_task(GraphTaskOptions o);

// --save DIR of a cross-validation, before any data is read: DIR is a folder of checkpoints
// DIR/fold_k, each replaced by the run, so each one there must be a checkpoint or empty
// (check_writable_dir); DIR itself is never replaced. UsageError naming option and folder.
void check_writable_folds(const std::string& option, const std::string& dir);

// DIR/fold_k of the lowest k whose DIR/fold_k/resume/config.json exists (the fold an interrupted
// run continues from), or "" when no fold has one.
std::string interrupted_fold(const std::string& dir);

}  // namespace gatgrad::app
