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

namespace {

LinkStage stage_of(Split split) {
  if (split == Split::train)
    throw Error("link prediction: the training split has no fixed negatives to evaluate on (they are drawn each epoch)");
  return split == Split::val ? LinkStage::val : LinkStage::test;
}

}  // namespace

struct LinkSteps::Impl {
  LinkModel& model;
  const LinkData& data;
  const TrainConfig& config;
  bool sampled;  // mini-batches of pairs (GraphUse::sampling), or one full batch: make_steps' choice
  int64_t hits_k;
  uint64_t seed;
  EdgeFill edge_fill;
  NeighborSampler sampler;
  std::vector<int32_t> order;  // the training positives' indices in this epoch's order
  int64_t epoch = 0, next = 0;

  Impl(LinkModel& m, const LinkData& d, const TrainConfig& c, GraphUse use, int64_t k)
      : model(m), data(d), config(c), sampled(use == GraphUse::sampling), hits_k(k), seed(m.config().seed),
        edge_fill(parse_edge_fill(m.config().edge_fill)),
        sampler(c.fanout) {
    sampler.record_edge_ids(d.train_graph.edge_attr.defined());
  }
  int64_t num_train() const { return data.split.train.size(); }

  // The positives of step t and their fresh negatives.
  std::pair<NodePairs, NodePairs> pairs_of(int64_t t) const {
    const NodePairs& all = data.split.train;
    NodePairs pos;
    if (!sampled) {
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

  StepStats step(int64_t t, uint64_t steps_before) {
    model.train();
    for (const Tensor& param : model.parameters()) param.zero_grad();
    const auto [pos, neg] = pairs_of(t);
    const NodePairs pairs = join(pos, neg);
    const MessageGraph& g = message_graph(data, LinkStage::train);
    Tensor scores;
    StepStats s;
    if (!sampled) {
      scores = model.decoder().forward(model.encoder().forward(data.x, g.graph, g.edge_attr), pairs);
      s.num_edges = g.graph.num_edges();
    } else {
      // The seeds: every endpoint of the step's pairs; their neighbourhoods over the training graph.
      const LocalPairs local = localise(pairs, data.num_nodes());
      std::vector<Block> blocks = sampler.sample(*g.neighbors, local.nodes,
                                                 SampleKey{seed, static_cast<uint64_t>(epoch), static_cast<uint64_t>(t)});
      std::vector<Tensor> attr;
      for (Block& b : blocks) {
        s.num_edges += b.num_edges();
        const Tensor a = ready_block(b, model.config().add_self_loops, g.edge_attr, edge_fill);
        if (a.defined()) attr.push_back(a);
      }
      model.encoder().set_dropout_position(steps_before);
      const Tensor h = model.encoder().forward(gather_rows(data.x, blocks.front().src_global), blocks, attr);
      scores = model.decoder().forward(h, local.pairs);
    }
    const Tensor loss = link_loss(scores, pos.size());
    s.loss = loss.item();
    s.num_seeds = pos.size();
    s.accuracy = decision_accuracy(scores, pos.size());
    backward(loss);
    if (sampled) model.encoder().set_dropout_position(step_end_dropout_position(1, steps_before));
    return s;
  }
};

LinkSteps::LinkSteps(LinkModel& model, const LinkData& data, const TrainConfig& config, GraphUse use, int64_t hits_k)
    : impl_(std::make_unique<Impl>(model, data, config, use, hits_k)) {
  config.validate_for(model.config());
  if (config.micro_batches != 1)
    throw UsageError("micro_batches: link prediction takes each step whole (1), got " +
                     std::to_string(config.micro_batches));
  if (hits_k < 1) throw UsageError("hits_k: must be at least 1, got " + std::to_string(hits_k));
  if (impl_->sampled && !data.train_graph.neighbors)
    throw Error("LinkSteps: mini-batch training needs data prepared for sampling (GraphUse::sampling)");
  if (impl_->sampled && config.batch_size < 1) throw Error("LinkSteps: mini-batches of pairs need a batch_size");
}

LinkSteps::~LinkSteps() = default;

nn::Module& LinkSteps::model() { return impl_->model; }

int64_t LinkSteps::steps_per_epoch() const {
  if (!impl_->sampled) return 1;
  return (impl_->num_train() + impl_->config.batch_size - 1) / impl_->config.batch_size;
}

void LinkSteps::start_epoch(int64_t epoch) {
  Impl& p = *impl_;
  p.epoch = epoch;
  p.next = 0;
  if (!p.sampled) return;
  std::vector<int64_t> indices(static_cast<size_t>(p.num_train()));
  std::iota(indices.begin(), indices.end(), 0);
  p.order = shuffle_rows(indices, p.seed, epoch);
}

StepStats LinkSteps::next_step(uint64_t steps_before) { return impl_->step(impl_->next++, steps_before); }

Evaluation LinkSteps::evaluate(Split split) {
  const LinkEvaluation e = evaluate_all(split);
  return Evaluation{e.loss, e.auc};
}

LinkEvaluation LinkSteps::evaluate_all(Split split) {
  return evaluate_links(impl_->model, impl_->data, stage_of(split), impl_->hits_k, impl_->config.eval_chunk);
}

std::string LinkSteps::describe() const {
  const LinkSplit& s = impl_->data.split;
  std::string d = "link prediction: " + std::to_string(s.train.size()) + " training pairs and as many fresh negatives "
                  "each epoch, " + std::to_string(s.val.size()) + " validation and " + std::to_string(s.test.size()) +
                  " test pairs, each with one fixed negative";
  if (impl_->sampled)
    d += "; mini-batches of " + std::to_string(impl_->config.batch_size) + " pairs, " +
         std::to_string(steps_per_epoch()) + " steps per epoch";
  return d;
}

StopVerdict best_score_early_stopping(TrainState& state, const Evaluation& val, const TrainConfig& config) {
  StopVerdict v;
  if (val.accuracy > state.best_accuracy) {
    v.keep = true;
    state.best_accuracy = val.accuracy;
    state.best_loss = std::min(state.best_loss, val.loss);
    state.waited = 0;
  } else {
    v.stop = ++state.waited >= config.patience;
  }
  return v;
}

}  // namespace gatgrad
