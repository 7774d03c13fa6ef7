/// @file
/// NeighborSampler: the blocks of a mini-batch, sampled hop by hop from its seed nodes (PyG's
/// NeighborLoader, DGL's NeighborSampler), deterministically.
///
/// Hops and blocks. fanout[h] is the number of incoming neighbours drawn per target at hop h:
/// hop 0's targets are the seeds, hop h+1's are all the source nodes of hop h (PyG's order:
/// fanout[0] is for the seeds). -1 takes every neighbour, 0 none. One block per hop, returned
/// in layer order: blocks.back() is hop 0 (its destinations are the seeds) and blocks[0] is the
/// last hop, whose source nodes are the rows of input features to gather. See graph/block.hpp.
///
/// Numbering of a block's source nodes: its destinations first, in order (the seeds as given,
/// or the previous hop's sources), then each newly reached node at its first appearance when
/// walking the targets in order and each target's sampled edges in order. A target's sampled
/// edges are in its incoming-edge order. So a block is a function of the inputs alone.
///
/// The draw. Target v keeps the min(fanout, deg v) positions k of its incoming list with the
/// smallest r_vk = hash64(key_v, k), key_v = hash64(step_key, v) (ties broken by k): a uniform
/// sample without replacement, nested across fanouts (fanout 5 keeps a subset of fanout 10).
/// step_key depends only on SampleKey (seed, epoch, step); so v's sample depends only on
/// (seed, epoch, step, v) and the fanout: not on the thread count, the batch it is in, or the
/// hop it is reached at. Two micro-batches of one step (#18) see the same neighbours of a node.
///
/// Self-loops: the sampler adds none (a graph's own loop v -> v is sampled like any edge and
/// is an exact loop in the block); Block::add_self_loops gives one per destination, as GAT needs.
///
/// Cost: O(sum of the targets' degrees) per hop (every position of a list with more
/// neighbours than the fanout is hashed), parallel over targets with oneTBB; then one
/// sequential pass over the sampled edges to number the new nodes. The sampler keeps its
/// scratch across calls (a global -> local map of N uint32 that is never cleared, the sampled
/// ids of a hop, per-thread draw buffers), so the steady state allocates only the blocks'
/// own arrays. One sampler is not for concurrent calls; use one per thread.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "graph/adjacency_source.hpp"
#include "graph/block.hpp"
#include "graph/graph.hpp"

namespace gatgrad {

/// What a sample is keyed by. `step` counts batches within the epoch (or globally: any
/// numbering works, as long as the same batch gets the same step).
struct SampleKey {
  uint64_t seed = 0;
  uint64_t epoch = 0;
  uint64_t step = 0;
};

/// The key every target's draws at this step derive from: hash64(derive_key(seed, epoch),
/// step) with the sampler's own stream tag.
uint64_t sample_step_key(const SampleKey& key);

class NeighborSampler {
 public:
  /// fanout: one entry per layer, each -1 (all) or >= 0. Throws UsageError otherwise.
  explicit NeighborSampler(std::vector<int64_t> fanout);
  ~NeighborSampler();
  NeighborSampler(NeighborSampler&&) noexcept;
  NeighborSampler& operator=(NeighborSampler&&) noexcept;

  const std::vector<int64_t>& fanout() const { return fanout_; }
  /// Whether sample() fills each block's edge_global (off by default: 8 bytes per sampled edge):
  /// the position in the whole graph's CSR with a source whose lists are it (no rows:
  /// GraphAdjacency, CsrAdjacency), or the source's own edge ids (IncomingLists::first_edge,
  /// a distributed rank's); sample() throws Error for a source with rows and no first_edge.
  void record_edge_ids(bool on) { record_edges_ = on; }
  int64_t num_layers() const { return static_cast<int64_t>(fanout_.size()); }

  /// The fanout().size() blocks of the batch `seeds` (global ids), blocks[0] the input side.
  /// Throws DataError for no seeds, a seed out of [0, N) or a repeated seed (naming both
  /// positions), and Error for an adjacency source whose lists are malformed.
  std::vector<Block> sample(AdjacencySource& adjacency, std::span<const int32_t> seeds, const SampleKey& key);
  /// The same on a square graph's own CSR (GraphAdjacency).
  std::vector<Block> sample(const Graph& graph, std::span<const int32_t> seeds, const SampleKey& key);

 private:
  struct Scratch;
  std::vector<int64_t> fanout_;
  bool record_edges_ = false;
  std::unique_ptr<Scratch> scratch_;
};

}  // namespace gatgrad
