// gat-train --task graph (graph_task.hpp).
#include "apps/lib/graph_task.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "autograd/error.hpp"
#include "autograd/isa.hpp"
#include "autograd/version.hpp"
#include "apps/lib/app_common.hpp"
#include "apps/lib/train_outputs.hpp"
#include "graph/load_dataset.hpp"
#include "graph/tu_dataset.hpp"
#include "io/file.hpp"
#include "io/json.hpp"
#include "models/graph_classifier.hpp"
#include "models/graph_folds.hpp"
#include "models/node_data.hpp"
#include "nn/checkpoint.hpp"
#include "train/cross_validation.hpp"
#include "train/graph_class_steps.hpp"

namespace gatgrad::app {

namespace {

namespace fs = std::filesystem;

Dataset load_graphs(const GraphTaskOptions& o) {
  if (o.data.empty()) return make_motif_graphs(o.motifs);
  if (is_tu_directory(o.data)) return load_tu_dataset(o.data);
  if (!fs::exists(fs::path(o.data) / "graph_y.npy"))
    throw DataError(o.data + ": no graph classes: graph classification reads a TU Dortmund folder (DS_A.txt, "
                             "DS_graph_indicator.txt, DS_graph_labels.txt, ...) or graph_index.npy with graph_y.npy");
  return load_dataset(o.data, LoadOptions{false});
}

std::string fold_dir(const std::string& dir, int64_t f) { return (fs::path(dir) / ("fold_" + std::to_string(f + 1))).string(); }

// k of the name "fold_k" (fold_dir's), 0 for any other name (a save's staging "fold_2.next-PID", ...).
int64_t fold_number(const std::string& name) {
  const std::string digits = name.substr(std::min<size_t>(name.size(), 5));
  if (name.rfind("fold_", 0) != 0 || digits.empty() || digits.size() > 6 ||
      digits.find_first_not_of("0123456789") != std::string::npos)
    return 0;
  return std::stoll(digits);
}

// "fold 2/10 best_epoch=... test_accuracy=...": a finished fold's line (f 0-based).
void print_fold(int64_t f, int64_t folds, const TrainResult& r) {
  std::vector<double> ms;
  for (const EpochStats& s : r.history) ms.push_back(s.step_ms);
  std::printf("fold %lld/%lld best_epoch=%lld epochs_run=%lld epoch_ms_median=%.3f val_accuracy=%.4f "
              "test_accuracy=%.4f\n",
              static_cast<long long>(f + 1), static_cast<long long>(folds), static_cast<long long>(r.best_epoch),
              static_cast<long long>(r.epochs_run), median(ms), r.val.accuracy, r.test.accuracy);
  std::fflush(stdout);
}

// A fold's run, where --resume finds it again: the configuration, the data, the fold's state and
// the results of the folds before it (those of `results` but the running fold's own).
ResumePoint fold_point(const GraphTaskOptions& o, const TrainState& state, const std::vector<TrainResult>& results,
                       int64_t fold) {
  ResumePoint r;
  r.preset = o.preset;
  r.data = o.data;
  r.seed = o.preset.model.seed;
  r.state = state;
  r.motif_graphs = o.data.empty() ? o.motifs.num_graphs : 0;
  r.folds_done.assign(results.begin(), results.begin() + fold);
  return r;
}

void write_cv_json(const std::string& path, const CrossValidation& cv, int64_t folds, int threads, uint64_t seed) {
  Json j;
  j["task"] = "graph";
  j.update(Json::parse(cv_summary_json(cv, folds)));
  j["peak_rss_mb"] = peak_rss_mb();
  j["threads"] = threads;
  j["seed"] = seed;
  write_text(path, j.dump(2) + "\n");
}

}  // namespace

GraphTaskEnd run_graph_task(GraphTaskOptions o) {
  Preset& p = o.preset;
  const Dataset d = load_graphs(o);
  const std::string resumed = o.resume ? interrupted_fold(o.save) : "";  // the fold the run continues
  if (o.resume && (p.model.in_features != d.num_features || p.model.num_classes != d.num_classes ||
                   p.model.edge_dim != d.edge_dim))
    throw DataError(resumed + "/resume/config.json: the model takes " +
                    std::to_string(p.model.in_features) + " features, " + std::to_string(p.model.edge_dim) +
                    " edge features and " + std::to_string(p.model.num_classes) + " classes; the data has " +
                    std::to_string(d.num_features) + ", " + std::to_string(d.edge_dim) + " and " +
                    std::to_string(d.num_classes));
  p.model.in_features = d.num_features;
  p.model.num_classes = d.num_classes;
  p.model.edge_dim = d.edge_dim;
  if (!o.load.empty()) {  // the folds' models were trained with the configuration saved beside them
    const std::string file = fold_dir(o.load, 0) + "/config.json";
    const std::vector<char> text = read_whole_file(file);
    const GATConfig saved = GATConfig::from_json(std::string(text.begin(), text.end()), file);
    if (saved.in_features != p.model.in_features || saved.num_classes != p.model.num_classes ||
        saved.edge_dim != p.model.edge_dim)
      throw DataError(fold_dir(o.load, 0) + ": the model takes " + std::to_string(saved.in_features) + " features, " +
                      std::to_string(saved.edge_dim) + " edge features and " + std::to_string(saved.num_classes) +
                      " classes; the data has " + std::to_string(p.model.in_features) + ", " +
                      std::to_string(p.model.edge_dim) + " and " + std::to_string(p.model.num_classes));
    p.model = saved;
  }
  p.model.validate();
  p.train.validate();
  const NodeData data = prepare_node_data(d, p.model.add_self_loops, DType::f32, GraphUse::full_batch,
                                          parse_edge_fill(p.model.edge_fill));
  if (!o.quiet)
    std::printf("gatgrad %s: %s graph classification on %s (%lld graphs, %lld nodes, %lld edges, %lld features, "
                "%lld classes), %s readout, %lld folds, %d threads, %s kernels\n",
                version(), p.model.model.c_str(), o.data.empty() ? "the synthetic motif set" : o.data.c_str(),
                static_cast<long long>(d.num_graphs), static_cast<long long>(d.num_nodes),
                static_cast<long long>(d.num_edges()), static_cast<long long>(d.num_features),
                static_cast<long long>(d.num_classes), p.model.readout.c_str(), static_cast<long long>(o.folds),
                o.threads, kernels::isa_name(kernels::active_isa()));

  if (!o.save.empty()) fs::create_directories(o.save);  // (checked writable before any data was read)
  CrossValidation cv;
  GraphTaskEnd end;
  if (o.eval_only) {
    const std::vector<GraphFold> folds = stratified_folds(data.graph_labels, data.num_classes, o.folds, p.model.seed);
    for (int64_t f = 0; f < o.folds; ++f) {
      GraphClassifier model(p.model);
      nn::load_checkpoint(fold_dir(o.load, f), model, nullptr);
      GraphClassSteps steps(model, data, p.train, folds[static_cast<size_t>(f)]);
      TrainResult r;
      r.val = steps.evaluate(Split::val);
      r.test = steps.evaluate(Split::test);
      cv.folds.push_back(r);
    }
    cv = summarize_folds(std::move(cv.folds));
  } else {
    const std::vector<TrainResult> done = o.resume ? o.resume->folds_done : std::vector<TrainResult>{};
    if (!o.resume && !o.save.empty())  // an earlier run's interrupted folds are not this run's to resume
      for (int64_t f = 0; f < o.folds; ++f) fs::remove_all(fold_dir(o.save, f) + "/resume");
    if (!o.quiet) {
      for (size_t f = 0; f < done.size(); ++f) print_fold(static_cast<int64_t>(f), o.folds, done[f]);
      if (o.resume)
        std::printf("resuming from %s at fold %zu/%lld, epoch %lld\n", resumed.c_str(), done.size() + 1,
                    static_cast<long long>(o.folds), static_cast<long long>(o.resume->state.epoch));
    }
    const bool saves = !o.save.empty();
    FoldHooks hooks;
    hooks.start = [&](int64_t f, FoldTraining& run, const std::vector<TrainResult>&) {
      if (o.resume && f == static_cast<int64_t>(done.size()))
        run.state = restore_run(resumed, *o.resume, run.model, run.optimizer);
    };
    hooks.loop = [&](int64_t f, FoldTraining& run, const std::vector<TrainResult>& results) {
      TrainHooks h;
      h.stop = o.stop;
      if (!o.quiet)
        h.on_epoch = [&o, f](const EpochStats& s) {
          if (s.epoch % o.log_every != 0) return;
          std::printf("fold %lld/%lld epoch %lld train_loss=%.4f train_acc=%.4f val_loss=%.4f val_acc=%.4f epoch_ms=%.3f\n",
                      static_cast<long long>(f + 1), static_cast<long long>(o.folds), static_cast<long long>(s.epoch),
                      s.train_loss, s.train_accuracy, s.val_loss, s.val_accuracy, s.step_ms);
          std::fflush(stdout);  // a line at a time, also into pipes and log files
        };
      if (saves && o.checkpoint_every > 0)
        h.between_epochs = [&o, &run, &results, f](const TrainState& now) {
          if (now.epoch % o.checkpoint_every == 0)
            checkpoint_run(fold_dir(o.save, f), fold_point(o, now, results, f), run.model, run.optimizer);
        };
      return h;
    };
    hooks.done = [&](int64_t f, FoldTraining& run, const std::vector<TrainResult>& results) {
      const TrainResult& r = results.back();
      if (r.interrupted) {  // saved as it is, for --resume
        if (saves) save_interrupted_run(fold_dir(o.save, f), fold_point(o, run.state, results, f), run.model, run.optimizer);
        end = GraphTaskEnd{true, f + 1, run.state.epoch};
        return;
      }
      if (!o.quiet) print_fold(f, o.folds, r);
      if (!saves) return;
      if (o.checkpoint_every > 0 && f + 1 < o.folds) {  // the next fold's start, before this fold's state goes
        FoldTraining next(p.model, p.train);
        checkpoint_run(fold_dir(o.save, f + 1), fold_point(o, next.state, results, f + 1), next.model, next.optimizer);
      }
      nn::save_checkpoint(fold_dir(o.save, f), run.model, nullptr, p.model.to_json());
    };
    cv = cross_validate(data, p.model, p.train, o.folds, hooks, done);
    if (end.interrupted) return end;
  }
  if (o.eval_only && !o.quiet)
    for (size_t f = 0; f < cv.folds.size(); ++f)
      std::printf("fold %zu/%lld val_accuracy=%.4f test_accuracy=%.4f\n", f + 1, static_cast<long long>(o.folds),
                  cv.folds[f].val.accuracy, cv.folds[f].test.accuracy);
  if (!o.quiet) {
    double seconds = 0;
    for (const TrainResult& r : cv.folds) seconds += r.train_seconds;
    if (!o.eval_only)
      std::printf("folds=%lld epoch_ms_median=%.3f train_seconds=%.2f peak_rss_mb=%.1f\n", static_cast<long long>(o.folds),
                  cv.epoch_ms_median, seconds, peak_rss_mb());
    std::printf("mean_test_accuracy=%.4f std_test_accuracy=%.4f\n", cv.mean_test_accuracy, cv.std_test_accuracy);
  }
  if (!o.metrics_json.empty()) write_cv_json(o.metrics_json, cv, o.folds, o.threads, p.model.seed);
  return end;
}

void check_writable_folds(const std::string& option, const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return check_writable_dir(option, dir);  // (absent: its parent must be writable)
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec))
    if (fold_number(e.path().filename().string()) > 0) check_writable_dir(option, e.path().string());
}

std::string interrupted_fold(const std::string& dir) {
  std::error_code ec;
  int64_t lowest = 0;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    const int64_t k = fold_number(e.path().filename().string());
    if (k > 0 && (lowest == 0 || k < lowest) && fs::exists(e.path() / "resume" / "config.json", ec)) lowest = k;
  }
  return lowest > 0 ? fold_dir(dir, lowest - 1) : "";
}

}  // namespace gatgrad::app
