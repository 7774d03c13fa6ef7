// The dataset object of the module: a gatgrad Dataset (graph/dataset.hpp) and the NodeData
// prepared from it (models/node_data.hpp), made once per way of preparing and kept, so that
// fit, predict and attention on the same data share its tensors and graph; likewise its link
// split and the LinkData made from it (link prediction, models/link_data.hpp).
#pragma once
#include <map>
#include <memory>
#include <tuple>

#include "graph/dataset.hpp"
#include "models/link_data.hpp"
#include "models/node_data.hpp"

namespace gatgrad::python {

struct DatasetHandle {
  std::shared_ptr<Dataset> data;
  /// Prepared for (add_self_loops, use, edge_fill): the graph with its loops, the features'
  /// tensor (the dataset's own float32 memory, not a copy), the edge features in its order.
  std::map<std::tuple<bool, GraphUse, std::string>, NodeData> prepared;

  const NodeData& prepare(bool add_self_loops, GraphUse use, const std::string& edge_fill);

  /// The edges split as split_links(val_fraction, test_fraction, seed) splits them, prepared for
  /// (add_self_loops, use, edge_fill) (gat-train --task link's data, its seed the model's).
  struct LinkKey {
    double val_fraction, test_fraction;
    uint64_t seed;
    bool add_self_loops;
    GraphUse use;
    std::string edge_fill;
    auto operator<=>(const LinkKey&) const = default;
  };
  std::map<LinkKey, LinkData> links;
  const LinkData& prepare_links(const LinkKey& key);
};

}  // namespace gatgrad::python
