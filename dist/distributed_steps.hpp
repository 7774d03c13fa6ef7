/// @file
/// Mini-batch training over MPI ranks, each holding one part of the graph (dist/partition.hpp),
/// giving the bits of one process (train/minibatch.hpp's step) for any number of ranks:
///
///   every rank   computes the epoch's order and batch t's seeds, as one process does
///   round r      rank k takes micro-batch m = r·P + k (r = 0 .. ceil(M / P) - 1): samples its
///                blocks (the lists it lacks asked of their owners, one exchange per hop),
///                fetches its blocks' edge features (when the graph has them) and its input
///                rows, and computes g_m whole, with m's dropout masks
///   then         every rank gathers all the g_m and adds them in micro-batch order
///                (((g_0 + g_1) + g_2) + ..., train/step_gradient.hpp's add_in_order): MPI's own
///                reductions promise no order, so none is used
/// so every rank holds the same ∇, and after the optimiser's step the same parameters.
/// A node's sample depends on (seed, epoch, step, node) and its list, the same on every rank.
///
/// Sampling and its exchanges overlap computing, as one process's BatchPipeline does: while a
/// rank computes step t's micro-batches, a thread of its own samples and fetches step t + 1's
/// (the first step of the next epoch during the last one); the rank waits for it before the
/// gradients' exchange, so one thread at a time calls MPI (MPI_THREAD_SERIALIZED). Every rank
/// makes the same collective calls in the same order; the timing changes no result.
///
/// Evaluation is models/layerwise.hpp's, over a LayerwiseSource of the rank: each layer for
/// the nodes the rank owns that the layer above reads (the last for the asked rows it owns),
/// rows of the layer below and edge features fetched from their owners; then the logits
/// gathered in the rows' order and scored on every rank.
#pragma once
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "dist/comm.hpp"
#include "dist/partition.hpp"
#include "dist/rank_graph.hpp"
#include "graph/edge_features.hpp"
#include "graph/neighbor_sampler.hpp"
#include "models/gat.hpp"
#include "models/layerwise.hpp"
#include "models/node_data.hpp"
#include "models/presets.hpp"
#include "train/minibatch.hpp"
#include "train/steps.hpp"

namespace gatgrad::dist {

/// A rank's data: NodeData as the training loop reads it (every node's labels and the whole
/// split's row lists, which are small; `neighbors` the RankGraph), and the rank's own rows.
struct RankData {
  NodeData data;                     ///< x: the own rows (below); neighbors: graph
  std::shared_ptr<RankGraph> graph;
  InputFeatures x_local;             ///< [n, F]: the own nodes' features (sparse when stored so), normalised when asked
};

/// Builds the rank's data from its part (gathering labels and masks from every rank).
/// normalize: rows divided by max(row sum, 1), as gat-train --data does.
RankData make_rank_data(const Comm& comm, LocalPart part, bool normalize, TrafficCounter& traffic);

/// The steps (train/steps.hpp) of a run over ranks; make_steps makes them through its RankStepsMaker.
class DistributedSteps final : public Steps {
 public:
  /// model, rank (its data), config (B, fanout, M, eval_chunk): outlive this. overlap: prepare
  /// the next step on a thread of its own while one computes, when MPI was initialised with
  /// MPI_THREAD_SERIALIZED or more; else each step in turn.
  DistributedSteps(const Comm& comm, GAT& model, RankData& rank, const TrainConfig& config, TrafficCounter& traffic,
                   bool overlap = true);
  ~DistributedSteps() override;
  nn::Module& model() override { return model_; }
  int64_t steps_per_epoch() const override;
  void start_epoch(int64_t epoch) override;
  StepStats next_step(uint64_t steps_before) override;
  Evaluation evaluate(Split split) override;
  const char* score_name() const override;
  std::string describe() const override;

  /// Logits [rows.size(), C] of `rows`, layer-wise, on every rank (what evaluate scores).
  Tensor logits(GAT& model, const std::vector<int32_t>& rows);

  /// What the training steps so far sent (evaluation's exchanges not counted), how many
  /// bytes of lists and rows they needed from other ranks, and how many steps ran.
  /// Preparing steps ahead sends during the steps: counted with them.
  const TrafficCounter& step_traffic() const { return step_traffic_; }
  int64_t step_missing_bytes() const { return step_missing_bytes_; }
  int64_t steps_run() const { return steps_run_; }

 private:
  // This rank's micro-batches of one step, sampled and gathered (an empty part: none this round).
  struct Prepared {
    int64_t epoch = 0, step = 0;
    std::vector<MicroBatch> parts;  // [ceil(M / P)], round r's at r
  };
  Prepared prepare(int64_t epoch, int64_t step, const std::vector<int32_t>& order);
  void start_prefetch(int64_t epoch, int64_t step);
  void finish_prefetch();  // waits for the thread (rethrowing what it threw); MPI is this thread's again

  const Comm& comm_;
  GAT& model_;
  RankData& rank_;
  const TrainConfig& config_;
  const GATConfig& model_config_;
  TrafficCounter& traffic_;
  const bool overlap_;
  EdgeFill edge_fill_;
  std::unique_ptr<LayerwiseSource> source_;  // the rank's lists and rows, theirs fetched from the other ranks
  NeighborSampler sampler_;  // used by one thread at a time: the prefetch, or next_step without one
  std::vector<int32_t> order_, next_order_;  // this epoch's, and the next one's while it is prefetched
  int64_t epoch_ = 0, next_step_ = 0;
  std::thread prefetch_;
  std::exception_ptr prefetch_error_;
  std::optional<Prepared> ahead_;  // written by the prefetch, read after finish_prefetch()
  TrafficCounter step_traffic_;
  int64_t step_missing_bytes_ = 0, steps_run_ = 0;
};

}  // namespace gatgrad::dist
