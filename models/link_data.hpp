/// @file
/// LinkData: what link prediction trains and evaluates on, made from a loaded Dataset and its
/// link split (graph/link_split.hpp) in one step, prepare_link_data:
///   Dataset + LinkSplit -> the node features (shared by every stage), and two message-passing
///   graphs, each with its edge features: `train` (the training pairs, both directions) for
///   training and validation, `test` (training + validation pairs) for the test.
/// Which graph a stage attends over is decided in one place, message_graph(), which the
/// trainer, the evaluation and the leakage test (tests/test_link_prediction.cpp) all call.
#pragma once
#include <cstdint>
#include <memory>

#include "graph/adjacency_source.hpp"
#include "graph/dataset.hpp"
#include "graph/edge_features.hpp"
#include "graph/link_split.hpp"
#include "models/input_features.hpp"
#include "models/node_data.hpp"

namespace gatgrad {

enum class LinkStage { train, val, test };

/// One message-passing graph as the encoder reads it.
struct MessageGraph {
  Graph graph;      ///< full batch: with one self-loop per node when the model attends over them; sampling: as split
  Tensor edge_attr; ///< [E, D] in graph's edge order (loops filled for full batch), undefined without edge features
  std::shared_ptr<AdjacencySource> neighbors;  ///< GraphUse::sampling: the sampler's and the layer-wise inference's lists
};

struct LinkData {
  InputFeatures x;  ///< [N, F]
  LinkSplit split;
  MessageGraph train_graph;  ///< split.train_edges: training and validation
  MessageGraph test_graph;   ///< split.train_val_edges: the test
  int64_t num_nodes() const { return split.num_nodes; }
};

/// The graph the encoder attends over at `stage`: train_graph for training and validation,
/// test_graph for the test (PyG's RandomLinkSplit: train_data / val_data / test_data.edge_index).
const MessageGraph& message_graph(const LinkData& data, LinkStage stage);

/// The positive and negative pairs a stage is scored on (validation and test: the split's, with
/// their fixed negatives). Error for LinkStage::train (its negatives are fresh every epoch).
const NodePairs& positive_pairs(const LinkData& data, LinkStage stage);
const NodePairs& negative_pairs(const LinkData& data, LinkStage stage);

/// The data of `d` split by `split` (split_links on d's edges), for one full-batch forward or
/// for sampling (GraphUse, as prepare_node_data); edge features (Dataset::edge_attr) follow
/// each message edge from the dataset edge it came from (MessageEdges::origin).
LinkData prepare_link_data(const Dataset& d, LinkSplit split, bool add_self_loops, DType dtype = DType::f32,
                           GraphUse use = GraphUse::full_batch, const EdgeFill& edge_fill = {});

}  // namespace gatgrad
