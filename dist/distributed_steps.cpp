// DistributedSteps: train/minibatch.hpp's step and the layer-wise evaluation over MPI ranks
// (see distributed_steps.hpp).
#include "dist/distributed_steps.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>
#include <utility>

#include "autograd/tape.hpp"
#include "graph/features.hpp"
#include "graph/neighbor_sampler.hpp"
#include "models/layerwise.hpp"
#include "nn/metrics.hpp"
#include "train/evaluate.hpp"
#include "train/minibatch.hpp"
#include "train/node_loss.hpp"
#include "train/step_gradient.hpp"

namespace gatgrad::dist {

namespace {

// What a rank sends of micro-batch m: its stats and g_m (a flag per parameter, then its bytes).
void put_result(Writer& w, int64_t m, const StepStats& s, const std::vector<Tensor>& params) {
  w.put(m);
  w.put(s.loss);
  w.put(s.accuracy);
  w.put(s.num_seeds);
  w.put(s.num_edges);
  for (const Tensor& p : params) {
    const uint8_t has = p.has_grad() ? 1 : 0;
    w.put(has);
    if (!has) continue;
    const Tensor g = p.grad();
    const char* b = static_cast<const char*>(g.impl().storage->data());
    w.append(b, static_cast<size_t>(g.numel()) * dtype_size(g.dtype()));
  }
}

struct PartResult {
  bool present = false;
  StepStats stats;
  std::vector<Tensor> grads;  // undefined: no gradient
};

void get_results(std::span<const char> bytes, const std::vector<Tensor>& params, std::vector<PartResult>& out) {
  Reader r(bytes);
  while (!r.done()) {
    const int64_t m = r.get<int64_t>();
    if (m < 0 || m >= static_cast<int64_t>(out.size())) throw Error("dist: a gradient of an unknown micro-batch arrived");
    PartResult& p = out[static_cast<size_t>(m)];
    p.present = true;
    p.stats.loss = r.get<double>();
    p.stats.accuracy = r.get<double>();
    p.stats.num_seeds = r.get<int64_t>();
    p.stats.num_edges = r.get<int64_t>();
    for (const Tensor& param : params) {
      if (!r.get<uint8_t>()) {
        p.grads.emplace_back();
        continue;
      }
      Tensor g = Tensor::empty(param.shape(), param.dtype());
      r.get_into(static_cast<char*>(g.impl().storage->data()), static_cast<size_t>(g.numel() * dtype_size(g.dtype())));
      p.grads.push_back(g);
    }
  }
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Rows `ids` of the features, in the form they have (gather_rows' result in one process).
InputFeatures fetch_features(RankGraph& graph, const InputFeatures& local, std::span<const int32_t> ids) {
  if (local.is_sparse()) return SparseFeatures(graph.fetch_rows(local.sparse.matrix(), ids));
  return graph.fetch_rows(local.dense.data<float>(), local.dense.size(1), ids);
}

std::vector<int32_t> as_ids(const std::vector<int64_t>& v) { return {v.begin(), v.end()}; }

// The rank's side of the layer-wise evaluation, and where its micro-batches read the graph: layer k for the nodes it owns that layer k + 1
// reads anywhere; rows of the layer below, and edge features, fetched from their owners.
class RankSource final : public LayerwiseSource {
 public:
  RankSource(const Comm& comm, RankData& rank) : comm_(comm), rank_(rank), graph_(*rank.graph) {}
  AdjacencySource& adjacency() override { return graph_; }
  // The own nodes among every rank's `above` and their in-neighbours (above's lists are own: nothing crosses).
  std::vector<int32_t> below(std::span<const int32_t> above) override {
    std::vector<int32_t> read(above.begin(), above.end());
    const IncomingLists lists = graph_.incoming(above);
    for (size_t t = 0; t < above.size(); ++t) {
      const int64_t r = lists.rows.empty() ? above[t] : lists.rows[t];
      read.insert(read.end(), lists.neighbors.begin() + lists.ptr[r], lists.neighbors.begin() + lists.ptr[r + 1]);
    }
    return graph_.own_asked(read);
  }
  InputFeatures input_rows(std::span<const int32_t> ids) override { return fetch_features(graph_, rank_.x_local, ids); }
  Tensor hidden_rows(const Tensor& h, std::span<const int32_t> nodes, std::span<const int32_t> ids) override {
    return graph_.fetch_rows(h.data<float>(), h.size(1), ids, nodes);
  }
  bool has_edge_features() const override { return graph_.edge_dim() > 0; }
  Tensor edge_rows(const Block& block) override { return graph_.edge_rows(block); }
  int64_t chunks(int64_t own) override { return comm_.max(own); }

 private:
  const Comm& comm_;
  RankData& rank_;
  RankGraph& graph_;
};

}  // namespace

RankData make_rank_data(const Comm& comm, LocalPart part, bool normalize, TrafficCounter& traffic) {
  RankData r;
  Dataset& d = part.data;
  if (normalize) normalize_rows(d);
  const int64_t n = d.num_nodes, F = d.num_features, N = part.meta.num_nodes;
  const int64_t C = d.multilabel ? d.num_classes : 1;
  if (d.x_is_sparse) {
    r.x_local = SparseFeatures(std::move(d.x_sparse));
  } else if (d.x_mapped.defined()) {  // the part's x.npy where it lies
    r.x_local = Tensor::from_external(d.x_mapped.data, {n, F}, DType::f32, d.x_mapped.mapping);
  } else {
    r.x_local = Tensor::from_span<float>(d.x_dense, {n, F});
    std::vector<float>().swap(d.x_dense);
  }

  // The split's nodes (training, validation, test) and their labels, from every rank: any rank
  // may compute any seed's loss or score any row. One record per such node: its id, its sets
  // (1 train, 2 val, 4 test), its label(s); the other nodes' labels are never read.
  Writer w;
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t sets = static_cast<uint8_t>(d.train_mask[i] | d.val_mask[i] << 1 | d.test_mask[i] << 2);
    if (!sets) continue;
    w.put(part.nodes[i]);
    w.put(sets);
    w.put_span<int64_t>(std::span<const int64_t>(d.y).subspan(static_cast<size_t>(i * C), static_cast<size_t>(C)));
  }
  int64_t setup_bytes = 0;
  const Streams all = comm.all_gather(w.bytes, setup_bytes);
  std::vector<int64_t> y(static_cast<size_t>(N * C), 0);
  std::vector<uint8_t> train(static_cast<size_t>(N)), val(static_cast<size_t>(N)), test(static_cast<size_t>(N));
  for (size_t rank = 0; rank < all.count(); ++rank) {
    Reader in(all[rank]);
    while (!in.done()) {
      const int64_t v = in.get<int64_t>();
      if (v < 0 || v >= N) throw Error("dist: rank " + std::to_string(rank) + " sent node " + std::to_string(v));
      const uint8_t sets = in.get<uint8_t>();
      in.get_into(y.data() + v * C, static_cast<size_t>(C));
      train[v] = sets & 1;
      val[v] = (sets >> 1) & 1;
      test[v] = (sets >> 2) & 1;
    }
  }
  NodeData& nd = r.data;
  nd.x = r.x_local;
  nd.num_classes = d.num_classes;
  nd.multilabel = d.multilabel;
  if (d.multilabel) {
    std::vector<double> t(y.begin(), y.end());
    nd.targets = Tensor::from_vector(t, {N, d.num_classes}, DType::f32);
  } else {
    nd.labels = std::move(y);
  }
  nd.train_rows = nn::mask_to_rows(train);
  nd.val_rows = nn::mask_to_rows(val);
  nd.test_rows = nn::mask_to_rows(test);
  r.graph = std::make_shared<RankGraph>(comm, part, traffic);
  nd.neighbors = r.graph;
  return r;
}

DistributedSteps::DistributedSteps(const Comm& comm, GAT& model, RankData& rank, const TrainConfig& config,
                                   TrafficCounter& traffic, bool overlap)
    : comm_(comm), model_(model), rank_(rank), config_(config), model_config_(model.config()), traffic_(traffic),
      overlap_(overlap && comm.any_thread()), edge_fill_(parse_edge_fill(model_config_.edge_fill)),
      source_(std::make_unique<RankSource>(comm, rank)), sampler_(config.fanout) {
  config.validate();
  if (static_cast<int64_t>(config.fanout.size()) != model_config_.layers)
    throw UsageError("distributed training: the fanout has " + std::to_string(config.fanout.size()) +
                     " entries for a " + std::to_string(model_config_.layers) + "-layer model");
  if (model_config_.edge_dim != rank.graph->edge_dim())
    throw DataError("the model expects " + std::to_string(model_config_.edge_dim) + " edge features, the partitions have " +
                    std::to_string(rank.graph->edge_dim()));
  if (rank.data.train_rows.empty()) throw DataError("the partitions hold no training nodes");
  sampler_.record_edge_ids(rank.graph->edge_dim() > 0);
}

DistributedSteps::~DistributedSteps() {
  try {
    finish_prefetch();
  } catch (...) {  // an error of a step nobody asked for any more
  }
}

int64_t DistributedSteps::steps_per_epoch() const {
  return ceil_div(static_cast<int64_t>(rank_.data.train_rows.size()), config_.batch_size);
}

void DistributedSteps::start_epoch(int64_t epoch) {
  finish_prefetch();
  epoch_ = epoch;
  next_step_ = 0;
  order_ = shuffle_rows(rank_.data.train_rows, model_config_.seed, epoch);
  if (ahead_ && (ahead_->epoch != epoch || ahead_->step != 0)) ahead_.reset();  // prepared for another run
}

// Round r's micro-batch of this rank, readied as one process readies it (ready_micro_batch)
// from the rank's source: blocks sampled (one exchange per hop), their edge features and the
// input rows fetched. A rank without one makes the same calls with nothing.
DistributedSteps::Prepared DistributedSteps::prepare(int64_t epoch, int64_t step, const std::vector<int32_t>& order) {
  const int64_t M = config_.micro_batches, P = comm_.size();
  Prepared out;
  out.epoch = epoch;
  out.step = step;
  out.parts.resize(static_cast<size_t>(ceil_div(M, P)));
  for (int64_t round = 0; round < ceil_div(M, P); ++round) {
    const int64_t m = round * P + comm_.rank();
    MicroBatch& mb = out.parts[static_cast<size_t>(round)];
    if (m < M) mb.seeds = micro_batch_seeds(order, config_.batch_size, M, step, m);
    if (mb.seeds.empty()) {  // ready_micro_batch's calls, with nothing to ask
      for (size_t h = 0; h < sampler_.fanout().size(); ++h) source_->adjacency().incoming({});
      if (source_->has_edge_features())
        for (size_t h = 0; h < sampler_.fanout().size(); ++h) source_->edge_rows(Block{});
      source_->input_rows({});
      continue;
    }
    ready_micro_batch(mb, sampler_, *source_,
                      SampleKey{model_config_.seed, static_cast<uint64_t>(epoch), static_cast<uint64_t>(step)},
                      model_config_.add_self_loops, edge_fill_);
  }
  return out;
}

void DistributedSteps::start_prefetch(int64_t epoch, int64_t step) {
  const std::vector<int32_t>* order = epoch == epoch_ ? &order_ : &next_order_;
  auto work = [this, epoch, step, order] {
    try {
      ahead_ = prepare(epoch, step, *order);
    } catch (...) {
      prefetch_error_ = std::current_exception();
    }
  };
  if (overlap_) prefetch_ = std::thread(work);
  else work();
}

void DistributedSteps::finish_prefetch() {
  if (prefetch_.joinable()) prefetch_.join();
  if (prefetch_error_) std::rethrow_exception(std::exchange(prefetch_error_, nullptr));
}

StepStats DistributedSteps::next_step(uint64_t steps_before) {
  GAT& model = model_;
  const int64_t t = next_step_++;
  const int64_t M = config_.micro_batches, P = comm_.size();
  const TrafficCounter traffic_before = traffic_;
  const int64_t missing_before = rank_.graph->missing_bytes();
  const int64_t n = batch_seed_count(static_cast<int64_t>(order_.size()), config_.batch_size, t);
  const std::vector<Tensor> params = model.parameters();

  const auto t0 = std::chrono::steady_clock::now();
  finish_prefetch();
  Prepared batch = ahead_ && ahead_->epoch == epoch_ && ahead_->step == t ? std::move(*ahead_) : prepare(epoch_, t, order_);
  ahead_.reset();
  const double wait_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  // The next step (the next epoch's first after the last) prepared while this one computes.
  if (t + 1 < steps_per_epoch()) {
    start_prefetch(epoch_, t + 1);
  } else {
    next_order_ = shuffle_rows(rank_.data.train_rows, model_config_.seed, epoch_ + 1);
    start_prefetch(epoch_ + 1, 0);
  }

  // Rounds: rank k computes micro-batches k, k + P, ...
  Writer mine;
  for (int64_t round = 0; round < ceil_div(M, P); ++round) {
    const MicroBatch& mb = batch.parts[static_cast<size_t>(round)];
    if (mb.seeds.empty()) continue;
    const int64_t m = round * P + comm_.rank();
    const StepStats s = micro_batch_gradient(model, rank_.data, mb, n, steps_before * static_cast<uint64_t>(M) + static_cast<uint64_t>(m));
    put_result(mine, m, s, params);
  }
  finish_prefetch();  // MPI is this thread's again

  // Every g_m on every rank, added in micro-batch order as one process adds them.
  std::vector<PartResult> parts(static_cast<size_t>(M));
  const Streams results = comm_.all_gather(mine.bytes, traffic_.gradients);
  for (size_t rank = 0; rank < results.count(); ++rank) get_results(results[rank], params, parts);
  // The one step gradient's sum, each part's g_m the one its rank computed.
  StepStats s = step_gradient(params, M, [&](int64_t m) {
    const PartResult& p = parts[static_cast<size_t>(m)];
    if (!p.present) return StepStats{};
    for (size_t k = 0; k < params.size(); ++k)
      if (p.grads[k].defined()) params[k].set_grad(p.grads[k]);
    return p.stats;
  });
  s.num_seeds = n;
  s.wait_ms = wait_ms;
  model.set_dropout_position(step_end_dropout_position(M, steps_before));
  RankGraph& graph = *rank_.graph;
  step_traffic_.adjacency += traffic_.adjacency - traffic_before.adjacency;
  step_traffic_.features += traffic_.features - traffic_before.features;
  step_traffic_.gradients += traffic_.gradients - traffic_before.gradients;
  step_missing_bytes_ += graph.missing_bytes() - missing_before;
  ++steps_run_;
  return s;
}


Tensor DistributedSteps::logits(GAT& model, const std::vector<int32_t>& rows) {
  finish_prefetch();
  if (model.parameters().front().dtype() != DType::f32)
    throw Error("DistributedSteps::logits: the ranks exchange float32 rows; the model is " +
                std::string(dtype_name(model.parameters().front().dtype())));
  // The asked rows this rank owns: their logits computed here, layer-wise (in evaluation mode).
  std::vector<int32_t> mine;
  std::vector<int64_t> position;
  for (size_t i = 0; i < rows.size(); ++i)
    if (rank_.graph->owner(rows[i]) == comm_.rank()) {
      mine.push_back(rows[i]);
      position.push_back(static_cast<int64_t>(i));
    }
  const Tensor out = layerwise_logits(model, *source_, mine, config_.eval_chunk);

  // The rows' logits, in their order, on every rank.
  const int64_t C = out.size(1);
  Writer w;
  for (size_t i = 0; i < mine.size(); ++i) {
    w.put(position[i]);
    w.put_span<float>(std::span<const float>(out.data<float>() + static_cast<int64_t>(i) * C, static_cast<size_t>(C)));
  }
  Tensor all = Tensor::empty({static_cast<int64_t>(rows.size()), C}, DType::f32);
  int64_t filled = 0;
  const Streams gathered = comm_.all_gather(w.bytes, traffic_.features);
  for (size_t rank = 0; rank < gathered.count(); ++rank) {
    Reader r(gathered[rank]);
    while (!r.done()) {
      const int64_t i = r.get<int64_t>();
      if (i < 0 || i >= static_cast<int64_t>(rows.size())) throw Error("dist: logits of an unknown row arrived");
      r.get_into(all.data<float>() + i * C, static_cast<size_t>(C));
      ++filled;
    }
  }
  if (filled != static_cast<int64_t>(rows.size())) throw Error("dist: the ranks' logits do not cover the rows");
  return all;
}

Evaluation DistributedSteps::evaluate(Split split) {
  const std::vector<int64_t>& rows = rows_of(rank_.data, split);
  const Tensor l = logits(model_, as_ids(rows));
  NoGradGuard no_grad;
  return Evaluation{loss_at_rows(l, rank_.data, rows, LogitRows::of_rows).item(),
                    score_at_rows(l, rank_.data, rows, LogitRows::of_rows)};
}

const char* DistributedSteps::score_name() const { return node_score_name(rank_.data); }

std::string DistributedSteps::describe() const {
  return describe_mini_batches(config_, steps_per_epoch()).append(", on ").append(std::to_string(comm_.size())).append(" ranks");
}

}  // namespace gatgrad::dist
