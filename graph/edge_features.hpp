/// @file
/// Edge features (PyG's edge_attr, DGL's efeat): D values per edge, carried from a dataset's edge
/// list to the edges of the Graph a model attends over, the self-loops included.
///   attr [E_in, D]  row k belongs to edge k of the list src[k] -> dst[k] (a Dataset's order)
///   ->   [E, D]     row e belongs to edge e of the Graph (grouped by destination)
/// The loops that Graph::add_self_loops adds have no row of their own: `EdgeFill` (edge_fill.hpp) gives them one,
/// as PyG's add_self_loops(edge_index, edge_attr, fill_value=...) does; the dataset's own loops
/// are dropped with their rows, as the graph drops them.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "autograd/tensor.hpp"
#include "graph/edge_fill.hpp"
#include "graph/block.hpp"
#include "graph/graph.hpp"

namespace gatgrad {


/// The rows of `attr` [E_in, D] (edge list src -> dst of N nodes) in the edge order of g, which is
/// Graph::from_edges(src, dst, N) (looped = false) or its add_self_loops() (looped = true; its
/// loops filled by `fill`, each mean summed in list order). Throws Error when g has not the edge
/// count that makes.
Tensor edge_features_in_graph_order(const Graph& g, bool looped, const std::vector<int32_t>& src,
                                    const std::vector<int32_t>& dst, std::span<const float> attr, int64_t D,
                                    const EdgeFill& fill, DType dtype);

/// The features of looped = g.add_self_loops()'s edges from those of g's (attr [E_g, D] in g's
/// edge order): g's own loops dropped with their rows, the added loops filled by `fill` (the
/// mean over each destination's incoming edges in g). Works on a block (bipartite) as on a
/// square graph: how a sampled block's edges get their loops (train/minibatch.cpp).
Tensor edge_features_with_self_loops(const Graph& g, const Graph& looped, const Tensor& attr, const EdgeFill& fill);

/// A sampled block made ready for a layer (train/minibatch.cpp, models/layerwise.cpp): its
/// self-loops added when `add_self_loops`, and the features of its edges returned [E_b, D],
/// gathered from attr [E, D] (the whole graph's, in its edge order) by the block's edge_global
/// and the loops filled from them. attr undefined: no features (an undefined tensor back).
/// Throws Error for a block without edge_global while attr is defined.
Tensor ready_block(Block& block, bool add_self_loops, const Tensor& attr, const EdgeFill& fill);

/// ready_block for a block whose edges' features are already gathered: sampled [E_b, D] in the
/// block's edge order (a distributed rank fetches them from their owners, dist/rank_graph.hpp).
/// Returns them, or with its loops added when `add_self_loops`, the looped block's [E_b', D].
Tensor ready_block_gathered(Block& block, bool add_self_loops, const Tensor& sampled, const EdgeFill& fill);

}  // namespace gatgrad
