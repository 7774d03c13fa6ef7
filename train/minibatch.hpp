/// @file
/// Mini-batch training with neighbour sampling (PyG's NeighborLoader, DGL's NeighborSampler):
/// one epoch is a pass over the training nodes in a shuffled order, B seed nodes per step.
///
/// A step, defined so that it does not depend on who computes it (#18 runs the micro-batches
/// of a step on different processes and must give the same bits):
///   order   = the training rows sorted by hash64(key(seed, epoch), row)     (shuffle_rows)
///   batch t = order[t·B .. (t+1)·B)  (the last one shorter), t = 0 .. ceil(T/B) - 1
///   micro-batch m < M of it = its m-th contiguous part (sizes differ by at most one)
///   blocks  = NeighborSampler(fanout).sample(seeds_m, SampleKey{seed, epoch, t}), each with
///             one self-loop per destination when the model attends over them, and with edge
///             features the rows of its sampled edges, its loops filled from them (ready_block)
///   x_m     = the feature rows of blocks[0].src_global
///   g_m     = ∇ (n_m / n) · loss(model(x_m, blocks), labels of seeds_m), computed whole (the
///             gradients start from zero), with the dropout masks of position
///             (steps before this one) · M + m
///   ∇       = ((g_0 + g_1) + g_2) + ...   in micro-batch order, then one optimiser step.
/// So the loop's result is a function of the data, the seed, B, the fanout and M only: not of
/// the thread count, nor of the order in which the micro-batches were computed.
///
/// Sampling overlaps computing: while step t runs, a oneTBB task samples and gathers step t+1
/// (BatchPipeline). The loss is train/node_loss.hpp's, the sum train/step_gradient.hpp's; the
/// steps of a run are SampledSteps (train/sampled_steps.hpp), evaluated layer-wise and exactly
/// (models/layerwise.hpp).
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "graph/adjacency_source.hpp"
#include "graph/block.hpp"
#include "graph/edge_features.hpp"
#include "graph/neighbor_sampler.hpp"
#include "models/gat.hpp"
#include "models/layerwise.hpp"
#include "models/node_data.hpp"
#include "models/presets.hpp"
#include "train/steps.hpp"

namespace gatgrad {

/// "mini-batches of B seeds, fanout 10,10, M micro-batches per step, S steps per epoch": how
/// `config` cuts an epoch of `steps` steps, for a run's log (Steps::describe).
std::string describe_mini_batches(const TrainConfig& config, int64_t steps);

/// The training rows in the order of an epoch: a permutation that depends on (seed, epoch) only.
std::vector<int32_t> shuffle_rows(std::span<const int64_t> rows, uint64_t seed, int64_t epoch);

/// [begin, end) of part m of n items cut into `parts` contiguous parts whose sizes differ by at
/// most one (the first n % parts parts are one longer).
std::pair<int64_t, int64_t> part_range(int64_t n, int64_t parts, int64_t m);

/// The size of batch `step` of an epoch over num_train training rows: B, the last one shorter.
int64_t batch_seed_count(int64_t num_train, int64_t batch_size, int64_t step);
/// The seeds of micro-batch m of batch `step`, from the epoch's order (shuffle_rows).
std::vector<int32_t> micro_batch_seeds(std::span<const int32_t> order, int64_t batch_size, int64_t micro_batches,
                                       int64_t step, int64_t m);

/// One micro-batch, ready to compute.
struct MicroBatch {
  std::vector<int32_t> seeds;  ///< global ids of the nodes whose loss this part adds
  std::vector<Block> blocks;   ///< layer order: blocks[0] reads x, blocks.back()'s destinations are the seeds
  InputFeatures x;             ///< [S_0, F] rows of blocks[0].src_global
  /// With edge features (NodeData::edge_attr): [E_k, D] for each block's edges, its loops filled
  /// (ready_block); empty otherwise.
  std::vector<Tensor> edge_attr;
};

/// Readies micro-batch `mb` of its seeds (mb.seeds), as the file comment defines it: blocks
/// sampled from source's lists with `key`, each readied (its self-loops when add_self_loops;
/// with edge features its edges' rows from source, the loops filled by `fill`), then its input
/// rows from source. The one definition for one process (LocalSource) and for a rank
/// (dist/'s source: lists and rows of other ranks fetched from them, so the calls are collective).
void ready_micro_batch(MicroBatch& mb, NeighborSampler& sampler, LayerwiseSource& source, const SampleKey& key,
                       bool add_self_loops, const EdgeFill& fill);

/// The micro-batches of one step, and its size.
struct Batch {
  int64_t epoch = 0, step = 0;  ///< epoch 1-based, step within it 0-based
  int64_t num_seeds = 0;
  std::vector<MicroBatch> parts;
  /// Sampled edges of every block of every part (the self-loops added to blocks not counted).
  int64_t num_sampled_edges() const;
};

/// Samples and gathers the batches of an epoch, one step ahead of the caller: next() returns
/// step t and starts preparing step t+1 in a oneTBB task, which the caller's computation
/// overlaps. The result does not depend on that timing.
class BatchPipeline {
 public:
  /// data.x and `adjacency` (the graph the sampler reads) must outlive the pipeline. With edge
  /// features (data.edge_attr), `edge_fill` fills the blocks' loops (the model's edge_fill).
  BatchPipeline(const NodeData& data, AdjacencySource& adjacency, const TrainConfig& config, uint64_t seed,
                bool add_self_loops, const EdgeFill& edge_fill = {});
  ~BatchPipeline();
  BatchPipeline(const BatchPipeline&) = delete;
  BatchPipeline& operator=(const BatchPipeline&) = delete;

  int64_t steps_per_epoch() const;
  /// Starts epoch `epoch` (1-based): shuffles, and starts preparing its first step.
  void start_epoch(int64_t epoch);
  /// Step t of the epoch (t = 0, 1, ... in order, t < steps_per_epoch()).
  Batch next();
  /// Prepares step `step` of `epoch` now, on the calling thread (what next() returns then).
  Batch prepare(int64_t epoch, int64_t step);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The gradient ∇ of `batch` as the file comment defines it (step_gradient over its
/// micro-batches), left in the parameters' gradients for the optimiser's step (which the caller
/// takes after checking the loss). steps_before is the number of steps before this one in the
/// run: micro-batch m draws the dropout masks of position steps_before · M + m (M =
/// micro_batches, the plan's count even when the batch has fewer seeds than that). Returns the
/// batch's loss, score, size and sampled edges.
StepStats batch_gradients(GAT& model, const NodeData& data, const Batch& batch, int64_t micro_batches,
                          uint64_t steps_before);

/// batch_gradients' part for one micro-batch: g_m = ∇ (n_m / n) · loss_m computed whole from
/// zero (n = num_seeds, the batch's), with the dropout masks of `dropout_position`, left in the
/// parameters' gradients (a parameter the loss does not reach has none). Returns
/// (n_m / n) · loss_m, (n_m / n) · score_m, n_m and the blocks' sampled edges.
StepStats micro_batch_gradient(GAT& model, const NodeData& data, const MicroBatch& mb, int64_t num_seeds,
                               uint64_t dropout_position);

/// Where a step leaves the model's dropout counters, whichever micro-batches ran where (the
/// next step sets its own): they are in the checkpoints, which must not depend on the ranks.
uint64_t step_end_dropout_position(int64_t micro_batches, uint64_t steps_before);

}  // namespace gatgrad
