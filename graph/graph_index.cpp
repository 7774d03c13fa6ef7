// check_graph_index: the rules of a dataset of many graphs (graph_index.hpp).
#include "graph/graph_index.hpp"

#include "autograd/error.hpp"

namespace gatgrad {

namespace {

std::string str(int64_t v) { return std::to_string(v); }

}  // namespace

void check_graph_index(Dataset& d, const GraphIndexSources& files) {
  const std::vector<int32_t>& g = d.graph_index;
  if (static_cast<int64_t>(g.size()) != d.num_nodes)
    throw DataError(files.graph_index + ": " + str(static_cast<int64_t>(g.size())) + " entries for " +
                    str(d.num_nodes) + " nodes (one graph id per node)");
  int64_t num_graphs = 0;
  for (int64_t i = 0; i < d.num_nodes; ++i) {
    if (g[i] < 0) throw DataError(files.graph_index + ": node " + str(i) + " has the negative graph id " + str(g[i]));
    num_graphs = std::max<int64_t>(num_graphs, int64_t{g[i]} + 1);
  }
  std::vector<int64_t> size(static_cast<size_t>(num_graphs), 0);
  for (int32_t id : g) ++size[static_cast<size_t>(id)];
  for (int64_t k = 0; k < num_graphs; ++k)
    if (size[k] == 0)
      throw DataError(files.graph_index + ": graph " + str(k) + " has no node (the ids of " + str(num_graphs) +
                      " graphs must be 0 .. " + str(num_graphs - 1) + ")");
  for (int64_t e = 0; e < d.num_edges(); ++e) {
    const int32_t j = d.src[e], i = d.dst[e];
    if (g[j] != g[i])
      throw DataError(files.edge_index + ": edge " + str(e) + " joins node " + str(j) + " (graph " + str(g[j]) +
                      ") to node " + str(i) + " (graph " + str(g[i]) + "): edges must not cross graphs (" +
                      files.graph_index + ")");
  }
  for (const auto& [mask, file] : {std::pair{&d.train_mask, &files.train_mask}, std::pair{&d.val_mask, &files.val_mask},
                                   std::pair{&d.test_mask, &files.test_mask}}) {
    if (mask->empty()) continue;  // graph classification: the splits are folds of graphs, no mask
    std::vector<int64_t> selected(static_cast<size_t>(num_graphs), 0);
    for (int64_t i = 0; i < d.num_nodes; ++i) selected[static_cast<size_t>(g[i])] += (*mask)[i] != 0;
    for (int64_t k = 0; k < num_graphs; ++k)
      if (selected[k] != 0 && selected[k] != size[k])
        throw DataError(*file + ": selects " + str(selected[k]) + " of the " + str(size[k]) + " nodes of graph " +
                        str(k) + ": with " + files.graph_index + " a mask selects whole graphs");
  }
  d.num_graphs = num_graphs;
}

std::vector<std::vector<int32_t>> nodes_by_graph(std::span<const int32_t> graph_index, int64_t num_graphs) {
  std::vector<std::vector<int32_t>> nodes(static_cast<size_t>(num_graphs));
  for (size_t i = 0; i < graph_index.size(); ++i) nodes.at(static_cast<size_t>(graph_index[i])).push_back(static_cast<int32_t>(i));
  return nodes;
}

}  // namespace gatgrad
