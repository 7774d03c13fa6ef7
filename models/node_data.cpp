// prepare_node_data: a Dataset into tensors, the graph the layers attend over, and row lists.
#include "models/node_data.hpp"

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

}  // namespace gatgrad
