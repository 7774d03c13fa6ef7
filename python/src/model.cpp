// GAT and GATv2 (models/gat.hpp) from Python: training (train/trainer.hpp's
// train_node_classifier, with its hooks bringing each epoch back to Python and its stop flag
// raised by Ctrl-C), prediction, attention and checkpoints (nn/checkpoint.hpp, gat-train's
// format). The hyper-parameters cross as the JSON of GATConfig / TrainConfig
// (models/presets.hpp), so the Python keyword arguments are exactly the C++ fields.
#include <pybind11/stl.h>

#include "autograd/error.hpp"
#include "autograd/tape.hpp"
#include "bindings.hpp"
#include "dataset_handle.hpp"
#include "hooks.hpp"
#include "models/gat.hpp"
#include "train/trainer.hpp"
#include "nn/checkpoint.hpp"

namespace gatgrad::python {
namespace {

std::string str(int64_t v) { return std::to_string(v); }

struct Model {
  GATConfig config;
  std::unique_ptr<GAT> gat;  // made at the first fit (the data gives its sizes), or by load

  // A model for d's sizes at the first use; afterwards, d must have them (DataError naming "data").
  GAT& for_data(const Dataset& d) {
    if (!gat) {
      config.in_features = d.num_features;
      config.num_classes = d.num_classes;
      config.edge_dim = d.edge_dim;
      config.normalize_features = d.features_normalized;  // what a checkpoint records as its preprocessing
      config.validate();
      gat = std::make_unique<GAT>(config);
      return *gat;
    }
    return fitted(d);
  }
  // The trained model, checked against d's sizes.
  GAT& fitted(const Dataset& d) {
    if (!gat) throw Error("the model has no parameters yet: fit it, or load a saved one (gatgrad.load)");
    if (d.num_features != config.in_features || (d.num_classes > 0 && d.num_classes != config.num_classes))
      throw DataError("data: the model expects " + str(config.in_features) + " features and " + str(config.num_classes) +
                      " classes, the data has " + str(d.num_features) + " and " + str(d.num_classes));
    if (d.edge_dim != config.edge_dim)
      throw DataError("data: the model expects " + str(config.edge_dim) + " edge features (edge_attr columns), the data has " +
                      str(d.edge_dim));
    return *gat;
  }
};

bool any(const std::vector<uint8_t>& mask) {
  for (uint8_t m : mask)
    if (m) return true;
  return false;
}

// Trains with PythonHooks (hooks.hpp): on_epoch(dict) after each epoch, Ctrl-C checked after
// each epoch and mini-batch step; a Python exception there stops the loop after that epoch, the
// model takes the best parameters so far, and the exception is raised again here. Returns the
// run's summary and its history.
py::dict fit(Model& m, DatasetHandle& h, const std::string& train_json, const py::object& on_epoch) {
  TrainConfig tc = TrainConfig::from_json(train_json, "fit()");
  const Dataset& d = *h.data;
  if (d.y.empty()) throw DataError("data: fit needs labels (y)");
  for (const auto& [mask, name] : {std::pair{&d.train_mask, "train_mask"}, std::pair{&d.val_mask, "val_mask"},
                                   std::pair{&d.test_mask, "test_mask"}})
    if (!any(*mask)) throw DataError(std::string("data: fit needs ") + name + " (training, early stopping and the final score)");
  GAT& gat = m.for_data(d);
  tc.validate_for(m.config);
  const NodeData& data = h.prepare(m.config.add_self_loops, graph_use(tc), m.config.edge_fill);
  nn::Adam optimizer = make_optimizer(gat.parameters(), tc);
  TrainState state;
  PythonHooks py_hooks(on_epoch, "accuracy");
  TrainResult r;
  {
    py::gil_scoped_release unlocked;
    r = train_node_classifier(gat, data, tc, optimizer, state, py_hooks.hooks());
  }
  if (py_hooks.raised()) {
    if (!state.kept.empty()) restore_parameters(gat, state.kept);
    py_hooks.rethrow();
  }
  py::dict out;
  out["best_epoch"] = r.best_epoch;
  out["epochs_run"] = r.epochs_run;
  out["val_loss"] = r.val.loss;
  out["val_accuracy"] = r.val.accuracy;
  out["test_loss"] = r.test.loss;
  out["test_accuracy"] = r.test.accuracy;
  out["train_seconds"] = r.train_seconds;
  out["stopped_early"] = r.stopped_early;
  py::list history;
  for (const EpochStats& s : r.history) history.append(epoch_dict(s));
  out["history"] = history;
  return out;
}

// The logits [N, C] of every node, without dropout or tape; the features read where they lie.
py::array predict(Model& m, DatasetHandle& h) {
  GAT& gat = m.fitted(*h.data);
  const NodeData& data = h.prepare(m.config.add_self_loops, GraphUse::full_batch, m.config.edge_fill);
  Tensor logits;
  {
    py::gil_scoped_release unlocked;
    NoGradGuard no_tape;
    gat.eval();
    logits = gat.forward(data.x, data.graph, data.edge_attr);
  }
  return to_numpy(logits);
}

// Every layer's attention: (edge_index [2, E] of the graph it attends over, self-loops included,
// alpha [E, heads]), edge e of both the same (PyG's return_attention_weights).
py::list attention(Model& m, DatasetHandle& h) {
  GAT& gat = m.fitted(*h.data);
  const NodeData& data = h.prepare(m.config.add_self_loops, GraphUse::full_batch, m.config.edge_fill);
  std::vector<AttentionOut> layers;
  {
    py::gil_scoped_release unlocked;
    NoGradGuard no_tape;
    gat.eval();
    gat.forward(data.x, data.graph, data.edge_attr, &layers);
  }
  py::list out;
  for (const AttentionOut& a : layers) {
    const Graph& g = a.graph;
    py::array_t<int64_t> edge_index({py::ssize_t{2}, static_cast<py::ssize_t>(g.num_edges())});
    auto o = edge_index.mutable_unchecked<2>();
    for (int64_t e = 0; e < g.num_edges(); ++e) o(0, e) = g.src()[e], o(1, e) = g.dst()[e];
    out.append(py::make_tuple(edge_index, to_numpy(a.alpha)));
  }
  return out;
}

py::dict evaluate_rows(Model& m, DatasetHandle& h, const py::array& rows) {
  GAT& gat = m.fitted(*h.data);
  if (h.data->y.empty()) throw DataError("data: evaluate needs labels (y)");
  const NodeData& data = h.prepare(m.config.add_self_loops, GraphUse::full_batch, m.config.edge_fill);
  const std::vector<int64_t> r = to_int64_vector(rows, "rows");
  for (int64_t row : r)
    if (row < 0 || row >= h.data->num_nodes)
      throw DataError("rows: node " + str(row) + " is out of range [0, " + str(h.data->num_nodes) + ")");
  Evaluation e;
  {
    py::gil_scoped_release unlocked;
    e = evaluate(gat, data, r);
  }
  py::dict out;
  out["loss"] = e.loss;
  out[data.multilabel ? "micro_f1" : "accuracy"] = e.accuracy;
  return out;
}

}  // namespace

void bind_model(py::module_& m) {
  py::class_<Model>(m, "_Model")
      .def(py::init([](const std::string& config_json) {
        Model model;
        // from_json validates every field; the sizes come as 1 until the data gives them (0 here).
        model.config = GATConfig::from_json(config_json, "the model's arguments");
        model.config.in_features = model.config.num_classes = 0;
        return model;
      }))
      .def_property_readonly("config_json", [](const Model& m) { return m.config.to_json(); })
      .def_property_readonly("built", [](const Model& m) { return m.gat != nullptr; })
      .def("fit", &fit, py::arg("data"), py::arg("train_json"), py::arg("on_epoch"))
      .def("predict", &predict, py::arg("data"))
      .def("attention", &attention, py::arg("data"))
      .def("evaluate", &evaluate_rows, py::arg("data"), py::arg("rows"))
      .def("named_parameters", [](const Model& m) {
        if (!m.gat) throw Error("the model has no parameters yet: fit it, or load a saved one (gatgrad.load)");
        return m.gat->named_parameters();
      })
      .def("save", [](const Model& m, const std::string& dir) {
        if (!m.gat) throw Error("the model has no parameters yet: fit it before saving it");
        py::gil_scoped_release unlocked;
        nn::save_checkpoint(dir, *m.gat, nullptr, m.config.to_json());
      }, py::arg("dir"))
      .def_static("load", [](const std::string& dir) {
        py::gil_scoped_release unlocked;
        Model model;
        model.config = GATConfig::from_json(nn::read_checkpoint_config(dir), dir + "/config.json");
        model.gat = std::make_unique<GAT>(model.config);
        nn::load_checkpoint(dir, *model.gat, nullptr);
        return model;
      }, py::arg("dir"));

  m.def("_preset", [](const std::string& name) {
    const Preset p = make_preset(name);
    return std::pair{p.model.to_json(), p.train.to_json()};
  });
  m.def("_preset_names", &preset_names);
  m.def("_check_train_config", [](const std::string& train_json) { TrainConfig::from_json(train_json, "training").validate(); });
  m.def("_defaults", [] { return std::pair{GATConfig{}.to_json(), TrainConfig{}.to_json()}; });
}

}  // namespace gatgrad::python
