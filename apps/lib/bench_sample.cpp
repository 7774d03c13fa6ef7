// `gat-bench sample` (see bench_sample.hpp).
#include "apps/lib/bench_sample.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <numeric>
#include <random>
#include <string>

#include <tbb/global_control.h>
#include <tbb/info.h>

#include "apps/lib/app_common.hpp"
#include "apps/lib/bench_memory.hpp"
#include "autograd/error.hpp"
#include "graph/neighbor_sampler.hpp"
#include "graph/synthetic.hpp"

namespace gatgrad::bench {

int run_sample_bench(const SampleBenchOptions& o) {
  using clock = std::chrono::steady_clock;
  if (o.batch_size < 1 || o.batch_size > o.nodes)
    throw UsageError("--batch-size must be in [1, --nodes], got " + std::to_string(o.batch_size));
  const int threads = o.threads > 0 ? o.threads : tbb::info::default_concurrency();
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<size_t>(threads));
  NeighborSampler sampler(o.fanout);

  const auto t_data = clock::now();
  Graph g;
  {
    CsbmOptions c;
    c.num_nodes = o.nodes;
    c.num_edges = o.edges;
    c.num_features = 1;  // the sampler reads no features
    c.seed = o.seed;
    c.val_size = c.test_size = 0;
    const Dataset d = make_csbm(c);
    g = Graph::from_edges(d.src, d.dst, d.num_nodes);
  }
  const double data_s = std::chrono::duration<double>(clock::now() - t_data).count();
  std::string fanout;
  for (int64_t f : o.fanout) {
    if (!fanout.empty()) fanout += ',';
    fanout += std::to_string(f);
  }
  std::printf("sample-bench: %lld nodes, %lld edges, batch %lld, fanout %s, %d threads (graph ready in %.2f s)\n",
              static_cast<long long>(g.num_nodes()), static_cast<long long>(g.num_edges()),
              static_cast<long long>(o.batch_size), fanout.c_str(), threads, data_s);

  // Seeds: consecutive slices of a seeded permutation of the nodes, wrapping around.
  std::vector<int32_t> order(static_cast<size_t>(o.nodes));
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), std::mt19937_64(o.seed));
  const int64_t batches_per_epoch = o.nodes / o.batch_size;
  auto seeds = [&](int64_t b) {
    const int64_t first = (b % batches_per_epoch) * o.batch_size;
    return std::span<const int32_t>(order.data() + first, static_cast<size_t>(o.batch_size));
  };
  auto key = [&](int64_t b) { return SampleKey{o.seed, static_cast<uint64_t>(b / batches_per_epoch), static_cast<uint64_t>(b)}; };

  for (int64_t b = 0; b < 10; ++b) sampler.sample(g, seeds(b), key(b));  // warm-up: scratch, page faults
  std::vector<double> batch_ms, loops_ms;
  int64_t edges = 0, src_nodes = 0;
  double total_s = 0;
  for (int64_t b = 10; b < 10 + o.batches; ++b) {
    const auto t0 = clock::now();
    const std::vector<Block> blocks = sampler.sample(g, seeds(b), key(b));
    const auto t1 = clock::now();
    for (const Block& blk : blocks) blk.add_self_loops();
    const auto t2 = clock::now();
    batch_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    loops_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
    total_s += std::chrono::duration<double>(t1 - t0).count();
    for (const Block& blk : blocks) edges += blk.num_edges();
    src_nodes += blocks.front().num_src_nodes();
  }
  const double n = static_cast<double>(o.batches);
  std::printf("edges_per_batch=%.0f src_nodes_per_batch=%.0f batch_ms_median=%.3f self_loops_ms_median=%.3f\n",
              static_cast<double>(edges) / n, static_cast<double>(src_nodes) / n, app::median(batch_ms),
              app::median(loops_ms));
  std::printf("busy_loop_ghz=%.2f\n", core_clock_ghz());  // the clock the VM gave, right after
  std::printf("sampled_edges_per_s=%.0f\n", static_cast<double>(edges) / total_s);
  return 0;
}

}  // namespace gatgrad::bench
