// LinkModel, its evaluation and its training steps (train/link_model.hpp).
#include "train/link_model.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "autograd/error.hpp"
#include "autograd/ops.hpp"
#include "autograd/tape.hpp"
#include "graph/negative_sampling.hpp"
#include "graph/neighbor_sampler.hpp"
#include "models/layerwise.hpp"
#include "nn/link_metrics.hpp"

namespace gatgrad {

namespace {

// The pairs' distinct endpoints in order of first appearance, and each pair in local ids
// (indices into those endpoints).
struct LocalPairs {
  std::vector<int32_t> nodes;
  NodePairs pairs;
};
LocalPairs localise(const NodePairs& pairs, int64_t num_nodes) {
  LocalPairs out;
  std::vector<int32_t> local(static_cast<size_t>(num_nodes), -1);
  auto id = [&](int32_t v) {
    int32_t& l = local[static_cast<size_t>(v)];
    if (l < 0) {
      l = static_cast<int32_t>(out.nodes.size());
      out.nodes.push_back(v);
    }
    return l;
  };
  out.pairs.src.reserve(pairs.src.size());
  out.pairs.dst.reserve(pairs.dst.size());
  for (size_t k = 0; k < pairs.src.size(); ++k) {
    out.pairs.src.push_back(id(pairs.src[k]));
    out.pairs.dst.push_back(id(pairs.dst[k]));
  }
  return out;
}

NodePairs join(const NodePairs& a, const NodePairs& b) {
  NodePairs p = a;
  p.src.insert(p.src.end(), b.src.begin(), b.src.end());
  p.dst.insert(p.dst.end(), b.dst.begin(), b.dst.end());
  return p;
}

// BCE with logits of scores [P + M] against 1 for the first P and 0 for the rest (a scalar).
Tensor link_loss(const Tensor& scores, int64_t num_positive) {
  const int64_t n = scores.size(0);
  std::vector<double> y(static_cast<size_t>(n), 0.0);
  std::fill(y.begin(), y.begin() + num_positive, 1.0);
  return binary_cross_entropy_with_logits(reshape(scores, {n, 1}), Tensor::from_vector(y, {n, 1}, scores.dtype()));
}

std::vector<double> to_doubles(const Tensor& t) {
  std::vector<double> v(static_cast<size_t>(t.numel()));
  dispatch(t.dtype(), [&]<class T>() {
    const T* p = t.data<T>();
    for (size_t k = 0; k < v.size(); ++k) v[k] = static_cast<double>(p[k]);
  });
  return v;
}

// The fraction of scores [P + M] (positives first) on the right side of 0: a logit > 0 for a
// positive, <= 0 for a negative. O(P + M), unlike an AUC's sort (which would cost a training step
// of Cora a third of its time).
double decision_accuracy(const Tensor& scores, int64_t num_positive) {
  int64_t right = 0;
  dispatch(scores.dtype(), [&]<class T>() {
    const T* s = scores.data<T>();
    for (int64_t k = 0; k < scores.numel(); ++k) right += (s[k] > T(0)) == (k < num_positive);
  });
  return static_cast<double>(right) / static_cast<double>(scores.numel());
}

}  // namespace

void LinkConfig::validate() const {
  if (hits_k < 1) throw UsageError("hits_k: must be at least 1, got " + std::to_string(hits_k));
  if (!(val_fraction >= 0 && test_fraction > 0 && val_fraction + test_fraction < 1))
    throw UsageError("val_fraction, test_fraction: need 0 <= val, 0 < test and val + test < 1, got " +
                     std::to_string(val_fraction) + " and " + std::to_string(test_fraction));
}

// The encoder's output layer is the embedding: num_classes = embedding_dim.
static GATConfig encoder_of(GATConfig c) {
  c.num_classes = c.embedding_dim;
  return c;
}

LinkModel::LinkModel(const GATConfig& config, DType dtype) : config_(encoder_of(config)) {
  encoder_ = register_module("encoder", std::make_shared<GAT>(config_, dtype));
  decoder_ = register_module("decoder", std::make_shared<LinkDecoder>(config_.decoder, config_.embedding_dim,
                                                                      config_.mlp_hidden, config_.seed, dtype));
}

std::vector<double> score_pairs(LinkModel& model, const LinkData& data, LinkStage stage, const NodePairs& pairs,
                                int64_t eval_chunk) {
  const MessageGraph& g = message_graph(data, stage);
  nn::EvalMode eval(model);
  Tensor scores;
  if (g.neighbors) {  // layer-wise, the embeddings of the endpoints only
    const LocalPairs local = localise(pairs, data.num_nodes());
    const Tensor h = layerwise_logits(model.encoder(), data.x, *g.neighbors, local.nodes, eval_chunk, g.edge_attr);
    scores = model.decoder().forward(h, local.pairs);
  } else {
    scores = model.decoder().forward(model.encoder().forward(data.x, g.graph, g.edge_attr), pairs);
  }
  return to_doubles(scores);
}

LinkEvaluation evaluate_links(LinkModel& model, const LinkData& data, LinkStage stage, int64_t hits_k,
                              int64_t eval_chunk) {
  const NodePairs& pos = positive_pairs(data, stage);
  const NodePairs& neg = negative_pairs(data, stage);
  const std::vector<double> s = score_pairs(model, data, stage, join(pos, neg), eval_chunk);
  const std::vector<double> sp(s.begin(), s.begin() + pos.size()), sn(s.begin() + pos.size(), s.end());
  LinkEvaluation e;
  {
    NoGradGuard no_grad;
    e.loss = link_loss(Tensor::from_vector(s, {static_cast<int64_t>(s.size())}, DType::f64), pos.size()).item();
  }
  e.auc = nn::roc_auc(sp, sn);
  e.ap = nn::average_precision(sp, sn);
  e.hits = nn::hits_at_k(sp, sn, hits_k);
  e.mrr = nn::mrr(sp, sn);
  return e;
}

// ---- training steps ----

struct LinkTrainingSteps::Impl {
  const LinkData& data;
  const TrainConfig& config;
  uint64_t seed;
  bool add_self_loops;
  EdgeFill edge_fill;
  NeighborSampler sampler;
  std::vector<int32_t> order;  // the training positives' indices in this epoch's order
  int64_t epoch = 0;

  Impl(const LinkData& d, const TrainConfig& c, uint64_t s, bool loops, const EdgeFill& fill)
      : data(d), config(c), seed(s), add_self_loops(loops), edge_fill(fill),
        sampler(c.fanout) {
    sampler.record_edge_ids(d.train_graph.edge_attr.defined());
  }
  int64_t num_train() const { return data.split.train.size(); }

  // The positives of step t and their fresh negatives.
  std::pair<NodePairs, NodePairs> pairs_of(int64_t t) const {
    const NodePairs& all = data.split.train;
    NodePairs pos;
    if (!config.mini_batch()) {
      pos = all;
    } else {
      const int64_t begin = t * config.batch_size, end = std::min(num_train(), begin + config.batch_size);
      for (int64_t k = begin; k < end; ++k) {
        const auto i = static_cast<size_t>(order[static_cast<size_t>(k)]);
        pos.src.push_back(all.src[i]);
        pos.dst.push_back(all.dst[i]);
      }
    }
    const SampleKey key{seed, static_cast<uint64_t>(epoch), static_cast<uint64_t>(t)};
    NodePairs neg = sample_negatives(data.split.train_edge_set, pos.size(), key);
    return {std::move(pos), std::move(neg)};
  }
};

LinkTrainingSteps::LinkTrainingSteps(const LinkData& data, const TrainConfig& config, uint64_t seed,
                                     bool add_self_loops, const EdgeFill& edge_fill)
    : impl_(std::make_unique<Impl>(data, config, seed, add_self_loops, edge_fill)) {
  config.validate();
  if (config.micro_batches != 1)
    throw UsageError("micro_batches: link prediction takes each step whole (1), got " +
                     std::to_string(config.micro_batches));
  if (config.mini_batch() && !data.train_graph.neighbors)
    throw Error("LinkTrainingSteps: mini-batch training needs data prepared for sampling (GraphUse::sampling)");
}

LinkTrainingSteps::~LinkTrainingSteps() = default;

int64_t LinkTrainingSteps::steps_per_epoch() const {
  if (!impl_->config.mini_batch()) return 1;
  return (impl_->num_train() + impl_->config.batch_size - 1) / impl_->config.batch_size;
}

void LinkTrainingSteps::start_epoch(int64_t epoch) {
  Impl& p = *impl_;
  p.epoch = epoch;
  if (!p.config.mini_batch()) return;
  std::vector<int64_t> indices(static_cast<size_t>(p.num_train()));
  std::iota(indices.begin(), indices.end(), 0);
  p.order = shuffle_rows(indices, p.seed, epoch);
}

StepStats LinkTrainingSteps::step(LinkModel& model, int64_t t, uint64_t steps_before) {
  Impl& p = *impl_;
  model.train();
  for (const Tensor& param : model.parameters()) param.zero_grad();
  const auto [pos, neg] = p.pairs_of(t);
  const NodePairs pairs = join(pos, neg);
  Tensor scores;
  if (!p.config.mini_batch()) {
    const MessageGraph& g = message_graph(p.data, LinkStage::train);
    scores = model.decoder().forward(model.encoder().forward(p.data.x, g.graph, g.edge_attr), pairs);
  } else {
    // The seeds: every endpoint of the step's pairs; their neighbourhoods over the training graph.
    const LocalPairs local = localise(pairs, p.data.num_nodes());
    const MessageGraph& g = message_graph(p.data, LinkStage::train);
    std::vector<Block> blocks = p.sampler.sample(*g.neighbors, local.nodes,
                                                 SampleKey{p.seed, static_cast<uint64_t>(p.epoch), static_cast<uint64_t>(t)});
    std::vector<Tensor> attr;
    for (Block& b : blocks) {
      const Tensor a = ready_block(b, p.add_self_loops, g.edge_attr, p.edge_fill);
      if (a.defined()) attr.push_back(a);
    }
    model.encoder().set_dropout_position(steps_before);
    const Tensor h = model.encoder().forward(gather_rows(p.data.x, blocks.front().src_global), blocks, attr);
    scores = model.decoder().forward(h, local.pairs);
  }
  const Tensor loss = link_loss(scores, pos.size());
  StepStats s;
  s.loss = loss.item();
  s.num_seeds = pos.size();
  s.accuracy = decision_accuracy(scores, pos.size());
  backward(loss);
  if (p.config.mini_batch()) model.encoder().set_dropout_position(step_end_dropout_position(1, steps_before));
  return s;
}

}  // namespace gatgrad
