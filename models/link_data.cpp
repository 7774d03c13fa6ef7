// prepare_link_data and the stage -> graph decision (models/link_data.hpp).
#include "models/link_data.hpp"

#include <algorithm>

#include "autograd/error.hpp"

namespace gatgrad {

namespace {

MessageGraph make_message_graph(const Dataset& d, const MessageEdges& edges, int64_t num_nodes, bool add_self_loops,
                                DType dtype, GraphUse use, const EdgeFill& edge_fill) {
  MessageGraph m;
  const Graph plain = Graph::from_edges(edges.src, edges.dst, num_nodes);
  const bool looped = add_self_loops && use == GraphUse::full_batch;
  m.graph = looped ? plain.add_self_loops() : plain;
  if (use == GraphUse::sampling) m.neighbors = std::make_shared<GraphAdjacency>(plain);
  if (d.edge_dim > 0) {
    const auto D = static_cast<size_t>(d.edge_dim);
    std::vector<float> attr(static_cast<size_t>(edges.size()) * D);  // row e: the features of origin[e]
    for (size_t e = 0; e < edges.origin.size(); ++e)
      std::copy_n(d.edge_attr.begin() + static_cast<std::ptrdiff_t>(static_cast<size_t>(edges.origin[e]) * D), D,
                  attr.begin() + static_cast<std::ptrdiff_t>(e * D));
    m.edge_attr = edge_features_in_graph_order(m.graph, looped, edges.src, edges.dst, attr, d.edge_dim, edge_fill, dtype);
  }
  return m;
}

}  // namespace

const MessageGraph& message_graph(const LinkData& data, LinkStage stage) {
  return stage == LinkStage::test ? data.test_graph : data.train_graph;
}

const NodePairs& positive_pairs(const LinkData& data, LinkStage stage) {
  if (stage == LinkStage::train) return data.split.train;
  return stage == LinkStage::val ? data.split.val : data.split.test;
}

const NodePairs& negative_pairs(const LinkData& data, LinkStage stage) {
  if (stage == LinkStage::train) throw Error("negative_pairs: training negatives are drawn each epoch, not fixed");
  return stage == LinkStage::val ? data.split.val_negative : data.split.test_negative;
}

LinkData prepare_link_data(const Dataset& d, LinkSplit split, bool add_self_loops, DType dtype, GraphUse use,
                           const EdgeFill& edge_fill) {
  if (split.num_nodes != d.num_nodes)
    throw Error("prepare_link_data: the split is of a graph of " + std::to_string(split.num_nodes) +
                " nodes, the dataset has " + std::to_string(d.num_nodes));
  LinkData out;
  out.x = node_features(d, dtype);
  if (d.edge_dim > 0) {  // which dataset edge's features each message edge carries
    find_edge_origins(split.train_edges, d.src, d.dst);
    find_edge_origins(split.train_val_edges, d.src, d.dst);
  }
  out.train_graph = make_message_graph(d, split.train_edges, d.num_nodes, add_self_loops, dtype, use, edge_fill);
  out.test_graph = make_message_graph(d, split.train_val_edges, d.num_nodes, add_self_loops, dtype, use, edge_fill);
  out.split = std::move(split);
  return out;
}

}  // namespace gatgrad
