// The dataset object of the module: a gatgrad Dataset (graph/dataset.hpp) and the NodeData
// prepared from it (models/node_data.hpp), made once per way of preparing and kept, so that
// fit, predict and attention on the same data share its tensors and graph.
#pragma once
#include <map>
#include <memory>
#include <tuple>

#include "graph/dataset.hpp"
#include "models/node_data.hpp"

namespace gatgrad::python {

struct DatasetHandle {
  std::shared_ptr<Dataset> data;
  /// Prepared for (add_self_loops, use, edge_fill): the graph with its loops, the features'
  /// tensor (the dataset's own float32 memory, not a copy), the edge features in its order.
  std::map<std::tuple<bool, GraphUse, std::string>, NodeData> prepared;

  const NodeData& prepare(bool add_self_loops, GraphUse use, const std::string& edge_fill);
};

}  // namespace gatgrad::python
