/// @file
/// Datasets of many graphs (the GAT paper's PPI: 24 graphs, 20 to train on, 2 to validate and 2
/// to test, never seen in training). graph_index.npy holds each node's graph; the rules that
/// make the split inductive are checked here, for the loader and the generator alike:
///   ids       every node's graph in [0, G), each of 0 .. G-1 holding a node
///   edges     never join two graphs (a layer would carry features from one into another)
///   masks     select whole graphs (a graph is in the training set, or not at all); empty masks
///             (graph classification, whose splits are folds of graphs) are not checked
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "graph/dataset.hpp"

namespace gatgrad {

/// Where each rule's violation is reported: the files the dataset came from (for a generated
/// dataset, names of the arrays).
struct GraphIndexSources {
  std::string graph_index = "graph_index", edge_index = "edge_index";
  std::string train_mask = "train_mask", val_mask = "val_mask", test_mask = "test_mask";
};

/// Sets d.num_graphs from d.graph_index after checking the rules above against d's edges and
/// masks. DataError naming the file and the first violation, e.g.
///   "ppi/edge_index.npy: edge 17 joins node 5 (graph 0) to node 2100 (graph 1): edges must not
///    cross graphs (graph_index.npy)"
void check_graph_index(Dataset& d, const GraphIndexSources& files);

/// The nodes of each graph, ascending: [G] lists.
std::vector<std::vector<int32_t>> nodes_by_graph(std::span<const int32_t> graph_index, int64_t num_graphs);

}  // namespace gatgrad
