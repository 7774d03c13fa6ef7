#include "apps/lib/bench_task.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <functional>
#include <memory>
#include <vector>

#include <tbb/global_control.h>
#include <tbb/info.h>

#include "apps/lib/app_common.hpp"
#include "apps/lib/bench_memory.hpp"
#include "autograd/buffer.hpp"
#include "autograd/error.hpp"
#include "graph/link_split.hpp"
#include "graph/load_dataset.hpp"
#include "graph/synthetic.hpp"
#include "graph/synthetic_motifs.hpp"
#include "graph/tu_dataset.hpp"
#include "models/graph_classifier.hpp"
#include "models/graph_folds.hpp"
#include "models/link_data.hpp"
#include "models/node_data.hpp"
#include "models/presets.hpp"
#include "train/link_model.hpp"
#include "train/make_steps.hpp"
#include "train/trainer.hpp"

namespace gatgrad::bench {

namespace {

// The CPU time of the whole process (every thread), in milliseconds.
double process_cpu_ms() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) * 1e-6;
}

using wall = std::chrono::steady_clock;
double ms_since(wall::time_point t0) { return std::chrono::duration<double, std::milli>(wall::now() - t0).count(); }

// One training epoch as the loop runs it (train/loop.cpp), without its evaluation: start_epoch,
// then every step and the optimiser's step after it.
struct EpochRunner {
  Steps& steps;
  nn::Optimizer& optimizer;
  int64_t epoch = 0;
  uint64_t steps_before = 0;
  void operator()() {
    steps.start_epoch(++epoch);
    for (int64_t t = 0, n = steps.steps_per_epoch(); t < n; ++t) {
      steps.next_step(steps_before++);
      optimizer.step();
    }
  }
};

// The timed parts, each a function of its own so that scripts/bench-tasks.sh counts their
// instructions alone (callgrind --toggle-collect).
[[gnu::noinline]] std::vector<double> timed_training_epochs(EpochRunner& run, int64_t epochs) {
  std::vector<double> ms;
  for (int64_t e = 0; e < epochs; ++e) {
    const auto t0 = wall::now();
    run();
    ms.push_back(ms_since(t0));
  }
  return ms;
}
[[gnu::noinline]] std::vector<double> timed_evaluations(Steps& steps, int64_t epochs) {
  std::vector<double> ms;
  for (int64_t e = 0; e < epochs; ++e) {
    const auto t0 = wall::now();
    steps.evaluate(Split::val);
    ms.push_back(ms_since(t0));
  }
  return ms;
}

// Times `epochs` training epochs after two untimed ones, then as many validation evaluations,
// and prints the result line.
void time_epochs(Steps& steps, nn::Optimizer& optimizer, int64_t epochs, bool clock) {
  EpochRunner run{steps, optimizer};
  for (int i = 0; i < 2; ++i) run();  // warm-up: caches, the buffer pool, page faults
  steps.evaluate(Split::val);
  const PoolStats pool0 = pool_stats();
  const double cpu0 = process_cpu_ms();
  const std::vector<double> epoch_ms = timed_training_epochs(run, epochs);
  const double cpu1 = process_cpu_ms();
  const PoolStats pool1 = pool_stats();
  const std::vector<double> eval_ms = timed_evaluations(steps, epochs);
  const double cpu2 = process_cpu_ms(), count = static_cast<double>(epochs);
  if (clock) std::printf("busy_loop_ghz=%.2f\n", core_clock_ghz());  // the clock the VM gave, right after
  std::printf("buffer_allocations_per_epoch=%.1f pool_hits_per_epoch=%.1f\n",
              static_cast<double>(pool1.system_allocations - pool0.system_allocations) / count,
              static_cast<double>(pool1.pool_hits - pool0.pool_hits) / count);
  std::printf("epoch_ms_median=%.3f epoch_cpu_ms=%.3f eval_ms_median=%.3f eval_cpu_ms=%.3f steps_per_epoch=%lld "
              "peak_rss_mb=%.1f\n",
              app::median(epoch_ms), (cpu1 - cpu0) / count, app::median(eval_ms), (cpu2 - cpu1) / count,
              static_cast<long long>(steps.steps_per_epoch()), app::peak_rss_mb());
}

int run_graph(const TaskBenchOptions& o, int threads) {
  Preset p = make_preset("tu");
  Dataset d;
  if (o.data.empty()) d = make_motif_graphs(MotifGraphOptions{});
  else if (is_tu_directory(o.data)) d = load_tu_dataset(o.data);
  else d = load_dataset(o.data, LoadOptions{false});
  p.model.in_features = d.num_features;
  p.model.num_classes = d.num_classes;
  p.model.edge_dim = d.edge_dim;
  const NodeData data = prepare_node_data(d, p.model.add_self_loops, DType::f32, GraphUse::full_batch,
                                          parse_edge_fill(p.model.edge_fill));
  const std::vector<GraphFold> folds = stratified_folds(data.graph_labels, data.num_classes, 10, p.model.seed);
  GraphClassifier model(p.model);
  nn::Adam optimizer = make_optimizer(model.parameters(), p.train);
  const std::unique_ptr<Steps> steps = make_steps(model, data, p.train, folds.front());
  std::printf("task-bench graph classification on %s (%lld graphs, %lld nodes), preset tu, fold 1 of 10: %s; "
              "%d threads\n",
              o.data.empty() ? "the synthetic motif set" : o.data.c_str(), static_cast<long long>(d.num_graphs),
              static_cast<long long>(d.num_nodes), steps->describe().c_str(), threads);
  time_epochs(*steps, optimizer, o.epochs, o.clock);
  return 0;
}

int run_link(const TaskBenchOptions& o, int threads) {
  Preset p = make_preset("link");
  LoadOptions lo;
  lo.normalize_features = p.model.normalize_features;
  Dataset d = o.data.empty() ? make_csbm(CsbmOptions{}) : load_dataset(o.data, lo);
  p.model.in_features = d.num_features;
  p.model.edge_dim = d.edge_dim;
  p.model.num_classes = p.model.embedding_dim;
  const LinkConfig link;
  const LinkData data = prepare_link_data(
      d, split_links(d.src, d.dst, d.num_nodes, link.val_fraction, link.test_fraction, p.model.seed),
      p.model.add_self_loops, DType::f32, graph_use(p.train), parse_edge_fill(p.model.edge_fill));
  LinkModel model(p.model);
  nn::Adam optimizer = make_optimizer(model.parameters(), p.train);
  const std::unique_ptr<LinkSteps> steps = make_steps(model, data, p.train, link.hits_k);
  std::printf("task-bench link prediction on %s (%lld nodes, %lld edges), preset link: %s; %d threads\n",
              o.data.empty() ? "the synthetic graph" : o.data.c_str(), static_cast<long long>(d.num_nodes),
              static_cast<long long>(d.num_edges()), steps->describe().c_str(), threads);
  time_epochs(*steps, optimizer, o.epochs, o.clock);
  return 0;
}

}  // namespace

int run_task_bench(const TaskBenchOptions& o) {
  const int threads = o.threads > 0 ? o.threads : tbb::info::default_concurrency();
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<size_t>(threads));
  if (o.task == "graph") return run_graph(o, threads);
  if (o.task == "link") return run_link(o, threads);
  throw UsageError("--task: graph or link, not '" + o.task + "'");
}

}  // namespace gatgrad::bench
