/// @file
/// Link prediction with a GAT encoder (PyG examples/link_pred.py with GATConv for GCNConv; DGL's
/// link prediction tutorial): the encoder embeds every node over the message-passing graph of the
/// stage (models/link_data.hpp), the decoder scores pairs of embeddings (models/link_decoder.hpp),
/// and the loss is binary cross-entropy of the scores against 1 for the positive pairs and 0 for
/// the negative ones:
///   h      = GAT(x, message graph)                        [N, D]   D = the encoder's num_classes
///   s_k    = decoder(h_{u_k}, h_{v_k})                    [P + M]  positives, then negatives
///   loss   = mean_k BCE(s_k, y_k),  y = 1 for P positives, 0 for M negatives
///
/// One training step, the same bits on any thread count:
///   full batch: every training positive with as many fresh negatives, drawn with
///     SampleKey{seed, epoch, 0} against the training edges (graph/negative_sampling.hpp);
///   batch_size B (PyG's LinkNeighborLoader): the training positives in the epoch's order
///     (shuffle_rows of their indices), B per step; step t's B_t negatives drawn with
///     SampleKey{seed, epoch, t}; the seeds are the endpoints of the step's positives and
///     negatives (first appearance order), their neighbourhoods sampled over the training graph
///     as for node classification (NeighborSampler, SampleKey{seed, epoch, t}); the loss as above
///     on the seeds' embeddings.
/// Evaluation (no dropout, no tape): the embeddings of the stage's pair endpoints over the
/// stage's graph (full batch: one forward; sampling data: layer-wise, exact), the scores of its
/// positives and fixed negatives, and the metrics of nn/link_metrics.hpp.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/gat.hpp"
#include "models/link_data.hpp"
#include "models/link_decoder.hpp"
#include "train/minibatch.hpp"
#include "models/presets.hpp"

namespace gatgrad {

/// The settings of the split and the evaluation (the model's are GATConfig's: embedding_dim,
/// decoder, mlp_hidden; the loop's TrainConfig's).
struct LinkConfig {
  double val_fraction = 0.05;    ///< RandomLinkSplit's num_val
  double test_fraction = 0.1;    ///< RandomLinkSplit's num_test
  int64_t hits_k = 50;           ///< K of Hits at K (OGB's ogbl-collab uses 50)
  void validate() const;         ///< UsageError naming the bad field
};

/// The encoder (module "encoder": the GAT of `config` with config.embedding_dim outputs per
/// node) and the decoder (module "decoder", config.decoder; an MLP decoder's layers are
/// decoder.fc1, decoder.fc2, config.mlp_hidden wide).
class LinkModel : public nn::Module {
 public:
  explicit LinkModel(const GATConfig& config, DType dtype = DType::f32);
  GAT& encoder() { return *encoder_; }
  const LinkDecoder& decoder() const { return *decoder_; }
  const GATConfig& config() const { return config_; }

 private:
  GATConfig config_;
  std::shared_ptr<GAT> encoder_;
  std::shared_ptr<LinkDecoder> decoder_;
};

/// Scores and metrics of one stage (validation or test).
struct LinkEvaluation {
  double loss = 0;  ///< BCE over its positives and negatives
  double auc = 0, ap = 0, hits = 0, mrr = 0;
};

/// The scores of pairs over the stage's graph (evaluation mode, no tape): logits [P].
/// eval_chunk: destinations per block of the layer-wise inference (sampling data only).
std::vector<double> score_pairs(LinkModel& model, const LinkData& data, LinkStage stage, const NodePairs& pairs,
                                int64_t eval_chunk = TrainConfig{}.eval_chunk);

/// Evaluation of LinkStage::val or LinkStage::test (see the file comment).
LinkEvaluation evaluate_links(LinkModel& model, const LinkData& data, LinkStage stage, int64_t hits_k,
                              int64_t eval_chunk = TrainConfig{}.eval_chunk);

/// The steps of a training epoch (see the file comment): full batch (config.batch_size 0) is one
/// step, otherwise ceil(P_train / B). Each leaves its gradient in the model's parameters'
/// gradients for the optimiser, and returns its loss, its accuracy (the fraction of its pairs whose
/// logit has the right sign: > 0 for a positive) and its number of positives.
class LinkTrainingSteps {
 public:
  /// data and config must outlive the steps. `seed` keys the negatives, the order and the samples.
  LinkTrainingSteps(const LinkData& data, const TrainConfig& config, uint64_t seed, bool add_self_loops,
                    const EdgeFill& edge_fill);
  ~LinkTrainingSteps();
  int64_t steps_per_epoch() const;
  void start_epoch(int64_t epoch);  ///< 1-based
  /// Step `step` (0-based, in order) of the started epoch; steps_before: steps before it in the run
  /// (the dropout masks' position).
  StepStats step(LinkModel& model, int64_t step, uint64_t steps_before);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gatgrad
