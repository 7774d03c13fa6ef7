// Mini-batch training: the epoch's order, the batches and their micro-batches, the pipeline that
// prepares them one step ahead, and the gradient of a batch (definitions in minibatch.hpp).
#include "train/minibatch.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "autograd/ops.hpp"
#include "autograd/parallel.hpp"
#include "autograd/random.hpp"
#include "autograd/tape.hpp"
#include "graph/neighbor_sampler.hpp"
#include "train/node_loss.hpp"
#include "train/step_gradient.hpp"

namespace gatgrad {

namespace {

constexpr uint64_t kShuffleStream = 0x5eed0f5u;  // the epoch orders' own stream of the seed

// Sampled edges of blocks (the self-loops added to them not counted).
int64_t sampled_edges(const std::vector<Block>& blocks) {
  int64_t e = 0;
  for (const Block& b : blocks) e += b.num_edges() - (b.graph.has_one_self_loop_per_node() ? b.num_dst_nodes() : 0);
  return e;
}

}  // namespace

std::string describe_mini_batches(const TrainConfig& config, int64_t steps) {
  std::string fanout;
  for (int64_t f : config.fanout) fanout.append(fanout.empty() ? "" : ",").append(std::to_string(f));
  std::string line = "mini-batches of ";
  line.append(std::to_string(config.batch_size)).append(" seeds, fanout ").append(fanout).append(", ");
  line.append(std::to_string(config.micro_batches)).append(" micro-batches per step, ");
  return line.append(std::to_string(steps)).append(" steps per epoch");
}

std::vector<int32_t> shuffle_rows(std::span<const int64_t> rows, uint64_t seed, int64_t epoch) {
  const uint64_t key = derive_key(derive_key(seed, kShuffleStream), static_cast<uint64_t>(epoch));
  std::vector<std::pair<uint64_t, int32_t>> keyed(rows.size());
  for (size_t k = 0; k < rows.size(); ++k)
    keyed[k] = {hash64(key, static_cast<uint64_t>(rows[k])), static_cast<int32_t>(rows[k])};
  std::sort(keyed.begin(), keyed.end());
  std::vector<int32_t> order(rows.size());
  for (size_t k = 0; k < rows.size(); ++k) order[k] = keyed[k].second;
  return order;
}

std::pair<int64_t, int64_t> part_range(int64_t n, int64_t parts, int64_t m) {
  const int64_t base = n / parts, extra = n % parts;
  const int64_t begin = m * base + std::min(m, extra);
  return {begin, begin + base + (m < extra ? 1 : 0)};
}

int64_t batch_seed_count(int64_t num_train, int64_t batch_size, int64_t step) {
  return std::min(num_train, (step + 1) * batch_size) - step * batch_size;
}

std::vector<int32_t> micro_batch_seeds(std::span<const int32_t> order, int64_t batch_size, int64_t micro_batches,
                                       int64_t step, int64_t m) {
  const int64_t s0 = step * batch_size;
  const auto [p0, p1] = part_range(batch_seed_count(static_cast<int64_t>(order.size()), batch_size, step), micro_batches, m);
  return {order.begin() + s0 + p0, order.begin() + s0 + p1};
}

void ready_micro_batch(MicroBatch& mb, NeighborSampler& sampler, LayerwiseSource& source, const SampleKey& key,
                       bool add_self_loops, const EdgeFill& fill) {
  mb.blocks = sampler.sample(source.adjacency(), mb.seeds, key);
  mb.edge_attr.clear();
  for (Block& b : mb.blocks) {
    if (source.has_edge_features()) mb.edge_attr.push_back(ready_block_gathered(b, add_self_loops, source.edge_rows(b), fill));
    else ready_block(b, add_self_loops, Tensor(), fill);
  }
  mb.x = source.input_rows(mb.blocks.front().src_global);
}

int64_t Batch::num_sampled_edges() const {
  int64_t e = 0;
  for (const MicroBatch& mb : parts) e += sampled_edges(mb.blocks);
  return e;
}

// ---- the pipeline ----

struct BatchPipeline::Impl {
  const NodeData& data;
  AdjacencySource& adjacency;
  int64_t batch_size, micro_batches;
  uint64_t seed;
  bool add_self_loops;
  EdgeFill edge_fill;
  LocalSource source;       // the graph's lists, data.x and data.edge_attr
  NeighborSampler sampler;  // used by one thread at a time: the task, or prepare() when none runs
  std::vector<int32_t> order;
  int64_t epoch = 0, next_step = 0;
  TaskGroup tasks;
  std::optional<Batch> ahead;  // written by the task, read after tasks.wait()

  Impl(const NodeData& d, AdjacencySource& a, const TrainConfig& c, uint64_t s, bool loops, const EdgeFill& fill)
      : data(d), adjacency(a), batch_size(c.batch_size), micro_batches(c.micro_batches), seed(s),
        add_self_loops(loops), edge_fill(fill), source(d.x, a, d.edge_attr), sampler(c.fanout) {
    sampler.record_edge_ids(d.edge_attr.defined());
  }

  int64_t steps() const {
    const int64_t T = static_cast<int64_t>(data.train_rows.size());
    return (T + batch_size - 1) / batch_size;
  }

  Batch prepare(int64_t e, int64_t t) {
    Batch b;
    b.epoch = e;
    b.step = t;
    b.num_seeds = batch_seed_count(static_cast<int64_t>(order.size()), batch_size, t);
    b.parts.resize(static_cast<size_t>(micro_batches));
    for (int64_t m = 0; m < micro_batches; ++m) {
      MicroBatch& mb = b.parts[static_cast<size_t>(m)];
      mb.seeds = micro_batch_seeds(order, batch_size, micro_batches, t, m);
      if (mb.seeds.empty()) continue;  // a last batch with fewer seeds than micro-batches
      ready_micro_batch(mb, sampler, source, SampleKey{seed, static_cast<uint64_t>(e), static_cast<uint64_t>(t)},
                        add_self_loops, edge_fill);
    }
    return b;
  }

  void wait() {
    tasks.wait();  // rethrows what the task threw
  }

  void prefetch(int64_t t) {
    const int64_t e = epoch;
    tasks.run([this, e, t] { ahead = prepare(e, t); });
  }
};

BatchPipeline::BatchPipeline(const NodeData& data, AdjacencySource& adjacency, const TrainConfig& config,
                             uint64_t seed, bool add_self_loops, const EdgeFill& edge_fill)
    : impl_(std::make_unique<Impl>(data, adjacency, config, seed, add_self_loops, edge_fill)) {
  config.validate();
  if (config.batch_size < 1) throw Error("BatchPipeline: the training configuration has no batch_size");
  if (data.train_rows.empty()) throw Error("BatchPipeline: no training rows");
}

BatchPipeline::~BatchPipeline() {
  try {
    impl_->wait();
  } catch (...) {  // an error of a batch nobody asked for any more
  }
}

int64_t BatchPipeline::steps_per_epoch() const { return impl_->steps(); }

void BatchPipeline::start_epoch(int64_t epoch) {
  Impl& p = *impl_;
  p.wait();
  p.ahead.reset();
  p.epoch = epoch;
  p.next_step = 0;
  p.order = shuffle_rows(p.data.train_rows, p.seed, epoch);
  p.prefetch(0);
}

Batch BatchPipeline::next() {
  Impl& p = *impl_;
  if (p.next_step >= p.steps())
    throw Error("BatchPipeline::next: epoch " + std::to_string(p.epoch) + " has only " + std::to_string(p.steps()) +
                " steps");
  p.wait();
  Batch b = std::move(*p.ahead);
  p.ahead.reset();
  if (++p.next_step < p.steps()) p.prefetch(p.next_step);
  return b;
}

Batch BatchPipeline::prepare(int64_t epoch, int64_t step) {
  Impl& p = *impl_;
  p.wait();
  if (p.epoch != epoch) {
    p.order = shuffle_rows(p.data.train_rows, p.seed, epoch);
    p.epoch = epoch;
  }
  return p.prepare(epoch, step);
}

// ---- the gradient of a batch ----

uint64_t step_end_dropout_position(int64_t micro_batches, uint64_t steps_before) {
  return (steps_before + 1) * static_cast<uint64_t>(micro_batches);
}

StepStats micro_batch_gradient(GAT& model, const NodeData& data, const MicroBatch& mb, int64_t num_seeds,
                               uint64_t dropout_position) {
  model.train();
  model.set_dropout_position(dropout_position);
  for (const Tensor& p : model.parameters()) p.zero_grad();  // g_m computed whole, from zero
  const Tensor logits = model.forward(mb.x, mb.blocks, mb.edge_attr);
  const std::vector<int64_t> seeds(mb.seeds.begin(), mb.seeds.end());  // logits row r is node seeds[r]
  const Tensor loss = loss_at_rows(logits, data, seeds, LogitRows::of_rows);
  const double w = static_cast<double>(mb.seeds.size()) / static_cast<double>(num_seeds);
  StepStats s;
  s.loss = w * loss.item();
  s.accuracy = w * score_at_rows(logits, data, seeds, LogitRows::of_rows);
  s.num_seeds = static_cast<int64_t>(mb.seeds.size());
  s.num_edges = sampled_edges(mb.blocks);
  backward(w == 1.0 ? loss : loss * w);  // d/dθ of (n_m / n) · loss_m
  return s;
}

StepStats batch_gradients(GAT& model, const NodeData& data, const Batch& batch, int64_t micro_batches,
                          uint64_t steps_before) {
  model.train();
  const StepStats s = step_gradient(model.parameters(), static_cast<int64_t>(batch.parts.size()), [&](int64_t m) {
    const MicroBatch& mb = batch.parts[static_cast<size_t>(m)];
    if (mb.seeds.empty()) return StepStats{};
    const uint64_t position = steps_before * static_cast<uint64_t>(micro_batches) + static_cast<uint64_t>(m);
    return micro_batch_gradient(model, data, mb, batch.num_seeds, position);
  });
  model.set_dropout_position(step_end_dropout_position(micro_batches, steps_before));
  return s;
}

}  // namespace gatgrad
