// prepare_node_data: a Dataset into tensors, the graph the layers attend over, and row lists.
#include "models/node_data.hpp"

#include <algorithm>
#include <string>

#include "autograd/error.hpp"
#include "graph/graph_index.hpp"
#include "nn/metrics.hpp"

namespace gatgrad {

InputFeatures node_features(const Dataset& d, DType dtype) {
  if (d.x_is_sparse) return SparseFeatures(d.x_sparse);
  if (d.x_mapped.defined() && dtype == DType::f32)  // read where it lies, no copy
    return Tensor::from_external(d.x_mapped.data, {d.num_nodes, d.num_features}, DType::f32, d.x_mapped.mapping);
  return Tensor::from_span<float>(d.dense_values(), {d.num_nodes, d.num_features}).to(dtype);
}

NodeData prepare_node_data(const Dataset& d, bool add_self_loops, DType dtype, GraphUse use, const EdgeFill& edge_fill) {
  NodeData out;
  out.x = node_features(d, dtype);
  const Graph edges = Graph::from_edges(d.src, d.dst, d.num_nodes);
  if (use == GraphUse::sampling) {
    out.graph = edges;
    out.neighbors = std::make_shared<GraphAdjacency>(edges);
  } else {
    out.graph = add_self_loops ? edges.add_self_loops() : edges;
  }
  if (d.edge_dim > 0) {  // sampling: the dataset's edges as they are, each block fills its own loops
    const bool looped = add_self_loops && use == GraphUse::full_batch;
    out.edge_attr = edge_features_in_graph_order(out.graph, looped, d.src, d.dst, d.edge_attr, d.edge_dim,
                                                 edge_fill, dtype);
  }
  out.num_classes = d.num_classes;
  out.multilabel = d.multilabel;
  if (d.multilabel) {
    std::vector<double> t(d.y.begin(), d.y.end());
    out.targets = Tensor::from_vector(t, {d.num_nodes, d.num_classes}, dtype);
  } else {
    out.labels = d.y;
  }
  out.train_rows = nn::mask_to_rows(d.train_mask);
  out.val_rows = nn::mask_to_rows(d.val_mask);
  out.test_rows = nn::mask_to_rows(d.test_mask);
  out.graph_index = d.graph_index;
  out.num_graphs = d.num_graphs;
  out.graph_nodes = nodes_by_graph(d.graph_index, d.num_graphs);
  out.graph_labels = d.graph_labels;
  return out;
}

namespace {

// v's entries in the new order: entry r is v[order[r]] (v empty: empty).
template <class T>
std::vector<T> in_order(const std::vector<T>& v, std::span<const int32_t> order) {
  if (v.empty()) return {};
  std::vector<T> out(order.size());
  for (size_t r = 0; r < order.size(); ++r) out[r] = v[static_cast<size_t>(order[r])];
  return out;
}

// The rows, each old number replaced by its new one (new_of), ascending.
std::vector<int64_t> renumbered_rows(const std::vector<int64_t>& rows, const std::vector<int32_t>& new_of) {
  std::vector<int64_t> out(rows.size());
  for (size_t k = 0; k < rows.size(); ++k) out[k] = new_of[static_cast<size_t>(rows[k])];
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

NodeData renumber_nodes(const NodeData& d, std::span<const int32_t> order) {
  if (d.neighbors) throw Error("renumber_nodes: the data is prepared for sampling, not for one full batch");
  if (!d.graph_labels.empty()) throw Error("renumber_nodes: graph classification data keeps its numbering");
  const int64_t n = d.graph.num_nodes();
  if (static_cast<int64_t>(order.size()) != n)
    throw Error("renumber_nodes: the order has " + std::to_string(order.size()) + " entries for " + std::to_string(n) +
                " nodes");
  std::vector<int32_t> new_of(static_cast<size_t>(n), -1);  // new_of[old] = new
  for (int64_t r = 0; r < n; ++r) {
    const int32_t old = order[static_cast<size_t>(r)];
    if (old < 0 || old >= n || new_of[static_cast<size_t>(old)] >= 0)
      throw Error("renumber_nodes: the order is not a permutation of [0, " + std::to_string(n) + "): entry " +
                  std::to_string(r) + " is " + std::to_string(old));
    new_of[static_cast<size_t>(old)] = static_cast<int32_t>(r);
  }

  NodeData out;
  out.x = gather_rows(d.x, order);
  std::vector<int32_t> src(d.graph.src().begin(), d.graph.src().end()), dst(d.graph.dst().begin(), d.graph.dst().end());
  for (int32_t& j : src) j = new_of[static_cast<size_t>(j)];
  for (int32_t& i : dst) i = new_of[static_cast<size_t>(i)];
  out.graph = Graph::from_edges(src, dst, n);  // edge k of the new graph is the old graph's edge_origin()[k]
  if (d.edge_attr.defined()) out.edge_attr = gather_rows(InputFeatures(d.edge_attr), out.graph.edge_origin()).dense;
  out.num_classes = d.num_classes;
  out.multilabel = d.multilabel;
  if (d.targets.defined()) out.targets = gather_rows(InputFeatures(d.targets), order).dense;
  out.labels = in_order(d.labels, order);
  out.train_rows = renumbered_rows(d.train_rows, new_of);
  out.val_rows = renumbered_rows(d.val_rows, new_of);
  out.test_rows = renumbered_rows(d.test_rows, new_of);
  out.graph_index = in_order(d.graph_index, order);
  out.num_graphs = d.num_graphs;
  out.graph_nodes = nodes_by_graph(out.graph_index, out.num_graphs);
  return out;
}

}  // namespace gatgrad
