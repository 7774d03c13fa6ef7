// load_dataset: read the six arrays of a dataset directory, check them against each other,
// and fill a Dataset. Reading is io/npy.hpp / io/npz.hpp; this file holds the dataset-level rules.
#include "graph/load_dataset.hpp"

#include <cmath>
#include <filesystem>
#include <limits>
#include <optional>
#include <span>

#include "autograd/error.hpp"
#include "autograd/tensor.hpp"
#include "graph/features.hpp"
#include "graph/graph_index.hpp"
#include "io/file.hpp"
#include "io/npy.hpp"
#include "io/npz.hpp"

namespace gatgrad {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail(const std::string& file, const std::string& what) {
  throw DataError(file + ": " + what);
}

std::string str(int64_t v) { return std::to_string(v); }

const char* non_finite_name(float v) { return std::isnan(v) ? "NaN" : v > 0 ? "Inf" : "-Inf"; }

// The checks of dense features [N, F] read from `file`.
void check_dense(const std::string& file, std::span<const float> x, int64_t num_features) {
  for (int64_t i = 0; i < static_cast<int64_t>(x.size()); ++i) {
    if (!std::isfinite(x[i]))
      fail(file, std::string(non_finite_name(x[i])) + " in the features at row " + str(i / num_features) +
                     ", column " + str(i % num_features));
  }
}

// x.npy as a mapping when it can be used as it is: float32, its data where a tensor can borrow it
// (Tensor::can_borrow). Undefined otherwise.
MappedNpy map_if_usable(const std::string& npy, const LoadOptions& opts) {
  if (!opts.map_features || opts.normalize_features) return {};
  MappedNpy m = map_npy(npy);
  if (m.dtype != "<f4" || m.shape.size() != 2 || !Tensor::can_borrow(m.data, DType::f32)) return {};
  return m;
}

// Dense or sparse features from the arrays: x_mapped used where it lies, else x_sparse, else x.
// Returns the name the messages give the features.
std::string take_features(Dataset& d, DatasetArrays& a) {
  if (a.x_mapped.defined()) {
    if (a.x_mapped.dtype != "<f4" || a.x_mapped.shape.size() != 2)
      fail(a.x_mapped.name, "features used where they lie must be a float32 [nodes, features] array");
    d.x_is_sparse = false;
    d.x_mapped = std::move(a.x_mapped);
    d.num_nodes = d.x_mapped.shape[0];
    d.num_features = d.x_mapped.shape[1];
    check_dense(d.x_mapped.name, d.dense_values(), d.num_features);
    return d.x_mapped.name;
  }
  if (a.x_sparse) {
    d.x_sparse = std::move(*a.x_sparse);  // checked by its reader (scipy_csr_from_members), finiteness included
    d.x_is_sparse = true;
    d.num_nodes = d.x_sparse.rows;
    d.num_features = d.x_sparse.cols;
    return a.x_sparse_name;
  }
  const NpyArray& x = a.x;
  if (x.kind() != 'f') fail(x.name, "features must be float32 or float64, found dtype " + x.dtype);
  if (x.shape.size() != 2) fail(x.name, "expected a 2-d array [nodes, features], found shape " + x.shape_str());
  d.x_is_sparse = false;
  d.num_nodes = x.shape[0];
  d.num_features = x.shape[1];
  d.x_dense = x.to_float();
  check_dense(x.name, d.x_dense, d.num_features);
  return x.name;
}

// The rows a sparse x.npz may claim: the node count of the file that holds one entry per node --
// y.npy, or graph_index.npy for graph classification (graph_y.npy, no y.npy read) -- from its
// header alone, which its size vouches for; so a shape of 2^40 rows is refused before the CSR's
// 8 bytes per row are allocated. A file that is missing or not one row per node is left for its
// own reader to name.
RowLimit rows_of_nodes(const std::string& dir) {
  const bool by_graph = optional_file_present((fs::path(dir) / "graph_y.npy").string());
  const char* const order[2][2] = {{"y.npy", "graph_index.npy"}, {"graph_index.npy", "y.npy"}};
  for (const char* name : order[by_graph]) {
    const std::string path = (fs::path(dir) / name).string();
    if (!optional_file_present(path)) continue;
    const NpyArray a = read_npy_header(path);
    if (a.shape.empty() || a.shape[0] > RowLimit{}.rows) return {};
    return {a.shape[0], "the " + str(a.shape[0]) + " nodes of " + path + " (the number of nodes must agree)"};
  }
  return {};
}

// The features of a dataset directory: x.npy (mapped when it can be used as it is) or else x.npz
// (scipy csr, csc or coo, read as CSR). Either may be absent, not both; one present in name only
// (a dangling link) is an error.
void read_features(DatasetArrays& a, const std::string& dir, const LoadOptions& opts) {
  const std::string npy = (fs::path(dir) / "x.npy").string(), npz = (fs::path(dir) / "x.npz").string();
  if (optional_file_present(npy)) {
    a.x_mapped = map_if_usable(npy, opts);
    if (!a.x_mapped.defined()) a.x = load_npy(npy);
    return;
  }
  if (optional_file_present(npz)) {
    a.x_sparse = load_scipy_csr_npz(npz, rows_of_nodes(dir));  // checks finiteness too, naming row and column
    a.x_sparse_name = npz;
    return;
  }
  fail(npy, "missing file (looked for " + npz + " too)");
}

// Node count of `a` (its first dimension) must be N, the rows of the feature file.
void require_nodes(const NpyArray& a, int64_t n, const std::string& x_file) {
  if (a.shape.empty()) fail(a.name, "expected one entry per node, found a 0-d array");
  if (a.shape[0] != n)
    fail(a.name, "has " + str(a.shape[0]) + " rows but " + x_file + " has " + str(n) +
                     " (the number of nodes must agree)");
}

void take_labels(Dataset& d, const NpyArray& a, const std::string& x_file) {
  const std::string& file = a.name;
  require_nodes(a, d.num_nodes, x_file);
  if (a.shape.size() > 2) fail(file, "expected shape (N,) or (N, C), found " + a.shape_str());
  d.y = a.to_int64();
  d.multilabel = a.shape.size() == 2;
  if (d.multilabel) {
    d.num_classes = a.shape[1];
    if (d.num_classes == 0) fail(file, "multilabel targets with zero columns, shape " + a.shape_str());
    for (size_t i = 0; i < d.y.size(); ++i) {
      if (d.y[i] != 0 && d.y[i] != 1)
        fail(file, "multilabel target of node " + str(i / d.num_classes) + ", class " + str(i % d.num_classes) +
                       " is " + str(d.y[i]) + ", expected 0 or 1");
    }
    return;
  }
  int64_t max_label = -1;
  for (int64_t i = 0; i < d.num_nodes; ++i) {
    const int64_t c = d.y[i];
    if (c < 0) fail(file, "label " + str(c) + " of node " + str(i) + " is negative");
    if (c >= d.num_nodes)
      fail(file, "label " + str(c) + " of node " + str(i) + " is out of range [0, " + str(d.num_nodes) +
                     ") (class ids must be below the number of nodes)");
    max_label = std::max(max_label, c);
  }
  d.num_classes = max_label + 1;
}

// A mask of N entries that selects at least one node (training needs a training node; early
// stopping and the final score need the other two); empty when the arrays have none.
std::vector<uint8_t> take_mask(const std::optional<NpyArray>& a, int64_t n, const std::string& x_file,
                               const char* role) {
  if (!a) return {};
  const std::string& file = a->name;
  if (a->shape.size() != 1) fail(file, "expected a 1-d mask of length " + str(n) + ", found shape " + a->shape_str());
  if (a->shape[0] != n)
    fail(file, "mask of length " + str(a->shape[0]) + " but " + x_file + " has " + str(n) +
                   " nodes (the number of nodes must agree)");
  std::vector<uint8_t> mask = a->to_bool();
  bool any = false;
  for (uint8_t m : mask) any |= m != 0;
  if (!any) fail(file, std::string("no ") + role + " node (all " + str(n) + " entries are false)");
  return mask;
}

void take_edges(Dataset& d, const NpyArray& a) {
  const std::string& file = a.name;
  if (a.shape.size() != 2 || a.shape[0] != 2)
    fail(file, "expected shape (2, E) [source row, target row], found " + a.shape_str());
  const std::vector<int64_t> v = a.to_int64();
  const int64_t e_count = a.shape[1], n = d.num_nodes;
  d.src.resize(static_cast<size_t>(e_count));
  d.dst.resize(static_cast<size_t>(e_count));
  for (int64_t e = 0; e < e_count; ++e) {
    for (int row = 0; row < 2; ++row) {
      const int64_t node = v[row * e_count + e];
      const char* what = row == 0 ? "source" : "target";
      if (node < 0) fail(file, "edge " + str(e) + ": " + what + " index " + str(node) + " is negative");
      if (node >= n)
        fail(file, "edge " + str(e) + ": " + what + " index " + str(node) + " is out of range [0, " + str(n) + ")");
    }
    d.src[e] = static_cast<int32_t>(v[e]);
    d.dst[e] = static_cast<int32_t>(v[e_count + e]);
  }
}

// Edge features, when present: one row of D >= 1 finite features per edge of the edge index.
void take_edge_features(Dataset& d, const NpyArray& a, const std::string& edge_file) {
  const std::string& file = a.name;
  if (a.kind() != 'f') fail(file, "edge features must be float32 or float64, found dtype " + a.dtype);
  if (a.shape.empty() || a.shape.size() > 2)
    fail(file, "expected shape (E, D) or (E,), one row per edge, found " + a.shape_str());
  if (a.shape[0] != d.num_edges())
    fail(file, "has " + str(a.shape[0]) + " rows but " + edge_file + " has " + str(d.num_edges()) +
                   " edges (one row of edge features per edge)");
  d.edge_dim = a.shape.size() == 2 ? a.shape[1] : 1;
  if (d.edge_dim == 0) fail(file, "zero edge features (shape " + a.shape_str() + ")");
  d.edge_attr = a.to_float();
  for (int64_t k = 0; k < static_cast<int64_t>(d.edge_attr.size()); ++k)
    if (!std::isfinite(d.edge_attr[k]))
      fail(file, std::string(non_finite_name(d.edge_attr[k])) + " in the features of edge " + str(k / d.edge_dim) +
                     ", column " + str(k % d.edge_dim));
}

// Graph ids, when present: int [N], checked with the edges and masks (graph_index.hpp).
void take_graph_index(Dataset& d, const DatasetArrays& a) {
  const NpyArray& g = *a.graph_index;
  const std::string& path = g.name;
  if (g.kind() != 'i') fail(path, "graph ids must be integers (int64 or int32), found dtype " + g.dtype);
  if (g.shape.size() != 1) fail(path, "expected a 1-d array [nodes] of graph ids, found shape " + g.shape_str());
  const std::vector<int64_t> ids = g.to_int64();
  d.graph_index.resize(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] < 0 || ids[i] >= d.num_nodes)
      fail(path, "node " + str(static_cast<int64_t>(i)) + " has the graph id " + str(ids[i]) + ", not in [0, " +
                     str(d.num_nodes) + ")");
    d.graph_index[i] = static_cast<int32_t>(ids[i]);
  }
  check_graph_index(d, GraphIndexSources{path, a.edge_index.name, a.names.train_mask, a.names.val_mask,
                                         a.names.test_mask});
}

// The arrays of a dataset directory (the layout of load_dataset.hpp), each named by its path.
DatasetArrays read_arrays(const std::string& dir, const LoadOptions& opts) {
  auto file = [&](const char* f) { return (fs::path(dir) / f).string(); };
  DatasetArrays a;
  fs::path p(dir);
  if (p.filename().empty()) p = p.parent_path();
  a.name = p.filename().string();
  read_features(a, dir, opts);
  // Graph classification (graph_y.npy): no node labels, no masks (the splits are folds of graphs).
  if (optional_file_present(file("graph_y.npy"))) {
    a.graph_y = load_npy(file("graph_y.npy"));
  } else {
    a.y = load_npy(file("y.npy"));
    a.train_mask = load_npy(file("train_mask.npy"));
    a.val_mask = load_npy(file("val_mask.npy"));
    a.test_mask = load_npy(file("test_mask.npy"));
  }
  a.edge_index = load_npy(file("edge_index.npy"));
  if (optional_file_present(file("edge_attr.npy"))) a.edge_attr = load_npy(file("edge_attr.npy"));
  if (optional_file_present(file("graph_index.npy"))) a.graph_index = load_npy(file("graph_index.npy"));
  a.names.graph_index = file("graph_index.npy");
  return a;
}

// Graph classes (graph_y.npy): int [G], G the graphs of the graph index (which must be given).
void take_graph_labels(Dataset& d, const NpyArray& a, const std::string& index_file) {
  const std::string& file = a.name;
  if (d.num_graphs == 0) fail(file, "graph labels need " + index_file + " (each node's graph), which is missing");
  if (a.kind() != 'i') fail(file, "graph classes must be integers (int64 or int32), found dtype " + a.dtype);
  if (a.shape.size() != 1 || a.shape[0] != d.num_graphs)
    fail(file, "expected shape (" + str(d.num_graphs) + ",), one class per graph of " + index_file + ", found " +
                   a.shape_str());
  d.graph_labels = a.to_int64();
  int64_t max_label = -1;
  for (int64_t g = 0; g < d.num_graphs; ++g) {
    const int64_t c = d.graph_labels[static_cast<size_t>(g)];
    if (c < 0 || c >= d.num_graphs)
      fail(file, "class " + str(c) + " of graph " + str(g) + " is out of range [0, " + str(d.num_graphs) +
                     ") (class ids must be below the number of graphs)");
    max_label = std::max(max_label, c);
  }
  d.num_classes = max_label + 1;
}

}  // namespace

Dataset dataset_from_arrays(DatasetArrays a, const LoadOptions& opts) {
  Dataset d;
  d.name = a.name;
  const std::string x_file = take_features(d, a);
  if (d.num_nodes == 0) fail(x_file, "zero nodes (the features have 0 rows)");
  if (d.num_nodes > std::numeric_limits<int32_t>::max())
    fail(x_file, str(d.num_nodes) + " nodes do not fit in the int32 edge indices (at most 2^31 - 1)");
  if (d.num_features == 0) fail(x_file, "zero features (the features have 0 columns)");

  if (a.y) take_labels(d, *a.y, x_file);
  d.train_mask = take_mask(a.train_mask, d.num_nodes, x_file, "training");
  d.val_mask = take_mask(a.val_mask, d.num_nodes, x_file, "validation");
  d.test_mask = take_mask(a.test_mask, d.num_nodes, x_file, "test");
  // The masks are freed here; graph_index's rules below still name them (a.names).
  if (a.train_mask) a.names.train_mask = a.train_mask->name;
  if (a.val_mask) a.names.val_mask = a.val_mask->name;
  if (a.test_mask) a.names.test_mask = a.test_mask->name;
  for (std::optional<NpyArray>* taken : {&a.y, &a.train_mask, &a.val_mask, &a.test_mask}) taken->reset();
  take_edges(d, a.edge_index);
  std::vector<char>().swap(a.edge_index.bytes);  // its name still names it in the messages below
  if (a.edge_attr) take_edge_features(d, *a.edge_attr, a.edge_index.name);
  a.edge_attr.reset();
  if (a.graph_index) take_graph_index(d, a);
  if (a.graph_y) take_graph_labels(d, *a.graph_y, a.graph_index ? a.graph_index->name : a.names.graph_index);

  set_feature_format(d, opts.sparse_threshold);
  if (opts.normalize_features) normalize_rows(d);
  return d;
}

Dataset load_dataset(const std::string& dir, const LoadOptions& opts) {
  // The loader demands every file: a missing one is reported by load_npy, naming it.
  return dataset_from_arrays(read_arrays(dir, opts), opts);
}

}  // namespace gatgrad
