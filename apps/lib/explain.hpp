// One node's attention, made visible and written as data (gat-train --explain NODE).
//
// The data is what PyG's explain.algorithm.AttentionExplainer computes: every attention layer's
// α over the edges of the node's k-hop neighbourhood (the subgraph its prediction reads), and
// one importance per edge, α reduced over each layer's heads and then over the layers (max or
// mean, in that order, as PyG does). The picture draws that neighbourhood once per layer and
// head, once per layer as the mean of its heads, and once as the importance: one arrow j → i per
// edge, its width and grey level α_ij, so the two directions of a pair (α_ij and α_ji) are two
// arrows side by side; nodes filled by their true class and ringed by the predicted one.
//
// Both are pure functions of the attention (the layers' AttentionOut, as --attention-out
// writes it) and the classes: gat-train writes their text with write_text (train_outputs.hpp).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "models/attention_layer.hpp"
#include "models/node_data.hpp"

namespace gatgrad::app {

/// How an edge's α over layers and heads becomes one importance (PyG AttentionExplainer's `reduce`).
enum class AttentionReduce { max, mean };
/// "max" or "mean"; UsageError otherwise.
AttentionReduce parse_attention_reduce(const std::string& name);
const char* attention_reduce_name(AttentionReduce r);

struct ExplainOptions {
  int64_t node = 0;
  int64_t hops = 2;  ///< the neighbourhood: nodes whose messages reach `node` in at most this many edges
  AttentionReduce reduce = AttentionReduce::max;
  /// The picture keeps at most this many nodes: `node`, then the neighbours whose edge toward
  /// the nodes already kept has the highest importance (the data keeps them all).
  int64_t max_drawn_nodes = 40;
  std::string title;  ///< the picture's first line, e.g. "gat on ../shared/datasets/cora"
};

/// Per node of the whole graph, its class (-1: none, e.g. multi-label data).
struct NodeClasses {
  std::vector<int64_t> truth, predicted;
  int64_t num_classes = 0;
};

/// A run's classes: its labels (none for multi-label data) and the argmax of its logits [N, C].
NodeClasses node_classes(const NodeData& data, const Tensor& logits);

struct ExplainedEdge {
  int32_t source = 0, target = 0;  ///< the edge j → i: source j, target i (α_ij)
  int64_t edge = 0;                ///< its number in the layers' graph (the row of --attention-out's block)
  std::vector<std::vector<double>> alpha;  ///< [layer][head] α_ij, from the float32 the model computed
  double importance = 0;           ///< alpha reduced over heads, then over layers
};

struct Explanation {
  int64_t node = 0;
  int64_t hops = 0;
  AttentionReduce reduce = AttentionReduce::max;
  std::vector<int64_t> heads;  ///< per layer
  std::vector<int32_t> nodes;  ///< the neighbourhood, `node` first, then by hop and id
  std::vector<int32_t> hop;    ///< per entry of `nodes`: its distance to `node` along incoming edges
  /// Every edge between two nodes of the neighbourhood (PyG's k_hop_subgraph edge mask), the
  /// self-loops included, in the graph's edge order.
  std::vector<ExplainedEdge> edges;
};

/// The explanation of o.node from each layer's attention. All layers must attend over one graph
/// (a full-batch forward: GAT::forward's AttentionOut); Error otherwise, UsageError for a node
/// outside the graph.
Explanation explain_node(const std::vector<AttentionOut>& layers, const ExplainOptions& o);

/// The explanation as JSON: {node, hops, reduce, layers: [{heads}], nodes: [{id, hop,
/// true_class, predicted_class}], edges: [{edge, source, target, self_loop, importance, alpha:
/// [[per head] per layer]}]}; `edge` is the edge's number in the graph, its row in each
/// (layer, head) block of --attention-out's CSV.
std::string explanation_json(const Explanation& e, const NodeClasses& classes);

/// The picture, a self-contained SVG: a header (title, legend), then one panel per layer and
/// head, one per layer with several heads (their mean), one of the importance. Deterministic:
/// the same explanation gives the same bytes. Node labels are <text class='node-label'>.
std::string explanation_svg(const Explanation& e, const NodeClasses& classes, const ExplainOptions& o);

}  // namespace gatgrad::app
