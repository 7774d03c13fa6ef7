// gat-train --task graph (graph_task.hpp).
#include "apps/lib/graph_task.hpp"

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

void write_cv_json(const std::string& path, const CrossValidation& cv, int64_t folds, int threads, uint64_t seed) {
  Json j;
  j["task"] = "graph";
  j["folds"] = folds;
  j["mean_test_accuracy"] = cv.mean_test_accuracy;
  j["std_test_accuracy"] = cv.std_test_accuracy;
  Json test = Json::array(), val = Json::array(), best = Json::array(), run = Json::array();
  double seconds = 0;
  for (const TrainResult& r : cv.folds) {
    test.push_back(r.test.accuracy);
    val.push_back(r.val.accuracy);
    best.push_back(r.best_epoch);
    run.push_back(r.epochs_run);
    seconds += r.train_seconds;
  }
  j["test_accuracy"] = test;
  j["val_accuracy"] = val;
  j["best_epoch"] = best;
  j["epochs_run"] = run;
  j["epoch_ms_median"] = cv.epoch_ms_median;
  j["train_seconds"] = seconds;
  j["peak_rss_mb"] = peak_rss_mb();
  j["threads"] = threads;
  j["seed"] = seed;
  write_text(path, j.dump(2) + "\n");
}

}  // namespace

int run_graph_task(GraphTaskOptions o) {
  Preset& p = o.preset;
  const Dataset d = load_graphs(o);
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
    FoldHooks hooks;
    hooks.done = [&](int64_t f, FoldTraining& run, const std::vector<TrainResult>& results) {
      const TrainResult& r = results.back();
      const GraphClassifier& model = run.model;
      if (!o.quiet) {
        std::vector<double> ms;
        for (const EpochStats& s : r.history) ms.push_back(s.step_ms);
        std::printf("fold %lld/%lld best_epoch=%lld epochs_run=%lld epoch_ms_median=%.3f val_accuracy=%.4f "
                    "test_accuracy=%.4f\n",
                    static_cast<long long>(f + 1), static_cast<long long>(o.folds), static_cast<long long>(r.best_epoch),
                    static_cast<long long>(r.epochs_run), median(ms), r.val.accuracy, r.test.accuracy);
        std::fflush(stdout);
      }
      if (!o.save.empty()) nn::save_checkpoint(fold_dir(o.save, f), model, nullptr, p.model.to_json());
    };
    cv = cross_validate(data, p.model, p.train, o.folds, hooks);
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
  return 0;
}

}  // namespace gatgrad::app
