/// @file
/// GAT: the model of the paper, L = GATConfig::layers attention layers (2 on Cora, 3 on PPI):
///   h_1    = ELU(conv1(dropout(x), g))         K heads × F' features, concatenated   [N, K·F']
///   h_k    = ELU(conv_k(dropout(h_{k-1}), g))  the same, k = 2 .. L-1                 [N, K·F']
///   logits = conv_L(dropout(h_{L-1}), g)       K_out heads, averaged                  [N, C]
/// (each conv applies the dropout to its own input, and dropout to α; with `residual` each adds
/// its learned skip x · W_res). L = 1 is the last line alone, on x. `model = "gatv2"` swaps every
/// layer for GATv2Conv. Its configuration, GATConfig, is in models/presets.hpp with every other
/// hyper-parameter. The layers are the modules conv1 .. convL (their checkpoint names).
#pragma once
#include <memory>
#include <span>
#include <vector>

#include "graph/block.hpp"
#include "models/attention_layer.hpp"
#include "models/presets.hpp"

namespace gatgrad {

class GAT : public nn::Module {
 public:
  explicit GAT(const GATConfig& config, DType dtype = DType::f32);

  /// x [N, F] -> logits [N, C] over the graph g, the same for every layer. With add_self_loops,
  /// g must have one self-loop per node (prepare_node_data's graph does; Error otherwise).
  /// attention, when given, receives each layer's α.
  Tensor forward(const InputFeatures& x, const Graph& g, std::vector<AttentionOut>* attention = nullptr);
  /// The same with edge features: edge_attr [E, edge_dim] in g's edge order, self-loops included
  /// (NodeData::edge_attr), read by every layer. Undefined edge_attr: the form above.
  Tensor forward(const InputFeatures& x, const Graph& g, const Tensor& edge_attr,
                 std::vector<AttentionOut>* attention = nullptr);

  /// A mini-batch: x [S_0, F] the rows of blocks[0].src_global -> logits [D_{L-1}, C] of the
  /// last block's destinations (the seeds), layer k on blocks[k] (NeighborSampler's order), one
  /// block per layer.
  /// With add_self_loops each block must have one self-loop per destination
  /// (Block::add_self_loops). Throws Error for two blocks that do not chain. With edge features,
  /// edge_attr holds one [E_k, D] per block (MicroBatch::edge_attr); without, it is empty.
  Tensor forward(const InputFeatures& x, std::span<const Block> blocks, std::span<const Tensor> edge_attr = {});

  /// Where the layers' dropout masks are drawn from: each training forward takes the masks of
  /// `position` and moves to the next. Mini-batch training sets it to the number of forwards
  /// before this one (steps · micro-batches + micro-batch), so that a micro-batch's masks depend
  /// on its place in the run alone, whoever computes it and whatever ran before.
  void set_dropout_position(uint64_t position);

  const GATConfig& config() const { return config_; }
  int64_t num_layers() const { return static_cast<int64_t>(layers_.size()); }
  /// Layer k, 0-based (the module conv{k+1}).
  AttentionLayer& layer(int64_t k) { return *layers_.at(static_cast<size_t>(k)); }

 private:
  GATConfig config_;
  std::vector<std::shared_ptr<AttentionLayer>> layers_;
};

}  // namespace gatgrad
