// gat-train's two other tasks from Python, over the same C++ API:
//   link prediction (train/link_model.hpp): the data's edges split by split_links (the seed the
//     model's, as gat-train --task link), a LinkModel trained by train() with make_steps'
//     LinkSteps and best_score_early_stopping, every metric of the validation and the test at
//     the kept parameters (LinkSteps::evaluate_all), pairs scored over the test-time graph
//     (score_pairs, gat-train --predict-out --pairs);
//   graph classification (train/cross_validation.hpp): cross_validate's stratified K folds, a
//     GraphClassifier each, kept fold by fold (checkpoints DIR/fold_1 .. DIR/fold_K, as gat-train
//     --task graph --save writes them), logits of every graph by one fold's model.
// The hyper-parameters cross as JSON (GATConfig / TrainConfig), as in model.cpp; fit's hooks are
// hooks.hpp's (each epoch back to Python, Ctrl-C).
#include <pybind11/stl.h>

#include <filesystem>

#include "autograd/error.hpp"
#include "autograd/tape.hpp"
#include "bindings.hpp"
#include "dataset_handle.hpp"
#include "hooks.hpp"
#include "models/graph_classifier.hpp"
#include "models/graph_folds.hpp"
#include "nn/checkpoint.hpp"
#include "train/cross_validation.hpp"
#include "train/graph_class_steps.hpp"
#include "train/link_model.hpp"
#include "train/make_steps.hpp"
#include "train/trainer.hpp"

namespace gatgrad::python {
namespace {

namespace fs = std::filesystem;

std::string str(int64_t v) { return std::to_string(v); }

// The model's configuration with the sizes the data gives (gat-train's run_link / run_graph_task
// fill them alike); DataError naming "data" when a built model's sizes differ.
void size_for(GATConfig& c, const Dataset& d, bool built) {
  const int64_t classes = c.task == "graph" ? d.num_classes : c.num_classes;
  if (built) {
    if (c.in_features != d.num_features || c.edge_dim != d.edge_dim || (c.task == "graph" && classes != c.num_classes))
      throw DataError("data: the model expects " + str(c.in_features) + " features, " + str(c.edge_dim) +
                      " edge features" + (c.task == "graph" ? " and " + str(c.num_classes) + " classes" : std::string()) +
                      "; the data has " + str(d.num_features) + ", " + str(d.edge_dim) +
                      (c.task == "graph" ? " and " + str(d.num_classes) : std::string()));
    return;
  }
  c.in_features = d.num_features;
  c.edge_dim = d.edge_dim;
  c.num_classes = c.task == "link" ? c.embedding_dim : d.num_classes;
  c.normalize_features = d.features_normalized;  // what a checkpoint records as its preprocessing
  c.validate();
}

py::list history_of(const TrainResult& r, const std::string& score) {
  py::list h;
  for (const EpochStats& s : r.history) h.append(epoch_dict(s, score));
  return h;
}

// ---- link prediction ----

struct LinkTask {
  GATConfig config;
  std::unique_ptr<LinkModel> model;
  double val_fraction = LinkConfig{}.val_fraction, test_fraction = LinkConfig{}.test_fraction;
  TrainConfig train;  // the last fit's (a loaded model's: the defaults, one fanout entry per layer)
  GraphUse use = GraphUse::full_batch;  // graph_use(train): how the data is prepared (the scores the fit's)

  const LinkData& data_of(DatasetHandle& h) {
    return h.prepare_links({val_fraction, test_fraction, config.seed, config.add_self_loops, use, config.edge_fill});
  }
  LinkModel& fitted(const Dataset& d) {
    if (!model) throw Error("the model has no parameters yet: fit it, or load a saved one (gatgrad.load)");
    size_for(config, d, true);
    return *model;
  }
};

py::dict link_metrics(const LinkEvaluation& e, const std::string& stage, int64_t hits_k) {
  py::dict out;
  out[py::str(stage + "_loss")] = e.loss;
  out[py::str(stage + "_auc")] = e.auc;
  out[py::str(stage + "_ap")] = e.ap;
  out[py::str(stage + "_hits@" + str(hits_k))] = e.hits;
  out[py::str(stage + "_mrr")] = e.mrr;
  return out;
}

// gat-train --task link's run: split, train, evaluate at the kept parameters.
py::dict link_fit(LinkTask& t, DatasetHandle& h, const std::string& train_json, const py::object& on_epoch) {
  const TrainConfig tc = TrainConfig::from_json(train_json, "fit()");
  const Dataset& d = *h.data;
  if (!t.model) {
    size_for(t.config, d, false);
    t.model = std::make_unique<LinkModel>(t.config);
  } else {
    size_for(t.config, d, true);
  }
  tc.validate_for(t.config);
  t.train = tc;
  t.use = graph_use(tc);
  const LinkData& data = t.data_of(h);
  LinkModel& model = *t.model;
  nn::Adam optimizer = make_optimizer(model.parameters(), tc);
  TrainState state;
  PythonHooks py_hooks(on_epoch, "auc");
  TrainResult r;
  LinkEvaluation val, test;
  {
    py::gil_scoped_release unlocked;
    const std::unique_ptr<LinkSteps> steps = make_steps(model, data, tc, tc.hits_k);
    r = train(*steps, optimizer, state, tc, py_hooks.hooks(), best_score_early_stopping);
    if (!py_hooks.raised()) {
      val = steps->evaluate_all(Split::val);
      test = steps->evaluate_all(Split::test);
    }
  }
  if (py_hooks.raised()) {
    if (!state.kept.empty()) restore_parameters(model, state.kept);
    py_hooks.rethrow();
  }
  py::dict out;
  out["best_epoch"] = r.best_epoch;
  out["epochs_run"] = r.epochs_run;
  out["train_seconds"] = r.train_seconds;
  out["stopped_early"] = r.stopped_early;
  for (const py::dict& m : {link_metrics(val, "val", tc.hits_k), link_metrics(test, "test", tc.hits_k)})
    for (auto [k, v] : m) out[k] = v;
  out["history"] = history_of(r, "auc");
  return out;
}

// Every metric of the validation and the test (gat-train --task link --load --eval-only), with
// Hits at hits_k.
py::dict link_evaluate(LinkTask& t, DatasetHandle& h, int64_t hits_k) {
  LinkModel& model = t.fitted(*h.data);
  const LinkData& data = t.data_of(h);
  LinkEvaluation val, test;
  {
    py::gil_scoped_release unlocked;
    const std::unique_ptr<LinkSteps> steps = make_steps(model, data, t.train, hits_k);
    val = steps->evaluate_all(Split::val);
    test = steps->evaluate_all(Split::test);
  }
  py::dict out = link_metrics(val, "val", hits_k);
  for (auto [k, v] : link_metrics(test, "test", hits_k)) out[k] = v;
  return out;
}

// The logits of `pairs` [P, 2] over the test-time graph (the training and validation edges).
py::array_t<float> link_predict(LinkTask& t, DatasetHandle& h, const py::array& pairs_array) {
  LinkModel& model = t.fitted(*h.data);
  if (pairs_array.ndim() != 2 || pairs_array.shape(1) != 2)
    throw DataError("pairs: expected node pairs of shape (P, 2), got " + str(pairs_array.ndim()) + " dimensions" +
                    (pairs_array.ndim() == 2 ? " of shape (" + str(pairs_array.shape(0)) + ", " + str(pairs_array.shape(1)) + ")" : ""));
  const std::vector<int64_t> ids = to_int64_vector(py::array(pairs_array.attr("reshape")(-1)), "pairs");
  const int64_t n = h.data->num_nodes;
  NodePairs pairs;
  for (size_t k = 0; k < ids.size() / 2; ++k) {
    for (const int64_t v : {ids[2 * k], ids[2 * k + 1]})
      if (v < 0 || v >= n)
        throw DataError("pairs: pair " + str(static_cast<int64_t>(k)) + " has node " + str(v) + ", out of range [0, " + str(n) + ")");
    pairs.src.push_back(static_cast<int32_t>(ids[2 * k]));
    pairs.dst.push_back(static_cast<int32_t>(ids[2 * k + 1]));
  }
  const LinkData& data = t.data_of(h);
  std::vector<double> scores;
  {
    py::gil_scoped_release unlocked;
    NoGradGuard no_tape;
    scores = score_pairs(model, data, LinkStage::test, pairs);
  }
  py::array_t<float> out(static_cast<py::ssize_t>(scores.size()));
  for (size_t k = 0; k < scores.size(); ++k) out.mutable_data()[k] = static_cast<float>(scores[k]);
  return out;
}

// ---- graph classification ----

struct GraphTask {
  GATConfig config;
  std::vector<std::unique_ptr<GraphClassifier>> folds;  // fold f's model at its kept parameters

  GraphTask() = default;
  GraphTask(GraphTask&&) = default;
  GraphTask(const GraphTask&) = delete;  // (a vector of unique_ptr looks copyable to pybind11)

  GraphClassifier& fold(const Dataset& d, int64_t f) {
    if (folds.empty()) throw Error("the model has no parameters yet: fit it, or load a saved one (gatgrad.load)");
    if (f < 0 || f >= static_cast<int64_t>(folds.size()))
      throw UsageError("fold: " + str(f) + " is not a fold of the model (0 to " + str(static_cast<int64_t>(folds.size()) - 1) + ")");
    size_for(config, d, true);
    return *folds[static_cast<size_t>(f)];
  }
};

const NodeData& graph_data(const GATConfig& c, DatasetHandle& h) {
  if (h.data->graph_labels.empty())
    throw DataError("data: graph classification needs graph classes (graph_y with graph_index, a TU Dortmund folder, "
                    "or gatgrad.motif_graphs())");
  return h.prepare(c.add_self_loops, GraphUse::full_batch, c.edge_fill);
}

// gat-train --task graph's run: cross_validate's folds one after the other, each fold's model kept.
py::dict graph_fit(GraphTask& t, DatasetHandle& h, const std::string& train_json, const py::object& on_epoch) {
  const TrainConfig tc = TrainConfig::from_json(train_json, "fit()");
  GATConfig c = t.config;
  size_for(c, *h.data, false);  // a new fit starts the folds afresh
  tc.validate_for(c);
  const NodeData& data = graph_data(c, h);
  PythonHooks py_hooks(on_epoch, "accuracy");
  std::vector<std::unique_ptr<GraphClassifier>> kept;
  FoldHooks fold_hooks;
  fold_hooks.loop = [&](int64_t f, FoldTraining&, const std::vector<TrainResult>&) {
    return py_hooks.hooks([f](py::dict& d) { d["fold"] = f; });
  };
  fold_hooks.done = [&](int64_t, FoldTraining& run, const std::vector<TrainResult>&) {
    auto copy = std::make_unique<GraphClassifier>(c);  // the fold's model at its kept parameters
    std::vector<Tensor> values;
    for (const Tensor& p : run.model.parameters()) values.push_back(p.clone());
    restore_parameters(*copy, values);
    kept.push_back(std::move(copy));
  };
  CrossValidation cv;
  {
    py::gil_scoped_release unlocked;
    cv = cross_validate(data, c, tc, tc.folds, fold_hooks);
  }
  py_hooks.rethrow();  // (an interrupted fold's model is not kept: cross_validate did not finish it)
  t.config = c;
  t.folds = std::move(kept);
  py::dict out = py::module_::import("json").attr("loads")(cv_summary_json(cv, tc.folds));
  py::list histories;
  for (const TrainResult& r : cv.folds) histories.append(history_of(r, "accuracy"));
  out["history"] = histories;
  return out;
}

// Each fold's validation and test accuracy at the models' parameters (gat-train --task graph
// --load --eval-only): the folds are the data's, by the model's seed.
py::dict graph_evaluate(GraphTask& t, DatasetHandle& h) {
  t.fold(*h.data, 0);
  const NodeData& data = graph_data(t.config, h);
  const auto k = static_cast<int64_t>(t.folds.size());
  std::vector<TrainResult> results;
  {
    py::gil_scoped_release unlocked;
    const std::vector<GraphFold> folds = stratified_folds(data.graph_labels, data.num_classes, k, t.config.seed);
    TrainConfig tc;
    tc.graphs_per_batch = 1;  // (the steps are only evaluated)
    for (int64_t f = 0; f < k; ++f) {
      GraphClassSteps steps(*t.folds[static_cast<size_t>(f)], data, tc, folds[static_cast<size_t>(f)]);
      TrainResult r;
      r.val = steps.evaluate(Split::val);
      r.test = steps.evaluate(Split::test);
      results.push_back(r);
    }
  }
  const CrossValidation cv = summarize_folds(std::move(results));
  py::dict out;
  py::list test, val;
  for (const TrainResult& r : cv.folds) test.append(r.test.accuracy), val.append(r.val.accuracy);
  out["mean_test_accuracy"] = cv.mean_test_accuracy;
  out["std_test_accuracy"] = cv.std_test_accuracy;
  out["test_accuracy"] = test;
  out["val_accuracy"] = val;
  return out;
}

// The logits [G, C] of every graph of the data by fold f's model (evaluation mode, no tape).
py::array graph_predict(GraphTask& t, DatasetHandle& h, int64_t f) {
  GraphClassifier& model = t.fold(*h.data, f);
  const NodeData& data = h.prepare(t.config.add_self_loops, GraphUse::full_batch, t.config.edge_fill);
  if (data.num_graphs == 0) throw DataError("data: graph classification needs graphs (graph_index)");
  Tensor logits;
  {
    py::gil_scoped_release unlocked;
    NoGradGuard no_tape;
    nn::EvalMode eval(model);
    logits = model.forward(data.x, data.graph, data.edge_attr, data.graph_index, data.num_graphs);
  }
  return to_numpy(logits);
}

std::string fold_dir(const std::string& dir, size_t f) { return (fs::path(dir) / ("fold_" + std::to_string(f + 1))).string(); }

GATConfig model_config(const std::string& json, const std::string& task) {
  GATConfig c = GATConfig::from_json(json, "the model's arguments");
  if (c.task != task) throw Error("internal: a " + task + " model made with task '" + c.task + "'");
  c.in_features = c.num_classes = 0;  // (the data gives the sizes)
  return c;
}

}  // namespace

void bind_tasks(py::module_& m) {
  py::class_<LinkTask>(m, "_LinkModel")
      .def(py::init([](const std::string& config_json, double val_fraction, double test_fraction) {
        LinkConfig lc;
        lc.val_fraction = val_fraction;
        lc.test_fraction = test_fraction;
        lc.validate();
        LinkTask t;
        t.config = model_config(config_json, "link");
        t.val_fraction = val_fraction;
        t.test_fraction = test_fraction;
        return t;
      }), py::arg("config_json"), py::arg("val_fraction"), py::arg("test_fraction"))
      .def_property_readonly("config_json", [](const LinkTask& t) { return t.config.to_json(); })
      .def_property_readonly("built", [](const LinkTask& t) { return t.model != nullptr; })
      .def_property_readonly("split", [](const LinkTask& t) { return std::pair{t.val_fraction, t.test_fraction}; })
      .def("fit", &link_fit, py::arg("data"), py::arg("train_json"), py::arg("on_epoch"))
      .def("evaluate", &link_evaluate, py::arg("data"), py::arg("hits_k"))
      .def("predict", &link_predict, py::arg("data"), py::arg("pairs"))
      .def("named_parameters", [](const LinkTask& t) {
        if (!t.model) throw Error("the model has no parameters yet: fit it, or load a saved one (gatgrad.load)");
        return t.model->named_parameters();
      })
      .def("save", [](const LinkTask& t, const std::string& dir) {
        if (!t.model) throw Error("the model has no parameters yet: fit it before saving it");
        py::gil_scoped_release unlocked;
        nn::save_checkpoint(dir, *t.model, nullptr, t.config.to_json());
      }, py::arg("dir"))
      .def_static("load", [](const std::string& dir) {
        py::gil_scoped_release unlocked;
        LinkTask t;
        t.config = GATConfig::from_json(nn::read_checkpoint_config(dir), dir + "/config.json");
        t.model = std::make_unique<LinkModel>(t.config);
        nn::load_checkpoint(dir, *t.model, nullptr);
        t.train.fanout.assign(static_cast<size_t>(t.config.layers), kDefaultFanout);
        return t;
      }, py::arg("dir"));

  py::class_<GraphTask>(m, "_GraphModel")
      .def(py::init([](const std::string& config_json) {
        GraphTask t;
        t.config = model_config(config_json, "graph");
        return t;
      }),
           py::arg("config_json"))
      .def_property_readonly("config_json", [](const GraphTask& t) { return t.config.to_json(); })
      .def_property_readonly("built", [](const GraphTask& t) { return !t.folds.empty(); })
      .def_property_readonly("num_folds", [](const GraphTask& t) { return static_cast<int64_t>(t.folds.size()); })
      .def("fit", &graph_fit, py::arg("data"), py::arg("train_json"), py::arg("on_epoch"))
      .def("evaluate", &graph_evaluate, py::arg("data"))
      .def("predict", &graph_predict, py::arg("data"), py::arg("fold"))
      .def("named_parameters", [](GraphTask& t, int64_t f) {
        if (f < 0 || f >= static_cast<int64_t>(t.folds.size())) throw UsageError("fold: " + str(f) + " is not a fold of the model");
        return t.folds[static_cast<size_t>(f)]->named_parameters();
      }, py::arg("fold"))
      .def("save", [](const GraphTask& t, const std::string& dir) {
        if (t.folds.empty()) throw Error("the model has no parameters yet: fit it before saving it");
        py::gil_scoped_release unlocked;
        fs::create_directories(dir);
        for (size_t f = 0; f < t.folds.size(); ++f) nn::save_checkpoint(fold_dir(dir, f), *t.folds[f], nullptr, t.config.to_json());
      }, py::arg("dir"))
      .def_static("load", [](const std::string& dir) {
        py::gil_scoped_release unlocked;
        GraphTask t;
        for (size_t f = 0; fs::exists(fs::path(fold_dir(dir, f)) / "config.json"); ++f) {
          const GATConfig c = GATConfig::from_json(nn::read_checkpoint_config(fold_dir(dir, f)), fold_dir(dir, f) + "/config.json");
          if (f == 0) t.config = c;
          else if (c.to_json() != t.config.to_json())
            throw DataError(fold_dir(dir, f) + "/config.json: not the configuration of " + fold_dir(dir, 0));
          auto model = std::make_unique<GraphClassifier>(c);
          nn::load_checkpoint(fold_dir(dir, f), *model, nullptr);
          t.folds.push_back(std::move(model));
        }
        if (t.folds.empty()) throw DataError(dir + ": no fold_1/config.json (a graph classifier's checkpoints are one per fold)");
        return t;
      }, py::arg("dir"));

  m.def("_checkpoint_task", [](const std::string& dir) {
    // The task of the model saved in `dir`: "node" / "link" (one checkpoint) or "graph" (DIR/fold_1 ...).
    if (!fs::exists(fs::path(dir) / "config.json") && fs::exists(fs::path(dir) / "fold_1" / "config.json")) return std::string("graph");
    return GATConfig::from_json(nn::read_checkpoint_config(dir), dir + "/config.json").task;
  }, py::arg("dir"));
}

}  // namespace gatgrad::python
