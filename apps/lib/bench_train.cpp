#include "apps/lib/bench_train.hpp"
#include "apps/lib/bench_memory.hpp"
#include "apps/lib/bench_minibatch.hpp"
#include "apps/lib/bench_profile.hpp"

#include <chrono>
#include <cstdio>

#include <tbb/global_control.h>
#include <tbb/info.h>

#include "apps/lib/app_common.hpp"
#include "graph/load_dataset.hpp"
#include "graph/synthetic.hpp"
#include "train/trainer.hpp"
#include "nn/optim.hpp"

namespace gatgrad::bench {

const std::vector<std::string>& bench_config_options() {
  static const std::vector<std::string> names = {"--model", "--layers", "--residual", "--heads", "--hidden",
                                                 "--out-heads", "--seed", "--batch-size", "--fanout", "--micro-batches",
                                                 "--node-order"};
  return names;
}

CsbmOptions bench_graph_options(const TrainBenchOptions& o, uint64_t seed) {
  CsbmOptions c;
  c.num_nodes = o.nodes;
  c.num_edges = o.edges;
  c.num_features = o.features;
  c.num_classes = o.classes;
  c.seed = seed;
  return c;
}

Preset bench_preset(const TrainBenchOptions& o) {
  Preset p = make_preset(kDefaultPreset);
  app::apply_config_options(o.config, p);
  app::fit_fanout_to_layers(o.config, p);  // (as gat-train does)
  app::validate_config(p, &o.config);
  return p;
}

int run_train_bench(const TrainBenchOptions& o) {
  Preset p = bench_preset(o);
  if (graph_use(p.train) == GraphUse::sampling) return run_minibatch_bench(o);
  using clock = std::chrono::steady_clock;
  const int threads = o.threads > 0 ? o.threads : tbb::info::default_concurrency();
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<size_t>(threads));

  const auto t_data = clock::now();
  Dataset d;
  if (!o.data.empty()) {
    d = load_dataset(o.data);
  } else {
    CsbmOptions c = bench_graph_options(o, p.model.seed);
    c.val_size = std::min<int64_t>(500, o.nodes / 4);
    c.test_size = std::min<int64_t>(1000, o.nodes / 4);
    d = make_csbm(c);
  }
  NodeData data = prepare_node_data(d, p.model.add_self_loops);  // the graph both layers attend over
  const double data_s = std::chrono::duration<double>(clock::now() - t_data).count();
  // NodeData holds its own copies: the dataset's features and edges are not needed any more.
  std::vector<float>().swap(d.x_dense);
  d.x_sparse = CsrMatrix();
  const int64_t num_edges = d.num_edges();
  std::vector<int32_t>().swap(d.src);
  std::vector<int32_t>().swap(d.dst);

  p.model.in_features = d.num_features;
  p.model.num_classes = d.num_classes;
  GAT model(p.model);
  nn::Adam adam = make_optimizer(model.parameters(), p.train);
  const std::unique_ptr<Steps> steps = make_steps(model, data, p.train);  // the steps gat-train runs
  // Full batch: the steps keep their own layout of the data (full_batch_layout), and the timed
  // epochs and evaluations read only it. With --node-order rcm that is a renumbered copy, and
  // this one, in the data's own numbering, would only hold its features and graph a second time.
  data = NodeData();
  std::printf("train-bench %s: %lld nodes, %lld edges, %lld features (%s), %lld classes, %lldx%lld heads, "
              "%d threads (data ready in %.2f s)\n",
              p.model.model.c_str(), static_cast<long long>(d.num_nodes), static_cast<long long>(num_edges),
              static_cast<long long>(d.num_features), d.x_is_sparse ? "sparse" : "dense",
              static_cast<long long>(d.num_classes), static_cast<long long>(p.model.heads),
              static_cast<long long>(p.model.hidden), threads, data_s);

  uint64_t steps_before = 0;
  auto train_step = [&] {  // an epoch of the training loop: one full-batch step and the optimiser's
    steps->start_epoch(static_cast<int64_t>(steps_before) + 1);
    steps->next_step(steps_before++);
    adam.step();
  };
  auto infer = [&] { return steps->evaluate(Split::test); };  // one forward in evaluation mode, as training's
  for (int i = 0; i < 2; ++i) train_step();  // warm-up: caches, the buffer pool, page faults
  infer();

  const PoolStats before = pool_stats();
  std::vector<double> epoch_ms, infer_ms;
  for (int64_t e = 0; e < o.epochs; ++e) {
    const auto t0 = clock::now();
    train_step();
    epoch_ms.push_back(std::chrono::duration<double, std::milli>(clock::now() - t0).count());
  }
  const PoolStats after = pool_stats();
  for (int64_t e = 0; e < o.epochs; ++e) {
    const auto t0 = clock::now();
    infer();
    infer_ms.push_back(std::chrono::duration<double, std::milli>(clock::now() - t0).count());
  }
  const double epoch_median = app::median(epoch_ms), infer_median = app::median(infer_ms);
  std::printf("buffer_allocations_per_epoch=%.1f pool_hits_per_epoch=%.1f\n",
              static_cast<double>(after.system_allocations - before.system_allocations) / static_cast<double>(o.epochs),
              static_cast<double>(after.pool_hits - before.pool_hits) / static_cast<double>(o.epochs));
  std::printf("busy_loop_ghz=%.2f\n", core_clock_ghz());  // the clock the VM gave, right after
  std::printf("epoch_ms_median=%.3f infer_ms_median=%.3f peak_rss_mb=%.1f edges_per_s=%.0f\n", epoch_median,
              infer_median, app::peak_rss_mb(), static_cast<double>(num_edges) / (epoch_median / 1000.0));
  if (o.profile) print_profile(profile_steps(o.epochs, train_step), "epoch", regions_of([&] { infer(); }));
  return 0;
}

}  // namespace gatgrad::bench
