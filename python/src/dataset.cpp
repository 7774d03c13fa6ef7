// Datasets from NumPy / SciPy arrays (with the loader's checks: graph/load_dataset.hpp's
// dataset_from_arrays, each message naming the argument), from a directory of .npy files, and
// from the synthetic generator (graph/synthetic.hpp). PyG's Data, as arrays.
//
// Where the features lie: a float32 C-contiguous x that a tensor can borrow (Tensor::can_borrow:
// 4-byte aligned, as NumPy's own arrays, np.load(mmap_mode="r")'s and a gatgrad dataset's own x
// are) and that is not normalised is used where it lies, for as long as the dataset lives: no
// copy. Any other x is copied once, into gatgrad's own memory (and normalised there when asked).
// Labels, masks and edges are always copied (into the loader's int32 and bool arrays; the graph is
// a CSR of its own).
#include "dataset_handle.hpp"

#include <pybind11/stl.h>

#include <cstring>

#include "autograd/error.hpp"
#include "bindings.hpp"
#include "graph/edge_features.hpp"
#include "graph/features.hpp"
#include "graph/link_split.hpp"
#include "graph/load_dataset.hpp"
#include "graph/synthetic_motifs.hpp"
#include "graph/tu_dataset.hpp"
#include "graph/synthetic.hpp"
#include "io/npz.hpp"

namespace gatgrad::python {

const NodeData& DatasetHandle::prepare(bool add_self_loops, GraphUse use, const std::string& edge_fill) {
  const auto key = std::make_tuple(add_self_loops, use, edge_fill);
  auto it = prepared.find(key);
  if (it == prepared.end()) {
    NodeData d = prepare_node_data(*data, add_self_loops, DType::f32, use, parse_edge_fill(edge_fill));
    it = prepared.emplace(key, std::move(d)).first;
  }
  return it->second;
}

const LinkData& DatasetHandle::prepare_links(const LinkKey& k) {
  auto it = links.find(k);
  if (it == links.end()) {
    const Dataset& d = *data;
    LinkSplit split = split_links(d.src, d.dst, d.num_nodes, k.val_fraction, k.test_fraction, k.seed);
    it = links.emplace(k, prepare_link_data(d, std::move(split), k.add_self_loops, DType::f32, k.use,
                                            parse_edge_fill(k.edge_fill))).first;
  }
  return it->second;
}

namespace {

// Dense features kept in a vector move into a tensor's aligned storage, seen through x_mapped,
// so that every preparation (and the numpy view `x`) reads them where they lie from then on.
void settle_features(Dataset& d) {
  if (d.x_is_sparse || d.x_mapped.defined()) return;
  Tensor t = Tensor::from_span<float>(d.x_dense, {d.num_nodes, d.num_features});
  std::vector<float>().swap(d.x_dense);
  MappedNpy m;
  m.name = "x";
  m.dtype = "<f4";
  m.shape = {d.num_nodes, d.num_features};
  m.data = reinterpret_cast<const char*>(t.data<float>());
  m.bytes = static_cast<size_t>(t.numel()) * sizeof(float);
  m.mapping = t.impl_ptr();
  d.x_mapped = std::move(m);
}

DatasetHandle make_handle(Dataset d) {
  settle_features(d);
  return DatasetHandle{std::make_shared<Dataset>(std::move(d)), {}, {}};
}

bool borrowable_float32(const py::array& x) {
  return x.dtype().is(py::dtype::of<float>()) && (x.flags() & py::array::c_style) && x.ndim() == 2 &&
         Tensor::can_borrow(x.data(), DType::f32);
}

// A dense x used where it lies (see the top of the file), the array kept alive by the dataset.
MappedNpy borrow(const py::array& x) {
  MappedNpy m;
  m.name = "x";
  m.dtype = "<f4";
  m.shape = {x.shape(0), x.shape(1)};
  m.data = static_cast<const char*>(x.data());
  m.bytes = static_cast<size_t>(x.nbytes());
  m.mapping = keep_alive(x);
  return m;
}

std::optional<NpyArray> optional_npy(const std::optional<py::array>& a, const char* name) {
  if (!a) return std::nullopt;
  return to_npy(*a, name);
}

// scipy.sparse's arrays (format, shape, data and indptr/indices or row/col), checked and made
// CSR by the reader of x.npz files.
CsrMatrix sparse_features(const py::dict& members) {
  std::map<std::string, NpyArray> m;
  for (auto [key, value] : members) {
    const std::string name = py::str(key);
    if (name == "format") {
      const std::string f = py::str(value);
      NpyArray a;
      a.name = "x";
      a.dtype = "|S" + std::to_string(f.size());
      a.bytes.assign(f.begin(), f.end());
      m.emplace(name, std::move(a));
    } else {
      m.emplace(name, to_npy(py::array::ensure(value), "x." + name));
    }
  }
  return scipy_csr_from_members(m, "x");
}

py::array_t<bool> mask_array(const std::vector<uint8_t>& mask) {
  py::array_t<bool> out(static_cast<py::ssize_t>(mask.size()));
  for (size_t i = 0; i < mask.size(); ++i) out.mutable_data()[i] = mask[i] != 0;
  return out;
}

}  // namespace

void bind_dataset(py::module_& m) {
  py::class_<DatasetHandle>(m, "_Dataset")
      .def_property_readonly("name", [](const DatasetHandle& h) { return h.data->name; })
      .def_property_readonly("num_nodes", [](const DatasetHandle& h) { return h.data->num_nodes; })
      .def_property_readonly("num_edges", [](const DatasetHandle& h) { return h.data->num_edges(); })
      .def_property_readonly("num_features", [](const DatasetHandle& h) { return h.data->num_features; })
      .def_property_readonly("num_classes", [](const DatasetHandle& h) { return h.data->num_classes; })
      .def_property_readonly("num_graphs", [](const DatasetHandle& h) { return h.data->num_graphs; })
      .def_property_readonly("edge_dim", [](const DatasetHandle& h) { return h.data->edge_dim; })
      .def_property_readonly("multilabel", [](const DatasetHandle& h) { return h.data->multilabel; })
      .def_property_readonly("normalized", [](const DatasetHandle& h) { return h.data->features_normalized; })
      .def_property_readonly("is_sparse", [](const DatasetHandle& h) { return h.data->x_is_sparse; })
      .def_property_readonly("x_dense", [](py::object self) -> py::object {
        // The dense features where they lie, read-only (no copy); None for sparse features.
        const Dataset& d = *self.cast<DatasetHandle&>().data;
        if (d.x_is_sparse) return py::none();
        py::array_t<float> a({d.num_nodes, d.num_features}, reinterpret_cast<const float*>(d.x_mapped.data), self);
        a.attr("setflags")(py::arg("write") = false);
        return a;
      })
      .def_property_readonly("x_csr", [](const DatasetHandle& h) -> py::object {
        // (indptr, indices, data) copies of sparse features; None for dense ones.
        const Dataset& d = *h.data;
        if (!d.x_is_sparse) return py::none();
        const CsrMatrix& c = d.x_sparse;
        return py::make_tuple(py::array(py::cast(c.indptr)), py::array(py::cast(c.indices)), py::array(py::cast(c.values)));
      })
      .def_property_readonly("y", [](const DatasetHandle& h) -> py::object {
        const Dataset& d = *h.data;
        if (d.y.empty()) return py::none();
        py::array a(py::cast(d.y));
        return d.multilabel ? a.attr("reshape")(d.num_nodes, d.num_classes) : py::object(a);
      })
      .def_property_readonly("train_mask", [](const DatasetHandle& h) { return mask_array(h.data->train_mask); })
      .def_property_readonly("val_mask", [](const DatasetHandle& h) { return mask_array(h.data->val_mask); })
      .def_property_readonly("test_mask", [](const DatasetHandle& h) { return mask_array(h.data->test_mask); })
      .def_property_readonly("edge_index", [](const DatasetHandle& h) {
        const Dataset& d = *h.data;
        py::array_t<int64_t> out({py::ssize_t{2}, static_cast<py::ssize_t>(d.num_edges())});
        auto o = out.mutable_unchecked<2>();
        for (int64_t e = 0; e < d.num_edges(); ++e) o(0, e) = d.src[e], o(1, e) = d.dst[e];
        return out;
      })
      .def_property_readonly("edge_attr", [](const DatasetHandle& h) -> py::object {
        const Dataset& d = *h.data;
        if (d.edge_dim == 0) return py::none();
        return py::array(py::cast(d.edge_attr)).attr("reshape")(d.num_edges(), d.edge_dim);
      })
      .def_property_readonly("graph_index", [](const DatasetHandle& h) -> py::object {
        if (h.data->graph_index.empty()) return py::none();
        return py::array(py::cast(h.data->graph_index));
      })
      .def_property_readonly("graph_y", [](const DatasetHandle& h) -> py::object {
        if (h.data->graph_labels.empty()) return py::none();
        return py::array(py::cast(h.data->graph_labels));
      })
      .def("features", [](DatasetHandle& h) { return h.prepare(true, GraphUse::full_batch, "mean").x; },
           "The features as a layer takes them (dense tensor, or CSR): what dropout_matmul multiplies.")
      .def("graph", [](DatasetHandle& h, bool self_loops) {
             return self_loops ? h.prepare(true, GraphUse::full_batch, "mean").graph : Graph::from_edges(h.data->src, h.data->dst, h.data->num_nodes);
           }, py::arg("self_loops") = true, "The graph of the edges; with self_loops, one loop per node as GAT's layers see it.")
      .def("_features_address", [](DatasetHandle& h) {
        // Where the prepared feature tensor's data lies (tests check that no copy was made).
        const InputFeatures& x = h.prepare(true, GraphUse::full_batch, "mean").x;
        return x.is_sparse() ? uintptr_t{0} : reinterpret_cast<uintptr_t>(x.dense.data<float>());
      });

  m.def("_dataset_from_arrays",
        [](std::optional<py::array> x, std::optional<py::dict> x_sparse, const py::array& edge_index,
           std::optional<py::array> y, std::optional<py::array> train_mask, std::optional<py::array> val_mask,
           std::optional<py::array> test_mask, std::optional<py::array> edge_attr, std::optional<py::array> graph_index,
           std::optional<py::array> graph_y, bool normalize, double sparse_threshold, const std::string& name) {
          DatasetArrays a;
          a.name = name;
          a.names = GraphIndexSources{"graph_index", "edge_index", "train_mask", "val_mask", "test_mask"};
          if (x_sparse) {
            a.x_sparse = sparse_features(*x_sparse);
            a.x_sparse_name = "x";
          } else if (!normalize && borrowable_float32(*x)) {
            a.x_mapped = borrow(*x);
          } else {
            a.x = to_npy(*x, "x");
          }
          a.edge_index = to_npy(edge_index, "edge_index");
          a.y = optional_npy(y, "y");
          a.train_mask = optional_npy(train_mask, "train_mask");
          a.val_mask = optional_npy(val_mask, "val_mask");
          a.test_mask = optional_npy(test_mask, "test_mask");
          a.edge_attr = optional_npy(edge_attr, "edge_attr");
          a.graph_index = optional_npy(graph_index, "graph_index");
          a.graph_y = optional_npy(graph_y, "graph_y");
          LoadOptions opts;
          opts.normalize_features = normalize;
          opts.sparse_threshold = sparse_threshold;
          return make_handle(dataset_from_arrays(std::move(a), opts));
        },
        py::arg("x"), py::arg("x_sparse"), py::arg("edge_index"), py::arg("y"), py::arg("train_mask"), py::arg("val_mask"),
        py::arg("test_mask"), py::arg("edge_attr"), py::arg("graph_index"), py::arg("graph_y"), py::arg("normalize"), py::arg("sparse_threshold"),
        py::arg("name"));

  m.def("_load_dataset", [](const std::string& dir, bool normalize, double sparse_threshold) {
    if (is_tu_directory(dir)) {  // a TU Dortmund folder (graph classification), read as gat-train --task graph reads it
      py::gil_scoped_release unlocked;
      return make_handle(load_tu_dataset(dir));
    }
    LoadOptions opts;
    opts.normalize_features = normalize;
    opts.sparse_threshold = sparse_threshold;
    opts.map_features = true;  // a float32 x.npy used as it is is read where it lies
    py::gil_scoped_release unlocked;
    return make_handle(load_dataset(dir, opts));
  }, py::arg("dir"), py::arg("normalize"), py::arg("sparse_threshold"));

  m.def("_synthetic", [](const std::string& options_json) {
    const CsbmOptions o = csbm_options_from_json(options_json, "synthetic()");
    py::gil_scoped_release unlocked;
    return make_handle(make_csbm(o));
  }, py::arg("options_json"));
  m.def("_motif_graphs", [](int64_t num_graphs, int64_t min_nodes, int64_t max_nodes, int64_t extra_edges,
                            int64_t marked, int64_t noise_features, uint64_t seed) {
    const MotifGraphOptions o{num_graphs, min_nodes, max_nodes, extra_edges, marked, noise_features, seed};
    py::gil_scoped_release unlocked;
    return make_handle(make_motif_graphs(o));
  }, py::arg("num_graphs"), py::arg("min_nodes"), py::arg("max_nodes"), py::arg("extra_edges"), py::arg("marked"),
     py::arg("noise_features"), py::arg("seed"));
  m.def("_motif_defaults", [] {
    const MotifGraphOptions o;
    py::dict d;
    d["num_graphs"] = o.num_graphs, d["min_nodes"] = o.min_nodes, d["max_nodes"] = o.max_nodes;
    d["extra_edges"] = o.extra_edges, d["marked"] = o.marked, d["noise_features"] = o.noise_features, d["seed"] = o.seed;
    return d;
  });
  m.def("_synthetic_defaults", [] { return csbm_options_to_json(CsbmOptions{}); });
}

}  // namespace gatgrad::python
