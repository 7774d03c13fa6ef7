/// @file
/// The TU Dortmund graph-classification layout (https://chrsmrrs.github.io/datasets/), as users
/// download it: a folder of text files DS_*.txt for a dataset DS (MUTAG, PROTEINS, ENZYMES, ...),
/// one value or one comma-separated row per line, ids 1-based:
///   DS_A.txt                 "r, c" per line: the edge r -> c (undirected graphs list both ways)
///   DS_graph_indicator.txt   line i: the graph (1 .. G) of node i (N lines, ascending ids)
///   DS_graph_labels.txt      line g: the class of graph g (any integers: MUTAG has -1 and 1)
///   DS_node_labels.txt       optional, line i: node i's label(s), integers, one or more columns
///   DS_node_attributes.txt   optional, line i: node i's attributes, reals
///   DS_edge_labels.txt       optional, line e: the label(s) of the edge on line e of DS_A.txt
///   DS_edge_attributes.txt   optional, line e: that edge's attributes, reals
/// The Dataset is what PyG's TUDataset(root, DS, use_node_attr=True, use_edge_attr=True) holds
/// (torch_geometric.io.read_tu_data):
///   x          = [node attributes ‖ one-hot(node label - min label) per label column]   [N, F]
///   edge_attr  = [edge attributes ‖ one-hot(edge label - min label) per label column]   [E, D]
///   graph_labels[g] = rank of graph g's class among the sorted distinct classes (y.unique(
///                return_inverse=True)), num_classes their count
///   edges      self-loops dropped, then sorted by (source, target) with duplicates merged (their
///              edge features added), PyG's remove_self_loops + coalesce
///   graph_index[i] = graph id - 1; the node masks are empty (the splits are folds of graphs)
/// (The issue sketching this asked for labels before attributes; PyG puts the attributes first,
/// and a PyG user's model expects its columns, so this reader follows PyG.)
/// Checked like the .npy readers: every failure is a DataError naming the file, the line and the
/// fault ("MUTAG_A.txt:17: node 4000 is out of range [1, 3371] (MUTAG_graph_indicator.txt has
/// 3371 lines)"); every array is sized by lines actually read, never by a value in a file, and a
/// one-hot is refused when its label range is wider than max(rows, 256) columns.
#pragma once
#include <string>

#include "graph/dataset.hpp"

namespace gatgrad {

/// True when `dir` holds a file named *_graph_indicator.txt (the TU layout).
bool is_tu_directory(const std::string& dir);

/// Reads the TU dataset in `dir` (its prefix DS from the one *_graph_indicator.txt there).
/// DataError as the file comment says; also for a folder with two or no such datasets.
Dataset load_tu_dataset(const std::string& dir);

}  // namespace gatgrad
