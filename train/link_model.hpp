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
#include "models/presets.hpp"
#include "train/loop.hpp"
#include "train/minibatch.hpp"
#include "train/steps.hpp"

namespace gatgrad {

/// The settings of the split and the evaluation (the model's are GATConfig's: embedding_dim,
/// decoder, mlp_hidden; the loop's TrainConfig's).
struct LinkConfig {
  double val_fraction = 0.05;    ///< RandomLinkSplit's num_val
  double test_fraction = 0.1;    ///< RandomLinkSplit's num_test
  int64_t hits_k = TrainConfig{}.hits_k;  ///< K of Hits at K (gat-train's --hits-k)
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

/// Link prediction's steps (train/steps.hpp; made by make_steps, train/make_steps.hpp): an epoch
/// is one full-batch step (config.batch_size 0) or ceil(P_train / B) mini-batch steps, as the
/// file comment defines them. A step leaves its gradient in the model's parameters' gradients and
/// returns its loss, its accuracy (the fraction of its pairs whose logit has the right sign: > 0
/// for a positive, the score PyG's examples do not compute) and its number of positives. The
/// evaluation's score is the ROC-AUC; evaluate_all gives every metric.
class LinkSteps final : public Steps {
 public:
  /// model, data and config must outlive the steps. `use` is make_steps' choice of the mode:
  /// GraphUse::full_batch (every pair in one step) or GraphUse::sampling (mini-batches of
  /// config.batch_size pairs, data prepared for sampling). The model's seed keys the negatives,
  /// the order and the samples; hits_k is the K of Hits at K.
  LinkSteps(LinkModel& model, const LinkData& data, const TrainConfig& config, GraphUse use, int64_t hits_k);
  ~LinkSteps() override;
  nn::Module& model() override;
  int64_t steps_per_epoch() const override;
  void start_epoch(int64_t epoch) override;
  StepStats next_step(uint64_t steps_before) override;
  /// Split::val or Split::test: the BCE loss and the AUC (Error for Split::train: its negatives
  /// are drawn each epoch, there is no fixed set to score).
  Evaluation evaluate(Split split) override;
  const char* score_name() const override { return "auc"; }
  std::string describe() const override;
  /// Every metric of Split::val or Split::test.
  LinkEvaluation evaluate_all(Split split);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Early stopping on the validation score alone, as PyG's link_pred.py keeps its test AUC: keep
/// the parameters of an epoch whose score beats every earlier one (strictly), stop after
/// `patience` epochs without such an epoch. (The authors' rule of train/loop.hpp also asks the
/// loss to improve, which the BCE of a link model need not do while its ranking improves.)
StopVerdict best_score_early_stopping(TrainState& state, const Evaluation& val, const TrainConfig& config);

}  // namespace gatgrad
