/// @file
/// Layer-wise full-neighbourhood inference (DGL's and PyG's way to evaluate a model trained in
/// mini-batches): each layer k = 1 .. L for the nodes S_k that need it, in chunks of
/// destinations, each chunk one block of all its incoming neighbours, reading the layer below's
/// output. Every node sees its whole neighbourhood, as in full-batch inference, so the scores
/// are exact (not sampled); memory is two layers' outputs plus one chunk's block.
///   h_k[v]    = conv_k(h_{k-1}[sources of v's block], block(v))   v in S_k   [|S_k|, K·F']  (h_0 = x)
///   logits[r] = h_L[r]                                            r in S_L = rows   [R, C]
/// S_L = the rows asked for and S_k = S_{k+1} and their in-neighbours (k < L): only what the
/// layer above reads (a few validation rows need their L-hop neighbourhood, not the graph). A
/// distributed rank (dist/) computes S_L = the asked rows it owns and S_k = the nodes it owns
/// among every rank's S_{k+1} and their in-neighbours, reading the rows of the layer below from
/// their owners: a row's value depends only on its neighbourhood, not on the chunk it is
/// computed in, so every way of cutting the work gives the same bits.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "graph/adjacency_source.hpp"
#include "graph/block.hpp"
#include "models/gat.hpp"
#include "models/node_data.hpp"

namespace gatgrad {

/// Where the layer-wise inference reads the graph and the rows of the layer below. Distributed,
/// every call is collective: every rank makes the same calls in the same order (a rank with
/// fewer chunks makes them with nothing to ask).
class LayerwiseSource {
 public:
  virtual ~LayerwiseSource() = default;
  /// The incoming lists (one whole-neighbourhood hop per chunk).
  virtual AdjacencySource& adjacency() = 0;
  /// S_k given S_{k+1} = `above`: the nodes whose output of the layer below this process
  /// computes, ascending.
  virtual std::vector<int32_t> below(std::span<const int32_t> above) = 0;
  /// Rows `ids` of the input features (h_0).
  virtual InputFeatures input_rows(std::span<const int32_t> ids) = 0;
  /// Rows `ids` of a layer's output h [nodes.size(), W], row r being node nodes[r] (a below()).
  virtual Tensor hidden_rows(const Tensor& h, std::span<const int32_t> nodes, std::span<const int32_t> ids) = 0;
  /// Whether the graph has edge features; then edge_rows gives a block's [E_b, D], in its edge
  /// order, from the block's edge_global (the chunks are sampled recording them).
  virtual bool has_edge_features() const = 0;
  virtual Tensor edge_rows(const Block& block) = 0;
  /// The number of chunks a layer runs in here, given this process's own count (distributed:
  /// the largest of every rank's, so that each takes part in every exchange).
  virtual int64_t chunks(int64_t own) { return own; }
};

/// One process's source: the whole graph's lists, x and (when defined) edge_attr [E, D] in the
/// adjacency's edge order, rows read where they are. The references must outlive it.
class LocalSource final : public LayerwiseSource {
 public:
  LocalSource(const InputFeatures& x, AdjacencySource& adjacency, const Tensor& edge_attr)
      : x_(x), adjacency_(adjacency), edge_attr_(edge_attr) {}
  AdjacencySource& adjacency() override { return adjacency_; }
  std::vector<int32_t> below(std::span<const int32_t> above) override;  // above and their in-neighbours, ascending
  InputFeatures input_rows(std::span<const int32_t> ids) override;
  Tensor hidden_rows(const Tensor& h, std::span<const int32_t> nodes, std::span<const int32_t> ids) override;
  bool has_edge_features() const override { return edge_attr_.defined(); }
  Tensor edge_rows(const Block& block) override;

 private:
  const InputFeatures& x_;
  AdjacencySource& adjacency_;
  const Tensor& edge_attr_;
};

/// Logits [rows.size(), C] of `rows` (distinct node ids: S_L), in evaluation mode and without
/// gradient, reading `source`. `chunk` destinations per block (memory, not results). With edge
/// features each block's loops are filled by the model's edge_fill.
Tensor layerwise_logits(GAT& model, LayerwiseSource& source, std::span<const int32_t> rows, int64_t chunk);

/// The same in one process: x and the adjacency hold the whole graph. With edge features,
/// edge_attr [E, D] is in the adjacency's edge order (NodeData::edge_attr for sampling); the
/// adjacency must then be the whole graph's lists (GraphAdjacency, CsrAdjacency).
Tensor layerwise_logits(GAT& model, const InputFeatures& x, AdjacencySource& adjacency,
                        std::span<const int32_t> rows, int64_t chunk, const Tensor& edge_attr = {});

}  // namespace gatgrad
