// load_dataset: read the six arrays of a dataset directory, check them against each other,
// and fill a Dataset. Reading is io/npy.hpp / io/npz.hpp; this file holds the dataset-level rules.
#include "graph/load_dataset.hpp"

#include <cmath>
#include <filesystem>
#include <limits>
#include <span>

#include "autograd/error.hpp"
#include "graph/features.hpp"
#include "graph/graph_index.hpp"
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

// x.npy as a mapping when it can be used as it is: float32, and its data 64-byte aligned in the
// file (NumPy aligns it so) as a tensor's data must be. Undefined otherwise.
MappedNpy map_if_usable(const std::string& npy, const LoadOptions& opts) {
  if (!opts.map_features || opts.normalize_features) return {};
  MappedNpy m = map_npy(npy);
  if (m.dtype != "<f4" || m.shape.size() != 2 || m.offset % 64 != 0) return {};
  return m;
}

// Features from x.npy (dense) or else x.npz (scipy csr, csc or coo, read as CSR); returns the path read.
std::string read_features(Dataset& d, const std::string& dir, const LoadOptions& opts) {
  const std::string npy = (fs::path(dir) / "x.npy").string(), npz = (fs::path(dir) / "x.npz").string();
  if (fs::exists(npy)) {
    d.x_is_sparse = false;
    d.x_mapped = map_if_usable(npy, opts);
    if (d.x_mapped.defined()) {
      d.num_nodes = d.x_mapped.shape[0];
      d.num_features = d.x_mapped.shape[1];
      check_dense(npy, d.dense_values(), d.num_features);
      return npy;
    }
    NpyArray a = load_npy(npy);
    if (a.kind() != 'f') fail(npy, "features must be float32 or float64, found dtype " + a.dtype);
    if (a.shape.size() != 2) fail(npy, "expected a 2-d array [nodes, features], found shape " + a.shape_str());
    d.num_nodes = a.shape[0];
    d.num_features = a.shape[1];
    d.x_dense = a.to_float();
    check_dense(npy, d.x_dense, d.num_features);
    return npy;
  }
  if (fs::exists(npz)) {
    d.x_sparse = load_scipy_csr_npz(npz);  // checks finiteness too, naming row and column
    d.x_is_sparse = true;
    d.num_nodes = d.x_sparse.rows;
    d.num_features = d.x_sparse.cols;
    return npz;
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

void read_labels(Dataset& d, const std::string& file, const std::string& x_file) {
  const NpyArray a = load_npy(file);
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

std::vector<uint8_t> read_mask(const std::string& file, int64_t n, const std::string& x_file) {
  const NpyArray a = load_npy(file);
  if (a.shape.size() != 1) fail(file, "expected a 1-d mask of length " + str(n) + ", found shape " + a.shape_str());
  if (a.shape[0] != n)
    fail(file, "mask of length " + str(a.shape[0]) + " but " + x_file + " has " + str(n) +
                   " nodes (the number of nodes must agree)");
  return a.to_bool();
}

void read_edges(Dataset& d, const std::string& file) {
  const NpyArray a = load_npy(file);
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

// edge_attr.npy, when present: one row of D >= 1 finite features per edge of edge_index.npy.
void read_edge_features(Dataset& d, const std::string& file, const std::string& edge_file) {
  if (!fs::exists(file)) return;
  const NpyArray a = load_npy(file);
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

// graph_index.npy, when present: int [N], checked with the edges and masks (graph_index.hpp).
void read_graph_index(Dataset& d, const std::string& dir) {
  auto file = [&](const char* f) { return (fs::path(dir) / f).string(); };
  const std::string path = file("graph_index.npy");
  if (!fs::exists(path)) return;
  const NpyArray a = load_npy(path);
  if (a.kind() != 'i') fail(path, "graph ids must be integers (int64 or int32), found dtype " + a.dtype);
  if (a.shape.size() != 1) fail(path, "expected a 1-d array [nodes] of graph ids, found shape " + a.shape_str());
  const std::vector<int64_t> ids = a.to_int64();
  d.graph_index.resize(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] < 0 || ids[i] >= d.num_nodes)
      fail(path, "node " + str(static_cast<int64_t>(i)) + " has the graph id " + str(ids[i]) + ", not in [0, " +
                     str(d.num_nodes) + ")");
    d.graph_index[i] = static_cast<int32_t>(ids[i]);
  }
  check_graph_index(d, GraphIndexSources{path, file("edge_index.npy"), file("train_mask.npy"), file("val_mask.npy"),
                                         file("test_mask.npy")});
}

// graph_y.npy: int [G], graph g's class, G the graphs of graph_index.npy (which must exist).
void read_graph_labels(Dataset& d, const std::string& file, const std::string& index_file) {
  if (d.num_graphs == 0) fail(file, "graph labels need " + index_file + " (each node's graph), which is missing");
  const NpyArray a = load_npy(file);
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

Dataset load_dataset(const std::string& dir, const LoadOptions& opts) {
  auto file = [&](const char* f) { return (fs::path(dir) / f).string(); };
  Dataset d;
  fs::path p(dir);
  if (p.filename().empty()) p = p.parent_path();
  d.name = p.filename().string();

  const std::string x_file = read_features(d, dir, opts);
  if (d.num_nodes == 0) fail(x_file, "zero nodes (the features have 0 rows)");
  if (d.num_nodes > std::numeric_limits<int32_t>::max())
    fail(x_file, str(d.num_nodes) + " nodes do not fit in the int32 edge indices (at most 2^31 - 1)");
  if (d.num_features == 0) fail(x_file, "zero features (the features have 0 columns)");

  // Graph classification (graph_y.npy): no node labels, no masks (the splits are folds of graphs).
  const bool graph_labels = fs::exists(file("graph_y.npy"));
  if (!graph_labels) {
    read_labels(d, file("y.npy"), x_file);
    d.train_mask = read_mask(file("train_mask.npy"), d.num_nodes, x_file);
    d.val_mask = read_mask(file("val_mask.npy"), d.num_nodes, x_file);
    d.test_mask = read_mask(file("test_mask.npy"), d.num_nodes, x_file);
    // Training needs a training node; early stopping and the final score need the other two.
    for (const auto& [mask, name, role] : {std::tuple{&d.train_mask, "train_mask.npy", "training"},
                                           std::tuple{&d.val_mask, "val_mask.npy", "validation"},
                                           std::tuple{&d.test_mask, "test_mask.npy", "test"}}) {
      bool any = false;
      for (uint8_t m : *mask) any |= m != 0;
      if (!any) fail(file(name), std::string("no ") + role + " node (all " + str(d.num_nodes) + " entries are false)");
    }
  }
  read_edges(d, file("edge_index.npy"));
  read_edge_features(d, file("edge_attr.npy"), file("edge_index.npy"));
  read_graph_index(d, dir);
  if (graph_labels) read_graph_labels(d, file("graph_y.npy"), file("graph_index.npy"));

  set_feature_format(d, opts.sparse_threshold);
  if (opts.normalize_features) normalize_rows(d);
  return d;
}

}  // namespace gatgrad
