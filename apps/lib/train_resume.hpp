// gat-train's interrupted runs. With --save DIR, SIGINT or SIGTERM ends the run after its epoch
// with the best model so far in DIR (a checkpoint) and the run itself in DIR/resume/: a
// checkpoint of the model and the optimiser whose config.json holds everything else needed to
// continue exactly (hyper-parameters, data, seed, the TrainState). --resume DIR continues it,
// ending with the parameters, losses and accuracies of an uninterrupted run.
// Graph classification (--task graph) saves its running fold k so, in DIR/fold_k (its best model
// so far) and DIR/fold_k/resume, with the results of the folds before it (graph_task.hpp).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "graph/synthetic.hpp"
#include "graph/synthetic_graphs.hpp"
#include "train/trainer.hpp"
#include "nn/optim.hpp"

namespace gatgrad::app {

// What DIR/resume/config.json holds.
struct ResumePoint {
  Preset preset;
  std::string data;   // --data of the run ("" for the built-in graph)
  uint64_t seed = 0;
  TrainState state;   // without the kept parameters (DIR's checkpoint holds them)
  CsbmOptions synthetic;  // the built-in graph's options (its seed is `seed`), when data is ""
  GraphSetOptions graph_set{.num_graphs = 0};  // or the synthetic set of graphs, when num_graphs > 0
  // --task graph: the motif set's size (when data is ""), and the results of the folds before the
  // running one, whose index is folds_done.size().
  int64_t motif_graphs = 0;
  std::vector<TrainResult> folds_done;
};

// DIR/resume/config.json; DataError naming it when it is not a gat-train resume state.
ResumePoint read_resume_point(const std::string& dir);

// The interrupted run in model and optimiser (DIR/resume), and its state with the kept
// parameters (DIR's checkpoint). First removes what runs killed while saving into DIR left
// beside it (nn::remove_stale_staging).
TrainState restore_run(const std::string& dir, const ResumePoint& point, nn::Module& model, nn::Optimizer& optimizer);

// Saves the best model (state.kept; the model itself before its first epoch, when nothing is kept
// yet) as DIR and the run (model, optimiser, point) as DIR/resume.
void save_interrupted_run(const std::string& dir, const ResumePoint& point, const nn::Module& model,
                          const nn::Optimizer& optimizer);

// save_interrupted_run for a run that goes on (gat-train --checkpoint-every): DIR and
// DIR/resume are written beside DIR, then swapped in at once, so a process killed at any
// moment leaves DIR holding the last complete checkpoint (and DIR.next-<pid>, removed by the next
// save or resume into DIR).
void checkpoint_run(const std::string& dir, const ResumePoint& point, const nn::Module& model,
                    const nn::Optimizer& optimizer);

}  // namespace gatgrad::app
