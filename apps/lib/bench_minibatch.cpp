#include "apps/lib/bench_minibatch.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <numeric>

#include <tbb/global_control.h>
#include <tbb/info.h>
#include <tbb/task_arena.h>

#include "apps/lib/app_common.hpp"
#include "apps/lib/bench_memory.hpp"
#include "apps/lib/bench_profile.hpp"
#include "graph/load_dataset.hpp"
#include "graph/synthetic.hpp"
#include "train/trainer.hpp"

namespace gatgrad::bench {

namespace {

using clock = std::chrono::steady_clock;
constexpr int64_t kWarmupSteps = 3;
constexpr double kGB = 1e9;

double seconds(clock::time_point a, clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

double physical_memory_bytes() {
  return static_cast<double>(::sysconf(_SC_PHYS_PAGES)) * static_cast<double>(::sysconf(_SC_PAGESIZE));
}

// The data in sampling form: a dataset directory, or the synthetic graph streamed into a CSR
// (every node a training node: the benchmark needs batches, not a split).
NodeData load(const TrainBenchOptions& o, const GATConfig& m, int64_t& num_classes) {
  if (!o.data.empty()) {
    LoadOptions lo;
    lo.map_features = true;
    const Dataset d = load_dataset(o.data, lo);
    num_classes = d.num_classes;
    return prepare_node_data(d, m.add_self_loops, DType::f32, GraphUse::sampling);
  }
  CsbmOptions c = bench_graph_options(o, m.seed);
  c.val_size = c.test_size = 0;
  CsbmByDestination g = make_csbm_by_destination(c);
  NodeData data;
  data.x = g.x;
  data.labels = std::move(g.nodes.y);
  data.num_classes = num_classes = o.classes;
  data.train_rows.resize(static_cast<size_t>(o.nodes));
  std::iota(data.train_rows.begin(), data.train_rows.end(), 0);
  data.neighbors = std::make_shared<CsrAdjacency>(std::move(g.dst_ptr), std::move(g.src));
  return data;
}

// The whole graph of the sampling data, with one self-loop per node, for a full-batch epoch.
Graph full_graph(const NodeData& data, bool add_self_loops) {
  Graph g = data.graph;
  if (const auto* csr = dynamic_cast<const CsrAdjacency*>(data.neighbors.get()))
    g = Graph::from_csr({csr->dst_ptr().begin(), csr->dst_ptr().end()}, {csr->src().begin(), csr->src().end()},
                        csr->num_nodes());
  return add_self_loops ? g.add_self_loops() : g;
}

}  // namespace

FullBatchBytes full_batch_bytes(int64_t nodes, int64_t edges, int64_t features, int64_t heads, int64_t hidden,
                                int64_t classes) {
  const double N = static_cast<double>(nodes), E1 = static_cast<double>(edges + nodes);
  const double H = static_cast<double>(heads), HF = static_cast<double>(heads * hidden), C = static_cast<double>(classes);
  FullBatchBytes b;
  b.graph = 20 * E1 + 16 * N;
  b.features = 4 * N * static_cast<double>(features);
  b.edges = E1 * (4 * H + static_cast<double>((heads + 7) / 8) + 8 * H + 4 + 1 + 8);
  b.nodes = N * (4 * static_cast<double>(features) + 6 * 4 * HF + 10 * 4 * C);
  return b;
}

int run_minibatch_bench(const TrainBenchOptions& o) {
  const int threads = o.threads > 0 ? o.threads : tbb::info::default_concurrency();
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<size_t>(threads));
  Preset p = bench_preset(o);

  const auto t_data = clock::now();
  int64_t classes = 0;
  const NodeData data = load(o, p.model, classes);
  const double data_s = seconds(t_data, clock::now());
  const int64_t N = data.neighbors->num_nodes(), F = data.x.cols();
  const int64_t E = data.neighbors->incoming({}).ptr.back();  // both sources here list every node
  p.model.in_features = F;
  p.model.num_classes = classes;
  std::printf("train-bench %s mini-batch: %lld nodes, %lld edges, %lld features, %lld classes, batch %lld, fanout "
              "%s, %lld micro-batches, %d threads (data ready in %.2f s, peak_rss_mb=%.1f)\n",
              p.model.model.c_str(), static_cast<long long>(N), static_cast<long long>(E), static_cast<long long>(F),
              static_cast<long long>(classes), static_cast<long long>(p.train.batch_size),
              field_text(p, "fanout").c_str(), static_cast<long long>(p.train.micro_batches), threads, data_s,
              app::peak_rss_mb());

  // ---- mini-batch steps ----
  double minibatch_peak = 0, sampled_per_s = 0;
  {
    GAT model(p.model);
    nn::Adam adam = make_optimizer(model.parameters(), p.train);
    const std::unique_ptr<Steps> steps = make_steps(model, data, p.train);  // the steps gat-train runs
    const int64_t per_epoch = steps->steps_per_epoch();
    std::vector<double> step_ms, wait_ms;
    int64_t seeds = 0, edges = 0;
    double busy_s = 0;
    auto train_step = [&](int64_t t) {
      if (t % per_epoch == 0) steps->start_epoch(t / per_epoch + 1);
      const StepStats step = steps->next_step(static_cast<uint64_t>(t));
      tbb::this_task_arena::isolate([&] { adam.step(); });  // as the training loop steps
      return step;
    };
    for (int64_t t = 0; t < kWarmupSteps + o.steps; ++t) {
      const auto t0 = clock::now();
      const StepStats step = train_step(t);
      const auto t2 = clock::now();
      if (t < kWarmupSteps) continue;
      step_ms.push_back(1e3 * seconds(t0, t2));
      wait_ms.push_back(step.wait_ms);
      busy_s += seconds(t0, t2);
      seeds += step.num_seeds;
      edges += step.num_edges;
    }
    minibatch_peak = app::peak_rss_mb();
    sampled_per_s = static_cast<double>(edges) / busy_s;
    std::printf("minibatch_steps=%lld seed_nodes_per_s=%.0f sampled_edges_per_s=%.0f sampled_edges_per_step=%.0f "
                "step_ms_median=%.3f wait_ms_median=%.3f peak_rss_mb=%.1f\n",
                static_cast<long long>(o.steps), static_cast<double>(seeds) / busy_s, sampled_per_s,
                static_cast<double>(edges) / static_cast<double>(o.steps), app::median(step_ms), app::median(wait_ms),
                minibatch_peak);
    if (o.profile) {
      int64_t t = kWarmupSteps + o.steps;
      print_profile(profile_steps(o.steps, [&] { train_step(t++); }), "step", -1);
    }
  }

  // ---- what full batch would need, and a full-batch epoch when it fits ----
  const FullBatchBytes need = full_batch_bytes(N, E, F, p.model.heads, p.model.hidden, classes);
  std::printf("full_batch_needs_gb=%.1f (graph with self-loops %.1f + features %.1f + per-edge attention %.1f + "
              "per-node activations %.1f) machine_memory_gb=%.1f minibatch_peak_rss_gb=%.2f\n",
              need.total() / kGB, need.graph / kGB, need.features / kGB, need.edges / kGB, need.nodes / kGB,
              physical_memory_bytes() / kGB, minibatch_peak / 1e3);
  if (need.total() > 0.5 * physical_memory_bytes()) {
    std::printf("full batch skipped: it needs more than half of this machine's memory\n");
    return 0;
  }
  NodeData full;  // the same nodes, for one full-batch forward
  full.x = data.x;
  full.graph = full_graph(data, p.model.add_self_loops);
  full.labels = data.labels;
  full.num_classes = data.num_classes;
  full.train_rows = data.train_rows;
  TrainConfig full_batch = p.train;  // (the mini-batch settings back at their defaults: validate()'s rule)
  full_batch.batch_size = 0;
  full_batch.fanout = TrainConfig{}.fanout;
  full_batch.micro_batches = 1;
  GAT model(p.model);
  nn::Adam adam = make_optimizer(model.parameters(), full_batch);
  const std::unique_ptr<Steps> steps = make_steps(model, full, full_batch);
  std::vector<double> epoch_ms;
  for (int64_t e = 0; e < 2 + o.epochs; ++e) {  // 2 untimed warm-up epochs
    const auto t0 = clock::now();
    steps->start_epoch(e + 1);
    steps->next_step(static_cast<uint64_t>(e));
    adam.step();
    if (e >= 2) epoch_ms.push_back(1e3 * seconds(t0, clock::now()));
  }
  const double full_per_s = static_cast<double>(E) / (app::median(epoch_ms) / 1e3);
  std::printf("busy_loop_ghz=%.2f\n", core_clock_ghz());
  std::printf("full_batch_epoch_ms_median=%.3f full_batch_edges_per_s=%.0f full_batch_peak_rss_mb=%.1f "
              "sampled_to_full_batch_edges_per_s=%.3f\n",
              app::median(epoch_ms), full_per_s, app::peak_rss_mb(), sampled_per_s / full_per_s);
  return 0;
}

}  // namespace gatgrad::bench
